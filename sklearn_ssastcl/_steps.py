"""One optimisation step, shared by every training loop of the package.

:class:`TrainStep` is a whole step: zero the gradients, SpecAugment the batch
(seeded), the forward pass under ``torch.autocast`` for the precision, the
loss, the (scaled) backward pass and the optimiser step. :class:`SiameseStep`
is stage I of SSAST-CL (A. Goel, M. Singh, P. Sharma, "SSAST-CL: a
self-supervised audio spectrogram transformer with contrastive learning for
spoofed speech detection", Interspeech 2023): the three-branch Siamese module
on a pair batch with ``L_SA + alpha * L_CA``. The skorch nets of the estimator
(:mod:`sklearn_ssastcl._net`), :func:`~sklearn_ssastcl.distributed.ddp_fit_encoder`
and :class:`~sklearn_ssastcl.SSASTPretrainer` all train through these classes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import torch
from skorch.utils import to_tensor

from sklearn_ssastcl.nn._losses import SiameseInfoNCELoss

_AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
PRECISIONS = ("fp32", "bf16", "fp16")
#: Adam's betas in every training of the package (as in SSAST, Gong et al. 2022).
ADAM_BETAS = (0.95, 0.999)


def autocast(device: str, precision: str = "fp32"):
    """``torch.autocast`` on ``device`` for ``precision`` ("fp32": a no-op context).

    Examples
    --------
    >>> with autocast("cpu", "bf16"):
    ...     (torch.ones(2, 2) @ torch.ones(2, 2)).dtype
    torch.bfloat16
    """
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(
        device_type=torch.device(device).type, dtype=_AUTOCAST_DTYPES[precision]
    )


def to_float(y):
    """Cast the floating tensors of a (nested) network output to float32."""
    if isinstance(y, torch.Tensor):
        return y.float() if y.is_floating_point() else y
    if isinstance(y, tuple):
        return tuple(to_float(v) for v in y)
    if isinstance(y, list):
        return [to_float(v) for v in y]
    if isinstance(y, dict):
        return {k: to_float(v) for k, v in y.items()}
    return y


def _rows(x, part: slice):
    if isinstance(x, dict):
        return {k: v[part] for k, v in x.items()}
    return x[part]


def _mask(spec_augment, x, generator: torch.Generator):
    if isinstance(x, dict):  # pair batches: one draw per branch, in key order
        return {k: _mask(spec_augment, v, generator) for k, v in x.items()}
    return spec_augment(x, generator)


class TrainStep:
    """One optimisation step of ``module`` on a batch ``(x, y)``.

    ``__call__`` zeroes the gradients, masks ``x`` with ``spec_augment``,
    runs :meth:`forward` (under ``torch.autocast`` for ``precision``, outputs
    cast back to float32), takes :meth:`losses`, back-propagates (through a
    ``GradScaler`` for "fp16") and steps every optimiser.

    Parameters
    ----------
    device : str, default="cpu"
        Device the batch is moved to.
    precision : {"fp32", "bf16", "fp16"}, default="fp32"
        Autocast precision of the forward pass; "fp16" also scales the loss.
    spec_augment : callable or None, default=None
        ``spec_augment(batch, generator)``: the batch masks; None for none.
    generator : torch.Generator or None, default=None
        Source of each batch's SpecAugment seed; None draws it from the global
        torch RNG (so a seeded fit with skorch's shuffling stays reproducible).

    Attributes
    ----------
    scaler : torch.amp.GradScaler or None
        The loss scaler ("fp16" only).
    """

    def __init__(
        self,
        *,
        device: str = "cpu",
        precision: str = "fp32",
        spec_augment: Callable | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {PRECISIONS}; got {precision!r} instead."
            )
        if precision == "fp16" and torch.device(device).type != "cuda":
            raise ValueError(
                f"precision='fp16' needs a CUDA device; got device={device!r}. Use "
                "precision='bf16' on CPU, or 'fp32'."
            )
        self.device = device
        self.precision = precision
        self.spec_augment = spec_augment
        self.generator = generator
        self.scaler = None
        if precision == "fp16":
            self.scaler = torch.amp.GradScaler(torch.device(device).type)

    def augment(self, x):
        """``x`` masked by ``spec_augment`` with a fresh seed (``x`` without one)."""
        if self.spec_augment is None:
            return x
        seed = int(torch.randint(2**31 - 1, (1,), generator=self.generator))
        return _mask(self.spec_augment, x, torch.Generator().manual_seed(seed))

    def forward(self, module: torch.nn.Module, x, **fit_params):
        """``module(x)`` (``module(**x)`` for a dict) on ``device``, in float32."""
        x = to_tensor(x, device=self.device)
        with autocast(self.device, self.precision):
            if isinstance(x, dict):
                y_pred = module(**x, **fit_params)
            else:
                y_pred = module(x, **fit_params)
        return to_float(y_pred)

    def losses(self, criterion: Callable, y_pred, y) -> dict:
        """``{"loss": criterion(y_pred, y)}``; subclasses add their parts."""
        return {"loss": criterion(y_pred, to_tensor(y, device=self.device))}

    def optimize(
        self,
        optimizers: Sequence[torch.optim.Optimizer],
        loss: torch.Tensor,
        on_grad: Callable[[], None] | None = None,
    ) -> None:
        """Back-propagate ``loss`` and step each optimiser (zeroed beforehand).

        ``on_grad()`` runs between the two, on the (scaled) gradients.
        """
        scaler = self.scaler
        (loss if scaler is None else scaler.scale(loss)).backward()
        if on_grad is not None:
            on_grad()
        for optimizer in optimizers:
            if scaler is None:
                optimizer.step()
            else:
                scaler.step(optimizer)
        if scaler is not None:
            scaler.update()

    def __call__(
        self,
        module: torch.nn.Module,
        criterion: Callable,
        optimizers: Sequence[torch.optim.Optimizer],
        x,
        y,
        *,
        part: slice | None = None,
        on_grad: Callable[[], None] | None = None,
        **fit_params,
    ) -> dict:
        """Take one step; return :meth:`losses` plus ``"y_pred"``.

        Parameters
        ----------
        module : torch.nn.Module
            The model (in training mode), e.g. wrapped in DDP.
        criterion : callable
            The loss module.
        optimizers : sequence of torch.optim.Optimizer
            Stepped in order.
        x : Tensor or dict of str to Tensor
            The batch (a dict is passed to ``module`` as keyword arguments).
        y : Tensor or array-like
            The targets.
        part : slice or None, default=None
            Train on these rows only, taken after SpecAugment (a DDP rank's
            share of the global batch: the masks do not depend on the split).
        on_grad : callable or None, default=None
            Called once the gradients are computed, before the optimiser step.
        **fit_params
            Extra keyword arguments of ``module``.

        Returns
        -------
        dict
            ``"loss"`` (the tensor back-propagated), any loss parts and
            ``"y_pred"``.
        """
        for optimizer in optimizers:
            optimizer.zero_grad()
        x = self.augment(x)
        if part is not None:
            x, y = _rows(x, part), y[part]
        y_pred = self.forward(module, x, **fit_params)
        out = self.losses(criterion, y_pred, y)
        self.optimize(optimizers, out["loss"], on_grad)
        return {**out, "y_pred": y_pred}


class SiameseStep(TrainStep):
    """Stage I step: the Siamese SSAST on pairs, ``L_SA + alpha * L_CA``.

    Batches are ``({"x_a": ..., "x_b": ...}, same)`` with ``same`` 1 for
    same-class pairs; ``criterion`` is a
    :class:`~sklearn_ssastcl.nn.SiameseContrastiveLoss`. Parameters as for
    :class:`TrainStep`.

    Examples
    --------
    >>> from sklearn_ssastcl.nn import SSASTEncoder
    >>> from sklearn_ssastcl.nn._losses import SiameseContrastiveLoss
    >>> from sklearn_ssastcl.nn._siamese import SiameseSSAST
    >>> _ = torch.manual_seed(0)
    >>> model = SiameseSSAST(SSASTEncoder(None, embed_dim=8, depth=1, num_heads=2,
    ...                      n_mels=8, target_length=8, kernel_size=(4, 4)))
    >>> opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    >>> x = {"x_a": torch.randn(4, 8, 8), "x_b": torch.randn(4, 8, 8)}
    >>> out = SiameseStep()(model, SiameseContrastiveLoss(), [opt], x,
    ...                     torch.tensor([1, 0, 1, 0]))
    >>> sorted(out)
    ['loss', 'loss_ca', 'loss_sa', 'y_pred']
    """

    def losses(self, criterion: Callable, y_pred, y) -> dict:
        """``{"loss", "loss_sa"[, "loss_ca"]}``; no ``loss_ca`` when ``alpha`` is 0.

        ``y`` is ``same`` per pair, or ``[bona_a, bona_b]`` rows; a
        :class:`~sklearn_ssastcl.nn.SiameseInfoNCELoss` needs the latter.
        """
        y = to_tensor(y, device=self.device)
        if isinstance(criterion, SiameseInfoNCELoss):
            if y.ndim != 2:
                raise ValueError(
                    "SiameseInfoNCELoss needs the labels of both clips of each pair "
                    "([bona_a, bona_b] rows), not only whether they match."
                )
            l_sa, l_ca = criterion.components(y_pred, y[:, 0], y[:, 1])
        else:
            same = (y[:, 0] == y[:, 1]) if y.ndim == 2 else y
            l_sa, l_ca = criterion.components(y_pred, same.float())
        if l_ca is None or criterion.alpha == 0:
            return {"loss": l_sa, "loss_sa": l_sa}
        return {"loss": l_sa + criterion.alpha * l_ca, "loss_sa": l_sa, "loss_ca": l_ca}
