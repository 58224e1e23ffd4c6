"""Tests for sklearn_ssastcl.metrics against hand-worked cases and brute force."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ssastcl.metrics import (
    compute_det_curve,
    compute_eer,
    eer_and_threshold,
    eer_by_attack,
    eer_by_group,
    eer_score,
    eer_scorer,
    eer_threshold,
    make_eer_scorer,
    min_tdcf,
)
from tests._tiny import brute_force_eer

P_SPOOF, P_TAR, P_NON = 0.05, 0.95 * 0.99, 0.95 * 0.01


def _random_scores(rng, n_bona=37, n_spoof=53, shift=1.0):
    bona = rng.normal(shift, 1.0, n_bona)
    spoof = rng.normal(0.0, 1.0, n_spoof)
    y = np.array(["bonafide"] * n_bona + ["spoof"] * n_spoof)
    s = np.concatenate([bona, spoof])
    perm = rng.permutation(y.size)
    return y[perm], s[perm]


# ------------------------------------------------------------------ DET and EER


def test_det_curve_hand_worked_with_ties():
    # tar = [1, 2, 2], non = [0, 2, 3]. Stable ascending sort of the concatenation
    # [1, 2, 2, 0, 2, 3] (tar first) gives 0n 1t 2t 2t 2n 3n: the tied bona fide
    # 2s come before the tied spoof 2.
    # cumulative targets: 0 1 2 3 3 3 ; spoofs still above: 2 2 2 2 1 0
    frr, far, thr = compute_det_curve([1, 2, 2], [0, 2, 3])
    assert_allclose(frr, [0, 0, 1 / 3, 2 / 3, 1, 1, 1])
    assert_allclose(far, [1, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 1 / 3, 0])
    assert_allclose(thr, [-0.001, 0, 1, 2, 2, 2, 3])
    # |frr - far| = 1, 2/3, 1/3, 0, 1/3, 2/3, 1 -> index 3: EER 2/3 at threshold 2.
    eer, t = compute_eer([1, 2, 2], [0, 2, 3])
    assert_allclose(eer, 2 / 3)
    assert t == 2.0
    y = ["bonafide", "bonafide", "bonafide", "spoof", "spoof", "spoof"]
    s = [1, 2, 2, 0, 2, 3]
    assert_allclose(eer_score(y, s), 2 / 3)
    assert eer_threshold(y, s) == 2.0
    # Grouping ties (as roc_curve does) would give 1/2 here (threshold 1: FRR 1/3,
    # FAR 2/3): the official algorithm differs on ties on purpose.


def test_first_minimiser_is_used():
    # bona [0.9, 0.8], spoof [0.85]: sorted 0.8t 0.85n 0.9t;
    # frr = 0, .5, .5, 1 ; far = 1, 1, 0, 0 ; |diff| = 1, .5, .5, 1 -> first (index 1)
    # gives (0.5 + 1) / 2 = 0.75, not 0.5.
    assert_allclose(compute_eer([0.9, 0.8], [0.85]), (0.75, 0.8))


def test_perfect_and_inverted():
    y = np.array(["bonafide"] * 4 + ["spoof"] * 5)
    s = np.array([5, 6, 7, 8, 0, 1, 2, 3, 4], dtype=float)
    assert eer_score(y, s) == 0.0
    assert eer_score(y, -s) == 1.0


def test_matches_brute_force_on_random_data():
    rng = np.random.default_rng(0)
    for trial in range(5):
        y, s = _random_scores(rng, shift=0.5 * trial)
        tar, non = s[y == "bonafide"], s[y == "spoof"]
        assert_allclose(eer_score(y, s), brute_force_eer(tar, non))


def test_invariant_to_monotonic_rescaling():
    rng = np.random.default_rng(1)
    y, s = _random_scores(rng)
    ref = eer_score(y, s)
    assert_allclose(eer_score(y, 3.0 * s + 7.0), ref)
    assert_allclose(eer_score(y, np.exp(s)), ref)
    assert_allclose(eer_score(y, 1 / (1 + np.exp(-s))), ref)


def test_string_and_integer_labels_agree():
    rng = np.random.default_rng(2)
    y, s = _random_scores(rng)
    y_int = (y == "bonafide").astype(int)
    ref = eer_score(y, s)
    assert_allclose(eer_score(y_int, s, pos_label=1), ref)
    # Bona fide coded as 0 works too when named.
    assert_allclose(eer_score(1 - y_int, s, pos_label=0), ref)
    assert_allclose(eer_score(list(y), list(s)), ref)
    assert eer_and_threshold(y_int, s, pos_label=1) == eer_and_threshold(y, s)


@pytest.mark.parametrize(
    "y, scores, kwargs, match",
    [
        (["spoof", "bonafide"], [0.1, 0.2, 0.3], {}, "2 labels but scores has 3"),
        (["spoof", "spoof"], [0.1, 0.2], {}, r"single class \['spoof'\]"),
        ([0, 1, 0], [0.1, 0.2, 0.3], {}, r"pos_label='bonafide' is not .* \[0, 1\]"),
        (["a", "b"], [0.1, 0.2], {"pos_label": 1}, r"found in y_true: \['a', 'b'\]"),
        (["bonafide", "A01", "A02"], [1, 2, 3], {}, "holds 3 labels"),
        (["bonafide", "spoof"], [np.nan, 0.2], {}, "1 NaN or infinite"),
        (["bonafide", "spoof"], [1.0, np.inf], {}, r"positions \[1\]"),
        (["bonafide", "spoof"], [[1.0, 2.0], [3, 4]], {}, r"1-D .* shape \(2, 2\)"),
        (["bonafide", "spoof"], ["x", "y"], {}, "must hold real numbers"),
    ],
)
def test_eer_errors(y, scores, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        eer_score(y, scores, **kwargs)


def test_param_validation():
    with pytest.raises(InvalidParameterError, match="pos_label"):
        eer_score(["bonafide", "spoof"], [1, 0], pos_label=None)
    with pytest.raises(ValueError, match="non-empty"):
        compute_det_curve([], [1.0])
    with pytest.raises(InvalidParameterError, match="version"):
        min_tdcf([1, 2], [0, 3], asv_error_rates=(0, 0, 0), version="2020")


def test_metrics_import_does_not_import_matplotlib():
    code = "import sys, sklearn_ssastcl.metrics; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


# ------------------------------------------------------------------------ t-DCF

BONA = [1.0, 3.0, 5.0]
SPOOF = [0.0, 2.0, 4.0]
# Sorted 0s 1b 2s 3b 4s 5b: Pmiss_cm and Pfa_cm at the 7 operating points.
PMISS_CM = np.array([0, 0, 1, 1, 2, 2, 3]) / 3
PFA_CM = np.array([3, 2, 2, 1, 1, 0, 0]) / 3


def test_min_tdcf_2021_hand_computed():
    pfa, pmiss, pmiss_spoof, pfa_spoof = 0.1, 0.2, 0.3, 0.7
    c0 = P_TAR * 1 * pmiss + P_NON * 10 * pfa  # 0.1976
    c1 = P_TAR * 1 - c0  # 0.7429
    c2 = P_SPOOF * 10 * pfa_spoof  # 0.35
    curve = (c0 + c1 * PMISS_CM + c2 * PFA_CM) / (c0 + min(c1, c2))
    # by hand: best point is the second one, (0.1976 + 0.35 * 2/3) / 0.5476
    assert_allclose(curve.min(), (0.1976 + 0.35 * 2 / 3) / 0.5476)
    rates = (pfa, pmiss, pmiss_spoof, pfa_spoof)
    got, got_curve, thr = min_tdcf(
        BONA, SPOOF, asv_error_rates=rates, return_curve=True
    )
    assert_allclose(got, curve.min())
    assert_allclose(got_curve, curve)
    assert_allclose(thr, [-0.001, 0, 1, 2, 3, 4, 5])
    # Pfa_spoof_asv defaults to 1 - Pmiss_spoof_asv; dicts work too.
    assert_allclose(min_tdcf(BONA, SPOOF, asv_error_rates=rates[:3]), got)
    named = {"Pfa_asv": pfa, "Pmiss_asv": pmiss, "Pmiss_spoof_asv": pmiss_spoof}
    assert_allclose(min_tdcf(BONA, SPOOF, asv_error_rates=named), got)


def test_min_tdcf_2019_hand_computed():
    pfa, pmiss, pmiss_spoof = 0.1, 0.2, 0.3
    c1 = P_TAR * (1 - 1 * pmiss) - P_NON * 10 * pfa  # 0.7429
    c2 = 10 * P_SPOOF * (1 - pmiss_spoof)  # 0.35
    curve = (c1 * PMISS_CM + c2 * PFA_CM) / min(c1, c2)
    assert_allclose(curve.min(), 2 / 3)  # (0.35 * 2/3) / 0.35
    got = min_tdcf(
        BONA, SPOOF, asv_error_rates=(pfa, pmiss, pmiss_spoof), version="2019"
    )
    assert_allclose(got, curve.min())


def test_min_tdcf_from_asv_scores():
    # ASV target [3, 4, 5, 6] vs nontarget [0, 1, 2, 3.5]: sorted 0n 1n 2n 3t 3.5n ...
    # frr = 0 0 0 0 .25 .25 .5 .75 1, far = 1 .75 .5 .25 .25 0 0 0 0 -> EER threshold 3.
    # Pfa_asv = mean(non >= 3) = 1/4, Pmiss_asv = mean(tar < 3) = 0,
    # spoof [1, 3, 4, 2.9, 5]: Pmiss_spoof_asv = 2/5, Pfa_spoof_asv = 3/5.
    tar, non, spoof = [3, 4, 5, 6], [0, 1, 2, 3.5], [1, 3, 4, 2.9, 5]
    asv_scores = np.array(tar + non + spoof, dtype=float)
    asv_labels = ["target"] * 4 + ["nontarget"] * 4 + ["spoof"] * 5
    assert compute_eer(tar, non)[1] == 3.0
    for version in ("2019", "2021"):
        by_rates = min_tdcf(
            BONA, SPOOF, asv_error_rates=(0.25, 0.0, 0.4, 0.6), version=version
        )
        by_scores = min_tdcf(
            BONA, SPOOF, asv_scores=asv_scores, asv_labels=asv_labels, version=version
        )
        assert_allclose(by_scores, by_rates)


def test_min_tdcf_sanity_flip():
    rng = np.random.default_rng(3)
    bona, spoof = rng.normal(2, 1, 50), rng.normal(0, 1, 80)
    rates = (0.05, 0.05, 0.2)
    good = min_tdcf(bona, spoof, asv_error_rates=rates)
    assert good < min_tdcf(-bona, -spoof, asv_error_rates=rates)
    assert 0 < good <= 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "got neither"),
        (
            {"asv_error_rates": (0, 0, 0), "asv_scores": [1], "asv_labels": ["target"]},
            "got both",
        ),
        ({"asv_scores": [1.0, 2.0]}, "go together; got only asv_scores"),
        ({"asv_error_rates": (0.1, 0.2)}, "got 2 values"),
        ({"asv_error_rates": (0.1, 0.2, 30)}, r"'Pmiss_spoof_asv'\] .* got 30"),
        ({"asv_error_rates": {"Pfa_asv": 0.1}}, "missing"),
        (
            {"asv_scores": [1, 2, 3], "asv_labels": ["target", "nontarget", "bad"]},
            r"found \['bad'\]",
        ),
        (
            {"asv_scores": [1, 2], "asv_labels": ["target", "nontarget"]},
            r"no \['spoof'\] trials",
        ),
        (
            {"asv_error_rates": (0.1, 0.2, 1.0), "version": "2019"},
            "normaliser is 0",
        ),
        ({"asv_error_rates": (1.0, 1.0, 0.3), "version": "2019"}, "negative"),
    ],
)
def test_min_tdcf_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        min_tdcf(BONA, SPOOF, **kwargs)


def test_min_tdcf_needs_soft_scores():
    with pytest.raises(ValueError, match="fewer than 3 distinct"):
        min_tdcf([1, 1, 1], [0, 0], asv_error_rates=(0.1, 0.1, 0.1))
    with pytest.raises(ValueError, match="NaN"):
        min_tdcf([1, np.nan, 2], [0, 0], asv_error_rates=(0.1, 0.1, 0.1))


# ------------------------------------------------------------------- breakdowns


def test_eer_by_attack_matches_subsets():
    rng = np.random.default_rng(4)
    n = 120
    attacks = np.array(["-"] * 40 + ["A01"] * 30 + ["A02"] * 30 + ["A03"] * 20)
    y = np.where(attacks == "-", "bonafide", "spoof")
    shift = {"-": 2.0, "A01": 0.0, "A02": 1.5, "A03": -1.0}
    s = np.array([shift[a] for a in attacks]) + rng.normal(size=n)
    df = eer_by_attack(y, s, attacks)
    assert list(df.index) == ["A01", "A02", "A03", "pooled"]
    assert df.index.name == "attack"
    for a in ("A01", "A02", "A03"):
        keep = (attacks == "-") | (attacks == a)
        assert_allclose(df.loc[a, "eer"], eer_score(y[keep], s[keep]))
        assert df.loc[a, "n_bonafide"] == 40
        assert df.loc[a, "n_spoof"] == (attacks == a).sum()
    assert_allclose(df.loc["pooled", "eer"], eer_score(y, s))
    assert df.loc["pooled", ["n_bonafide", "n_spoof"]].tolist() == [40, 80]
    # Integer labels give the same table.
    df_int = eer_by_attack((y == "bonafide").astype(int), s, attacks, pos_label=1)
    assert_allclose(df_int["eer"].to_numpy(), df["eer"].to_numpy())


def test_eer_by_group_matches_subsets():
    rng = np.random.default_rng(5)
    y, s = _random_scores(rng, n_bona=30, n_spoof=30)
    codec = np.array(["none", "gsm", "alaw"] * 20)
    df = eer_by_group(y, s, codec)
    assert list(df.index) == ["alaw", "gsm", "none", "pooled"]
    for c in ("alaw", "gsm", "none"):
        keep = codec == c
        assert_allclose(df.loc[c, "eer"], eer_score(y[keep], s[keep]))
        assert df.loc[c, "n_bonafide"] == (keep & (y == "bonafide")).sum()
    assert_allclose(df.loc["pooled", "eer"], eer_score(y, s))


def test_breakdown_errors():
    y = ["bonafide", "spoof", "spoof"]
    with pytest.raises(ValueError, match=r"1 spoof trial\(s\) carry .* '-'"):
        eer_by_attack(y, [1, 0, 0.5], ["-", "A01", "-"])
    with pytest.raises(ValueError, match=r"shape \(2,\) for 3 labels"):
        eer_by_attack(y, [1, 0, 0.5], ["-", "A01"])
    with pytest.raises(ValueError, match=r"Group\(s\) \['b'\] lack"):
        eer_by_group(y, [1, 0, 0.5], ["a", "a", "b"])
    with pytest.raises(ValueError, match="pos_label='bonafide' is not"):
        eer_by_group([0, 1, 1], [1, 0, 0.5], ["a", "a", "a"])


# ----------------------------------------------------------------------- scorer


def _toy(labels, seed=0, n=80):
    rng = np.random.default_rng(seed)
    is_bona = np.arange(n) % 2 == 0
    X = rng.normal(size=(n, 3)) + np.where(is_bona, 1.0, -1.0)[:, None]
    y = np.where(is_bona, labels[0], labels[1])
    return X, y, is_bona


@pytest.mark.parametrize(
    "labels, pos_label",
    [
        (("bonafide", "spoof"), "bonafide"),  # bona fide is classes_[0]
        (("bonafide", "attack"), "bonafide"),  # bona fide is classes_[1]
        ((1, 0), 1),  # integer labels, bona fide = classes_[1]
    ],
)
def test_scorer_matches_manual_eer(labels, pos_label):
    X, y, is_bona = _toy(labels)
    clf = LogisticRegression().fit(X, y)
    # Independent: the bona fide probability is a correctly oriented score.
    col = list(clf.classes_).index(pos_label)
    ref = 1 - eer_score(y, clf.predict_proba(X)[:, col], pos_label=pos_label)
    assert_allclose(eer_scorer(clf, X, y), ref)
    assert_allclose(make_eer_scorer(pos_label=pos_label)(clf, X, y), ref)
    # A scorer with the wrong orientation would give 1 - ref.
    assert eer_scorer(clf, X, y) > 0.7


def test_scorer_without_decision_function_uses_proba():
    from sklearn.naive_bayes import GaussianNB

    X, y, _ = _toy(("bonafide", "spoof"))
    clf = GaussianNB().fit(X, y)
    assert not hasattr(clf, "decision_function")
    ref = 1 - eer_score(y, clf.predict_proba(X)[:, 0])
    assert_allclose(eer_scorer(clf, X, y), ref)


class _BonaFideFirst(ClassifierMixin, BaseEstimator):
    """Follows this library's convention: exposes ``pos_label`` and a 1-D
    decision_function where higher = more bona fide, whatever classes_ order."""

    def __init__(self, pos_label="bonafide"):
        self.pos_label = pos_label

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def decision_function(self, X):
        return np.asarray(X)[:, 0]


def test_scorer_uses_estimator_pos_label():
    X, y, is_bona = _toy(("genuine", "fake"))
    clf = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="Cannot tell which class is bona fide"):
        eer_scorer(clf, X, y)
    ref = 1 - eer_score(y, clf.predict_proba(X)[:, 1], pos_label="genuine")
    assert_allclose(make_eer_scorer(pos_label="genuine")(clf, X, y), ref)
    # Library convention: bona fide is classes_[0] here, yet no sign flip.
    X, y, _ = _toy(("bonafide", "spoof"))
    stub = _BonaFideFirst().fit(X, y)
    assert list(stub.classes_).index("bonafide") == 0
    ref = 1 - eer_score(y, X[:, 0])
    assert ref > 0.7
    assert_allclose(eer_scorer(stub, X, y), ref)
    assert_allclose(make_eer_scorer(pos_label="bonafide")(stub, X, y), ref)
    # Asking for the other class as bona fide flips the scores.
    spoof_ref = 1 - eer_score(y, -X[:, 0], pos_label="spoof")
    assert_allclose(make_eer_scorer(pos_label="spoof")(stub, X, y), spoof_ref)
    # pos_label is looked up on a Pipeline's last step too.
    X, y, _ = _toy(("real", "fake"))
    pipe = make_pipeline(StandardScaler(), _BonaFideFirst(pos_label="real")).fit(X, y)
    assert list(pipe.classes_) == ["fake", "real"]
    assert_allclose(eer_scorer(pipe, X, y), 1 - eer_score(y, X[:, 0], pos_label="real"))
    pipe.steps[-1][1].pos_label = "nope"
    with pytest.raises(ValueError, match=r"pos_label='nope' is not one of"):
        eer_scorer(pipe, X, y)


@pytest.mark.parametrize(
    "labels, scoring",
    [
        (("bonafide", "spoof"), eer_scorer),
        ((1, 0), eer_scorer),
        (("real", "fake"), make_eer_scorer(pos_label="real")),
    ],
)
def test_scorer_in_search_and_cross_val(labels, scoring):
    X, y, is_bona = _toy(labels, seed=1)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(LogisticRegression(), X, y, scoring=scoring, cv=cv)
    folds = list(cv.split(X, y))

    def by_hand(make):  # 1 - EER per fold, by brute force on oriented scores
        out = []
        for train, test in folds:
            clf = make().fit(X[train], y[train])
            s = clf.decision_function(X[test])
            s = s if clf.classes_[1] == y[is_bona][0] else -s  # higher = bona fide
            b = is_bona[test]
            out.append(1 - brute_force_eer(s[b], s[~b]))
        return np.array(out)

    assert_allclose(scores, by_hand(LogisticRegression))
    assert np.all(scores > 0.7)
    Cs = [1e-4, 1.0]
    search = GridSearchCV(
        LinearSVC(), {"C": Cs}, scoring=scoring, cv=cv, error_score="raise"
    ).fit(X, y)
    means = [by_hand(lambda C=C: LinearSVC(C=C)).mean() for C in Cs]
    assert_allclose(search.cv_results_["mean_test_score"], means)
    assert search.best_params_ == {"C": Cs[int(np.argmax(means))]}
    assert_allclose(search.best_score_, max(means))


def test_scorer_pickles_and_repr():
    assert repr(eer_scorer) == "eer_scorer"
    s = make_eer_scorer(pos_label=1)
    assert repr(s) == "make_eer_scorer(pos_label=1)"
    assert pickle.loads(pickle.dumps(s)).pos_label == 1


def test_scorer_rejects_sample_weight():
    X, y, _ = _toy(("bonafide", "spoof"))
    clf = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        eer_scorer(clf, X, y, sample_weight=np.ones(len(y)))
