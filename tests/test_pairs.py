"""Tests of the stage I pair sampler and epoch datasets."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklearn_ssastcl._pairs import EpochPairDataset, PairSampler, epoch_rng
from sklearn_ssastcl._sources import FeatureSource


def _labels():
    # 10 bona fide; 30 spoof of attack A01, 6 of A02, 4 of A03
    bona = np.array([True] * 10 + [False] * 40)
    attacks = np.array(["-"] * 10 + ["A01"] * 30 + ["A02"] * 6 + ["A03"] * 4)
    return bona, attacks


def test_mix_proportions_and_same_flags():
    bona, _ = _labels()
    sampler = PairSampler(bona)
    a, b, same = sampler.sample(1000, np.random.default_rng(0))
    kind = bona[a].astype(int) + bona[b].astype(int)  # 2 bb, 0 ss, 1 bs
    assert (kind == 2).sum() == 250 and (kind == 0).sum() == 250
    assert (kind == 1).sum() == 500
    assert_array_equal(same, (kind != 1).astype(np.float32))
    # bona fide sits on either side of the mixed pairs
    mixed = kind == 1
    assert 0.4 < bona[a][mixed].mean() < 0.6


def test_custom_mix_and_rounding():
    bona, _ = _labels()
    sampler = PairSampler(bona, pair_mix=(1, 0, 1))
    assert sampler.counts(5).tolist() == [3, 0, 2]
    a, b, same = sampler.sample(7, np.random.default_rng(1))
    assert len(a) == 7 and same.sum() == sampler.counts(7)[0]
    assert not np.any(~bona[a] & ~bona[b])  # no spoof-spoof pairs


def test_spoof_drawn_uniformly_over_attacks():
    bona, attacks = _labels()
    sampler = PairSampler(bona, attacks)
    a, b, _ = sampler.sample(6000, np.random.default_rng(0))
    idx = np.concatenate([a, b])
    spoof_attacks = attacks[idx][~bona[idx]]
    shares = [np.mean(spoof_attacks == k) for k in ("A01", "A02", "A03")]
    np.testing.assert_allclose(shares, [1 / 3] * 3, atol=0.02)
    # without attacks, draws follow clip counts (A01 holds 75 % of the clips)
    a, b, _ = PairSampler(bona).sample(6000, np.random.default_rng(0))
    idx = np.concatenate([a, b])
    assert np.mean(attacks[idx][~bona[idx]] == "A01") > 0.7


def test_never_the_same_clip_twice():
    bona = np.array([True, True, False, False])  # few clips: many clashes to redraw
    a, b, _ = PairSampler(bona).sample(400, np.random.default_rng(3))
    assert not np.any(a == b)


def test_seeded_reproducibility():
    bona, attacks = _labels()
    sampler = PairSampler(bona, attacks)
    first = sampler.sample(64, epoch_rng(7, 2))
    second = sampler.sample(64, epoch_rng(7, 2))
    other = sampler.sample(64, epoch_rng(7, 3))
    for x, y in zip(first, second):
        assert_array_equal(x, y)
    assert not np.array_equal(first[0], other[0])


def test_groups_pair_classes_within_and_across_groups():
    bona, attacks = _labels()
    # groups a/b hold both classes; group c holds spoof clips only (attack A03)
    groups = np.array(list("aaaaabbbbb") + list("ab" * 15) + list("aabbbb") + ["c"] * 4)
    sampler = PairSampler(bona, attacks, groups=groups)
    a, b, same = sampler.sample(3000, np.random.default_rng(0))
    same_group = groups[a] == groups[b]
    assert not np.any(same_group[same == 1])  # same class: always two groups
    mixed = same == 0
    # bona-spoof pairs share the group, except the c spoofs (no bona fide in c)
    spoof = np.where(bona[a], b, a)[mixed]
    assert np.all(same_group[mixed][groups[spoof] != "c"])
    assert not np.any(same_group[mixed][groups[spoof] == "c"])
    # spoof clips stay uniform over attacks
    shares = [np.mean(attacks[spoof] == k) for k in ("A01", "A02", "A03")]
    np.testing.assert_allclose(shares, [1 / 3] * 3, atol=0.03)
    assert not np.any(a == b)


def test_groups_fall_back_when_one_group_holds_a_class():
    bona = np.array([True, True, True, False, False, False])
    groups = np.array(["a", "a", "a", "a", "b", "b"])  # all bona fide in a
    a, b, same = PairSampler(bona, groups=groups).sample(200, np.random.default_rng(1))
    assert not np.any(a == b)
    bb = bona[a] & bona[b]
    assert bb.any() and np.all(groups[a][bb] == groups[b][bb])  # no other group
    ss = ~bona[a] & ~bona[b]
    assert not np.any(groups[a][ss] == groups[b][ss])  # a/b spoofs: only across


def test_errors():
    with pytest.raises(ValueError, match="at least 2 bona fide"):
        PairSampler([True, False, False])
    with pytest.raises(ValueError, match="pair_mix"):
        PairSampler([True, True, False, False], pair_mix=(1, 1))
    with pytest.raises(ValueError, match="attacks has shape"):
        PairSampler([True, True, False, False], attacks=["A01"])
    with pytest.raises(ValueError, match="groups has shape"):
        PairSampler([True, True, False, False], groups=["s1"])
    # a mix without bona-bona pairs needs only one bona fide clip
    PairSampler([True, False, False], pair_mix=(0, 1, 1))


def test_epoch_dataset_redraws_pairs_and_augmented_features():
    bona, _ = _labels()
    waves = [np.full(20, i, dtype=np.float32) for i in range(len(bona))]

    class Frontend:
        def transform(self, clips):
            return np.stack([c.reshape(5, 4) for c in clips])

    def augment(w, rng, sample_rate=16000):
        return w + rng.normal(size=w.shape).astype(np.float32)

    source = FeatureSource(waveforms=waves, frontend=Frontend(), augment=augment)
    ds = EpochPairDataset(source, PairSampler(bona), n_pairs=16, seed=5)
    x0, pairs0 = ds.features.clone(), ds.a.copy()
    ds.set_epoch(1)
    assert not np.array_equal(x0.numpy(), ds.features.numpy())
    assert not np.array_equal(pairs0, ds.a)
    ds.set_epoch(0)
    assert_array_equal(x0.numpy(), ds.features.numpy())
    assert_array_equal(pairs0, ds.a)
    for i in (0, 7, 15):  # item i: the features of pair i and its flag
        x, same = ds[i]
        assert_array_equal(x["x_a"].numpy(), x0[ds.a[i]].numpy())
        assert_array_equal(x["x_b"].numpy(), x0[ds.b[i]].numpy())
        assert same == float(bona[ds.a[i]] == bona[ds.b[i]])
    assert len(ds) == 16


def test_augmentation_draws_depend_on_seed_epoch_and_clip_only():
    from sklearn_ssastcl._sources import clip_rng

    waves = [np.full(20, i, dtype=np.float32) for i in range(4)]

    class Frontend:
        def transform(self, clips):
            return np.stack([c.reshape(5, 4) for c in clips])

    def augment(w, rng, sample_rate=16000):
        return w + rng.normal(size=w.shape).astype(np.float32)

    full = FeatureSource(waveforms=waves, frontend=Frontend(), augment=augment, seed=3)
    part = FeatureSource(
        waveforms=waves[:2], frontend=Frontend(), augment=augment, seed=3
    )
    # clip 1 gets the same draw whatever the other clips are
    assert_array_equal(full.features(2)[1], part.features(2)[1])
    noise = np.random.default_rng([3, 2, 1, 1]).normal(size=20)
    assert_array_equal(full.features(2)[1].ravel(), waves[1] + noise.astype("f4"))
    assert_array_equal(
        clip_rng(3, 2, 1).normal(size=3),
        np.random.default_rng([3, 2, 1, 1]).normal(size=3),
    )
