"""Run SSAST-CL work on several processes or machines.

Two small helpers, each for one of the ways of spreading work in
``docs/distributed.rst``:

- :func:`make_objective` and :func:`optimize_worker`: an Optuna objective that
  trains :class:`~sklearn_ssastcl.SSASTCLClassifier` epoch by epoch, reports the
  validation EER after each epoch (so a pruner can stop it) and records which
  worker ran it; and one worker's loop over a study kept in shared (RDB) storage.
  Start :func:`optimize_worker` in as many processes, on as many machines, as you
  like: they cooperate through the storage.
- :func:`ddp_fit_encoder`: stage I (the three-branch Siamese SSAST with the
  contrastive loss) trained with ``torch.nn.parallel.DistributedDataParallel``,
  each rank taking its share of every global batch of pairs.

The scikit-learn searches need no helper: ``GridSearchCV`` and ``cross_validate``
run on a Dask cluster inside ``joblib.parallel_backend("dask")``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy.typing as npt

from sklearn_ssastcl._ddp import ddp_fit_encoder
from sklearn_ssastcl._training import forget_head

__all__ = ["ddp_fit_encoder", "make_objective", "optimize_worker"]


def _suggest(trial, name: str, distribution) -> Any:
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if isinstance(distribution, FloatDistribution):
        return trial.suggest_float(
            name,
            distribution.low,
            distribution.high,
            log=distribution.log,
            step=distribution.step,
        )
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(
            name,
            distribution.low,
            distribution.high,
            log=distribution.log,
            step=distribution.step,
        )
    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(name, distribution.choices)
    if isinstance(distribution, (list, tuple)):
        return trial.suggest_categorical(name, list(distribution))
    raise TypeError(
        f"param_space[{name!r}] must be an optuna Float-, Int- or "
        f"CategoricalDistribution, or a list of choices; got {distribution!r}."
    )


def make_objective(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    param_space: Mapping[str, Any],
    *,
    X_val: npt.ArrayLike,
    y_val: npt.ArrayLike,
    estimator_params: Mapping[str, Any] | None = None,
    n_epochs: int = 3,
    checkpoint_root: str | os.PathLike | None = None,
    worker_id: str | None = None,
) -> Callable:
    """An Optuna objective: validation EER of one classifier, pruned epoch by epoch.

    Each trial builds ``SSASTCLClassifier(**estimator_params, **sampled)`` and
    trains stage I one epoch at a time (``fit`` with ``max_epochs=k`` resumes from
    the checkpoint of epoch ``k - 1`` in a per-trial ``checkpoint_dir``), reports
    the last ``valid_eer`` of ``history_`` as the intermediate value of step ``k``,
    and raises ``optuna.TrialPruned`` when the study's pruner says so. The value
    returned is the EER of ``decision_function(X_val)`` after the last epoch.
    The trial's user attributes ``worker`` and ``pid`` say who ran it.

    Parameters
    ----------
    X, y : array-like
        Training spectrograms and labels, as for ``SSASTCLClassifier.fit``.
    param_space : mapping of str to distribution
        Name of a constructor parameter to an ``optuna.distributions``
        Float-, Int- or CategoricalDistribution, or to a list of choices.
    X_val, y_val : array-like
        Validation set the trials are judged (and pruned) on.
    estimator_params : mapping, optional
        Fixed constructor parameters (``max_epochs`` and ``checkpoint_dir`` are
        set by the objective).
    n_epochs : int, default=3
        Stage I epochs per trial, and so the number of pruning steps.
    checkpoint_root : str or path-like, optional
        Folder for the per-trial checkpoints (removed when the trial ends);
        default: a fresh temporary folder per trial. Keep it on a local disk.
    worker_id : str, optional
        Stored as the trial's ``worker`` user attribute; default ``host:pid``.

    Returns
    -------
    callable
        ``objective(trial) -> float``, to pass to ``study.optimize``.
    """
    import optuna

    from sklearn_ssastcl import SSASTCLClassifier
    from sklearn_ssastcl.metrics import eer_score

    if int(n_epochs) < 1:
        raise ValueError(f"n_epochs must be a positive integer; got {n_epochs!r}.")
    fixed = dict(estimator_params or {})
    clash = sorted(set(fixed) & {"max_epochs", "checkpoint_dir"})
    clash += sorted(set(fixed) & set(param_space))
    if clash:
        raise ValueError(
            f"estimator_params must not set {clash}: max_epochs and checkpoint_dir "
            "are set by the objective, and searched parameters come from param_space."
        )
    if worker_id is None:
        worker_id = f"{os.uname().nodename}:{os.getpid()}"

    def objective(trial) -> float:
        trial.set_user_attr("worker", str(worker_id))
        trial.set_user_attr("pid", os.getpid())
        params = {name: _suggest(trial, name, d) for name, d in param_space.items()}
        if checkpoint_root is None:
            folder = Path(tempfile.mkdtemp(prefix=f"ssastcl_trial{trial.number}_"))
        else:
            folder = Path(checkpoint_root) / f"trial_{trial.number}"
        clf = SSASTCLClassifier(**fixed, **params, checkpoint_dir=folder)
        try:
            for epoch in range(1, int(n_epochs) + 1):
                forget_head(folder)  # retrain stage II on this epoch's encoder
                clf.set_params(max_epochs=epoch).fit(X, y, X_val=X_val, y_val=y_val)
                trial.report(float(clf.history_[-1, "valid_eer"]), step=epoch)
                if trial.should_prune():
                    raise optuna.TrialPruned()
            return float(eer_score(y_val, clf.decision_function(X_val)))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return objective


def _rdb_storage(url: str, attempts: int = 5):
    """``RDBStorage(url)``, retried if workers starting together race on the schema."""
    import optuna
    from sqlalchemy.exc import DBAPIError

    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    for attempt in range(attempts):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
        except DBAPIError:  # "table studies already exists", alembic_version clash
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


def optimize_worker(
    storage,
    study_name: str,
    objective: Callable,
    *,
    n_trials: int,
    sampler=None,
    pruner=None,
    direction: str = "minimize",
):
    """Run ``n_trials`` trials of a shared study in this process.

    The study is created on first use (``load_if_exists=True``, so workers may
    start in any order) and every worker started with the same ``storage`` and
    ``study_name`` adds its trials to it. For a ``GridSampler``, give every
    worker the same ``search_space`` and ``seed``: trial number ``i`` then gets
    grid point ``i`` of the same shuffled grid, so no point runs twice.

    Parameters
    ----------
    storage : str or optuna.storages.BaseStorage
        An RDB URL (``"sqlite:///study.db"``,
        ``"postgresql+psycopg2://user:password@host:5432/db"``) or a storage object
        such as ``optuna.storages.RDBStorage(url, heartbeat_interval=60, ...)``.
        For SQLite URLs the connection waits up to 60 s for a lock. Creating
        the storage is retried a few times, since workers that start together
        may race to create the tables.
    study_name : str
        Name of the study in the storage.
    objective : callable
        ``objective(trial) -> float``, e.g. from :func:`make_objective`.
    n_trials : int
        Trials this worker runs (the study gets ``n_workers * n_trials``).
    sampler, pruner : optional
        Optuna sampler and pruner (defaults: TPE, median).
    direction : {"minimize", "maximize"}, default="minimize"
        Direction of the study when it is created.

    Returns
    -------
    optuna.Study
        The shared study.
    """
    import optuna

    if isinstance(storage, (str, os.PathLike)):
        url = os.fspath(storage)
        if "://" not in url:
            raise ValueError(
                f"storage must be an RDB URL such as 'sqlite:///study.db' or a storage "
                f"object; got {url!r}."
            )
        storage = _rdb_storage(url)
    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        sampler=sampler,
        pruner=pruner,
        direction=direction,
        load_if_exists=True,
    )
    study.optimize(objective, n_trials=int(n_trials))
    return study
