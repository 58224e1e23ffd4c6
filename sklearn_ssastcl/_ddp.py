"""Stage I with ``torch.nn.parallel.DistributedDataParallel`` (public in
:mod:`sklearn_ssastcl.distributed`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from sklearn_ssastcl._pairs import PairSampler, epoch_rng
from sklearn_ssastcl._steps import ADAM_BETAS, SiameseStep
from sklearn_ssastcl.nn._losses import SiameseContrastiveLoss
from sklearn_ssastcl.nn._siamese import SiameseSSAST
from sklearn_ssastcl.nn._ssast import SSASTEncoder


def _shard(n: int, rank: int, world_size: int) -> slice:
    if n % world_size:
        raise ValueError(
            f"batch_size={n} does not split evenly over {world_size} processes; "
            f"use a multiple of {world_size}, so that every rank gets the same share "
            "and the averaged gradient is the full batch's."
        )
    size = n // world_size
    return slice(rank * size, (rank + 1) * size)


def ddp_fit_encoder(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    encoder_params: Mapping[str, Any],
    n_steps: int = 10,
    batch_size: int = 16,
    lr: float = 1e-3,
    weight_decay: float = 5e-7,
    alpha: float = 1.0,
    margin: float = 1.0,
    distance: str = "euclidean",
    spec_augment: Callable | None = None,
    precision: str = "fp32",
    device: str = "cpu",
    pos_label: Any = "bonafide",
    random_state: int = 0,
) -> tuple[dict[str, torch.Tensor], list[float]]:
    """Train the stage I Siamese SSAST encoder on every rank of a process group.

    Every rank draws the same global batch of ``batch_size`` pairs per step (from
    :class:`~sklearn_ssastcl._pairs.PairSampler` with a ``(random_state, step)``
    seed), masks it with ``spec_augment`` (a seeded generator, the same on every
    rank) and trains on its contiguous ``batch_size / world_size`` share.
    ``DistributedDataParallel`` averages the gradients, so each step equals one
    step of a single process on the whole batch (up to float rounding). Without
    an initialised ``torch.distributed`` process group it runs in this process
    on the whole batch.

    Each step is the one :class:`~sklearn_ssastcl.SSASTCLClassifier` takes in
    stage I (a :class:`~sklearn_ssastcl._steps.SiameseStep`: ``L_SA + alpha *
    L_CA``, autocast for ``precision``, Adam with betas (0.95, 0.999) and
    ``weight_decay``): from the same initial weights and on the same pairs, one
    process ends with the weights of the estimator's stage I net (constant
    learning rate) bit for bit. The caller's global torch RNG state is kept.

    Parameters
    ----------
    X : array-like of shape (n_samples, target_length, n_mels)
        Spectrograms, the same on every rank.
    y : array-like of shape (n_samples,)
        Labels; ``pos_label`` marks bona fide.
    encoder_params : mapping
        Keyword arguments of :class:`~sklearn_ssastcl.nn.SSASTEncoder`
        (``target_length`` defaults to ``X.shape[1]``, ``n_mels`` to ``X.shape[2]``).
    n_steps : int, default=10
        Optimiser steps.
    batch_size : int, default=16
        Global pairs per step, a multiple of the world size.
    lr : float, default=1e-3
        Learning rate.
    weight_decay : float, default=5e-7
        Adam weight decay.
    alpha, margin : float, default=1.0
        Weight of the cross-attention loss and contrastive margin.
    distance : {"euclidean", "cosine"}, default="euclidean"
        Distance between embeddings.
    spec_augment : callable or None, default=None
        ``spec_augment(batch, generator)``, e.g. ``SpecAugment()``, applied to
        both sides of each global batch.
    precision : {"fp32", "bf16", "fp16"}, default="fp32"
        Autocast precision of the forward pass ("fp16" needs CUDA and scales
        the loss).
    device : str, default="cpu"
        This rank's device, e.g. ``f"cuda:{local_rank}"``.
    pos_label : default="bonafide"
        Label of the bona fide class.
    random_state : int, default=0
        Seed of the initial weights, the pairs and the SpecAugment masks.

    Returns
    -------
    state_dict : dict of str to Tensor
        The trained encoder's weights (the same on every rank), on ``device``.
    losses : list of float
        The global batch loss at each step (averaged over ranks).

    Notes
    -----
    Changed since the first development versions, which stepped AdamW without
    weight decay and reseeded the global torch RNG: the optimiser is now the
    estimator's (so the trained weights differ), the caller's RNG state is
    kept, and ``alpha=0`` skips the unused cross-attention branch.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(12, 16, 8)).astype(np.float32)
    >>> y = np.array(["bonafide", "spoof"] * 6)
    >>> params = dict(size=None, embed_dim=16, depth=1, num_heads=2,
    ...               kernel_size=(4, 4))
    >>> state, losses = ddp_fit_encoder(X, y, encoder_params=params, n_steps=2,
    ...                                 batch_size=4)
    >>> len(losses), all(np.isfinite(losses))
    (2, True)
    """
    X = torch.as_tensor(np.asarray(X, dtype=np.float32))
    y = np.asarray(y)
    if X.ndim != 3 or len(X) != len(y):
        raise ValueError(
            "X must be spectrograms of shape (n_samples, target_length, n_mels) with "
            f"one label per clip; got X of shape {tuple(X.shape)} and {len(y)} labels."
        )
    is_bona = y == pos_label
    if not is_bona.any():
        raise ValueError(
            f"pos_label={pos_label!r} is not among the labels {np.unique(y)!r}; "
            "pass the label of the bona fide class."
        )
    seed = int(random_state)
    step = SiameseStep(
        device=device,
        precision=precision,
        spec_augment=spec_augment,
        generator=torch.Generator().manual_seed(seed),
    )
    distributed = dist.is_available() and dist.is_initialized()
    part = None
    if distributed:
        part = _shard(int(batch_size), dist.get_rank(), dist.get_world_size())
    kwargs = {"target_length": X.shape[1], "n_mels": X.shape[2], **encoder_params}
    on = torch.device(device)
    with torch.random.fork_rng(devices=[] if on.type == "cpu" else [on]):
        torch.manual_seed(seed)  # same initial weights on every rank
        encoder = SSASTEncoder(**kwargs)
        model = SiameseSSAST(encoder, cross_attention=alpha > 0).to(device)
        if distributed:
            ids = [on] if on.type == "cuda" else None
            model = DistributedDataParallel(model, device_ids=ids)
        criterion = SiameseContrastiveLoss(
            alpha=alpha, margin=margin, distance=distance
        )
        optimizer = torch.optim.Adam(
            model.parameters(), lr=lr, betas=ADAM_BETAS, weight_decay=weight_decay
        )
        sampler = PairSampler(is_bona)
        losses = []
        model.train()
        for i in range(int(n_steps)):
            a, b, same = sampler.sample(int(batch_size), epoch_rng(seed, i))
            pairs = {"x_a": X[a], "x_b": X[b]}
            # DDP averages the ranks' gradients in the step's backward pass
            out = step(model, criterion, [optimizer], pairs, same, part=part)
            value = out["loss"].detach().clone()
            if distributed:
                dist.all_reduce(value)
                value /= dist.get_world_size()
            losses.append(float(value))
    state = {k: v.detach().clone() for k, v in encoder.state_dict().items()}
    return state, losses
