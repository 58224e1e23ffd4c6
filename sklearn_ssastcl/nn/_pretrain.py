"""SSAST masked-patch pretraining: masking, targets, heads and losses (Gong et al.).

Masked patch embeddings are replaced by a learned ``mask_embed`` before the positional
embedding is added. A discriminative head (``cpredlayer``) is trained with InfoNCE
over the masked patches of each clip and a generative head (``gpredlayer``) with MSE
to the raw input patches; ``L = L_d + 10 * L_g``, each term with its own mask.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sklearn_ssastcl.nn._ssast import N_LEADING_TOKENS, SSASTEncoder

#: Weight of the generative (MSE) term in the joint loss, as in SSAST.
GEN_WEIGHT = 10.0


def _cluster_mask(
    grid: tuple[int, int], n_masked: int, generator: torch.Generator | None
) -> Tensor:
    """One clip's cluster mask: C x C blocks (C in {3, 4, 5}) until ``n_masked``."""
    f_dim, t_dim = grid
    side = int(torch.randint(3, 6, (1,), generator=generator))
    chosen = torch.zeros(f_dim * t_dim, dtype=torch.bool)
    order: list[int] = []
    while len(order) < n_masked:
        start = int(torch.randint(f_dim * t_dim, (1,), generator=generator))
        f0, t0 = divmod(start, t_dim)
        for f in range(f0, min(f0 + side, f_dim)):
            for t in range(t0, min(t0 + side, t_dim)):
                idx = f * t_dim + t
                if not chosen[idx]:
                    chosen[idx] = True
                    order.append(idx)
    return torch.tensor(order[:n_masked])


def sample_masks(
    batch: int,
    grid: tuple[int, int],
    n_masked: int,
    *,
    cluster: bool = True,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Draw the masked patch indices of a batch, ``(batch, n_masked)`` int64.

    Parameters
    ----------
    batch : int
        Number of clips.
    grid : tuple of int
        Patch grid ``(f_dim, t_dim)``; indices are frequency-major.
    n_masked : int
        Masked patches per clip (distinct).
    cluster : bool, default=True
        Cluster masking (patch models): square blocks of C x C patches, C drawn from
        {3, 4, 5} once per clip, clipped at the grid edges, added in random places
        until ``n_masked`` indices are collected. False: uniform random patches
        (frame models).
    generator : torch.Generator, optional
        Source of randomness.

    Returns
    -------
    Tensor of shape (batch, n_masked)

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> sample_masks(2, (8, 25), 100, generator=g).shape
    torch.Size([2, 100])
    """
    n_patches = grid[0] * grid[1]
    if not 0 < n_masked < n_patches:
        raise ValueError(
            f"n_masked must be in [1, {n_patches - 1}] for a {grid[0]} x {grid[1]} "
            f"patch grid; got {n_masked}."
        )
    if cluster:
        return torch.stack(
            [_cluster_mask(grid, n_masked, generator) for _ in range(batch)]
        )
    return torch.stack(
        [
            torch.randperm(n_patches, generator=generator)[:n_masked]
            for _ in range(batch)
        ]
    )


def _pred_head(dim: int, out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, out))


def _gather(x: Tensor, index: Tensor) -> Tensor:
    """``x[b, index[b]]`` for ``x`` of shape (B, N, C) and ``index`` (B, M)."""
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


class MaskedPatchModel(nn.Module):
    """An :class:`SSASTEncoder` with SSAST's masked-patch pretraining heads.

    Parameters
    ----------
    encoder : SSASTEncoder
        The encoder to pretrain (shared, not copied).

    Examples
    --------
    >>> enc = SSASTEncoder(None, embed_dim=16, depth=1, num_heads=2, n_mels=16,
    ...                    target_length=32, kernel_size=(4, 4))
    >>> model = MaskedPatchModel(enc)
    >>> g = torch.Generator().manual_seed(0)
    >>> out = model.losses(torch.randn(2, 32, 16), 10, generator=g)
    >>> sorted(out)
    ['accuracy', 'loss', 'loss_d', 'loss_g']
    """

    def __init__(self, encoder: SSASTEncoder) -> None:
        super().__init__()
        self.encoder = encoder
        dim = encoder.embed_dim
        area = encoder.kernel_size[0] * encoder.kernel_size[1]
        self.mask_embed = nn.Parameter(torch.empty(1, 1, dim))
        nn.init.xavier_normal_(self.mask_embed)
        self.cpredlayer = _pred_head(dim, area)
        self.gpredlayer = _pred_head(dim, area)

    @property
    def cluster(self) -> bool:
        """Cluster masking unless the kernel spans all mel bins (frame models)."""
        return self.encoder.kernel_size[0] != self.encoder.n_mels

    def targets(self, x: Tensor) -> Tensor:
        """Raw input patches ``(batch, n_patches, k_freq * k_time)``, freq-major."""
        enc = self.encoder
        enc.check_input(x)
        image = x.unsqueeze(1).transpose(2, 3)  # (B, 1, F, T)
        cols = F.unfold(image, kernel_size=enc.kernel_size, stride=enc.stride)
        return cols.transpose(1, 2)

    def encode_masked(self, x: Tensor, mask: Tensor) -> Tensor:
        """Final-norm outputs at the masked positions, ``(batch, n_masked, D)``."""
        enc = self.encoder
        patches = enc.patchify(x)
        masked = torch.zeros(patches.shape[:2], dtype=torch.bool, device=x.device)
        masked = masked.scatter(1, mask, True).unsqueeze(-1)
        patches = torch.where(masked, self.mask_embed.to(patches.dtype), patches)
        tokens = enc.add_tokens(patches)
        for block in enc.blocks:
            tokens = block(tokens)
        tokens = enc.norm(tokens)
        return _gather(tokens, mask + N_LEADING_TOKENS)

    def losses(
        self,
        x: Tensor,
        n_masked: int,
        *,
        generator: torch.Generator | None = None,
        masks: tuple[Tensor, Tensor] | None = None,
    ) -> dict[str, Tensor]:
        """Joint SSAST loss on a batch of spectrograms ``(batch, T, n_mels)``.

        Returns ``loss_d`` (InfoNCE), ``loss_g`` (MSE), ``loss = loss_d + 10 loss_g``
        and ``accuracy``: the fraction of masked patches whose row of the similarity
        matrix (true patches x predictions) peaks on the diagonal. ``masks`` (two
        index tensors) overrides the random draw.
        """
        if masks is None:
            masks = tuple(
                sample_masks(
                    x.shape[0],
                    self.encoder.grid,
                    n_masked,
                    cluster=self.cluster,
                    generator=generator,
                ).to(x.device)
                for _ in range(2)
            )
        mask_d, mask_g = masks
        target = self.targets(x)
        pred = self.cpredlayer(self.encode_masked(x, mask_d))
        sim = _gather(target, mask_d) @ pred.transpose(1, 2)  # (B, M, M)
        diag = torch.arange(sim.shape[1], device=sim.device)
        loss_d = -torch.log_softmax(sim, dim=-1).diagonal(dim1=1, dim2=2).mean()
        accuracy = (sim.argmax(dim=-1) == diag).float().mean()
        pred_g = self.gpredlayer(self.encode_masked(x, mask_g))
        loss_g = F.mse_loss(pred_g, _gather(target, mask_g))
        return {
            "loss": loss_d + GEN_WEIGHT * loss_g,
            "loss_d": loss_d,
            "loss_g": loss_g,
            "accuracy": accuracy.detach(),
        }
