"""Contrastive losses of SSAST-CL stage I (our defaults; see the user guide).

Two families, selected by ``SSASTCLClassifier(loss=...)``:

- the margin loss on pair distances (:func:`contrastive_loss`,
  :class:`SiameseContrastiveLoss`), ``loss="contrastive"``;
- temperature-scaled cross-entropy over all embeddings of a batch of pairs, with
  in-batch negatives (:func:`supcon_loss`, :func:`nt_xent_loss`,
  :class:`SiameseInfoNCELoss`), ``loss="supcon"`` or ``loss="ntxent"``.
"""

from __future__ import annotations

import math

import torch
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


def _check_temperature(temperature: float) -> float:
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature)) or (
        temperature <= 0
    ):
        raise ValueError(
            f"temperature must be a finite number > 0; got {temperature!r}. Try 0.1."
        )
    return float(temperature)


def _anchor_losses(z: Tensor, labels: Tensor, temperature: float) -> Tensor:
    """Per-row loss ``-mean_p log softmax_k(z_i . z_k / t)[p]`` (NaN: no positive).

    Row ``i``'s positives are the other rows with its label; label -1 rows are
    never anchors or positives, only negatives in the denominators.
    """
    n = z.shape[0]
    eye = torch.eye(n, dtype=torch.bool, device=z.device)
    logits = (z @ z.T / temperature).masked_fill(eye, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    valid = labels >= 0
    pos = (labels[:, None] == labels[None, :]) & ~eye & valid[:, None]
    n_pos = pos.sum(dim=1)
    total = log_prob.masked_fill(~pos, 0.0).sum(dim=1)
    return torch.where(n_pos > 0, -total / n_pos.clamp_min(1), torch.nan)


def supcon_loss(z: Tensor, labels: Tensor, *, temperature: float = 0.1) -> Tensor:
    """Supervised contrastive loss ``L_out`` (Khosla et al. 2020), mean over anchors.

    For each row ``i`` with at least one positive (another row of its label),
    ``l_i = -1/|P(i)| * sum_p log(exp(z_i.z_p / t) / sum_{k != i} exp(z_i.z_k / t))``.

    Parameters
    ----------
    z : Tensor of shape (n, dim)
        L2-normalised embeddings.
    labels : Tensor of shape (n,)
        Integer class per row; -1 marks rows that are only negatives.
    temperature : float, default=0.1
        Softmax temperature ``t`` (> 0).

    Returns
    -------
    Tensor
        Scalar loss.

    Raises
    ------
    ValueError
        If ``temperature <= 0``, or the rows hold one class only (no negatives:
        draw batches with both classes).

    References
    ----------
    .. [1] P. Khosla et al., "Supervised contrastive learning", NeurIPS 2020.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> labels = torch.tensor([0, 0, 1])
    >>> float(supcon_loss(z, labels, temperature=1.0))  # log(e + 1) - 1
    0.3132...
    """
    temperature = _check_temperature(temperature)
    if torch.unique(labels[labels >= 0]).numel() < 2:
        raise ValueError(
            "supcon_loss got a batch with one class only: every other row is a "
            "positive and there is no negative to contrast with. Draw batches with "
            "both classes (e.g. a bona fide-spoof share in pair_mix) or a larger "
            "batch."
        )
    return _anchor_losses(z, labels, temperature).nanmean()


def nt_xent_loss(z_a: Tensor, z_b: Tensor, *, temperature: float = 0.1) -> Tensor:
    """NT-Xent (Chen et al. 2020): row ``i`` of ``z_a`` and of ``z_b`` are positives.

    Every other row of the ``2n`` embeddings is a negative.

    Parameters
    ----------
    z_a, z_b : Tensor of shape (n, dim)
        L2-normalised embeddings of two views of ``n`` items.
    temperature : float, default=0.1
        Softmax temperature (> 0).

    Returns
    -------
    Tensor
        Scalar loss, the mean over the ``2n`` anchors.

    References
    ----------
    .. [1] T. Chen, S. Kornblith, M. Norouzi, G. Hinton, "A simple framework
       for contrastive learning of visual representations", ICML 2020.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> float(nt_xent_loss(z, z, temperature=1.0))  # log(e + 2) - 1
    0.5514...
    """
    temperature = _check_temperature(temperature)
    items = torch.arange(z_a.shape[0], device=z_a.device)
    z = torch.cat([z_a, z_b])
    return _anchor_losses(z, torch.cat([items, items]), temperature).mean()


class SiameseInfoNCELoss(nn.Module):
    """``L_SA + alpha * L_CA`` as in-batch softmax losses over three branches (ours).

    A batch of ``B`` pairs gives ``2B`` self-attention embeddings ``u_a``,
    ``u_b`` and ``B`` cross-attention embeddings ``u_ab`` (``2B`` with
    ``ca_symmetric``: ``u_ba``). All of them are rows of one similarity matrix;
    every row is a negative in every other row's denominator. Positives:

    - ``"supcon"``: rows of the same class (bona fide or spoof). ``u_ab`` is a
      further view of ``x_a``'s class when the pair is same-class; for a bona
      fide-spoof pair it belongs to neither class and is only a negative.
    - ``"ntxent"``: the views of one same-class pair (``u_a[i]``, ``u_b[i]``,
      ``u_ab[i]``) are each other's positives, as two augmentations of one
      image are in SimCLR; the views of a bona fide-spoof pair have no
      positive and are only negatives. Class labels are not used beyond the
      pair type.

    ``L_SA`` is the mean loss over the anchors among ``u_a``, ``u_b``;
    ``L_CA`` over the anchors among the cross-attention rows (None without them).

    Parameters
    ----------
    kind : {"supcon", "ntxent"}, default="supcon"
        Which positives (above).
    temperature : float, default=0.1
        Softmax temperature (> 0).
    alpha : float, default=1.0
        Weight of ``L_CA``; 0 drops it.

    References
    ----------
    .. [1] P. Khosla et al., "Supervised contrastive learning", NeurIPS 2020.
    .. [2] T. Chen et al., "A simple framework for contrastive learning of
       visual representations", ICML 2020.
    """

    KINDS = ("supcon", "ntxent")

    def __init__(
        self, kind: str = "supcon", temperature: float = 0.1, alpha: float = 1.0
    ) -> None:
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {self.KINDS}; got {kind!r}.")
        self.kind = kind
        self.temperature = _check_temperature(temperature)
        self.alpha = alpha

    def row_labels(
        self, n_views: int, bona_a: Tensor, bona_b: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Labels of the stacked rows ``u_a, u_b, u_ab[, u_ba]`` and the CA mask."""
        bona_a, bona_b = bona_a.long(), bona_b.long()
        same = bona_a == bona_b
        none = torch.full_like(bona_a, -1)
        if self.kind == "supcon":
            sa = [bona_a, bona_b]
            ca = [torch.where(same, bona_a, none), torch.where(same, bona_b, none)]
        else:
            pair = torch.where(same, torch.arange(len(same), device=same.device), none)
            sa, ca = [pair, pair], [pair, pair]
        labels = torch.cat([*sa, *ca[: n_views - 2]])
        is_ca = torch.zeros_like(labels, dtype=torch.bool)
        is_ca[2 * len(bona_a) :] = True
        return labels, is_ca

    def components(
        self, outputs: tuple[Tensor, ...], bona_a: Tensor, bona_b: Tensor
    ) -> tuple[Tensor, Tensor | None]:
        """``(L_SA, L_CA)`` for ``outputs = (u_a, u_b[, u_ab[, u_ba]])``."""
        views = [u for u in outputs if u is not None]
        if self.alpha == 0:
            views = views[:2]
        labels, is_ca = self.row_labels(len(views), bona_a, bona_b)
        per_row = _anchor_losses(torch.cat(views), labels, self.temperature)
        anchors = ~torch.isnan(per_row)
        zero = per_row.new_zeros(())  # a batch without anchors (one pair type)
        l_sa = per_row[anchors & ~is_ca].mean() if (anchors & ~is_ca).any() else zero
        if len(views) < 3:
            return l_sa, None
        l_ca = per_row[anchors & is_ca].mean() if (anchors & is_ca).any() else zero
        return l_sa, l_ca

    def forward(
        self, outputs: tuple[Tensor, ...], bona_a: Tensor, bona_b: Tensor
    ) -> Tensor:
        l_sa, l_ca = self.components(outputs, bona_a, bona_b)
        return l_sa if l_ca is None else l_sa + self.alpha * l_ca


__all__ = [
    "SiameseContrastiveLoss",
    "SiameseInfoNCELoss",
    "contrastive_loss",
    "nt_xent_loss",
    "pair_distance",
    "supcon_loss",
]
