"""skorch wiring of ``SSASTCLClassifier``'s training: callbacks, LR schedule,
checkpoints and resume, class weights, loader and embedding arguments.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback, Checkpoint, EarlyStopping, LRScheduler

from sklearn_ssastcl._net import RestoreBest, SetEpoch, WarmupCosine
from sklearn_ssastcl._sources import ClipStream


def class_weights(class_weight, classes, pos_index, is_bona) -> torch.Tensor | None:
    """Cross-entropy weights ``[spoof, bona fide]`` for ``class_weight``.

    Parameters
    ----------
    class_weight : "balanced", dict, tuple of 2 float or None
        The estimator's ``class_weight``.
    classes : ndarray of shape (2,)
        ``classes_``.
    pos_index : int
        Index of the bona fide label in ``classes``.
    is_bona : ndarray of bool
        Bona fide mask of the training clips.

    Returns
    -------
    Tensor of shape (2,) or None
        The weights, or None for unweighted.
    """
    if class_weight is None:
        return None
    if isinstance(class_weight, dict):
        bona = class_weight.get(classes[pos_index], 1.0)
        spoof = class_weight.get(classes[1 - pos_index], 1.0)
        return torch.tensor([spoof, bona], dtype=torch.float32)
    if class_weight == "balanced":
        counts = np.bincount(is_bona.astype(int), minlength=2).astype(float)
        return torch.tensor(len(is_bona) / (2 * counts), dtype=torch.float32)
    return torch.tensor(class_weight, dtype=torch.float32)


class BatchLRScheduler(LRScheduler):
    """skorch ``LRScheduler`` stepped per batch that resumes at the right step.

    skorch rebuilds the schedule at each ``fit`` with ``last_epoch`` set to the
    number of *epochs* done; a per-batch schedule must restart at the number of
    *batches* done, or a resumed fit follows another learning-rate curve.
    """

    def _get_scheduler(self, net, policy, **scheduler_kwargs):
        scheduler_kwargs.setdefault("last_epoch", int(self.batch_idx_) - 1)
        return policy(net.optimizer_, **scheduler_kwargs)


class RNGCheckpoint(Callback):
    """Save the torch RNG state after each epoch, beside skorch's checkpoint.

    Batch order, SpecAugment masks and dropout draw from the global torch RNG; a
    resumed fit restores this state (:func:`train`) to continue the very draws
    the uninterrupted fit would have made.
    """

    def __init__(self, dirname):
        self.dirname = dirname

    def on_epoch_end(self, net, **kwargs):
        Path(self.dirname).mkdir(parents=True, exist_ok=True)
        torch.save(torch.get_rng_state(), Path(self.dirname) / "rng.pt")


def lr_schedule(est, n_items: int, epochs: int) -> list:
    """``[("lr_scheduler", LRScheduler)]`` for ``lr_schedule``, or ``[]``.

    Parameters
    ----------
    est : SSASTCLClassifier
        The estimator (``lr_schedule``, ``warmup_epochs``, ``batch_size``).
    n_items : int
        Training items (pairs or clips) per epoch.
    epochs : int
        Epochs of the training.

    Returns
    -------
    list of (str, callback)
        Per-batch warm-up + cosine decay, or nothing.
    """
    if est.lr_schedule is None or epochs == 0:
        return []
    steps = -(-int(n_items) // est.batch_size)  # batches per epoch
    factor = WarmupCosine(round(est.warmup_epochs * steps), epochs * steps)
    scheduler = BatchLRScheduler(
        policy=torch.optim.lr_scheduler.LambdaLR,
        lr_lambda=factor,
        step_every="batch",
    )
    return [("lr_scheduler", scheduler)]


def ckpt_file(checkpoint_dir, stage: str, name: str) -> Path | None:
    """``checkpoint_dir/stage/name``, or None without a ``checkpoint_dir``.

    Parameters
    ----------
    checkpoint_dir : str or path-like or None
        The estimator's ``checkpoint_dir``.
    stage : {"stage1", "head"}
        Training stage.
    name : str
        File name.

    Returns
    -------
    Path or None
        The file's path.
    """
    if checkpoint_dir is None:
        return None
    return Path(checkpoint_dir) / stage / name


def forget_head(checkpoint_dir) -> None:
    """Delete the stage II checkpoints of ``checkpoint_dir`` (if any).

    The next fit then trains the head afresh, on the encoder its stage I ends
    with, instead of resuming the finished head of an earlier fit.

    Parameters
    ----------
    checkpoint_dir : str or path-like
        The estimator's ``checkpoint_dir``.
    """
    shutil.rmtree(ckpt_file(checkpoint_dir, "head", "."), ignore_errors=True)


def callbacks(est, stage: str, have_valid: bool, extra=()) -> list:
    """Shared callbacks: epoch setting, best-epoch restore, early stopping, checkpoints.

    Parameters
    ----------
    est : SSASTCLClassifier
        The estimator (``patience``, ``checkpoint_dir``).
    stage : {"stage1", "head"}
        Training stage (the checkpoint sub-folder).
    have_valid : bool
        Whether a validation part scores ``valid_eer``.
    extra : sequence of (str, callback), default=()
        Callbacks placed after ``set_epoch``.

    Returns
    -------
    list of (str, callback)
        skorch callbacks.
    """
    out = [("set_epoch", SetEpoch()), *extra]
    if have_valid:
        initial = None
        best = ckpt_file(est.checkpoint_dir, stage, "best_params.pt")
        if best is not None and best.exists():
            initial = torch.load(best, map_location="cpu", weights_only=True)
        restore = RestoreBest("valid_eer_best", initial_state=initial)
        out.append(("restore_best", restore))
        if est.patience is not None:
            stop = EarlyStopping(
                monitor="valid_eer", patience=est.patience, lower_is_better=True
            )
            out.append(("early_stopping", stop))
    if est.checkpoint_dir is not None:
        dirname = os.fspath(Path(est.checkpoint_dir) / stage)
        every = Checkpoint(
            monitor=None,
            dirname=dirname,
            f_params="params.pt",
            f_optimizer="optimizer.pt",
            f_criterion=None,
            f_history="history.json",
            load_best=False,
        )
        out.append(("checkpoint", every))
        out.append(("rng_checkpoint", RNGCheckpoint(dirname)))
        if have_valid:
            best_ckpt = Checkpoint(
                monitor="valid_eer_best",
                dirname=dirname,
                f_params="best_params.pt",
                f_optimizer=None,
                f_criterion=None,
                f_history=None,
                f_pickle=None,
            )
            out.append(("checkpoint_best", best_ckpt))
    return out


def train(net, checkpoint_dir, stage: str, X, y=None):
    """Fit ``net``, resuming from ``checkpoint_dir/stage`` when it holds one.

    Parameters
    ----------
    net : skorch NeuralNet
        The net to train (up to its ``max_epochs`` in all).
    checkpoint_dir : str or path-like or None
        The estimator's ``checkpoint_dir``.
    stage : {"stage1", "head"}
        Training stage.
    X : dataset or array
        Training data.
    y : array or None, default=None
        Targets.

    Returns
    -------
    skorch NeuralNet
        ``net``, trained.
    """
    net.initialize()
    params = ckpt_file(checkpoint_dir, stage, "params.pt")
    if params is not None and params.exists():
        folder = params.parent
        net.load_params(
            f_params=folder / "params.pt",
            f_optimizer=folder / "optimizer.pt",
            f_history=folder / "history.json",
        )
        if (folder / "rng.pt").exists():  # continue the interrupted fit's draws
            torch.set_rng_state(torch.load(folder / "rng.pt", weights_only=True))
    epochs = max(0, net.max_epochs - len(net.history))
    net.partial_fit(X, y, epochs=epochs)
    return net


def loader_kwargs(source, num_workers: int) -> dict:
    """skorch iterator arguments: worker processes for streamed data.

    Parameters
    ----------
    source : FeatureSource or ClipStream
        Training clips.
    num_workers : int
        DataLoader worker processes.

    Returns
    -------
    dict
        ``iterator_*__num_workers`` for a stream with workers, else empty.
    """
    if not isinstance(source, ClipStream) or num_workers == 0:
        return {}
    return {
        "iterator_train__num_workers": num_workers,
        "iterator_valid__num_workers": num_workers,
    }


def embed_kwargs(est) -> dict:
    """Arguments of the batched encoder passes (embedding, inference).

    Parameters
    ----------
    est : SSASTCLClassifier
        The estimator (``device_``; ``precision`` and ``num_workers`` when set).

    Returns
    -------
    dict
        ``batch_size``, ``device``, ``precision`` and ``num_workers``.
    """
    return {
        "batch_size": 64,
        "device": est.device_,
        "precision": getattr(est, "precision", "fp32"),
        "num_workers": getattr(est, "num_workers", 0),
    }
