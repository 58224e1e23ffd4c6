"""Bootstrap confidence interval of the EER, and eer_score's interval option."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import sklearn_ssastcl._bootstrap as bootstrap_module
from sklearn_ssastcl.metrics import compute_eer, eer_confidence_interval, eer_score


def _data(seed=0, n_bona=150, n_spoof=250, decimals=1):
    rng = np.random.default_rng(seed)
    s = np.concatenate([rng.normal(2.0, 1.0, n_bona), rng.normal(0.0, 1.0, n_spoof)])
    y = np.array(["bonafide"] * n_bona + ["spoof"] * n_spoof)
    perm = rng.permutation(y.size)
    return y[perm], np.round(s[perm], decimals)


def _reference_stratified(y, s, level, n_bootstrap, seed):
    """Independent percentile bootstrap drawing in the documented order."""
    rng = np.random.default_rng(seed)
    bona, spoof = s[y == "bonafide"], s[y != "bonafide"]
    eers = []
    for _ in range(n_bootstrap):
        b = bona[rng.integers(0, bona.size, bona.size)]
        sp = spoof[rng.integers(0, spoof.size, spoof.size)]
        eers.append(compute_eer(b, sp)[0])
    alpha = 1 - level
    return tuple(np.percentile(eers, [50 * alpha, 100 - 50 * alpha]))


def test_stratified_matches_reference_and_is_deterministic():
    y, s = _data()
    got = eer_confidence_interval(y, s, n_bootstrap=200, random_state=3)
    assert got == _reference_stratified(y, s, 0.95, 200, 3)
    assert eer_confidence_interval(y, s, n_bootstrap=200, random_state=3) == got
    assert eer_confidence_interval(y, s, n_bootstrap=200, random_state=4) != got
    # A Generator and a RandomState are accepted; a Generator is consumed.
    gen = np.random.default_rng(3)
    assert eer_confidence_interval(y, s, n_bootstrap=200, random_state=gen) == got
    # A RandomState in the same state gives the same interval, around the EER.
    eer = eer_score(y, s)
    low, high = eer_confidence_interval(
        y, s, n_bootstrap=50, random_state=np.random.RandomState(0)
    )
    assert low < eer < high
    again = eer_confidence_interval(
        y, s, n_bootstrap=50, random_state=np.random.RandomState(0)
    )
    assert again == (low, high)
    low, high = eer_confidence_interval(y, s, n_bootstrap=50, random_state=None)
    assert low < eer < high


@pytest.mark.parametrize("seed", range(3))
def test_interval_contains_point_eer(seed):
    y, s = _data(seed)
    eer = eer_score(y, s)
    low, high = eer_confidence_interval(y, s, n_bootstrap=300, random_state=seed)
    assert low < eer < high
    # A higher confidence level gives a wider (or equal) interval.
    low99, high99 = eer_confidence_interval(
        y, s, n_bootstrap=300, random_state=seed, confidence_level=0.99
    )
    assert low99 <= low and high <= high99


def test_perfect_separation_interval_is_zero():
    y = ["bonafide"] * 5 + ["spoof"] * 5
    s = [5, 6, 7, 8, 9, 0, 1, 2, 3, 4]
    assert eer_confidence_interval(y, s, n_bootstrap=50) == (0.0, 0.0)


def test_group_bootstrap_draws_whole_groups(monkeypatch):
    # Trial scores encode (group, index within group), so each EER call tells
    # which trials were drawn.
    rng = np.random.default_rng(1)
    n_groups, per_group = 12, 6
    groups = np.repeat([f"spk{g:02d}" for g in range(n_groups)], per_group)
    y = np.where(rng.random(groups.size) < 0.5, "bonafide", "spoof")
    y[::per_group] = "bonafide"
    y[1::per_group] = "spoof"  # each group holds both classes
    s = np.repeat(np.arange(n_groups) * 100.0, per_group) + np.tile(
        np.arange(per_group), n_groups
    )
    drawn = []
    real_eer = bootstrap_module._eer

    def recording_eer(tar, non):
        drawn.append(np.concatenate([tar, non]))
        return real_eer(tar, non)

    monkeypatch.setattr(bootstrap_module, "_eer", recording_eer)
    eer_confidence_interval(y, s, groups=groups, n_bootstrap=40, random_state=0)
    assert len(drawn) == 40
    for scores in drawn:
        values, counts = np.unique(scores, return_counts=True)
        times = {}
        for v, c in zip(values, counts):
            times.setdefault(int(v // 100), set()).add(int(c))
        for g, c in times.items():
            # Every trial of a drawn group appears equally often ...
            assert len(c) == 1
            # ... and a drawn group brings all its trials.
            assert np.sum(values // 100 == g) == per_group
        # As many groups are drawn (with replacement) as there are groups.
        assert sum(next(iter(c)) for c in times.values()) == n_groups


def test_group_bootstrap_reference_reimplementation():
    y, s = _data(2, n_bona=60, n_spoof=90)
    rng = np.random.default_rng(5)
    groups = rng.integers(0, 15, y.size)
    got = eer_confidence_interval(y, s, groups=groups, n_bootstrap=100, random_state=7)
    # Independent re-implementation of the documented procedure.
    rng = np.random.default_rng(7)
    ids = np.unique(groups)
    eers = []
    while len(eers) < 100:
        pick = ids[rng.integers(0, ids.size, ids.size)]
        idx = np.concatenate([np.flatnonzero(groups == g) for g in pick])
        bona, spoof = s[idx][y[idx] == "bonafide"], s[idx][y[idx] == "spoof"]
        if bona.size and spoof.size:
            eers.append(compute_eer(bona, spoof)[0])
    assert_allclose(got, np.percentile(eers, [2.5, 97.5]))
    # Resampling whole groups changes the interval relative to trials.
    assert got != eer_confidence_interval(y, s, n_bootstrap=100, random_state=7)


def test_group_draws_with_one_class_are_redrawn():
    # Group "a" is all bona fide and "b" all spoof: only draws {a, b} hold both
    # classes, and they reproduce the full set, so every resampled EER is the
    # point EER.
    y = ["bonafide"] * 4 + ["spoof"] * 4
    s = [0.9, 0.3, 0.7, 0.2, 0.1, 0.4, 0.25, 0.6]
    groups = ["a"] * 4 + ["b"] * 4
    eer = eer_score(y, s)
    assert eer_confidence_interval(y, s, groups=groups, n_bootstrap=30) == (eer, eer)


def test_group_redraw_limit(monkeypatch):
    monkeypatch.setattr(bootstrap_module, "_MAX_REDRAWS", 0)
    y, s = _data(0, 20, 20)
    with pytest.raises(ValueError, match="held only one class"):
        eer_confidence_interval(y, s, groups=np.arange(40) % 4, n_bootstrap=2)


def test_eer_score_interval_option():
    y, s = _data(4)
    assert isinstance(eer_score(y, s), float)  # unchanged default behaviour
    eer, low, high = eer_score(y, s, confidence_level=0.9, n_bootstrap=100)
    assert eer == eer_score(y, s)
    assert (low, high) == eer_confidence_interval(
        y, s, confidence_level=0.9, n_bootstrap=100
    )
    groups = np.arange(y.size) % 10
    out = eer_score(
        y, s, confidence_level=0.9, groups=groups, n_bootstrap=50, random_state=2
    )
    assert out[1:] == eer_confidence_interval(
        y, s, confidence_level=0.9, groups=groups, n_bootstrap=50, random_state=2
    )
    y01 = (y == "bonafide").astype(int)
    assert eer_score(y01, s, pos_label=1, confidence_level=0.9, n_bootstrap=100) == (
        eer,
        low,
        high,
    )


Y = ["bonafide", "spoof", "bonafide", "spoof"]
S = [1.0, 0.0, 2.0, 0.5]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"confidence_level": 0.0}, "confidence_level must be strictly between"),
        ({"confidence_level": 1.0}, "confidence_level must be strictly between"),
        ({"confidence_level": 95}, "e.g. confidence_level=0.95"),
        ({"n_bootstrap": 0}, "n_bootstrap must be at least 1"),
        ({"groups": [0, 1, 2]}, r"one entry per trial; got shape \(3,\) for 4"),
    ],
)
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        eer_confidence_interval(Y, S, **kwargs)
    with pytest.raises(ValueError, match=match):
        eer_score(Y, S, **{"confidence_level": 0.95, **kwargs})


@pytest.mark.parametrize(
    "y, s, match",
    [
        (Y, [1.0, np.nan, 2.0, 0.5], "NaN or infinite"),
        (Y, [1.0, 0.0, 2.0], "4 labels but scores has 3"),
        (["spoof"] * 4, S, "single class"),
    ],
)
def test_input_errors(y, s, match):
    with pytest.raises(ValueError, match=match):
        eer_confidence_interval(y, s)


def test_groups_without_confidence_level():
    with pytest.raises(ValueError, match="pass confidence_level"):
        eer_score(Y, S, groups=[0, 0, 1, 1])
