"""SSAST masked-patch pretraining: pieces checked by hand, and the estimator."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.preprocessing import FunctionTransformer

from sklearn_ssastcl import SSASTPretrainer
from sklearn_ssastcl.nn import MaskedPatchModel, SSASTEncoder, sample_masks
from sklearn_ssastcl.nn._ssast import N_LEADING_TOKENS
from tests.nn._released import released_state

SMALL = {
    "size": None,
    "embed_dim": 32,
    "depth": 2,
    "num_heads": 2,
    "kernel_size": (4, 4),
    "n_mels": 16,
    "target_length": 32,
    "batch_size": 8,
}


def _small_encoder(**kw):
    torch.manual_seed(0)
    return SSASTEncoder(
        None,
        embed_dim=16,
        depth=1,
        num_heads=2,
        n_mels=16,
        target_length=24,
        kernel_size=(4, 4),
        **kw,
    )


def _structured(n, seed, length=32, n_mels=16):
    """A fixed spectral tilt plus clip-specific smooth ripples (predictable patches)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)[None, :, None]
    f = np.arange(n_mels)[None, None, :]
    a, q = rng.uniform(0, 6, (2, n, 1, 1))
    w = rng.uniform(0.05, 0.3, (n, 1, 1))
    X = 1.5 * np.cos(np.pi * f / n_mels) + np.sin(0.6 * f + a) * np.cos(w * t + q)
    return X.astype(np.float32)


def _to_3d(X):
    return np.asarray(X, dtype=np.float32).reshape(len(X), 32, 16)


def test_targets_are_raw_patches_in_frequency_major_order():
    model = MaskedPatchModel(_small_encoder())
    x = torch.randn(2, 24, 16)
    got = model.targets(x)
    f_dim, t_dim = model.encoder.grid  # 4 x 6
    assert got.shape == (2, f_dim * t_dim, 16)
    for b in range(2):
        for fi in range(f_dim):
            for ti in range(t_dim):
                patch = x[b, ti * 4 : ti * 4 + 4, fi * 4 : fi * 4 + 4].T  # (freq, time)
                assert torch.equal(got[b, fi * t_dim + ti], patch.reshape(-1))


def test_mask_embed_replaces_patches_before_positions():
    model = MaskedPatchModel(_small_encoder()).eval()
    enc = model.encoder
    x = torch.randn(2, 24, 16)
    mask = torch.tensor([[0, 5, 7], [23, 1, 2]])
    with torch.no_grad():
        got = model.encode_masked(x, mask)
        patches = enc.patch_embed.proj(x.unsqueeze(1).transpose(2, 3))
        patches = patches.flatten(2).transpose(1, 2).clone()
        for b in range(2):
            patches[b, mask[b]] = model.mask_embed[0, 0]
        tokens = (
            torch.cat(
                (
                    enc.cls_token.expand(2, -1, -1),
                    enc.dist_token.expand(2, -1, -1),
                    patches,
                ),
                dim=1,
            )
            + enc.pos_embed
        )
        for block in enc.blocks:
            tokens = block(tokens)
        tokens = enc.norm(tokens)
        expected = torch.stack(
            [tokens[b, mask[b] + N_LEADING_TOKENS] for b in range(2)]
        )
    assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_losses_match_a_per_clip_computation():
    model = MaskedPatchModel(_small_encoder()).eval()
    x = torch.randn(3, 24, 16)
    g = torch.Generator().manual_seed(0)
    masks = tuple(sample_masks(3, (4, 6), 5, generator=g) for _ in range(2))
    with torch.no_grad():
        out = model.losses(x, 5, masks=masks)
        target = model.targets(x)
        enc_d = model.encode_masked(x, masks[0])
        enc_g = model.encode_masked(x, masks[1])
        nce, hits, mse = [], [], []
        for b in range(3):
            s = target[b, masks[0][b]] @ model.cpredlayer(enc_d[b]).T
            nce.append(F.cross_entropy(s, torch.arange(5)))
            hits += [int(s[i].argmax() == i) for i in range(5)]
            diff = model.gpredlayer(enc_g[b]) - target[b, masks[1][b]]
            mse.append((diff**2).mean())
    loss_d = torch.stack(nce).mean()
    loss_g = torch.stack(mse).mean()
    assert_allclose(out["loss_d"], loss_d, rtol=1e-5)
    assert_allclose(out["loss_g"], loss_g, rtol=1e-5)
    assert_allclose(out["loss"], loss_d + 10 * loss_g, rtol=1e-5)
    assert_allclose(out["accuracy"], np.mean(hits))


def _neighbours(mask, grid):
    on = torch.zeros(grid, dtype=torch.bool)
    on.view(-1)[mask] = True
    pad = F.pad(on.float()[None, None], (1, 1, 1, 1))[0, 0]
    near = pad[:-2, 1:-1] + pad[2:, 1:-1] + pad[1:-1, :-2] + pad[1:-1, 2:]
    return float(near[on].mean())


def test_sample_masks_cluster_and_random():
    grid = (8, 25)
    g = torch.Generator().manual_seed(0)
    cl = sample_masks(4, grid, 60, cluster=True, generator=g)
    rnd = sample_masks(4, grid, 60, cluster=False, generator=g)
    for masks in (cl, rnd):
        assert masks.shape == (4, 60) and masks.dtype == torch.int64
        assert all(len(set(m.tolist())) == 60 for m in masks)
        assert masks.min() >= 0 and masks.max() < 200
    # clusters: masked patches have many masked 4-neighbours; random ones few
    assert np.mean([_neighbours(m, grid) for m in cl]) > 2.0
    assert np.mean([_neighbours(m, grid) for m in rnd]) < 1.8
    again = sample_masks(4, grid, 60, generator=torch.Generator().manual_seed(0))
    assert torch.equal(again, cl)
    with pytest.raises(ValueError, match=r"n_masked must be in \[1, 199\].*got 200"):
        sample_masks(1, grid, 200)


def test_frame_model_uses_random_masking():
    enc = SSASTEncoder(
        None,
        embed_dim=8,
        depth=1,
        num_heads=2,
        n_mels=16,
        target_length=24,
        kernel_size=(16, 2),
    )
    assert not MaskedPatchModel(enc).cluster
    assert MaskedPatchModel(_small_encoder()).cluster


def test_pretraining_raises_accuracy_above_chance():
    X = _structured(80, 0)
    pre = SSASTPretrainer(
        **SMALL,
        mask_patches=8,
        max_epochs=6,
        lr=1e-3,
        validation_fraction=0.2,
        random_state=0,
    ).fit(X)
    hist = pre.history_
    chance = hist[0]["chance"]
    assert chance == 1 / 8 and len(hist) == 6
    assert {
        "loss",
        "loss_d",
        "loss_g",
        "train_accuracy",
        "valid_accuracy",
        "dur",
    } <= set(hist[0])
    assert hist[-1]["valid_accuracy"] > 1.8 * chance  # 0.28 when written
    assert hist[-1]["valid_accuracy"] > hist[0]["valid_accuracy"]
    assert hist[-1]["loss"] < hist[0]["loss"]


def test_save_checkpoint_roundtrip_and_released_keys(tmp_path):
    X = _structured(10, 1)
    pre = SSASTPretrainer(**SMALL, max_epochs=1, random_state=0).fit(X)
    path = pre.save_checkpoint(tmp_path / "ours.pth")
    sd = torch.load(path, weights_only=True)
    ref = released_state(32, (4, 4), depth=2, fdim=16, tdim=32)
    assert {k: tuple(v.shape) for k, v in sd.items()} == {
        k: tuple(v.shape) for k, v in ref.items()
    }
    assert torch.equal(sd["module.mask_embed"], pre.model_.mask_embed.detach())
    assert torch.equal(
        sd["module.cpredlayer.2.weight"], pre.model_.cpredlayer[2].weight.detach()
    )
    back = SSASTEncoder.from_pretrained(
        path, target_length=32, n_mels=16, num_heads=2
    ).eval()
    x = torch.from_numpy(X[:3])
    with torch.no_grad():
        assert torch.equal(pre.encoder_.eval()(x), back(x))


def test_seeded_clone_pickle_and_frontend():
    X = _structured(12, 2)
    params = dict(**SMALL, max_epochs=1, random_state=3)
    a = SSASTPretrainer(**params).fit(X)
    b = clone(a).fit(X)
    assert a.history_[0]["loss"] == b.history_[0]["loss"]
    sa, sb = a.encoder_.state_dict(), b.encoder_.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    c = pickle.loads(pickle.dumps(a))
    assert torch.equal(c.encoder_.pos_embed, a.encoder_.pos_embed)
    front = SSASTPretrainer(**params, frontend=FunctionTransformer(_to_3d)).fit(
        X.reshape(12, -1)
    )
    assert front.frontend_ is not None
    assert front.history_[0]["loss"] == a.history_[0]["loss"]


def test_errors():
    X = _structured(8, 0)
    with pytest.raises(
        ValueError, match=r"shape \(n_samples, 40, 16\).*got \(8, 32, 16\)"
    ):
        SSASTPretrainer(**{**SMALL, "target_length": 40}).fit(X)
    with pytest.raises(ValueError, match="mask_patches=32 gives 32 masked patches"):
        SSASTPretrainer(**SMALL, mask_patches=32).fit(X)
    with pytest.raises(ValueError, match="With size=None give embed_dim"):
        SSASTPretrainer(**{**SMALL, "depth": None}).fit(X)
    with pytest.raises(ValueError, match="'lr' parameter"):
        SSASTPretrainer(**SMALL, lr=-1.0).fit(X)
    with pytest.raises(ValueError, match="kernel_size must be"):
        SSASTPretrainer(**{**SMALL, "kernel_size": (4, 4, 4)}).fit(X)
