"""min DCF, act DCF, Cllr, min Cllr and Bayes error rates against plain references."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_ssastcl.metrics import (
    act_dcf,
    bayes_error_rates,
    cllr,
    min_cllr,
    min_dcf,
)

# ------------------------------------------------------------------ references


def _labelled(tar, non):
    y = ["bonafide"] * len(tar) + ["spoof"] * len(non)
    return y, list(tar) + list(non)


def _rates(tar, non, t):
    """Miss (bona fide < t) and false alarm (spoof >= t), counted in loops."""
    miss = sum(1 for s in tar if s < t) / len(tar)
    fa = sum(1 for s in non if s >= t) / len(non)
    return miss, fa


def _candidates(tar, non):
    # Every partition of the trials by a threshold: each distinct score, and +inf.
    return sorted(set(tar) | set(non)) + [math.inf]


def _brute_min_dcf(tar, non, p_spoof=0.05, c_miss=1.0, c_fa=10.0):
    best = math.inf
    for t in _candidates(tar, non):
        miss, fa = _rates(tar, non, t)
        best = min(best, c_miss * (1 - p_spoof) * miss + c_fa * p_spoof * fa)
    return best / min(c_miss * (1 - p_spoof), c_fa * p_spoof)


def _brute_cllr(tar, non):
    total_tar = sum(math.log(1 + math.exp(-s)) for s in tar) / len(tar)
    total_non = sum(math.log(1 + math.exp(s)) for s in non) / len(non)
    return (total_tar + total_non) / 2 / math.log(2)


def _pav_posteriors(tar, non):
    """Plain pool-adjacent-violators on distinct scores: {score: posterior}."""
    blocks = []  # [n_bona, n_total, [scores]]
    for s in sorted(set(tar) | set(non)):
        blocks.append([tar.count(s), tar.count(s) + non.count(s), [s]])
        while len(blocks) > 1 and (
            blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]
        ):
            b = blocks.pop()
            blocks[-1][0] += b[0]
            blocks[-1][1] += b[1]
            blocks[-1][2] += b[2]
    return {s: nb / nt for nb, nt, ss in blocks for s in ss}


def _brute_min_cllr(tar, non):
    post = _pav_posteriors(list(tar), list(non))
    log_prior_odds = math.log(len(tar) / len(non))

    def term(p, bona):
        # Cost in nats of one trial given its PAV posterior; 0 when certain and right.
        if (bona and p == 1.0) or (not bona and p == 0.0):
            return 0.0
        llr = math.log(p / (1 - p)) - log_prior_odds
        return math.log(1 + math.exp(-llr if bona else llr))

    c_tar = sum(term(post[s], True) for s in tar) / len(tar)
    c_non = sum(term(post[s], False) for s in non) / len(non)
    return (c_tar + c_non) / 2 / math.log(2)


def _tie_heavy(seed, n_tar=40, n_non=60, decimals=0):
    rng = np.random.default_rng(seed)
    tar = np.round(rng.normal(1.0, 1.5, n_tar), decimals).tolist()
    non = np.round(rng.normal(-1.0, 1.5, n_non), decimals).tolist()
    return tar, non


COST_MODELS = [
    {},
    {"p_spoof": 0.5, "c_miss": 1.0, "c_fa": 1.0},
    {"p_spoof": 0.3, "c_miss": 2.0, "c_fa": 5.0},
    {"p_spoof": 0.9, "c_miss": 10.0, "c_fa": 1.0},
]

# -------------------------------------------------------------------- min DCF


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("costs", COST_MODELS)
def test_min_dcf_matches_brute_force(seed, costs):
    tar, non = _tie_heavy(seed, decimals=seed % 2)
    y, s = _labelled(tar, non)
    value, thr = min_dcf(y, s, return_threshold=True, **costs)
    assert_allclose(value, _brute_min_dcf(tar, non, **costs), rtol=1e-12)
    # The threshold is a DET point: accepting scores above it achieves the minimum.
    p, cm, cf = (
        costs.get("p_spoof", 0.05),
        costs.get("c_miss", 1.0),
        costs.get("c_fa", 10.0),
    )
    miss = np.mean(np.array(tar) <= thr)
    fa = np.mean(np.array(non) > thr)
    assert_allclose(
        (cm * (1 - p) * miss + cf * p * fa) / min(cm * (1 - p), cf * p), value
    )


def test_min_dcf_hand_cases_with_ties():
    # bona fide [1, 2, 2, 3], spoof [0, 2, 2]; default costs, normaliser 0.5.
    # Partitions: accept all -> 10*0.05*1 = 0.5 -> 1.0;
    # reject {0}        -> miss 0, fa 2/3 -> 0.3333/0.5 = 0.6667;
    # reject {0,1}      -> miss 1/4, fa 2/3 -> (0.2375 + 0.3333)/0.5 = 1.1417;
    # reject {0,1,2,2..} (both 2-ties) -> miss 3/4, fa 0 -> 0.7125/0.5 = 1.425;
    # reject all        -> 0.95/0.5 = 1.9. Minimum 2/3 (ties never split).
    y, s = _labelled([1, 2, 2, 3], [0, 2, 2])
    assert_allclose(min_dcf(y, s), 2 / 3)
    # Same scores at p_spoof=0.5, unit costs (normaliser 0.5): reject {0} gives
    # (0 + 2/3)/2 / 0.5 = 2/3, reject up to 2 gives (3/4 + 0)/2/0.5 = 0.75.
    assert_allclose(min_dcf(y, s, p_spoof=0.5, c_fa=1.0), 2 / 3)


def test_min_dcf_degenerate():
    y, s = _labelled([3.0, 4.0, 5.0], [0.0, 1.0, 2.0])
    assert min_dcf(y, s) == 0.0
    # Fully inverted: nothing beats accepting everything (normalised cost 1).
    y, s = _labelled([0.0, 1.0, 2.0], [3.0, 4.0, 5.0])
    assert min_dcf(y, s) == 1.0
    # All scores equal: only accept-all (1.0) or reject-all (1.9) exist.
    y, s = _labelled([1.0, 1.0], [1.0, 1.0, 1.0])
    assert min_dcf(y, s) == 1.0
    # p_spoof=0.9, unit costs: reject-all costs 0.1 = the normaliser -> 1.0.
    assert min_dcf(y, s, p_spoof=0.9, c_fa=1.0) == 1.0


def test_min_dcf_pos_label_and_score_scale():
    tar, non = _tie_heavy(3)
    y, s = _labelled(tar, non)
    y01 = [1 if v == "bonafide" else 0 for v in y]
    ref = min_dcf(y, s)
    assert min_dcf(y01, s, pos_label=1) == ref
    # min DCF depends only on the order of the scores.
    assert_allclose(min_dcf(y, np.exp(np.array(s) / 3)), ref)
    # Swapping the classes and negating the scores is a symmetry when the cost
    # model is symmetric (p_spoof = 0.5, equal costs).
    sym = {"p_spoof": 0.5, "c_fa": 1.0}
    assert_allclose(
        min_dcf(y01, -np.array(s), pos_label=0, **sym), min_dcf(y, s, **sym)
    )


# ------------------------------------------------------------------- act DCF


def _brute_act_dcf(tar, non, p_spoof=0.05, c_miss=1.0, c_fa=10.0):
    t = -math.log(c_miss * (1 - p_spoof) / (c_fa * p_spoof))
    miss, fa = _rates(tar, non, t)
    cost = c_miss * (1 - p_spoof) * miss + c_fa * p_spoof * fa
    return cost / min(c_miss * (1 - p_spoof), c_fa * p_spoof)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("costs", COST_MODELS)
def test_act_dcf_matches_reference_and_bounds_min(seed, costs):
    tar, non = _tie_heavy(seed, decimals=1)
    y, s = _labelled(tar, non)
    value, thr = act_dcf(y, s, return_threshold=True, **costs)
    assert_allclose(value, _brute_act_dcf(tar, non, **costs), rtol=1e-12)
    p, cm, cf = (
        costs.get("p_spoof", 0.05),
        costs.get("c_miss", 1.0),
        costs.get("c_fa", 10.0),
    )
    assert_allclose(thr, -math.log(cm * (1 - p) / (cf * p)))
    assert value >= min_dcf(y, s, **costs) - 1e-12


def test_act_dcf_hand_cases():
    # p_spoof=0.5, unit costs: beta = 1, threshold -log(1) = 0 exactly.
    # Bona fide [0, 1]: 0 is not < 0, no miss. Spoof [0, -1]: 0 >= 0 is accepted,
    # fa = 1/2. Cost 0.5 * 1/2 = 0.25, normalised by 0.5 -> 0.5.
    y, s = _labelled([0.0, 1.0], [0.0, -1.0])
    assert act_dcf(y, s, p_spoof=0.5, c_fa=1.0) == 0.5
    # Defaults: threshold -log(1.9) = -0.6419. Bona fide [2, -1]: miss 1/2;
    # spoof [-3, 0.5]: fa 1/2. (0.95/2 + 0.5/2) / 0.5 = 1.45.
    y, s = _labelled([2.0, -1.0], [-3.0, 0.5])
    assert_allclose(act_dcf(y, s), 1.45)
    # Well separated, well calibrated LLRs: no error at all.
    y, s = _labelled([5.0, 6.0], [-5.0, -6.0])
    assert act_dcf(y, s) == 0.0


# ----------------------------------------------------------------------- Cllr


def test_cllr_hand_values():
    y, s = _labelled([0.0, 0.0, 0.0], [0.0, 0.0])
    assert cllr(y, s) == 1.0  # LLR 0 everywhere: exactly 1 bit
    # One trial per class at +-log(3): log2(1 + 1/3) = 0.415037...
    y, s = _labelled([math.log(3)], [-math.log(3)])
    assert_allclose(cllr(y, s), math.log2(4 / 3))


@pytest.mark.parametrize("seed", range(5))
def test_cllr_matches_formula(seed):
    tar, non = _tie_heavy(seed, decimals=2)
    y, s = _labelled(tar, non)
    assert_allclose(cllr(y, s), _brute_cllr(tar, non), rtol=1e-12)


def test_cllr_stable_for_large_llrs():
    # Correct side: contributes 0; wrong side: about |llr| / log 2 per class half.
    y, s = _labelled([1000.0], [-1000.0])
    assert cllr(y, s) == 0.0
    y, s = _labelled([-1000.0], [-1000.0])
    assert_allclose(cllr(y, s), 1000 / 2 / math.log(2))


# ------------------------------------------------------------------- min Cllr


@pytest.mark.parametrize("seed", range(6))
def test_min_cllr_matches_plain_pav(seed):
    tar, non = _tie_heavy(seed, n_tar=30, n_non=50, decimals=seed % 2)
    y, s = _labelled(tar, non)
    assert_allclose(min_cllr(y, s), _brute_min_cllr(tar, non), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_min_cllr_below_cllr_of_monotone_transforms(seed):
    tar, non = _tie_heavy(seed, decimals=1)
    y, s = _labelled(tar, non)
    s = np.array(s)
    m = min_cllr(y, s)
    assert 0.0 <= m <= 1.0
    for a, b in [(1.0, 0.0), (0.3, 0.5), (2.0, -1.0), (0.0, 0.0)]:
        assert m <= cllr(y, a * s + b) + 1e-12
    assert_allclose(min_cllr(y, np.tanh(s)), m)  # order only


def test_min_cllr_degenerate():
    y, s = _labelled([2.0, 3.0, 3.5], [0.0, 1.0])
    assert min_cllr(y, s) == 0.0  # perfect separation: infinite LLRs, 0 bits
    y, s = _labelled([1.0, 1.0], [1.0, 1.0, 1.0])
    assert_allclose(min_cllr(y, s), 1.0)  # one PAV block: LLR 0
    # Fully inverted: PAV pools everything into one block -> 1 bit.
    y, s = _labelled([0.0, 1.0], [2.0, 3.0])
    assert_allclose(min_cllr(y, s), 1.0)
    # Hand case: bona fide [1, 3], spoof [2, 0]. Sorted: 0 s, 1 b, 2 s, 3 b.
    # PAV blocks: {0}: 0, {1, 2}: 1/2, {3}: 1. Prior odds 1, so the middle block
    # has LLR 0 (1 bit per trial) and the ends cost 0: Cllr = (1/2 + 1/2)/2 = 0.5.
    y, s = _labelled([1.0, 3.0], [2.0, 0.0])
    assert_allclose(min_cllr(y, s), 0.5)


# ---------------------------------------------------------------- Bayes error


def _brute_bayes(tar, non, eta):
    p = 1 / (1 + math.exp(-eta))
    norm = min(p, 1 - p)
    miss, fa = _rates(tar, non, -eta)
    actual = (p * miss + (1 - p) * fa) / norm
    minimum = math.inf
    for t in _candidates(tar, non):
        miss, fa = _rates(tar, non, t)
        minimum = min(minimum, (p * miss + (1 - p) * fa) / norm)
    return actual, minimum


@pytest.mark.parametrize("seed", range(4))
def test_bayes_error_rates_match_brute_force(seed):
    tar, non = _tie_heavy(seed, decimals=1)
    y, s = _labelled(tar, non)
    etas = np.array([-6.0, -2.5, -1.05, -0.3, 0.0, 0.3, 1.05, 2.5, 6.0])
    actual, minimum = bayes_error_rates(y, s, etas)
    assert actual.shape == minimum.shape == etas.shape
    for k, eta in enumerate(etas):
        ref_act, ref_min = _brute_bayes(tar, non, eta)
        assert_allclose(actual[k], ref_act, rtol=1e-10)
        assert_allclose(minimum[k], ref_min, rtol=1e-10)
        # The same numbers through the DCF functions with unit costs (skipped for
        # the actual rate when a score sits exactly on the threshold, where
        # -log((1 - p_spoof) / p_spoof) may differ from -eta in the last bit).
        p_spoof = 1 - 1 / (1 + math.exp(-eta))
        unit = {"p_spoof": p_spoof, "c_miss": 1.0, "c_fa": 1.0}
        if -eta not in s:
            assert_allclose(actual[k], act_dcf(y, s, **unit), rtol=1e-10)
        assert_allclose(minimum[k], min_dcf(y, s, **unit), rtol=1e-10)
    assert np.all(minimum <= actual + 1e-12)


def test_bayes_error_rates_hand_case():
    # Bona fide [2, -1], spoof [-3, 0.5]. At eta = 0 the threshold is 0:
    # miss 1/2 (-1 < 0), fa 1/2 (0.5 >= 0); normalised (0.5*1/2 + 0.5*1/2)/0.5 = 1,
    # i.e. Pmiss + Pfa, twice the unnormalised (Pmiss + Pfa)/2 = 0.5.
    # Best threshold (reject below 0.5 < t <= 2, or -3 < t <= -1): 0.5.
    y, s = _labelled([2.0, -1.0], [-3.0, 0.5])
    actual, minimum = bayes_error_rates(y, s, 0.0)
    assert actual.tolist() == [1.0]
    assert minimum.tolist() == [0.5]


# --------------------------------------------------------------------- errors

Y = ["bonafide", "spoof", "bonafide", "spoof"]
S = [1.0, 0.0, 2.0, 0.5]


@pytest.mark.parametrize(
    "func", [min_dcf, act_dcf, cllr, min_cllr, lambda y, s: bayes_error_rates(y, s, 0)]
)
@pytest.mark.parametrize(
    "y, s, match",
    [
        (Y, [1.0, np.nan, 2.0, 0.5], "NaN or infinite"),
        (Y, [1.0, np.inf, 2.0, 0.5], "NaN or infinite"),
        (Y, [1.0, 0.0, 2.0], "4 labels but .* has 3 values"),
        (["spoof"] * 4, S, r"single class \['spoof'\]"),
        (["bonafide"] * 4, S, r"single class \['bonafide'\]"),
        (["a", "b", "a", "b"], S, "pos_label='bonafide' is not among"),
    ],
)
def test_input_errors(func, y, s, match):
    with pytest.raises(ValueError, match=match):
        func(y, s)


@pytest.mark.parametrize("func", [min_dcf, act_dcf])
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"p_spoof": 0.0}, "p_spoof must be a probability strictly between 0 and 1"),
        ({"p_spoof": 1.0}, "p_spoof must be a probability strictly between"),
        ({"p_spoof": 5.0}, r"not a percentage"),
        ({"p_spoof": -0.1}, "p_spoof"),
        ({"c_miss": -1.0}, "c_miss must be a finite positive cost"),
        ({"c_fa": -10.0}, "c_fa must be a finite positive cost"),
        ({"c_fa": 0.0}, "c_fa must be a finite positive cost"),
    ],
)
def test_cost_model_errors(func, kwargs, match):
    with pytest.raises(ValueError, match=match):
        func(Y, S, **kwargs)


def test_bayes_error_rates_bad_priors():
    with pytest.raises(ValueError, match="prior_log_odds contains 1 NaN"):
        bayes_error_rates(Y, S, [0.0, np.nan])
