"""Private skorch nets and callbacks behind :class:`SSASTCLClassifier`.

The nets keep skorch's ``fit``/``fit_loop``; through skorch's public
``train_step`` hook, each training batch is one step of
:mod:`sklearn_ssastcl._steps` (SpecAugment, autocast, the loss, the scaled
backward pass and the optimiser step), the step ``ddp_fit_encoder`` takes too.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from skorch import NeuralNet, NeuralNetClassifier
from skorch.callbacks import Callback
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator
from torch.utils.data import DataLoader

from sklearn_ssastcl._steps import SiameseStep, TrainStep, autocast
from sklearn_ssastcl.metrics import compute_eer


class WarmupCosine:
    """LambdaLR factor: linear warm-up over ``warmup_steps``, then cosine to 0.

    ``factor(step) = (step + 1) / warmup_steps`` while ``step < warmup_steps``,
    then ``0.5 * (1 + cos(pi * p))`` with ``p`` the share of the remaining steps
    done (clipped to 1). A picklable callable, unlike a lambda.

    Examples
    --------
    >>> f = WarmupCosine(warmup_steps=2, total_steps=6)
    >>> [round(f(s), 3) for s in range(7)]
    [0.5, 1.0, 1.0, 0.854, 0.5, 0.146, 0.0]
    """

    def __init__(self, warmup_steps: int, total_steps: int) -> None:
        self.warmup_steps = int(warmup_steps)
        self.total_steps = max(int(total_steps), 1)

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        span = max(self.total_steps - self.warmup_steps, 1)
        progress = min((step - self.warmup_steps) / span, 1.0)
        return 0.5 * (1.0 + math.cos(math.pi * progress))


def eer_from_logits(logits, is_bonafide) -> float:
    """EER of ``logit[:, 1] - logit[:, 0]`` (column 1 = bona fide)."""
    logits = np.asarray(logits, dtype=np.float64)
    scores = logits[:, 1] - logits[:, 0]
    is_bonafide = np.asarray(is_bonafide).astype(bool)
    return compute_eer(scores[is_bonafide], scores[~is_bonafide])[0]


def valid_eer(net, X, y) -> float:
    """EpochScoring function: validation EER of a 2-logit net (lower is better)."""
    logits = net.forward(X, training=False).detach().cpu().numpy()
    return eer_from_logits(logits, y)


def batches(X, batch_size: int, num_workers: int = 0):
    """Batches of ``X``: slices of an array, or a DataLoader over a torch Dataset."""
    if isinstance(X, torch.utils.data.Dataset):
        # its own generator: the loader must not draw from the fit's torch RNG,
        # so streamed and in-memory fits stay identical
        loader = DataLoader(
            X,
            batch_size=batch_size,
            shuffle=False,
            num_workers=num_workers,
            generator=torch.Generator().manual_seed(0),
        )
        yield from loader
        return
    for start in range(0, len(X), batch_size):
        yield torch.as_tensor(np.asarray(X[start : start + batch_size]))


def collect_batches(
    fn, X, width: int, *, batch_size: int, num_workers: int = 0, dtype=np.float32
) -> np.ndarray:
    """Stack ``fn(batch)`` over the batches of ``X`` into one preallocated array.

    ``fn`` maps a batch ``(b, ...)`` to a tensor ``(b, width)``; the result has
    shape ``(len(X), width)``. Writing each batch into an array allocated once
    (instead of keeping a list of per-batch tensors to concatenate) matters for
    memory: each kept tensor pins a small block inside the space the batch's
    large temporaries (waveforms, spectrograms) just freed, so glibc's heap
    could not reuse it and grew by about one spectrogram batch per batch.

    Examples
    --------
    >>> collect_batches(lambda xb: 2 * xb, np.ones((5, 3)), 3, batch_size=2)[:, 0]
    array([2., 2., 2., 2., 2.], dtype=float32)
    """
    n = len(X)
    out = np.empty((n, int(width)), dtype=dtype)
    start = 0
    for xb in batches(X, batch_size, num_workers):
        stop = start + len(xb)
        if stop > n:
            raise RuntimeError(f"The batches of X hold more than len(X)={n} items.")
        out[start:stop] = fn(xb).detach().cpu().numpy()
        start = stop
    if start != n:
        raise RuntimeError(f"The batches of X held {start} items; len(X) is {n}.")
    return out


@torch.no_grad()
def embed_batches(
    encoder,
    X,
    *,
    batch_size: int = 64,
    device: str = "cpu",
    precision: str = "fp32",
    num_workers: int = 0,
):
    """Pooled embeddings ``(n, D)`` float32 of spectrograms ``X`` (one pass each).

    ``X`` is an array ``(n, T, F)`` or a torch Dataset of ``(T, F)`` tensors
    (streamed through a DataLoader with ``num_workers`` workers). Memory beyond
    the ``(n, D)`` result does not grow with ``n``.
    """

    def embed(xb):
        with autocast(device, precision):
            return encoder(xb.to(device)).float()

    was_training = encoder.training
    encoder.eval()
    try:
        return collect_batches(
            embed, X, encoder.embed_dim, batch_size=batch_size, num_workers=num_workers
        )
    finally:
        encoder.train(was_training)


def centroid_scores(z_train, is_bona_train, z) -> np.ndarray:
    """Probe score ``cos(z, c_bona) - cos(z, c_spoof)`` with class centroids."""
    z_train = z_train / np.linalg.norm(z_train, axis=1, keepdims=True).clip(1e-12)
    z = z / np.linalg.norm(z, axis=1, keepdims=True).clip(1e-12)
    is_bona_train = np.asarray(is_bona_train, dtype=bool)
    centres = [z_train[is_bona_train].mean(0), z_train[~is_bona_train].mean(0)]
    c_bona, c_spoof = (c / max(np.linalg.norm(c), 1e-12) for c in centres)
    return (z @ c_bona - z @ c_spoof).astype(np.float64)


class _StepMixin:
    """skorch's ``train_step`` hook run by a shared ``_steps.TrainStep``.

    ``precision`` "bf16"/"fp16" runs the module's forward under
    ``torch.autocast`` (outputs cast back to float32 before the loss); "fp16"
    also scales the loss with a ``GradScaler`` (``scaler_``). ``spec_augment``
    masks each training batch with a seed drawn from the fit's torch RNG.
    Only public skorch hooks are overridden (``initialize``, ``infer``,
    ``train_step``).
    """

    _step_class = TrainStep

    def __init__(self, module, *args, spec_augment=None, precision="fp32", **kwargs):
        super().__init__(module, *args, **kwargs)
        self.spec_augment = spec_augment
        self.precision = precision

    def initialize(self):
        super().initialize()
        self.step_ = self._step_class(
            device=self.device,
            precision=self.precision,
            spec_augment=self.spec_augment,
        )
        self.scaler_ = self.step_.scaler
        return self

    def infer(self, x, **fit_params):
        return self.step_.forward(self.module_, x, **fit_params)

    def train_step(self, batch, **fit_params):
        # the loss is ``step_.losses``: for ClassifierNet ``criterion_(y_pred, y)``,
        # what skorch's ``get_loss`` gives for its cross-entropy criterion
        for component in (self.module_, self.criterion_):
            if isinstance(component, torch.nn.Module):
                component.train()
        Xi, yi = unpack_data(batch)

        def on_grad():
            self.notify(
                "on_grad_computed",
                named_parameters=TeeGenerator(self.get_all_learnable_params()),
                batch=batch,
                training=True,
            )

        step = self.step_(
            self.module_,
            self.criterion_,
            [self.optimizer_],
            Xi,
            yi,
            on_grad=on_grad,
            **fit_params,
        )
        self.record_parts(step)
        return step

    def record_parts(self, losses: dict) -> None:
        """Record the loss parts of a batch (``loss_*`` keys) in the history."""
        for key in ("loss_sa", "loss_ca"):
            if key in losses:
                self.history.record_batch(key, float(losses[key].detach()))


class ContrastiveNet(_StepMixin, NeuralNet):
    """Stage I: module = SiameseSSAST, criterion = SiameseContrastiveLoss.

    Batches are ``({"x_a": ..., "x_b": ...}, same)``. Each training step is a
    :class:`~sklearn_ssastcl._steps.SiameseStep` (``L_SA + alpha * L_CA``,
    both parts recorded per batch).
    """

    _step_class = SiameseStep

    def get_loss(self, y_pred, y_true, X=None, training=False):
        losses = self.step_.losses(self.criterion_, y_pred, y_true)
        self.record_parts(losses)
        return losses["loss"]


class ClassifierNet(_StepMixin, NeuralNetClassifier):
    """Stage II head, or encoder + head trained end to end, with weighted CE."""

    def predict_logits(self, X) -> np.ndarray:
        """Raw logits as float64 ``(n, 2)``."""
        return np.asarray(self.forward(X, training=False).cpu(), dtype=np.float64)


class SetEpoch(Callback):
    """Ask the training dataset for this epoch's pairs and augmented features."""

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if hasattr(dataset_train, "set_epoch"):
            dataset_train.set_epoch(len(net.history) - 1)


class ProbeEER(Callback):
    """Stage I validation: EER of a nearest-centroid cosine probe.

    Embeds training clips (at most ``max_train``) and validation clips with the
    shared encoder at the end of each epoch and records ``valid_eer``.
    """

    def __init__(
        self,
        X_train,
        y_train,
        X_valid,
        y_valid,
        *,
        max_train=1000,
        batch_size=64,
        num_workers=0,
    ):
        self.X_train = X_train
        self.y_train = y_train
        self.X_valid = X_valid
        self.y_valid = y_valid
        self.max_train = max_train
        self.batch_size = batch_size
        self.num_workers = num_workers

    def on_epoch_end(self, net, **kwargs):
        encoder = net.module_.encoder
        kw = {
            "batch_size": self.batch_size,
            "device": net.device,
            "precision": getattr(net, "precision", "fp32"),
            "num_workers": self.num_workers,
        }
        n = min(len(self.X_train), self.max_train)
        head = np.arange(n)
        X_head = (
            self.X_train.take(head, augment=False)
            if getattr(self.X_train, "streaming", False)
            else self.X_train[:n]
        )
        z_train = embed_batches(encoder, X_head, **kw)
        z_valid = embed_batches(encoder, self.X_valid, **kw)
        scores = centroid_scores(z_train, self.y_train[:n], z_valid)
        is_bona = np.asarray(self.y_valid, dtype=bool)
        eer = compute_eer(scores[is_bona], scores[~is_bona])[0]
        history = net.history
        previous = [row["valid_eer"] for row in history[:-1] if "valid_eer" in row]
        history.record("valid_eer", eer)
        history.record("valid_eer_best", not previous or eer < min(previous))

    def on_train_end(self, net, **kwargs):
        # drop the data so the fitted estimator pickles small
        self.X_train = self.y_train = self.X_valid = self.y_valid = None


class RestoreBest(Callback):
    """Keep the module weights of the best ``monitor`` epoch; load them at the end."""

    def __init__(self, monitor="valid_eer_best", initial_state=None):
        self.monitor = monitor
        self.initial_state = initial_state

    def initialize(self):
        self.best_state_ = self.initial_state
        return self

    def on_epoch_end(self, net, **kwargs):
        if net.history[-1].get(self.monitor, False):
            self.best_state_ = copy.deepcopy(net.module_.state_dict())

    def on_train_end(self, net, **kwargs):
        if self.best_state_ is not None:
            net.module_.load_state_dict(self.best_state_)
        self.best_state_ = self.initial_state = None
