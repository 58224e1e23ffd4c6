r"""
=================================================
GridSearchCV and cross_validate on a Dask cluster
=================================================

scikit-learn runs the fits of a search through joblib; inside
``joblib.parallel_backend("dask")`` joblib hands each fit to the workers of the
current ``dask.distributed.Client``, which may sit on other machines. Nothing
else changes: the same estimator, grid, folds and ``eer_scorer``, and the same
scores as the sequential run (checked at the end).

Run it on a local cluster of 2 worker processes::

    python examples/dask_grid_search.py

or on a running cluster (``dask scheduler`` on one machine, ``dask worker
tcp://SCHEDULER:8786 --nworkers 1 --nthreads 1`` on each of the others)::

    python examples/dask_grid_search.py --scheduler tcp://SCHEDULER:8786

Every worker needs the same Python environment (sklearn-ssastcl installed).
The data travels from this process to the workers; for large corpora, load it
on the workers instead (e.g. pass paths and a ``LogMel`` in a Pipeline).
Needs ``pip install "dask[distributed]"``.
"""

from __future__ import annotations

import argparse
import time

import joblib
import numpy as np
import torch
from dask.distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate

from sklearn_ssastcl import LogMel, SSASTCLClassifier
from sklearn_ssastcl.datasets import load_spoof_sample
from sklearn_ssastcl.metrics import eer_scorer

RANDOM_STATE = 42


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="GridSearchCV and cross_validate on a Dask cluster."
    )
    parser.add_argument("--scheduler", help="scheduler address (default: local)")
    parser.add_argument("--n-workers", type=int, default=2, help="local workers")
    parser.add_argument("--target-length", type=int, default=64)
    parser.add_argument("--n-mels", type=int, default=32)
    parser.add_argument("--max-epochs", type=int, default=2)
    parser.add_argument("--no-sequential", action="store_true", help="skip the check")
    return parser.parse_args(argv)


def search():
    clf = SSASTCLClassifier(
        model_size=None,
        embed_dim=32,
        depth=1,
        num_heads=2,
        n_mels=32,
        kernel_size=(16, 16),
        head_epochs=5,
        batch_size=8,
        random_state=RANDOM_STATE,
    )
    return GridSearchCV(
        clf,
        {"lr": [3e-4, 1e-3], "alpha": [0.0, 1.0]},
        cv=StratifiedKFold(n_splits=2, shuffle=True, random_state=RANDOM_STATE),
        scoring=eer_scorer,
    )


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    sample = load_spoof_sample()
    train = sample.subset == "train"
    logmel = LogMel(target_length=args.target_length, n_mels=args.n_mels)
    X = logmel.transform([w for w, t in zip(sample.waveforms, train) if t])
    y = sample.labels[train]
    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(
            n_workers=args.n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    # one torch thread per worker: the workers already run in parallel
    client.run(torch.set_num_threads, 1)
    print(client)

    start = time.perf_counter()
    with joblib.parallel_backend("dask"):
        grid = search().set_params(estimator__max_epochs=args.max_epochs).fit(X, y)
        scores = cross_validate(
            grid.best_estimator_, X, y, cv=3, scoring=eer_scorer, n_jobs=-1
        )
    print(f"on Dask: {time.perf_counter() - start:.1f} s")
    print("mean validation EER per setting:")
    for params, score in zip(
        grid.cv_results_["params"], grid.cv_results_["mean_test_score"]
    ):
        print(f"  {params}: {100 * (1 - score):.1f} %")
    eers = 100 * (1 - scores["test_score"])
    print(
        f"best {grid.best_params_}: 3-fold EER {eers.mean():.1f} +- {eers.std():.1f} %"
    )
    client.close()
    if cluster is not None:
        cluster.close()

    if not args.no_sequential:
        start = time.perf_counter()
        seq = search().set_params(estimator__max_epochs=args.max_epochs).fit(X, y)
        print(f"sequential: {time.perf_counter() - start:.1f} s")
        same = np.array_equal(
            seq.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"]
        )
        print(f"same mean_test_score as on Dask: {same}")


if __name__ == "__main__":
    main()
