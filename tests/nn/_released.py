"""Build state dicts with the exact key names and shapes of released SSAST files."""

from __future__ import annotations

import torch

HEADS = {192: 3, 384: 6, 768: 12}


def released_state(
    dim: int,
    kernel: tuple[int, int],
    *,
    depth: int = 12,
    fdim: int = 128,
    tdim: int = 1024,
    seed: int = 0,
    random_blocks: bool = False,
) -> dict[str, torch.Tensor]:
    """A checkpoint as ``DataParallel(ASTModel(pretrain_stage=True)).state_dict()``.

    The blocks are zeros unless ``random_blocks`` (cheap for base-size tests); the
    tokens, positions and patch kernel are random so that copies can be checked.
    """
    g = torch.Generator().manual_seed(seed)

    def rnd(*shape):
        return torch.randn(*shape, generator=g)

    make = rnd if random_blocks else torch.zeros
    n_pos = 2 + (fdim // kernel[0]) * (tdim // kernel[1])
    area = kernel[0] * kernel[1]
    sd = {
        "module.p_input_fdim": torch.tensor(fdim),
        "module.p_input_tdim": torch.tensor(tdim),
        "module.mask_embed": rnd(1, 1, dim),
        "module.cpredlayer.0.weight": rnd(dim, dim),
        "module.cpredlayer.0.bias": rnd(dim),
        "module.cpredlayer.2.weight": rnd(area, dim),
        "module.cpredlayer.2.bias": rnd(area),
        "module.gpredlayer.0.weight": rnd(dim, dim),
        "module.gpredlayer.0.bias": rnd(dim),
        "module.gpredlayer.2.weight": rnd(area, dim),
        "module.gpredlayer.2.bias": rnd(area),
        "module.v.cls_token": rnd(1, 1, dim),
        "module.v.dist_token": rnd(1, 1, dim),
        "module.v.pos_embed": rnd(1, n_pos, dim),
        "module.v.patch_embed.proj.weight": rnd(dim, 1, *kernel),
        "module.v.patch_embed.proj.bias": rnd(dim),
    }
    for i in range(depth):
        b = f"module.v.blocks.{i}."
        sd.update(
            {
                b + "norm1.weight": torch.ones(dim),
                b + "norm1.bias": make(dim),
                b + "attn.qkv.weight": make(3 * dim, dim) * 0.02,
                b + "attn.qkv.bias": make(3 * dim),
                b + "attn.proj.weight": make(dim, dim) * 0.02,
                b + "attn.proj.bias": make(dim),
                b + "norm2.weight": torch.ones(dim),
                b + "norm2.bias": make(dim),
                b + "mlp.fc1.weight": make(4 * dim, dim) * 0.02,
                b + "mlp.fc1.bias": make(4 * dim),
                b + "mlp.fc2.weight": make(dim, 4 * dim) * 0.02,
                b + "mlp.fc2.bias": make(dim),
            }
        )
    sd.update(
        {
            "module.v.norm.weight": rnd(dim),
            "module.v.norm.bias": rnd(dim),
            "module.v.head.weight": rnd(1000, dim),
            "module.v.head.bias": rnd(1000),
            "module.v.head_dist.weight": rnd(1000, dim),
            "module.v.head_dist.bias": rnd(1000),
        }
    )
    return sd
