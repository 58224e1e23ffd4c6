"""Tests of the three-branch Siamese module and the contrastive loss."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose

from sklearn_ssastcl.nn._losses import (
    SiameseContrastiveLoss,
    contrastive_loss,
    pair_distance,
)
from sklearn_ssastcl.nn._siamese import MLPHead, SiameseSSAST
from sklearn_ssastcl.nn._ssast import SSASTEncoder


def _encoder(depth=2):
    torch.manual_seed(0)
    return SSASTEncoder(
        None,
        embed_dim=16,
        depth=depth,
        num_heads=2,
        n_mels=8,
        target_length=16,
        kernel_size=(4, 4),
    )


def _hand_cross_block(block, a, b, heads):
    """A pre-norm block where queries come from ``a`` and keys/values from ``b``."""
    dim = a.shape[-1]
    w, bias = block.attn.qkv.weight, block.attn.qkv.bias
    na, nb = block.norm1(a), block.norm1(b)
    q = na @ w[:dim].T + bias[:dim]
    k = nb @ w[dim : 2 * dim].T + bias[dim : 2 * dim]
    v = nb @ w[2 * dim :].T + bias[2 * dim :]
    hd = dim // heads
    out = []
    for h in range(heads):
        sl = slice(h * hd, (h + 1) * hd)
        att = torch.softmax(
            q[..., sl] @ k[..., sl].transpose(-1, -2) / math.sqrt(hd), -1
        )
        out.append(att @ v[..., sl])
    x = a + block.attn.proj(torch.cat(out, dim=-1))
    return x + block.mlp(block.norm2(x))


def test_ca_branch_queries_from_a_keys_values_from_b():
    enc = _encoder(depth=2)
    model = SiameseSSAST(enc)
    x_a, x_b = torch.randn(3, 16, 8), torch.randn(3, 16, 8)
    with torch.no_grad():
        u_a, u_b, u_ab = model(x_a, x_b)
        a, b = enc.embed(x_a), enc.embed(x_b)
        for block in enc.blocks:
            a = _hand_cross_block(block, a, b, heads=2)
            b = block(b)  # b's SA branch: the context entering the next block
        expected = F.normalize(enc.pool(enc.norm(a)), dim=-1)
        assert_allclose(u_ab.numpy(), expected.numpy(), atol=1e-5)
        assert_allclose(u_a.numpy(), F.normalize(enc(x_a), dim=-1).numpy(), atol=1e-6)
        assert_allclose(u_b.numpy(), F.normalize(enc(x_b), dim=-1).numpy(), atol=1e-6)
        # CA differs from SA: the partner clip matters
        assert not torch.allclose(u_ab, u_a, atol=1e-4)


def test_ca_blocks_last_k_only():
    enc = _encoder(depth=2)
    model = SiameseSSAST(enc, ca_blocks=1)
    x_a, x_b = torch.randn(2, 16, 8), torch.randn(2, 16, 8)
    with torch.no_grad():
        _, _, u_ab = model(x_a, x_b)
        a, b = enc.embed(x_a), enc.embed(x_b)
        a, b = enc.blocks[0](a), enc.blocks[0](b)  # block 0: self-attention
        a = _hand_cross_block(enc.blocks[1], a, b, heads=2)
        expected = F.normalize(enc.pool(enc.norm(a)), dim=-1)
    assert_allclose(u_ab.numpy(), expected.numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="ca_blocks"):
        SiameseSSAST(enc, ca_blocks=3)


def test_weights_are_shared_and_no_new_parameters():
    enc = _encoder()
    model = SiameseSSAST(enc, ca_symmetric=True)
    assert {id(p) for p in model.parameters()} == {id(p) for p in enc.parameters()}
    x_a, x_b = torch.randn(2, 16, 8), torch.randn(2, 16, 8)
    outputs = model(x_a, x_b)
    assert len(outputs) == 4
    # every branch sends gradient into the one qkv weight
    for out in outputs:
        enc.zero_grad()
        out.sum().backward(retain_graph=True)
        assert enc.blocks[0].attn.qkv.weight.grad.abs().sum() > 0


def test_no_cross_attention_skips_the_branch(monkeypatch):
    enc = _encoder()
    model = SiameseSSAST(enc, cross_attention=False)
    calls = []
    monkeypatch.setattr(model, "ca_tokens", lambda *a: calls.append(1))
    with torch.no_grad():
        outputs = model(torch.randn(2, 16, 8), torch.randn(2, 16, 8))
    assert len(outputs) == 2 and not calls
    # alpha = 0: the loss is L_SA alone
    same = torch.tensor([1.0, 0.0])
    loss = SiameseContrastiveLoss(alpha=0.0)
    assert float(loss(outputs, same)) == float(contrastive_loss(*outputs, same))


def test_contrastive_loss_hand_worked():
    u = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    v = torch.tensor([[0.6, 0.8], [0.0, 1.0]])
    same = torch.tensor([1.0, 0.0])
    # d1 = ||(0.4, -0.8)|| = sqrt(0.8); d2 = sqrt(2)
    d1, d2 = math.sqrt(0.8), math.sqrt(2.0)
    assert_allclose(pair_distance(u, v).numpy(), [d1, d2], rtol=1e-6)
    # same pair: d1^2 = 0.8; different pair: max(0, 1.5 - sqrt 2)^2
    expected = (0.8 + (1.5 - d2) ** 2) / 2
    got = float(contrastive_loss(u, v, same, margin=1.5))
    assert_allclose(got, expected, rtol=1e-6)
    # margin 1: the different pair is beyond it and costs nothing
    assert_allclose(float(contrastive_loss(u, v, same, margin=1.0)), 0.4, rtol=1e-6)
    # cosine form: d = 1 - cos = (0.4, 1.0)
    got = float(contrastive_loss(u, v, same, margin=1.5, distance="cosine"))
    assert_allclose(got, (0.16 + 0.25) / 2, rtol=1e-6)


def test_siamese_loss_sum_and_symmetric_average():
    u_a = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    u_b = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    u_ab = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    same = torch.tensor([1.0, 0.0])
    l_sa = float(contrastive_loss(u_a, u_b, same))  # (2 + 0) / 2 = 1
    l_ca = float(contrastive_loss(u_a, u_ab, same))  # (0 + 0) / 2 = 0
    loss = SiameseContrastiveLoss(alpha=2.0)
    assert_allclose(float(loss((u_a, u_b, u_ab), same)), l_sa + 2.0 * l_ca)
    assert_allclose(l_sa, 1.0, rtol=1e-6)
    u_ba = u_a.clone()
    l_ba = float(contrastive_loss(u_b, u_ba, same))
    total = float(loss((u_a, u_b, u_ab, u_ba), same))
    assert_allclose(total, l_sa + 2.0 * 0.5 * (l_ca + l_ba), rtol=1e-6)
    with pytest.raises(ValueError, match="distance"):
        SiameseContrastiveLoss(distance="manhattan")


def test_mlp_head_layout():
    head = MLPHead(16)
    kinds = [type(m).__name__ for m in head.layers]
    assert kinds == ["LayerNorm", "Linear", "GELU", "Dropout", "Linear"]
    assert head.layers[1].out_features == 256 and head.layers[4].out_features == 2
    assert head.layers[3].p == 0.1


def test_mlp_head_standardize_by_hand():
    torch.manual_seed(0)
    z = torch.randn(50, 6) * torch.tensor([1.0, 2, 3, 4, 5, 6]) + 10.0
    head = MLPHead(6).standardize(z)
    mean = z.numpy().mean(axis=0)
    std = z.numpy().std(axis=0, ddof=1)
    assert_allclose(head.shift.numpy(), mean, rtol=1e-5)
    assert_allclose(head.scale.numpy(), std, rtol=1e-5)
    head.eval()
    expected = head.layers(torch.as_tensor((z.numpy() - mean) / std))
    assert_allclose(head(z).detach().numpy(), expected.detach().numpy(), atol=1e-5)
    # the statistics travel with the state dict
    other = MLPHead(6)
    other.load_state_dict(head.state_dict())
    assert_allclose(other.shift.numpy(), mean, rtol=1e-5)
    with pytest.raises(ValueError, match=r"shape \(n >= 2, 6\)"):
        MLPHead(6).standardize(torch.zeros(5, 4))
