r"""
=======================================================
Distributed Optuna search: one worker of a shared study
=======================================================

Every process started with the same ``--storage`` and ``--study-name`` works on
the same study: start this script as many times as you like, on one machine or
several, and each runs ``--n-trials`` trials of it. Trials train stage I epoch by
epoch and report the validation EER after each epoch; the median pruner stops
the unpromising ones. Two workers on one machine::

    python examples/distributed_optuna.py --storage sqlite:///study.db \
        --study-name ssastcl --n-trials 4 &
    python examples/distributed_optuna.py --storage sqlite:///study.db \
        --study-name ssastcl --n-trials 4 &
    wait

SQLite is for processes sharing one disk; across machines use a server, e.g.
``--storage postgresql+psycopg2://optuna:PASSWORD@db-host:5432/optuna`` (see
docs/distributed.rst). With ``--sampler grid`` all workers must get the same
``--seed`` (the grid order), so that no grid point is run twice.

Data: ``--data file.npz`` with arrays ``X`` (n, n_frames, n_mels) and ``y``;
without it, the sample shipped with the package through
``LogMel(target_length=--target-length, n_mels=--n-mels)``. A seeded,
stratified 30 % is held out as the validation set.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import optuna
import torch
from optuna.distributions import CategoricalDistribution, FloatDistribution
from sklearn.model_selection import train_test_split

from sklearn_ssastcl.distributed import make_objective, optimize_worker

GRID = {"lr": [3e-4, 1e-3, 3e-3], "alpha": [0.0, 0.5, 1.0]}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Distributed Optuna search: one worker of a shared study."
    )
    parser.add_argument("--storage", required=True, help="e.g. sqlite:///study.db")
    parser.add_argument("--study-name", required=True)
    parser.add_argument("--n-trials", type=int, default=4, help="trials per worker")
    parser.add_argument("--sampler", choices=("tpe", "grid"), default="tpe")
    parser.add_argument("--seed", type=int, default=42, help="sampler and model seed")
    parser.add_argument("--n-epochs", type=int, default=3, help="stage I epochs")
    parser.add_argument("--worker-id", help="stored with each trial (default host:pid)")
    parser.add_argument("--data", help="npz file with X and y (default: the sample)")
    parser.add_argument("--target-length", type=int, default=100)
    parser.add_argument("--n-mels", type=int, default=32)
    parser.add_argument("--embed-dim", type=int, default=32)
    parser.add_argument("--kernel-size", type=int, nargs=2, default=(16, 16))
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    return parser.parse_args(argv)


def load_data(args):
    if args.data:
        with np.load(args.data, allow_pickle=False) as data:
            return data["X"], data["y"]
    from sklearn_ssastcl import LogMel
    from sklearn_ssastcl.datasets import load_spoof_sample

    sample = load_spoof_sample()
    train = sample.subset == "train"
    logmel = LogMel(target_length=args.target_length, n_mels=args.n_mels)
    return logmel.transform([w for w, t in zip(sample.waveforms, train) if t]), (
        sample.labels[train]
    )


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X, y = load_data(args)
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=args.seed
    )
    if args.sampler == "grid":
        sampler = optuna.samplers.GridSampler(GRID, seed=args.seed)
        space = {name: CategoricalDistribution(v) for name, v in GRID.items()}
    else:
        # a per-worker seed, or all workers would propose the same points
        sampler = optuna.samplers.TPESampler(seed=args.seed + os.getpid())
        space = {
            "lr": FloatDistribution(1e-4, 3e-3, log=True),
            "alpha": FloatDistribution(0.0, 1.0),
        }
    objective = make_objective(
        X_fit,
        y_fit,
        space,
        X_val=X_val,
        y_val=y_val,
        estimator_params={
            "model_size": None,
            "embed_dim": args.embed_dim,
            "depth": 1,
            "num_heads": 2,
            "n_mels": X.shape[2],
            "kernel_size": tuple(args.kernel_size),
            "head_epochs": 2,
            "batch_size": 8,
            "random_state": args.seed,
        },
        n_epochs=args.n_epochs,
        worker_id=args.worker_id,
    )
    study = optimize_worker(
        args.storage,
        args.study_name,
        objective,
        n_trials=args.n_trials,
        sampler=sampler,
        pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0),
    )
    mine = [t for t in study.trials if t.user_attrs.get("pid") == os.getpid()]
    states = [t.state.name for t in mine]
    print(f"worker {os.getpid()}: ran trials {[t.number for t in mine]} ({states})")
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    if complete:
        print(f"study so far: best EER {study.best_value:.3f} with {study.best_params}")


if __name__ == "__main__":
    main()
