"""a-DCF and t-EER against plain re-computations of the ASVspoof 5 definitions."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_ssastcl.metrics import a_dcf, t_eer

P_TAR, P_NON, P_SPF = 0.95 * 0.99, 0.95 * 0.01, 0.05


def _brute_a_dcf(tar, non, spf, p=(P_TAR, P_NON, P_SPF), c=(1.0, 10.0, 10.0)):
    """Minimum normalised a-DCF over every real threshold (accept if >= t)."""
    best = math.inf
    for t in sorted(set(tar) | set(non) | set(spf)) + [math.inf]:
        p_miss = sum(1 for s in tar if s < t) / len(tar)
        p_fa_non = sum(1 for s in non if s >= t) / len(non)
        p_fa_spf = sum(1 for s in spf if s >= t) / len(spf)
        cost = c[0] * p[0] * p_miss + c[1] * p[1] * p_fa_non + c[2] * p[2] * p_fa_spf
        best = min(best, cost)
    return best / min(c[1] * p[1] + c[2] * p[2], c[0] * p[0])


def _sasv_data(seed, n=(30, 20, 25), decimals=None):
    rng = np.random.default_rng(seed)
    tar = rng.normal(2.0, 1.0, n[0])
    non = rng.normal(-1.0, 1.0, n[1])
    spf = rng.normal(0.5, 1.5, n[2])
    if decimals is not None:
        tar, non, spf = (np.round(a, decimals) for a in (tar, non, spf))
    labels = ["target"] * n[0] + ["nontarget"] * n[1] + ["spoof"] * n[2]
    perm = rng.permutation(sum(n))
    scores = np.concatenate([tar, non, spf])[perm]
    return tar.tolist(), non.tolist(), spf.tolist(), scores, np.array(labels)[perm]


# ---------------------------------------------------------------------- a-DCF


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "model",
    [
        {},
        # the a-DCF paper's own defaults
        {"p_target": 0.9, "p_nontarget": 0.05, "p_spoof": 0.05, "c_fa_cm": 20.0},
        {"p_target": 0.5, "p_nontarget": 0.25, "p_spoof": 0.25, "c_fa_asv": 1.0},
    ],
)
def test_a_dcf_matches_brute_force(seed, model):
    tar, non, spf, s, lab = _sasv_data(seed, decimals=seed % 3)
    p = (
        model.get("p_target", P_TAR),
        model.get("p_nontarget", P_NON),
        model.get("p_spoof", P_SPF),
    )
    c = (1.0, model.get("c_fa_asv", 10.0), model.get("c_fa_cm", 10.0))
    value, thr = a_dcf(s, lab, return_threshold=True, **model)
    assert_allclose(value, _brute_a_dcf(tar, non, spf, p, c), rtol=1e-12)
    # Accepting the scores above the returned threshold achieves the minimum.
    cost = (
        c[0] * p[0] * np.mean(np.array(tar) <= thr)
        + c[1] * p[1] * np.mean(np.array(non) > thr)
        + c[2] * p[2] * np.mean(np.array(spf) > thr)
    )
    assert_allclose(cost / min(c[1] * p[1] + c[2] * p[2], c[0] * p[0]), value)


def test_a_dcf_hand_cases():
    # target [3, 1], nontarget [2], spoof [0]; ASVspoof 5 costs. Weights: miss
    # 0.9405, nontarget fa 0.095, spoof fa 0.5; normaliser min(0.595, 0.9405).
    # Accept all: 0.595 -> 1. Reject {0}: 0.095 -> 0.15966. Reject {0, 1}:
    # 0.47025 + 0.095 -> 0.94958. Reject {0, 1, 2}: 0.47025 -> 0.79034.
    lab = ["target", "target", "nontarget", "spoof"]
    value, thr = a_dcf([3.0, 1.0, 2.0, 0.0], lab, return_threshold=True)
    assert_allclose(value, 0.095 / 0.595)
    assert thr == 0.0
    # Perfect: targets above everything else.
    assert a_dcf([5.0, 4.0, 1.0, 0.0], lab) == 0.0
    # All scores tied: only accept-all (1) and reject-all (0.9405 / 0.595).
    assert a_dcf([1.0, 1.0, 1.0, 1.0], lab) == 1.0
    # Ties across classes are never split: target [1, 2], nontarget [0], spoof
    # [1, 0.5]. Reject {0}: 0.5 -> 0.8403; reject {0, 0.5}: 0.25 -> 0.42017;
    # reject up to the tie at 1: 0.47025 -> 0.7903. Minimum 0.25 / 0.595. (Splitting
    # the tie to reject only the spoof 1 would give 0, which no threshold can do.)
    lab = ["target", "target", "nontarget", "spoof", "spoof"]
    s = [1.0, 2.0, 0.0, 1.0, 0.5]
    assert_allclose(a_dcf(s, lab), 0.25 / 0.595)
    assert_allclose(a_dcf(s, lab), _brute_a_dcf([1.0, 2.0], [0.0], [1.0, 0.5]))


# ---------------------------------------------------------------------- t-EER


def _loop_t_eer(cm, asv, labels):
    """The concurrent t-EER of the ASVspoof 5 package, re-written with loops.

    For tie-free scores the package's sorted-score sweep is "reject when score
    <= t" for t in (lowest score - 1, every score), counted here directly.
    """
    cm, asv, labels = list(cm), list(asv), list(labels)
    idx = {k: [i for i, v in enumerate(labels) if v == k] for k in labels}
    tar, non, spf = idx["target"], idx["nontarget"], idx["spoof"]
    bona = tar + non

    def frac_above(ids, scores, t):
        return sum(1 for i in ids if scores[i] > t) / len(ids)

    asv_thr = [min(asv) - 1] + sorted(asv)
    cm_thr = [min(cm) - 1] + sorted(cm)
    cm_rates = [(1 - frac_above(bona, cm, t), frac_above(spf, cm, t)) for t in cm_thr]
    best_crit, best = math.inf, None
    for ta in asv_thr:
        pmiss_a = 1 - frac_above(tar, asv, ta)
        pfa_non_a = frac_above(non, asv, ta)
        pfa_spf_a = frac_above(spf, asv, ta)
        # CM threshold with the closest tandem miss and false-alarm rates (rho=1/2).
        gaps = [
            abs(
                (pm + (1 - pm) * pmiss_a)
                - (0.5 * (1 - pm) * pfa_non_a + 0.5 * pf * pfa_spf_a)
            )
            for pm, pf in cm_rates
        ]
        k = gaps.index(min(gaps))
        if not pmiss_a < 0.5 * pfa_non_a + 0.5 * pfa_spf_a:
            continue
        pm, pf = cm_rates[k]
        if pfa_spf_a == 0 or pm == 1:
            continue
        crit = abs(pfa_non_a / pfa_spf_a - pf / (1 - pm))
        if crit < best_crit:
            best_crit, best = crit, (pfa_spf_a * pf, ta, cm_thr[k])
    return best


def _tandem_data(seed, n=(25, 20, 22)):
    rng = np.random.default_rng(seed)
    labels = np.array(["target"] * n[0] + ["nontarget"] * n[1] + ["spoof"] * n[2])
    asv = np.concatenate(
        [rng.normal(2, 1, n[0]), rng.normal(-1, 1, n[1]), rng.normal(1, 1.5, n[2])]
    )
    cm = np.concatenate([rng.normal(1.5, 1, n[0] + n[1]), rng.normal(-0.5, 1, n[2])])
    perm = rng.permutation(labels.size)
    return cm[perm], asv[perm], labels[perm]


@pytest.mark.parametrize("seed", range(8))
def test_t_eer_matches_loop_reimplementation(seed):
    cm, asv, labels = _tandem_data(seed)
    ref = _loop_t_eer(cm, asv, labels)
    value, thr_asv, thr_cm = t_eer(cm, asv, labels, return_thresholds=True)
    assert_allclose(value, ref[0], rtol=1e-12)
    assert (thr_asv, thr_cm) == (ref[1], ref[2])
    assert 0.0 <= value <= 1.0
    # The t-EER is the tandem spoof false-alarm rate at the returned thresholds.
    spf = labels == "spoof"
    assert_allclose(value, np.mean(asv[spf] > thr_asv) * np.mean(cm[spf] > thr_cm))


@pytest.mark.parametrize("seed", range(3))
def test_t_eer_depends_only_on_score_order(seed):
    cm, asv, labels = _tandem_data(seed)
    ref = t_eer(cm, asv, labels)
    assert_allclose(t_eer(np.exp(cm / 4), 3 * asv + 1, labels), ref)
    assert_allclose(t_eer(list(cm), list(asv), list(labels)), ref)


def test_t_eer_hand_cases():
    labels = ["target", "target", "nontarget", "nontarget", "spoof", "spoof"]
    # The ASV accepts both spoofs (1.8, 2.5 above the nontargets), the CM rejects
    # them (1.0, 0.2 below every bona fide CM score): at ASV threshold 1.0 and CM
    # threshold 1.0 the tandem system makes no error, so the t-EER is 0.
    cm = [3.0, 2.0, 2.5, 1.5, 1.0, 0.2]
    asv = [2.0, 1.5, 0.0, 1.0, 1.8, 2.5]
    assert t_eer(cm, asv, labels, return_thresholds=True) == (0.0, 1.0, 1.0)
    # A useless CM (spoofs score like bona fide) cannot help.
    cm = [3.0, 1.0, 2.0, 0.5, 2.9, 0.9]
    assert t_eer(cm, asv, labels) > 0


# --------------------------------------------------------------------- errors

LAB = ["target", "nontarget", "spoof", "target"]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: a_dcf([1, 2, 3], LAB), "labels has 4 entries but sasv_scores has 3"),
        (lambda: a_dcf([1, np.nan, 3, 4], LAB), "sasv_scores contains 1 NaN"),
        (lambda: a_dcf([1, np.inf, 3, 4], LAB), "NaN or infinite"),
        (lambda: a_dcf([1, 2, 3], LAB[:2] + ["target"]), r"no \['spoof'\] trials"),
        (lambda: a_dcf([1, 2, 3, 4], LAB[:3] + ["bonafide"]), r"found \['bonafide'\]"),
        (lambda: a_dcf([1, 2, 3, 4], LAB, p_target=0.5), "must be 1"),
        (lambda: a_dcf([1, 2, 3, 4], LAB, p_spoof=1.5), r"in \[0, 1\]"),
        (lambda: a_dcf([1, 2, 3, 4], LAB, c_fa_cm=-1.0), "c_fa_cm must be a finite"),
        (lambda: a_dcf([1, 2, 3, 4], LAB, c_miss=-1.0), "c_miss must be a finite"),
        (lambda: t_eer([1, 2, 3], [1, 2, 3, 4], LAB), "cm_scores has 3"),
        (lambda: t_eer([1, 2, 3, 4], [1, np.nan, 3, 4], LAB), "asv_scores contains"),
        (
            lambda: t_eer([1, 2, 3], [1, 2, 3], ["target", "spoof", "spoof"]),
            r"no \['nontarget'\] trials; t-EER needs",
        ),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
