"""The SSAST encoder: a DeiT-style ViT over log-mel patches (Gong et al., AAAI 2022).

Written here without timm. Parameter names follow timm 0.4.5 (``patch_embed.proj``,
``blocks.{i}.attn.qkv``, ``norm``, ...) so released SSAST checkpoints map onto it by
stripping the ``module.v.`` prefix.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: ``size -> (embed_dim, depth, num_heads)`` of the released SSAST models.
SIZES: dict[str, tuple[int, int, int]] = {
    "tiny": (192, 12, 3),
    "small": (384, 12, 6),
    "base": (768, 12, 12),
}

N_LEADING_TOKENS = 2  # cls and dist tokens, as in DeiT-distilled and SSAST


class Attention(nn.Module):
    """Multi-head attention with a fused ``qkv`` projection.

    With ``context`` given, the queries come from ``x`` and the keys and values from
    ``context``, using the same weights (rows ``[0:D)`` of ``qkv`` are W_q, ``[D:2D)``
    W_k and ``[2D:3D)`` W_v).
    """

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(
                f"embed_dim={dim} must be divisible by num_heads={num_heads}."
            )
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor, context: Tensor | None = None) -> Tensor:
        batch, n_q, dim = x.shape
        heads, head_dim = self.num_heads, dim // self.num_heads
        if context is None:
            qkv = self.qkv(x).reshape(batch, n_q, 3, heads, head_dim)
            q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        else:
            n_kv = context.shape[1]
            weight, bias = self.qkv.weight, self.qkv.bias
            q = F.linear(x, weight[:dim], bias[:dim])
            q = q.reshape(batch, n_q, heads, head_dim).transpose(1, 2)
            kv = F.linear(context, weight[dim:], bias[dim:])
            kv = kv.reshape(batch, n_kv, 2, heads, head_dim)
            k, v = kv.permute(2, 0, 3, 1, 4).unbind(0)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(batch, n_q, dim))


class Mlp(nn.Module):
    """``fc1 -> GELU -> fc2``, the transformer feed-forward layer."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block; ``context`` turns it into a cross-attention block.

    ``x + Attn(LN1(x), LN1(context)); x + MLP(LN2(x))`` (ours, see the user guide).
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: Tensor, context: Tensor | None = None) -> Tensor:
        h = self.norm1(x)
        kv = None if context is None else self.norm1(context)
        x = x + self.attn(h, kv)
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    """``Conv2d(1, D, kernel, stride)`` over the ``(1, n_mels, T)`` image."""

    def __init__(
        self, embed_dim: int, kernel_size: tuple[int, int], stride: tuple[int, int]
    ) -> None:
        super().__init__()
        self.proj = nn.Conv2d(1, embed_dim, kernel_size=kernel_size, stride=stride)

    def forward(self, x: Tensor) -> Tensor:
        # (B, 1, F, T) -> (B, D, f, t) -> (B, f * t, D), frequency-major
        return self.proj(x).flatten(2).transpose(1, 2)


def grid_shape(
    n_mels: int,
    target_length: int,
    kernel_size: tuple[int, int],
    stride: tuple[int, int],
) -> tuple[int, int]:
    """Number of patch positions ``(f_dim, t_dim)`` along frequency and time."""
    f_dim = (n_mels - kernel_size[0]) // stride[0] + 1
    t_dim = (target_length - kernel_size[1]) // stride[1] + 1
    return f_dim, t_dim


class SSASTEncoder(nn.Module):
    """SSAST transformer encoder over log-mel spectrograms ``(batch, time, n_mels)``.

    Parameters
    ----------
    size : {"tiny", "small", "base"} or None, default="base"
        Preset for ``embed_dim``, ``depth`` and ``num_heads`` (released SSAST sizes).
        Explicit values override the preset; with ``size=None`` all three are required.
    embed_dim, depth, num_heads : int, optional
        Width, number of blocks and attention heads.
    mlp_ratio : float, default=4.0
        Hidden width of the feed-forward layer over ``embed_dim``.
    n_mels : int, default=128
        Frequency bins of the input.
    target_length : int, default=400
        Frames of the input (fixed: the positional embedding has one row per patch).
    kernel_size : tuple of int, default=(16, 16)
        Patch shape (frequency, time): ``(16, 16)`` for patch models, ``(128, 2)``
        for frame models.
    stride : tuple of int or None, default=None
        Patch stride; ``None`` means no overlap (``stride = kernel_size``).

    Examples
    --------
    >>> import torch
    >>> enc = SSASTEncoder(embed_dim=32, depth=2, num_heads=2, n_mels=32,
    ...                    target_length=64, kernel_size=(16, 16))
    >>> enc(torch.zeros(3, 64, 32)).shape
    torch.Size([3, 32])
    >>> enc.forward_tokens(torch.zeros(3, 64, 32)).shape
    torch.Size([3, 10, 32])
    """

    def __init__(
        self,
        size: str | None = "base",
        *,
        embed_dim: int | None = None,
        depth: int | None = None,
        num_heads: int | None = None,
        mlp_ratio: float = 4.0,
        n_mels: int = 128,
        target_length: int = 400,
        kernel_size: tuple[int, int] = (16, 16),
        stride: tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        if size is not None and size not in SIZES:
            raise ValueError(
                f"size must be one of {sorted(SIZES)} or None; got {size!r} instead."
            )
        preset = SIZES[size] if size is not None else (None, None, None)
        embed_dim = embed_dim if embed_dim is not None else preset[0]
        depth = depth if depth is not None else preset[1]
        num_heads = num_heads if num_heads is not None else preset[2]
        if None in (embed_dim, depth, num_heads):
            raise ValueError(
                "With size=None give embed_dim, depth and num_heads explicitly."
            )
        kernel_size = tuple(int(k) for k in kernel_size)
        stride = kernel_size if stride is None else tuple(int(s) for s in stride)
        if kernel_size[0] > n_mels or kernel_size[1] > target_length:
            raise ValueError(
                f"The patch kernel {kernel_size} does not fit an input of {n_mels} mel "
                f"bins by {target_length} frames. Use a smaller kernel_size or a "
                "longer target_length."
            )
        self.embed_dim = embed_dim
        self.depth = depth
        self.num_heads = num_heads
        self.n_mels = n_mels
        self.target_length = target_length
        self.kernel_size = kernel_size
        self.stride = stride
        self.grid = grid_shape(n_mels, target_length, kernel_size, stride)
        n_patches = self.grid[0] * self.grid[1]

        self.patch_embed = PatchEmbed(embed_dim, kernel_size, stride)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(
            torch.zeros(1, n_patches + N_LEADING_TOKENS, embed_dim)
        )
        self.blocks = nn.ModuleList(
            Block(embed_dim, num_heads, mlp_ratio) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.reset_parameters()

    @classmethod
    def from_pretrained(
        cls,
        path,
        *,
        target_length: int = 400,
        stride: tuple[int, int] | None = None,
        n_mels: int = 128,
        kernel_size: tuple[int, int] | None = None,
        num_heads: int | None = None,
    ) -> SSASTEncoder:
        """Build an encoder from a checkpoint in the released SSAST format.

        See :func:`sklearn_ssastcl.nn.encoder_from_checkpoint` for the parameters.
        """
        from sklearn_ssastcl.nn._checkpoint import encoder_from_checkpoint

        return encoder_from_checkpoint(
            path,
            target_length=target_length,
            stride=stride,
            n_mels=n_mels,
            kernel_size=kernel_size,
            num_heads=num_heads,
        )

    @property
    def n_patches(self) -> int:
        """Number of patch tokens (the sequence is two tokens longer)."""
        return self.grid[0] * self.grid[1]

    def reset_parameters(self) -> None:
        """Initialise as timm does: truncated normal (std 0.02) weights, zero biases."""
        for tensor in (self.pos_embed, self.cls_token, self.dist_token):
            nn.init.trunc_normal_(tensor, std=0.02)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def check_input(self, x: Tensor) -> None:
        """Raise a ValueError unless ``x`` is ``(batch, target_length, n_mels)``."""
        expected = (self.target_length, self.n_mels)
        if x.ndim != 3 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"SSASTEncoder expects spectrograms of shape (batch, {expected[0]}, "
                f"{expected[1]}) (batch, frames, mel bins); got {tuple(x.shape)}. "
                "Pad or cut the inputs to target_length frames (LogMel does this) or "
                "build the encoder with the matching target_length and n_mels."
            )

    def patchify(self, x: Tensor) -> Tensor:
        """Patch embeddings ``(batch, n_patches, D)``, before tokens and positions."""
        self.check_input(x)
        return self.patch_embed(x.unsqueeze(1).transpose(2, 3))

    def add_tokens(self, patches: Tensor) -> Tensor:
        """Prepend the cls and dist tokens and add the positional embedding."""
        batch = patches.shape[0]
        tokens = torch.cat(
            (
                self.cls_token.expand(batch, -1, -1),
                self.dist_token.expand(batch, -1, -1),
                patches,
            ),
            dim=1,
        )
        return tokens + self.pos_embed

    def embed(self, x: Tensor) -> Tensor:
        """Token sequence entering the first block, ``(batch, n_patches + 2, D)``."""
        return self.add_tokens(self.patchify(x))

    def forward_tokens(self, x: Tensor) -> Tensor:
        """All tokens after the final LayerNorm, ``(batch, n_patches + 2, D)``."""
        tokens = self.embed(x)
        for block in self.blocks:
            tokens = block(tokens)
        return self.norm(tokens)

    @staticmethod
    def pool(tokens: Tensor) -> Tensor:
        """Mean over the patch tokens (SSAST's ``ft_avgtok``), ``(batch, D)``."""
        return tokens[:, N_LEADING_TOKENS:].mean(dim=1)

    def forward(self, x: Tensor) -> Tensor:
        """Clip embedding ``(batch, D)``: mean of the final-norm patch tokens."""
        return self.pool(self.forward_tokens(x))
