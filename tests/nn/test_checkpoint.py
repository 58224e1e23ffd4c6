"""Loading and saving checkpoints in the released SSAST format (YuanGongND/ssast)."""

from __future__ import annotations

import pickle

import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose

from sklearn_ssastcl.nn import (
    SSASTEncoder,
    adapt_pos_embed,
    encoder_from_checkpoint,
    load_ssast_checkpoint,
    save_ssast_checkpoint,
)
from tests.nn._released import released_state


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ckpt")


def _write(ckpt_dir, name, **kwargs):
    path = ckpt_dir / f"{name}.pth"
    if not path.exists():
        torch.save(released_state(**kwargs), path)
    return path


@pytest.fixture(scope="module")
def tiny_patch(ckpt_dir):
    return _write(ckpt_dir, "tiny_patch", dim=192, kernel=(16, 16), random_blocks=True)


@pytest.fixture(scope="module")
def tiny_frame(ckpt_dir):
    return _write(ckpt_dir, "tiny_frame", dim=192, kernel=(128, 2), seed=1)


def _grid(pos, f, t):
    return pos[:, 2:].reshape(1, f, t, -1).permute(0, 3, 1, 2)


def test_load_info_tiny_patch(tiny_patch):
    info = load_ssast_checkpoint(tiny_patch)
    assert info["kernel_size"] == (16, 16)
    assert (info["p_input_fdim"], info["p_input_tdim"]) == (128, 1024)
    assert info["grid"] == (8, 64)
    assert (info["embed_dim"], info["depth"], info["num_heads"]) == (192, 12, 3)
    assert info["mlp_ratio"] == 4.0 and info["size"] == "tiny"
    assert "module.cpredlayer.2.weight" in info["state_dict"]
    assert not any(k.startswith("head") for k in info["encoder_state"])


def test_patch_t400_stride10_crop_offsets(tiny_patch):
    """Time columns 13..51 of 64 are kept, then 8 freq rows are resized to 12."""
    sd = torch.load(tiny_patch, weights_only=True)
    enc = SSASTEncoder.from_pretrained(tiny_patch, target_length=400, stride=(10, 10))
    assert enc.grid == (12, 39) and enc.pos_embed.shape == (1, 470, 192)
    pos = sd["module.v.pos_embed"]
    cropped = _grid(pos, 8, 64)[:, :, :, 13:52]
    expected = F.interpolate(cropped, size=(12, 39), mode="bilinear")
    expected = expected.flatten(2).transpose(1, 2)
    got = enc.pos_embed.detach()
    assert_allclose(got[:, :2], pos[:, :2])
    assert_allclose(got[:, 2:], expected, rtol=1e-6, atol=1e-6)
    # spot check: position (f=0, t=0) of the new grid blends old rows 0 and 1
    # of column 13 with weights 0.8333/0.1667 clamped to row 0 (align_corners=False)
    assert_allclose(got[0, 2], pos[0, 2 + 13], rtol=1e-6, atol=1e-6)
    # kernel copied to the new stride
    assert enc.patch_embed.proj.stride == (10, 10)
    assert torch.equal(
        enc.patch_embed.proj.weight, sd["module.v.patch_embed.proj.weight"]
    )
    assert torch.equal(
        enc.blocks[5].attn.qkv.weight, sd["module.v.blocks.5.attn.qkv.weight"]
    )
    assert enc(torch.randn(2, 400, 128)).shape == (2, 192)


def test_identity_and_interpolation_along_time(tiny_patch):
    sd = torch.load(tiny_patch, weights_only=True)
    pos = sd["module.v.pos_embed"]
    same = encoder_from_checkpoint(tiny_patch, target_length=1024)
    assert torch.equal(same.pos_embed.detach(), pos)
    longer = encoder_from_checkpoint(tiny_patch, target_length=1200)  # 75 columns
    expected = F.interpolate(_grid(pos, 8, 64), size=(8, 75), mode="bilinear")
    assert_allclose(
        longer.pos_embed.detach()[:, 2:], expected.flatten(2).transpose(1, 2), atol=1e-6
    )


def test_frame_t400_stride1_keeps_columns_57_to_455(tiny_frame):
    sd = torch.load(tiny_frame, weights_only=True)
    enc = encoder_from_checkpoint(tiny_frame, target_length=400, stride=(128, 1))
    assert enc.grid == (1, 399) and enc.pos_embed.shape == (1, 401, 192)
    pos = sd["module.v.pos_embed"]
    assert torch.equal(enc.pos_embed.detach()[:, 2:], pos[:, 2 + 57 : 2 + 456])
    assert enc(torch.randn(1, 400, 128)).shape == (1, 192)


def test_adapt_pos_embed_generic_frame_longer_than_pretraining():
    """A frame model with more than 512 columns (broken in the released code)."""
    pos = torch.randn(1, 2 + 512, 8)
    out = adapt_pos_embed(pos, (1, 512), (1, 600))
    expected = F.interpolate(_grid(pos, 1, 512), size=(1, 600), mode="bilinear")
    assert_allclose(out[:, 2:], expected.flatten(2).transpose(1, 2), atol=1e-6)
    with pytest.raises(ValueError, match="pos_embed has 514 rows"):
        adapt_pos_embed(pos, (8, 60), (8, 25))


@pytest.mark.parametrize(
    "kernel, seed, cases",
    [
        ((16, 16), 2, [((10, 10), 400, 470), ((10, 10), 1024, 1214)]),
        ((128, 2), 3, [((128, 1), 400, 401)]),
    ],
    ids=["base-patch", "base-frame"],
)
def test_base_checkpoints_position_counts(tmp_path, kernel, seed, cases):
    path = tmp_path / "base.pth"
    torch.save(released_state(768, kernel, seed=seed), path)
    info = load_ssast_checkpoint(path)
    assert (info["embed_dim"], info["depth"], info["num_heads"]) == (768, 12, 12)
    assert info["size"] == "base" and info["kernel_size"] == kernel
    for stride, length, n_pos in cases:
        enc = SSASTEncoder.from_pretrained(path, target_length=length, stride=stride)
        assert enc.pos_embed.shape == (1, n_pos, 768)
        assert enc.kernel_size == kernel and enc.stride == stride
        assert not enc.pos_embed.is_meta


@pytest.mark.parametrize(
    "length, stride, n_pos", [(400, (10, 10), 470), (1024, (10, 10), 1214)]
)
def test_tiny_patch_position_counts(tiny_patch, length, stride, n_pos):
    enc = encoder_from_checkpoint(tiny_patch, target_length=length, stride=stride)
    assert enc.pos_embed.shape == (1, n_pos, 192)


def test_save_then_load_roundtrip(tmp_path):
    torch.manual_seed(0)
    enc = SSASTEncoder("tiny", depth=2, target_length=64).eval()
    path = save_ssast_checkpoint(enc, tmp_path / "ours.pth")
    sd = torch.load(path, weights_only=True)
    ref = released_state(192, (16, 16), depth=2, tdim=64)
    assert {k: tuple(v.shape) for k, v in sd.items()} == {
        k: tuple(v.shape) for k, v in ref.items()
    }
    assert sd["module.p_input_fdim"].item() == 128
    assert sd["module.p_input_tdim"].item() == 64
    back = SSASTEncoder.from_pretrained(path, target_length=64).eval()
    assert all(p.requires_grad and not p.is_meta for p in back.parameters())
    x = torch.randn(2, 64, 128)
    with torch.no_grad():
        assert torch.equal(enc(x), back(x))


def test_save_rejects_overlapping_encoder(tmp_path):
    enc = SSASTEncoder(
        None, embed_dim=8, depth=1, num_heads=2, target_length=64, stride=(10, 10)
    )
    with pytest.raises(ValueError, match="non-overlapping"):
        save_ssast_checkpoint(enc, tmp_path / "x.pth")


def test_unknown_width_needs_num_heads(tmp_path):
    path = tmp_path / "w.pth"
    torch.save(released_state(16, (16, 16), depth=1), path)
    with pytest.raises(ValueError, match="Pass num_heads"):
        load_ssast_checkpoint(path)
    enc = encoder_from_checkpoint(path, num_heads=4, target_length=32)
    assert enc.num_heads == 4 and enc.embed_dim == 16


def test_not_a_checkpoint_errors(tmp_path):
    bad = tmp_path / "random.pt"
    bad.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ValueError, match="is not an SSAST checkpoint.*torch.load"):
        load_ssast_checkpoint(bad)
    lst = tmp_path / "list.pt"
    torch.save([torch.zeros(2)], lst)
    with pytest.raises(ValueError, match="holds a list, not a dict"):
        load_ssast_checkpoint(lst)
    obj = tmp_path / "obj.pt"
    with open(obj, "wb") as fh:
        pickle.dump({"a": object()}, fh, protocol=2)
    with pytest.raises(ValueError, match="is not an SSAST checkpoint"):
        load_ssast_checkpoint(obj)
    sd = released_state(16, (16, 16), depth=1)
    del sd["module.p_input_tdim"]
    miss = tmp_path / "missing.pth"
    torch.save(sd, miss)
    with pytest.raises(ValueError, match=r"missing keys \['module.p_input_tdim'\]"):
        load_ssast_checkpoint(miss, num_heads=4)
    sd = released_state(16, (16, 16), depth=2)
    del sd["module.v.blocks.1.mlp.fc2.bias"]
    torch.save(sd, miss)
    with pytest.raises(ValueError, match="blocks.1.mlp.fc2.bias"):
        load_ssast_checkpoint(miss, num_heads=4)
    sd = released_state(16, (16, 16), depth=1)
    sd["module.v.pos_embed"] = torch.zeros(1, 100, 16)
    torch.save(sd, miss)
    with pytest.raises(ValueError, match=r"pos_embed has shape \(1, 100, 16\)"):
        load_ssast_checkpoint(miss, num_heads=4)
    with pytest.raises(FileNotFoundError):
        load_ssast_checkpoint(tmp_path / "nope.pth")


def test_kernel_and_n_mels_mismatch(tiny_frame, tiny_patch):
    with pytest.raises(ValueError, match=r"\(128, 2\) kernel; it cannot serve"):
        encoder_from_checkpoint(tiny_frame, kernel_size=(16, 16))
    with pytest.raises(ValueError, match="n_mels=64 is smaller than the checkpoint"):
        encoder_from_checkpoint(tiny_frame, n_mels=64)
    with pytest.warns(UserWarning, match="pretrained on 128 mel bins"):
        enc = encoder_from_checkpoint(tiny_patch, n_mels=64, target_length=400)
    assert enc.grid == (4, 25)
    with pytest.raises(ValueError, match="target_length=8 is shorter"):
        encoder_from_checkpoint(tiny_patch, target_length=8)
