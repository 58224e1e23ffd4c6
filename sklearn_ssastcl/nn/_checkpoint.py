"""Read and write checkpoints in the released SSAST format (YuanGongND/ssast).

A released checkpoint is the ``state_dict()`` of ``DataParallel(ASTModel(...))``: every
key starts with ``module.``; the ViT lives under ``module.v.``; the pretraining input
size is stored in the scalars ``module.p_input_fdim`` / ``module.p_input_tdim``; the
pretraining heads are ``module.mask_embed``, ``module.cpredlayer.*`` and
``module.gpredlayer.*``; ``module.v.head*`` is DeiT's unused ImageNet head.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sklearn_ssastcl.nn._ssast import N_LEADING_TOKENS, SIZES, SSASTEncoder, grid_shape

PREFIX = "module."
VIT = "module.v."
#: Keys every SSAST checkpoint must hold (block keys are checked per block).
REQUIRED_KEYS = (
    "module.p_input_fdim",
    "module.p_input_tdim",
    "module.v.cls_token",
    "module.v.dist_token",
    "module.v.pos_embed",
    "module.v.patch_embed.proj.weight",
    "module.v.patch_embed.proj.bias",
    "module.v.norm.weight",
    "module.v.norm.bias",
)
BLOCK_KEYS = tuple(
    f"{layer}.{p}"
    for layer in (
        "norm1",
        "attn.qkv",
        "attn.proj",
        "norm2",
        "mlp.fc1",
        "mlp.fc2",
    )
    for p in ("weight", "bias")
)
#: Keys of the ViT that are not part of :class:`SSASTEncoder` (DeiT's ImageNet heads).
UNUSED_VIT_PREFIXES = ("head.", "head_dist.")
N_HEAD_CLASSES = 1000
_HEADS_BY_DIM = {dim: heads for dim, _, heads in SIZES.values()}


def _not_a_checkpoint(path, why: str) -> ValueError:
    return ValueError(
        f"{os.fspath(path)!r} is not an SSAST checkpoint: {why}. Expected the "
        "state_dict of a released SSAST model (keys 'module.v.*', "
        "'module.p_input_fdim', 'module.p_input_tdim', ...) as written by "
        "torch.save or save_ssast_checkpoint."
    )


def load_ssast_checkpoint(
    path: str | os.PathLike, *, num_heads: int | None = None
) -> dict:
    """Read a checkpoint in the released SSAST format and describe the model in it.

    Parameters
    ----------
    path : str or path-like
        A local ``.pth`` file (read with ``weights_only=True`` on the CPU).
    num_heads : int, optional
        Attention heads. They cannot be read from the weights; by default they are
        taken from the released sizes (192 -> 3, 384 -> 6, 768 -> 12).

    Returns
    -------
    dict
        ``state_dict`` (all keys, as stored), ``encoder_state`` (the ViT weights,
        ``module.v.`` stripped, heads dropped), ``kernel_size``, ``p_input_fdim``,
        ``p_input_tdim``, ``grid`` (pretraining patch grid), ``embed_dim``, ``depth``,
        ``num_heads``, ``mlp_ratio`` and ``size`` (preset name or None).
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # unpickling errors come in many types
        raise _not_a_checkpoint(
            path, f"torch.load(weights_only=True) failed ({type(exc).__name__}: {exc})"
        ) from exc
    if not isinstance(state, Mapping):
        raise _not_a_checkpoint(path, f"it holds a {type(state).__name__}, not a dict")
    if not all(isinstance(k, str) for k in state) or not all(
        isinstance(v, Tensor) for v in state.values()
    ):
        raise _not_a_checkpoint(path, "it is not a dict of str -> tensor")
    state = dict(state)
    if not any(k.startswith(PREFIX) for k in state) and any(
        k.startswith("v.") for k in state
    ):  # saved without DataParallel
        state = {PREFIX + k: v for k, v in state.items()}
    missing = [k for k in REQUIRED_KEYS if k not in state]
    if missing:
        raise _not_a_checkpoint(path, f"missing keys {missing}")

    blocks = sorted(
        {int(k.split(".")[3]) for k in state if k.startswith(VIT + "blocks.")}
    )
    depth = len(blocks)
    if depth == 0 or blocks != list(range(depth)):
        raise _not_a_checkpoint(path, f"bad transformer block indices {blocks}")
    missing = [
        f"{VIT}blocks.{i}.{k}"
        for i in range(depth)
        for k in BLOCK_KEYS
        if f"{VIT}blocks.{i}.{k}" not in state
    ]
    if missing:
        raise _not_a_checkpoint(path, f"missing keys {missing[:6]}")

    weight = state[VIT + "patch_embed.proj.weight"]
    if weight.ndim != 4 or weight.shape[1] != 1:
        raise _not_a_checkpoint(
            path,
            "module.v.patch_embed.proj.weight has shape "
            f"{tuple(weight.shape)}, expected (embed_dim, 1, k_freq, k_time)",
        )
    embed_dim = int(weight.shape[0])
    kernel = (int(weight.shape[2]), int(weight.shape[3]))
    fdim = int(state[PREFIX + "p_input_fdim"].item())
    tdim = int(state[PREFIX + "p_input_tdim"].item())
    if kernel[0] > fdim or kernel[1] > tdim:
        raise _not_a_checkpoint(
            path, f"kernel {kernel} larger than the input size ({fdim}, {tdim})"
        )
    grid = grid_shape(fdim, tdim, kernel, kernel)
    pos = state[VIT + "pos_embed"]
    expected = (1, N_LEADING_TOKENS + grid[0] * grid[1], embed_dim)
    if tuple(pos.shape) != expected:
        raise _not_a_checkpoint(
            path,
            f"module.v.pos_embed has shape {tuple(pos.shape)}; kernel {kernel} over "
            f"a {fdim} x {tdim} input needs {expected}",
        )
    if num_heads is None:
        if embed_dim not in _HEADS_BY_DIM:
            raise ValueError(
                f"Cannot tell the number of attention heads of a checkpoint with "
                f"embed_dim={embed_dim} (known: {_HEADS_BY_DIM}). Pass num_heads."
            )
        num_heads = _HEADS_BY_DIM[embed_dim]
    if embed_dim % num_heads:
        raise ValueError(
            f"num_heads={num_heads} does not divide the checkpoint's "
            f"embed_dim={embed_dim}."
        )
    hidden = int(state[VIT + "blocks.0.mlp.fc1.weight"].shape[0])
    size = next(
        (
            name
            for name, preset in SIZES.items()
            if preset == (embed_dim, depth, num_heads)
        ),
        None,
    )
    encoder_state = {
        k[len(VIT) :]: v.float()
        for k, v in state.items()
        if k.startswith(VIT) and not k[len(VIT) :].startswith(UNUSED_VIT_PREFIXES)
    }
    return {
        "state_dict": state,
        "encoder_state": encoder_state,
        "kernel_size": kernel,
        "p_input_fdim": fdim,
        "p_input_tdim": tdim,
        "grid": grid,
        "embed_dim": embed_dim,
        "depth": depth,
        "num_heads": int(num_heads),
        "mlp_ratio": hidden / embed_dim,
        "size": size,
    }


def _fit_axis(grid: Tensor, axis: int, size: int) -> Tensor:
    """Centre-crop (if smaller) or bilinearly resize (if larger) one grid axis."""
    old = grid.shape[axis]
    if size <= old:
        start = old // 2 - size // 2
        return grid.narrow(axis, start, size)
    new_shape = list(grid.shape[2:])
    new_shape[axis - 2] = size
    return F.interpolate(grid, size=tuple(new_shape), mode="bilinear")


def adapt_pos_embed(
    pos_embed: Tensor,
    src_grid: tuple[int, int],
    dst_grid: tuple[int, int],
    n_leading: int = N_LEADING_TOKENS,
) -> Tensor:
    """Fit a positional embedding to a new patch grid (as the SSAST reference code).

    The leading token rows are kept. The patch rows, seen as a ``(D, f, t)`` image,
    are fitted first along time and then along frequency: each axis is centre-cropped
    (from ``old // 2 - new // 2``) when it shrinks and bilinearly interpolated when
    it grows.

    Parameters
    ----------
    pos_embed : Tensor of shape (1, n_leading + f * t, D)
        The embedding for ``src_grid = (f, t)``.
    src_grid, dst_grid : tuple of int
        ``(f_dim, t_dim)`` before and after.
    n_leading : int, default=2
        Token rows before the patches.

    Returns
    -------
    Tensor of shape (1, n_leading + f_new * t_new, D)

    Examples
    --------
    >>> import torch
    >>> adapt_pos_embed(torch.zeros(1, 2 + 8 * 64, 4), (8, 64), (12, 39)).shape
    torch.Size([1, 470, 4])
    """
    dim = pos_embed.shape[-1]
    src_f, src_t = src_grid
    if pos_embed.shape[1] != n_leading + src_f * src_t:
        raise ValueError(
            f"pos_embed has {pos_embed.shape[1]} rows; a {src_f} x {src_t} grid with "
            f"{n_leading} leading tokens needs {n_leading + src_f * src_t}."
        )
    tokens, patches = pos_embed[:, :n_leading], pos_embed[:, n_leading:]
    grid = patches.reshape(1, src_f, src_t, dim).permute(0, 3, 1, 2)
    grid = _fit_axis(grid, 3, dst_grid[1])  # time first, as SSAST does
    grid = _fit_axis(grid, 2, dst_grid[0])
    patches = grid.permute(0, 2, 3, 1).reshape(1, dst_grid[0] * dst_grid[1], dim)
    return torch.cat((tokens, patches), dim=1).contiguous()


def encoder_from_checkpoint(
    path: str | os.PathLike,
    *,
    target_length: int = 400,
    stride: tuple[int, int] | None = None,
    n_mels: int = 128,
    kernel_size: tuple[int, int] | None = None,
    num_heads: int | None = None,
) -> SSASTEncoder:
    """Build an :class:`SSASTEncoder` from an SSAST checkpoint file.

    The kernel is copied as is (it does not depend on the stride); the positional
    embedding is fitted to the new patch grid with :func:`adapt_pos_embed`.

    Parameters
    ----------
    path : str or path-like
        Checkpoint in the released SSAST format.
    target_length : int, default=400
        Frames of the inputs the encoder will see.
    stride : tuple of int or None, default=None
        Patch stride; None means the kernel (no overlap). SSAST fine-tunes patch
        models with ``(10, 10)`` and frame models with ``(128, 1)``.
    n_mels : int, default=128
        Mel bins of the inputs; should equal the checkpoint's ``p_input_fdim``.
    kernel_size : tuple of int or None, default=None
        If given, must equal the checkpoint's kernel (a check, nothing more).
    num_heads : int, optional
        Needed only for widths other than 192, 384 and 768.

    Returns
    -------
    SSASTEncoder
    """
    info = load_ssast_checkpoint(path, num_heads=num_heads)
    kernel = info["kernel_size"]
    if kernel_size is not None and tuple(int(k) for k in kernel_size) != kernel:
        raise ValueError(
            f"The checkpoint {os.fspath(path)!r} has a {kernel} kernel; it cannot "
            f"serve a model with kernel_size={tuple(kernel_size)}. SSAST needs the "
            "pretraining kernel: use kernel_size=None or a checkpoint with "
            "that kernel (patch models: (16, 16); frame models: (128, 2))."
        )
    if n_mels < kernel[0]:
        raise ValueError(
            f"n_mels={n_mels} is smaller than the checkpoint's kernel height "
            f"{kernel[0]} (pretrained on {info['p_input_fdim']} mel bins). Use "
            f"n_mels={info['p_input_fdim']}."
        )
    if n_mels != info["p_input_fdim"]:
        warnings.warn(
            f"The checkpoint was pretrained on {info['p_input_fdim']} mel bins, the "
            f"encoder gets n_mels={n_mels}: the frequency positions are resized, but "
            "the filters will see other bands than in pretraining.",
            UserWarning,
            stacklevel=2,
        )
    if target_length < kernel[1]:
        raise ValueError(
            f"target_length={target_length} is shorter than the checkpoint's kernel "
            f"width {kernel[1]} frames. Use a longer target_length."
        )
    with torch.device("meta"):  # no random init: every tensor comes from the file
        encoder = SSASTEncoder(
            None,
            embed_dim=info["embed_dim"],
            depth=info["depth"],
            num_heads=info["num_heads"],
            mlp_ratio=info["mlp_ratio"],
            n_mels=n_mels,
            target_length=target_length,
            kernel_size=kernel,
            stride=stride,
        )
    state = dict(info["encoder_state"])
    state["pos_embed"] = adapt_pos_embed(state["pos_embed"], info["grid"], encoder.grid)
    encoder.load_state_dict(state, strict=True, assign=True)
    return encoder


def _pred_state(
    name: str, layer: nn.Module | None, dim: int, out: int
) -> dict[str, Tensor]:
    if layer is not None:
        return {f"{PREFIX}{name}.{k}": v for k, v in layer.state_dict().items()}
    return {
        f"{PREFIX}{name}.0.weight": torch.zeros(dim, dim),
        f"{PREFIX}{name}.0.bias": torch.zeros(dim),
        f"{PREFIX}{name}.2.weight": torch.zeros(out, dim),
        f"{PREFIX}{name}.2.bias": torch.zeros(out),
    }


def save_ssast_checkpoint(
    encoder: SSASTEncoder,
    path: str | os.PathLike,
    *,
    mask_embed: Tensor | None = None,
    cpredlayer: nn.Module | None = None,
    gpredlayer: nn.Module | None = None,
) -> str:
    """Write ``encoder`` (and the pretraining heads) in the released SSAST format.

    Only a non-overlapping encoder (``stride == kernel_size``) can be written, since
    the format stores the pretraining input size, not the stride. Heads that are not
    given are written as zeros, and ``module.v.head*`` as zero ``(1000, D)`` layers,
    so that the key list is the released one.

    Parameters
    ----------
    encoder : SSASTEncoder
        The encoder to save.
    path : str or path-like
        Output file.
    mask_embed : Tensor of shape (1, 1, D), optional
        Mask token.
    cpredlayer, gpredlayer : nn.Sequential, optional
        ``Linear(D, D) -> ReLU -> Linear(D, k_freq * k_time)`` prediction heads.

    Returns
    -------
    str
        The path written.
    """
    if tuple(encoder.stride) != tuple(encoder.kernel_size):
        raise ValueError(
            f"The SSAST format stores non-overlapping (pretraining) encoders only; "
            f"this one has stride={encoder.stride} and "
            f"kernel_size={encoder.kernel_size}."
        )
    dim = encoder.embed_dim
    area = encoder.kernel_size[0] * encoder.kernel_size[1]
    state: dict[str, Tensor] = {
        f"{PREFIX}p_input_fdim": torch.tensor(encoder.n_mels),
        f"{PREFIX}p_input_tdim": torch.tensor(encoder.target_length),
        f"{PREFIX}mask_embed": (
            torch.zeros(1, 1, dim)
            if mask_embed is None
            else mask_embed.reshape(1, 1, dim)
        ),
    }
    state.update(_pred_state("cpredlayer", cpredlayer, dim, area))
    state.update(_pred_state("gpredlayer", gpredlayer, dim, area))
    for key, value in encoder.state_dict().items():
        state[VIT + key] = value
    for head in ("head", "head_dist"):
        state[f"{VIT}{head}.weight"] = torch.zeros(N_HEAD_CLASSES, dim)
        state[f"{VIT}{head}.bias"] = torch.zeros(N_HEAD_CLASSES)
    state = {k: v.detach().to("cpu").clone() for k, v in state.items()}
    torch.save(state, path)
    return os.fspath(path)
