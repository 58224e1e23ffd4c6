"""SSASTPretrainer: self-supervised masked-patch pretraining of an SSAST encoder."""

from __future__ import annotations

import logging
import math
import os
import time
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_ssastcl._steps import ADAM_BETAS, TrainStep, autocast, to_float
from sklearn_ssastcl._utils import check_device, seed_from
from sklearn_ssastcl.nn._checkpoint import save_ssast_checkpoint
from sklearn_ssastcl.nn._pretrain import MaskedPatchModel, sample_masks
from sklearn_ssastcl.nn._ssast import SIZES, SSASTEncoder

logger = logging.getLogger(__name__)


class _MaskedPatchStep(TrainStep):
    """A pretraining step: the joint masked-patch loss of a batch of clips.

    The masks are drawn from ``masks_generator`` in the forward pass.
    """

    def __init__(self, n_masked: int, masks_generator: torch.Generator, **kwargs):
        super().__init__(**kwargs)
        self.n_masked = n_masked
        self.masks_generator = masks_generator

    def forward(self, module: MaskedPatchModel, x, **fit_params) -> dict:
        x = x.to(self.device)
        with autocast(self.device, self.precision):
            out = module.losses(x, self.n_masked, generator=self.masks_generator)
        return to_float(out)

    def losses(self, criterion, y_pred: dict, y) -> dict:
        return y_pred  # ``loss``, ``loss_d``, ``loss_g`` and ``accuracy``


class SSASTPretrainer(BaseEstimator):
    """Pretrain an SSAST encoder on unlabeled spectrograms (Gong et al., AAAI 2022).

    Joint masked-patch objective of SSAST: InfoNCE over the masked patches of each
    clip plus 10 x MSE to the raw patches; cluster masking for patch models, random
    masking for frame models. No overlap between patches (stride = kernel).

    Parameters
    ----------
    size : {"tiny", "small", "base"} or None, default="tiny"
        Encoder preset; ``embed_dim``, ``depth`` and ``num_heads`` override it.
    embed_dim, depth, num_heads : int or None, default=None
        Encoder width, blocks and heads (required when ``size=None``).
    kernel_size : tuple of int, default=(16, 16)
        Patch ``(freq, time)``: ``(16, 16)`` patch model, ``(n_mels, 2)`` frame model.
    n_mels : int, default=128
        Mel bins of the input.
    target_length : int, default=400
        Frames of the input.
    mask_patches : int or float, default=0.75
        Masked patches per clip: a count, or a fraction of the patches (SSAST masks
        400 of 512, i.e. 0.78).
    max_epochs : int, default=10
        Passes over the training part.
    batch_size : int, default=16
        Clips per step.
    lr : float, default=1e-4
        Adam learning rate (betas (0.95, 0.999), as in SSAST).
    weight_decay : float, default=5e-7
        Adam weight decay.
    validation_fraction : float, default=0.1
        Share of the clips held out to report masked-patch accuracy (0 for none).
    frontend : transformer or None, default=None
        Cloned and applied to ``X`` in ``fit`` (e.g. ``LogMel``), so ``X`` can be
        waveforms.
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight init, the split, shuffling and the masks.
    verbose : int, default=0
        Print one line per epoch when > 0.

    Attributes
    ----------
    encoder_ : SSASTEncoder
        The pretrained encoder.
    model_ : MaskedPatchModel
        Encoder plus ``mask_embed``, ``cpredlayer`` and ``gpredlayer``.
    history_ : list of dict
        Per epoch: ``loss_d``, ``loss_g``, ``loss``, ``train_accuracy``,
        ``valid_accuracy`` (NaN without a held-out part), ``chance`` (1 / masked
        patches) and ``dur`` (seconds).
    n_masked_ : int
        Masked patches per clip.
    frontend_ : transformer or None
        The fitted front end.
    device_ : str
        Resolved device.
    n_features_in_ : int
        Frames of the spectrograms seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(8, 32, 16)).astype("float32")
    >>> pre = SSASTPretrainer(size=None, embed_dim=16, depth=1, num_heads=2,
    ...                       kernel_size=(4, 4), n_mels=16, target_length=32,
    ...                       max_epochs=1, batch_size=4, random_state=0).fit(X)
    >>> pre.encoder_(torch.zeros(1, 32, 16)).shape
    torch.Size([1, 16])
    >>> sorted(pre.history_[0])[:3]
    ['chance', 'dur', 'epoch']
    """

    _parameter_constraints: dict = {
        "size": [StrOptions(set(SIZES)), None],
        "embed_dim": [Interval(Integral, 1, None, closed="left"), None],
        "depth": [Interval(Integral, 1, None, closed="left"), None],
        "num_heads": [Interval(Integral, 1, None, closed="left"), None],
        "kernel_size": [tuple, list],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "target_length": [Interval(Integral, 1, None, closed="left")],
        "mask_patches": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "frontend": [None, HasMethods(["fit_transform"])],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        size="tiny",
        embed_dim=None,
        depth=None,
        num_heads=None,
        kernel_size=(16, 16),
        n_mels=128,
        target_length=400,
        mask_patches=0.75,
        max_epochs=10,
        batch_size=16,
        lr=1e-4,
        weight_decay=5e-7,
        validation_fraction=0.1,
        frontend=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.size = size
        self.embed_dim = embed_dim
        self.depth = depth
        self.num_heads = num_heads
        self.kernel_size = kernel_size
        self.n_mels = n_mels
        self.target_length = target_length
        self.mask_patches = mask_patches
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.frontend = frontend
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.device != "cpu"
        tags.input_tags.three_d_array = True
        tags.target_tags.required = False
        return tags

    def _check_spectrograms(self, X):
        X = validate_data(
            self, X, dtype=np.float32, allow_nd=True, ensure_min_samples=2
        )
        expected = (self.target_length, self.n_mels)
        if X.ndim != 3 or X.shape[1:] != expected:
            raise ValueError(
                "SSASTPretrainer expects spectrograms of shape (n_samples, "
                f"{expected[0]}, {expected[1]}) (target_length frames by n_mels "
                f"bins); got {X.shape}. Pad or cut them (LogMel does) or set "
                "target_length and n_mels to match."
            )
        return X

    def _n_masked(self, n_patches: int) -> int:
        m = self.mask_patches
        n = int(round(m * n_patches)) if isinstance(m, float) else int(m)
        if not 0 < n < n_patches:
            raise ValueError(
                f"mask_patches={m!r} gives {n} masked patches, but the model has "
                f"{n_patches} patches; use a count in [1, {n_patches - 1}] or a "
                "fraction in (0, 1)."
            )
        return n

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Pretrain on unlabeled clips.

        Parameters
        ----------
        X : array-like of shape (n_samples, target_length, n_mels)
            Normalised log-mel spectrograms; with ``frontend``, whatever it takes
            (e.g. waveforms).
        y : None
            Ignored.

        Returns
        -------
        self : SSASTPretrainer
        """
        if self.size is None and None in (self.embed_dim, self.depth, self.num_heads):
            raise ValueError(
                "With size=None give embed_dim, depth and num_heads; got "
                f"embed_dim={self.embed_dim}, depth={self.depth}, "
                f"num_heads={self.num_heads}."
            )
        if len(self.kernel_size) != 2:
            raise ValueError(
                f"kernel_size must be (freq, time); got {self.kernel_size!r}."
            )
        self.frontend_ = None
        if self.frontend is not None:
            self.frontend_ = clone(self.frontend)
            X = self.frontend_.fit_transform(X)
        X = self._check_spectrograms(X)
        self.device_ = check_device(self.device)
        seed = seed_from(self.random_state)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.encoder_ = SSASTEncoder(
                self.size,
                embed_dim=self.embed_dim,
                depth=self.depth,
                num_heads=self.num_heads,
                n_mels=self.n_mels,
                target_length=self.target_length,
                kernel_size=tuple(self.kernel_size),
            )
            self.model_ = MaskedPatchModel(self.encoder_)
            self.n_masked_ = self._n_masked(self.encoder_.n_patches)
            self._train(X, seed)
        return self

    def _train(self, X: np.ndarray, seed: int) -> None:
        device = torch.device(self.device_)
        model = self.model_.to(device)
        gen = torch.Generator().manual_seed(seed)
        n = X.shape[0]
        order = torch.randperm(n, generator=gen)
        n_valid = int(math.floor(self.validation_fraction * n))
        valid_idx, train_idx = order[:n_valid], order[n_valid:]
        data = torch.from_numpy(X)
        valid_masks = None
        if n_valid:
            vgen = torch.Generator().manual_seed(seed + 1)
            grid, cluster = self.encoder_.grid, model.cluster
            valid_masks = [
                sample_masks(
                    n_valid, grid, self.n_masked_, cluster=cluster, generator=vgen
                )
                for _ in range(2)
            ]
        opt = torch.optim.Adam(
            model.parameters(),
            lr=self.lr,
            weight_decay=self.weight_decay,
            betas=ADAM_BETAS,
        )
        step = _MaskedPatchStep(self.n_masked_, gen, device=self.device_)
        self.history_ = []
        chance = 1.0 / self.n_masked_
        if self.verbose > 0:
            print(
                f"{'epoch':>5} {'loss':>9} {'loss_d':>8} {'loss_g':>8} "
                f"{'train_acc':>9} {'valid_acc':>9} {'chance':>7} {'dur':>7}"
            )
        for epoch in range(1, self.max_epochs + 1):
            start = time.perf_counter()
            model.train()
            perm = train_idx[torch.randperm(len(train_idx), generator=gen)]
            sums = dict.fromkeys(("loss", "loss_d", "loss_g", "accuracy"), 0.0)
            for i in range(0, len(perm), self.batch_size):
                xb = data[perm[i : i + self.batch_size]]
                out = step(model, None, [opt], xb, None)
                for key in sums:
                    sums[key] += float(out[key].detach()) * len(xb)
            row = {"epoch": epoch}
            row.update({k: v / len(perm) for k, v in sums.items()})
            row["train_accuracy"] = row.pop("accuracy")
            row["valid_accuracy"] = self._evaluate(data, valid_idx, valid_masks, device)
            row["chance"] = chance
            row["dur"] = time.perf_counter() - start
            self.history_.append(row)
            logger.debug("epoch %s: %s", epoch, row)
            if self.verbose > 0:
                print(
                    f"{epoch:>5} {row['loss']:>9.4f} {row['loss_d']:>8.4f} "
                    f"{row['loss_g']:>8.4f} {row['train_accuracy']:>9.4f} "
                    f"{row['valid_accuracy']:>9.4f} {chance:>7.4f} {row['dur']:>7.1f}"
                )
        model.eval()

    @torch.no_grad()
    def _evaluate(self, data, idx, masks, device) -> float:
        if masks is None:
            return float("nan")
        self.model_.eval()
        total = 0.0
        for i in range(0, len(idx), self.batch_size):
            sl = slice(i, i + self.batch_size)
            out = self.model_.losses(
                data[idx[sl]].to(device),
                self.n_masked_,
                masks=(masks[0][sl].to(device), masks[1][sl].to(device)),
            )
            total += float(out["accuracy"]) * len(idx[sl])
        return total / len(idx)

    def save_checkpoint(self, path: str | os.PathLike) -> str:
        """Write the pretrained model in the released SSAST checkpoint format.

        Parameters
        ----------
        path : str or path-like
            Output ``.pth`` file; load it with ``SSASTEncoder.from_pretrained``.

        Returns
        -------
        str
            The path written.
        """
        check_is_fitted(self)
        return save_ssast_checkpoint(
            self.encoder_,
            path,
            mask_embed=self.model_.mask_embed,
            cpredlayer=self.model_.cpredlayer,
            gpredlayer=self.model_.gpredlayer,
        )
