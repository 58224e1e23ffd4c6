"""Stage I losses against brute-force computations written here."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sklearn_ssastcl.nn._losses import (
    SiameseInfoNCELoss,
    nt_xent_loss,
    supcon_loss,
)


def _unit(rng, n, d=4):
    z = rng.normal(size=(n, d))
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def _brute(z, labels, t):
    """Per-anchor losses by explicit loops (NaN for rows without positives)."""
    out = []
    for i in range(len(z)):
        pos = [
            p
            for p in range(len(z))
            if p != i and labels[i] >= 0 and labels[p] == labels[i]
        ]
        if not pos:
            out.append(math.nan)
            continue
        denom = sum(math.exp(z[i] @ z[k] / t) for k in range(len(z)) if k != i)
        out.append(-np.mean([math.log(math.exp(z[i] @ z[p] / t) / denom) for p in pos]))
    return np.array(out)


@pytest.mark.parametrize("t", [0.07, 0.5, 1.0])
def test_supcon_equals_brute_force(t):
    rng = np.random.default_rng(0)
    z = _unit(rng, 9)
    labels = np.array([0, 1, 0, 1, 1, -1, 0, -1, 1])
    got = supcon_loss(torch.tensor(z), torch.tensor(labels), temperature=t)
    assert float(got) == pytest.approx(np.nanmean(_brute(z, labels, t)), rel=1e-9)


def test_supcon_hand_worked_case():
    # rows 0 and 1 identical (label 0), row 2 orthogonal (label 1, no positive):
    # l_0 = l_1 = -log(e / (e + 1)); row 2 is not an anchor.
    z = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    got = supcon_loss(z, torch.tensor([0, 0, 1]), temperature=1.0)
    assert float(got) == pytest.approx(math.log(math.e + 1) - 1)


def test_nt_xent_equals_brute_force_and_simclr_definition():
    rng = np.random.default_rng(1)
    a, b = _unit(rng, 5), _unit(rng, 5)
    t = 0.2
    got = float(nt_xent_loss(torch.tensor(a), torch.tensor(b), temperature=t))
    z = np.concatenate([a, b])
    labels = np.r_[np.arange(5), np.arange(5)]
    assert got == pytest.approx(np.mean(_brute(z, labels, t)), rel=1e-9)
    # SimCLR's form: cross-entropy of the similarity row against the partner.
    zt = torch.tensor(z)
    sim = (zt @ zt.T / t).fill_diagonal_(float("-inf"))
    target = torch.cat([torch.arange(5, 10), torch.arange(5)])
    assert got == pytest.approx(float(F.cross_entropy(sim, target)), rel=1e-9)


@pytest.mark.parametrize("kind", ["supcon", "ntxent"])
@pytest.mark.parametrize("n_views", [2, 3, 4])
def test_siamese_infonce_components_equal_brute_force(kind, n_views):
    rng = np.random.default_rng(2)
    bona_a = np.array([1, 0, 1, 0, 1, 1])
    bona_b = np.array([1, 0, 0, 1, 1, 0])  # pairs: bb, ss, bs, sb, bb, bs
    views = [_unit(rng, 6) for _ in range(n_views)]
    loss = SiameseInfoNCELoss(kind, temperature=0.3, alpha=0.7)
    l_sa, l_ca = loss.components(
        tuple(torch.tensor(v) for v in views),
        torch.tensor(bona_a),
        torch.tensor(bona_b),
    )
    same = bona_a == bona_b
    if kind == "supcon":
        rows = [bona_a, bona_b, np.where(same, bona_a, -1), np.where(same, bona_b, -1)]
    else:
        pair = np.where(same, np.arange(6), -1)
        rows = [pair] * 4
    labels = np.concatenate(rows[:n_views])
    per_row = _brute(np.concatenate(views), labels, 0.3)
    sa, ca = per_row[:12], per_row[12:]
    assert float(l_sa) == pytest.approx(np.nanmean(sa), rel=1e-9)
    if n_views == 2:
        assert l_ca is None
    else:
        assert float(l_ca) == pytest.approx(np.nanmean(ca), rel=1e-9)
        total = loss(
            tuple(torch.tensor(v) for v in views),
            torch.tensor(bona_a),
            torch.tensor(bona_b),
        )
        assert float(total) == pytest.approx(float(l_sa) + 0.7 * float(l_ca), rel=1e-12)


def test_alpha_zero_drops_the_cross_attention_rows():
    rng = np.random.default_rng(3)
    views = tuple(torch.tensor(_unit(rng, 4)) for _ in range(3))
    a, b = torch.tensor([1, 0, 1, 0]), torch.tensor([1, 0, 0, 0])
    with_ca = SiameseInfoNCELoss("supcon", alpha=0.0)(views, a, b)
    without = SiameseInfoNCELoss("supcon", alpha=1.0)(views[:2], a, b)
    assert float(with_ca) == pytest.approx(float(without), rel=1e-12)


def test_gradients_pull_positives_together():
    z = torch.nn.functional.normalize(
        torch.randn(6, 4, generator=torch.Generator().manual_seed(0)), dim=1
    )
    z.requires_grad_(True)
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    supcon_loss(z, labels, temperature=0.5).backward()
    assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0
    with torch.no_grad():
        moved = torch.nn.functional.normalize(z - 0.5 * z.grad, dim=1)
    assert supcon_loss(moved, labels, temperature=0.5) < supcon_loss(
        z, labels, temperature=0.5
    )


@pytest.mark.parametrize("t", [0, -1.0, float("nan"), float("inf")])
def test_bad_temperature(t):
    z = torch.eye(2)
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        supcon_loss(z, torch.tensor([0, 1]), temperature=t)
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        nt_xent_loss(z, z, temperature=t)
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        SiameseInfoNCELoss(temperature=t)


def test_supcon_refuses_a_batch_with_one_class():
    z = torch.eye(3)
    with pytest.raises(ValueError, match="one class only"):
        supcon_loss(z, torch.tensor([1, 1, -1]))
    with pytest.raises(ValueError, match="kind must be one of"):
        SiameseInfoNCELoss("triplet")
