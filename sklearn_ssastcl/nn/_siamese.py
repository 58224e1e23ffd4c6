"""The three-branch Siamese SSAST of stage I and the classifier heads.

Two self-attention (SA) branches and one cross-attention (CA) branch share one
:class:`~sklearn_ssastcl.nn.SSASTEncoder` (Goel et al., Interspeech 2023; how the
cross-attention branch takes its queries is ours, see the user guide).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sklearn_ssastcl.nn._ssast import SSASTEncoder


class SiameseSSAST(nn.Module):
    """Three branches over one encoder: SA(x_a), SA(x_b) and CA(x_a <- x_b).

    The CA branch runs x_a's tokens through the same blocks, but in each
    cross-attention block the queries come from x_a's stream and the keys and
    values from x_b's tokens entering that block of its SA branch. No new
    parameters are added.

    Parameters
    ----------
    encoder : SSASTEncoder
        The shared encoder.
    cross_attention : bool, default=True
        Run the CA branch; False returns ``(u_a, u_b)`` only (the ablation).
    ca_blocks : int or None, default=None
        Cross-attend in the last ``ca_blocks`` blocks only; None means all.
        Earlier blocks of the CA branch use self-attention on x_a.
    ca_symmetric : bool, default=False
        Also compute CA(x_b <- x_a).

    Examples
    --------
    >>> import torch
    >>> from sklearn_ssastcl.nn import SSASTEncoder
    >>> enc = SSASTEncoder(None, embed_dim=16, depth=2, num_heads=2, n_mels=8,
    ...                    target_length=16, kernel_size=(4, 4))
    >>> u_a, u_b, u_ab = SiameseSSAST(enc)(torch.zeros(3, 16, 8), torch.ones(3, 16, 8))
    >>> u_ab.shape
    torch.Size([3, 16])
    """

    def __init__(
        self,
        encoder: SSASTEncoder,
        *,
        cross_attention: bool = True,
        ca_blocks: int | None = None,
        ca_symmetric: bool = False,
    ) -> None:
        super().__init__()
        depth = len(encoder.blocks)
        if ca_blocks is not None and not 1 <= ca_blocks <= depth:
            raise ValueError(
                f"ca_blocks must be None or in [1, {depth}] (the encoder depth); "
                f"got {ca_blocks!r} instead."
            )
        self.encoder = encoder
        self.cross_attention = cross_attention
        self.ca_blocks = ca_blocks
        self.ca_symmetric = ca_symmetric

    @property
    def first_ca_block(self) -> int:
        """Index of the first block that cross-attends."""
        depth = len(self.encoder.blocks)
        return 0 if self.ca_blocks is None else depth - self.ca_blocks

    def sa_tokens(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """Final-norm tokens of the SA branch and the tokens entering each block."""
        tokens = self.encoder.embed(x)
        entering = []
        for block in self.encoder.blocks:
            entering.append(tokens)
            tokens = block(tokens)
        return self.encoder.norm(tokens), entering

    def ca_tokens(self, tokens_a: Tensor, context: list[Tensor]) -> Tensor:
        """CA branch from x_a's embedded tokens, attending to ``context[l]``."""
        start = self.first_ca_block
        tokens = tokens_a
        for index, block in enumerate(self.encoder.blocks):
            tokens = block(tokens, context[index] if index >= start else None)
        return self.encoder.norm(tokens)

    def embed(self, x: Tensor) -> Tensor:
        """L2-normalised SA embedding ``(batch, D)``: one encoder pass."""
        return F.normalize(self.encoder(x), dim=-1)

    def forward(self, x_a: Tensor, x_b: Tensor) -> tuple[Tensor, ...]:
        """``(u_a, u_b[, u_ab[, u_ba]])``, each L2-normalised ``(batch, D)``."""
        pool = self.encoder.pool
        out_a, enter_a = self.sa_tokens(x_a)
        out_b, enter_b = self.sa_tokens(x_b)
        outputs = [F.normalize(pool(out_a), dim=-1), F.normalize(pool(out_b), dim=-1)]
        if self.cross_attention:
            ab = self.ca_tokens(enter_a[0], enter_b)
            outputs.append(F.normalize(pool(ab), dim=-1))
            if self.ca_symmetric:
                ba = self.ca_tokens(enter_b[0], enter_a)
                outputs.append(F.normalize(pool(ba), dim=-1))
        return tuple(outputs)


class MLPHead(nn.Module):
    """Stage-II head: LayerNorm -> Linear(D, hidden) -> GELU -> Dropout -> Linear.

    The input is first standardised per feature, ``(z - shift) / scale``, with the
    ``shift`` and ``scale`` buffers (0 and 1 unless set with :meth:`standardize`):
    mean-pooled embeddings share a large common component, and the per-sample
    LayerNorm alone does not remove it.

    Examples
    --------
    >>> import torch
    >>> MLPHead(16)(torch.zeros(4, 16)).shape
    torch.Size([4, 2])
    """

    def __init__(
        self,
        embed_dim: int,
        hidden: int = 256,
        dropout: float = 0.1,
        n_classes: int = 2,
    ) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.LayerNorm(embed_dim),
            nn.Linear(embed_dim, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )
        self.register_buffer("shift", torch.zeros(embed_dim))
        self.register_buffer("scale", torch.ones(embed_dim))

    @torch.no_grad()
    def standardize(self, z: Tensor, eps: float = 1e-6) -> MLPHead:
        """Set ``shift``/``scale`` to the per-feature mean and std of ``z`` (n, D)."""
        z = torch.as_tensor(z, dtype=self.shift.dtype, device=self.shift.device)
        if z.ndim != 2 or z.shape[1] != self.shift.numel() or len(z) < 2:
            raise ValueError(
                f"standardize needs embeddings of shape (n >= 2, {self.shift.numel()});"
                f" got {tuple(z.shape)}."
            )
        self.shift.copy_(z.mean(dim=0))
        self.scale.copy_(z.std(dim=0).clamp_min(eps))
        return self

    def forward(self, z: Tensor) -> Tensor:
        return self.layers((z - self.shift) / self.scale)


class LinearHead(nn.Module):
    """SSAST's fine-tuning head ``LayerNorm(D) -> Linear(D, n_classes)``."""

    def __init__(self, embed_dim: int, n_classes: int = 2) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.LayerNorm(embed_dim), nn.Linear(embed_dim, n_classes)
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.layers(z)


class EncoderClassifier(nn.Module):
    """Encoder + head, trained end to end (the CE baseline, or an unfrozen stage II)."""

    def __init__(self, encoder: SSASTEncoder, head: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encoder(x))
