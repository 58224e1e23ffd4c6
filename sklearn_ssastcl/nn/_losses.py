"""Contrastive losses of SSAST-CL stage I (our defaults; see the user guide)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

DISTANCES = ("euclidean", "cosine")


def pair_distance(u: Tensor, v: Tensor, distance: str = "euclidean") -> Tensor:
    """Distance between matching rows of ``u`` and ``v``, shape ``(batch,)``.

    ``"euclidean"`` is ``||u - v||_2`` (in ``[0, 2]`` for unit vectors);
    ``"cosine"`` is ``1 - cos(u, v)``.
    """
    if distance == "euclidean":
        return (u - v).pow(2).sum(dim=-1).clamp_min(1e-12).sqrt()
    if distance == "cosine":
        return 1.0 - F.cosine_similarity(u, v, dim=-1)
    raise ValueError(f"distance must be one of {DISTANCES}; got {distance!r} instead.")


def contrastive_loss(
    u: Tensor,
    v: Tensor,
    same: Tensor,
    *,
    margin: float = 1.0,
    distance: str = "euclidean",
) -> Tensor:
    """Margin contrastive loss (Hadsell et al. 2006), mean over pairs.

    ``l = y * d**2 + (1 - y) * max(0, margin - d)**2`` with ``y = same``.

    Parameters
    ----------
    u, v : Tensor of shape (batch, dim)
        Embeddings of the two sides of each pair.
    same : Tensor of shape (batch,)
        1 where the pair shares a class, 0 otherwise.
    margin : float, default=1.0
        Distance beyond which different-class pairs cost nothing.
    distance : {"euclidean", "cosine"}, default="euclidean"
        See :func:`pair_distance`.

    Returns
    -------
    Tensor
        Scalar loss.

    Examples
    --------
    >>> import torch
    >>> u = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    >>> v = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    >>> float(contrastive_loss(u, v, torch.tensor([1.0, 0.0]), margin=2.0))
    1.1715...
    """
    d = pair_distance(u, v, distance)
    same = same.to(d.dtype)
    per_pair = same * d.pow(2) + (1.0 - same) * F.relu(margin - d).pow(2)
    return per_pair.mean()


class SiameseContrastiveLoss(nn.Module):
    """``L_SA + alpha * L_CA`` over the three-branch outputs (ours, see the user guide).

    Parameters
    ----------
    alpha : float, default=1.0
        Weight of the cross-attention term; 0 drops it.
    margin : float, default=1.0
        Margin of :func:`contrastive_loss`.
    distance : {"euclidean", "cosine"}, default="euclidean"
        Distance between embeddings.
    """

    def __init__(
        self, alpha: float = 1.0, margin: float = 1.0, distance: str = "euclidean"
    ) -> None:
        super().__init__()
        if distance not in DISTANCES:
            raise ValueError(
                f"distance must be one of {DISTANCES}; got {distance!r} instead."
            )
        self.alpha = alpha
        self.margin = margin
        self.distance = distance

    def components(
        self, outputs: tuple[Tensor, ...], same: Tensor
    ) -> tuple[Tensor, Tensor | None]:
        """``(L_SA, L_CA)``; ``L_CA`` is None without cross-attention outputs.

        ``outputs`` is ``(u_a, u_b, u_ab)`` or ``(u_a, u_b, u_ab, u_ba)``
        (symmetric: the two CA losses are averaged) or ``(u_a, u_b)``.
        """
        kw = {"margin": self.margin, "distance": self.distance}
        u_a, u_b = outputs[0], outputs[1]
        l_sa = contrastive_loss(u_a, u_b, same, **kw)
        if len(outputs) < 3 or outputs[2] is None:
            return l_sa, None
        l_ca = contrastive_loss(u_a, outputs[2], same, **kw)
        if len(outputs) > 3 and outputs[3] is not None:
            l_ca = 0.5 * (l_ca + contrastive_loss(u_b, outputs[3], same, **kw))
        return l_sa, l_ca

    def forward(self, outputs: tuple[Tensor, ...], same: Tensor) -> Tensor:
        l_sa, l_ca = self.components(outputs, same)
        if l_ca is None or self.alpha == 0:
            return l_sa
        return l_sa + self.alpha * l_ca


__all__ = ["SiameseContrastiveLoss", "contrastive_loss", "pair_distance"]
