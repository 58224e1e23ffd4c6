"""ScoreCalibrator and ScoreFusion against an independent weighted cross-entropy fit."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ssastcl.calibration import ScoreCalibrator
from sklearn_ssastcl.fusion import ScoreFusion


def _weighted_xent_fit(S, is_bona, prior):
    """Minimise the prior-weighted cross-entropy directly (no sklearn, no scaling).

    Returns (coef, llr_offset) with llr = S @ coef + offset, posterior =
    sigmoid(llr + logit(prior)).
    """
    lo = np.log(prior / (1 - prior))
    tar, non = S[is_bona], S[~is_bona]

    def cost(theta):
        w, b = theta[:-1], theta[-1]
        llr_t = tar @ w + b + lo
        llr_n = non @ w + b + lo
        return prior * np.mean(np.logaddexp(0, -llr_t)) + (1 - prior) * np.mean(
            np.logaddexp(0, llr_n)
        )

    res = minimize(cost, np.zeros(S.shape[1] + 1), method="BFGS", tol=1e-12)
    return res.x[:-1], res.x[-1]


def _gaussian_scores(n, seed, mu=3.0, sigma=2.0):
    rng = np.random.default_rng(seed)
    y = np.repeat(["bonafide", "spoof"], n)
    s = np.r_[rng.normal(mu, sigma, n), rng.normal(-mu, sigma, n)]
    return s, y


@pytest.mark.parametrize("prior", [0.5, 0.2, 0.9])
@pytest.mark.parametrize("seed", [0, 1])
def test_calibrator_equals_direct_weighted_xent(prior, seed):
    rng = np.random.default_rng(seed)
    y = np.array(["bonafide"] * 70 + ["spoof"] * 130)
    s = np.r_[rng.normal(1.0, 1.5, 70), rng.normal(-0.5, 1.0, 130)] * 7 + 3
    cal = ScoreCalibrator(prior=prior, C=1e12).fit(s, y)
    coef, offset = _weighted_xent_fit(s[:, None], y == "bonafide", prior)
    assert_allclose(cal.coef_, coef, rtol=1e-4)
    assert_allclose(cal.intercept_, offset, atol=1e-4)
    assert_allclose(cal.decision_function(s), s * coef[0] + offset, atol=1e-3)


def test_calibrator_recovers_true_llr_of_gaussians():
    # N(3, 2^2) vs N(-3, 2^2): log-likelihood ratio = 1.5 * s exactly.
    s, y = _gaussian_scores(20000, seed=3)
    cal = ScoreCalibrator().fit(s, y)
    assert_allclose(cal.coef_[0], 1.5, atol=0.03)
    assert_allclose(cal.intercept_, 0.0, atol=0.03)


def test_calibrator_is_monotone_and_keeps_ranking():
    s, y = _gaussian_scores(300, seed=4)
    llr = ScoreCalibrator().fit(s * 0.1 - 5, y).decision_function(s * 0.1 - 5)
    assert np.array_equal(np.argsort(llr, kind="stable"), np.argsort(s, kind="stable"))


def test_calibrator_lowers_cllr_of_shifted_scores():
    # Scores shifted by 4 are badly calibrated; after calibration the Cllr
    # (written here independently, in bits) is near that of the true LLRs.
    s, y = _gaussian_scores(5000, seed=5)
    is_bona = y == "bonafide"

    def cllr_bits(llr):
        return (
            np.mean(np.logaddexp(0, -llr[is_bona]))
            + np.mean(np.logaddexp(0, llr[~is_bona]))
        ) / (2 * np.log(2))

    raw = 1.5 * s + 4
    cal = ScoreCalibrator().fit(raw, y)
    assert cllr_bits(raw) > cllr_bits(1.5 * s) + 0.1
    assert cllr_bits(cal.decision_function(raw)) == pytest.approx(
        cllr_bits(1.5 * s), abs=0.01
    )
    assert cal.score(raw, y) == pytest.approx(-cllr_bits(cal.decision_function(raw)))


def test_predict_and_proba_use_the_prior():
    s, y = _gaussian_scores(200, seed=6)
    cal = ScoreCalibrator(prior=0.2).fit(s, y)
    llr = cal.decision_function(s)
    expected = 1 / (1 + np.exp(-(llr + np.log(0.2 / 0.8))))
    proba = cal.predict_proba(s)
    assert list(cal.classes_) == ["bonafide", "spoof"]
    assert_allclose(proba[:, 0], expected)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(
        cal.predict(s), np.where(expected >= 0.5, "bonafide", "spoof")
    )


def test_fusion_equals_direct_weighted_xent():
    rng = np.random.default_rng(7)
    truth = np.r_[np.ones(150), -np.ones(250)]
    y = np.where(truth > 0, "bonafide", "spoof")
    S = np.column_stack(
        [truth + rng.normal(0, 1, 400), 10 * truth + rng.normal(0, 20, 400) + 5]
    )
    fusion = ScoreFusion(C=1e12).fit(S, y)
    coef, offset = _weighted_xent_fit(S, y == "bonafide", 0.5)
    assert_allclose(fusion.coef_, coef, rtol=1e-3, atol=1e-5)
    assert_allclose(fusion.intercept_, offset, atol=1e-3)
    assert fusion.n_features_in_ == 2


def test_fusion_of_fitted_members_equals_fusion_of_their_columns():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(300, 4))
    y = np.where(X[:, 0] + X[:, 1] + rng.normal(0, 1, 300) > 0, "bonafide", "spoof")
    a = LogisticRegression().fit(X[:150, :2], y[:150])
    b = LogisticRegression().fit(X[:150, 2:], y[:150])

    class Cols(BaseEstimator):  # a fitted member scoring a slice of the columns
        def __init__(self, est=None, cols=None):
            self.est, self.cols = est, cols
            self.classes_ = est.classes_
            self.fitted_ = True

        def fit(self, X, y):
            return self

        def decision_function(self, X):
            return self.est.decision_function(X[:, self.cols])

    members = [("a", Cols(a, [0, 1])), ("b", Cols(b, [2, 3]))]
    fused = ScoreFusion(members).fit(X[150:], y[150:])
    # LogisticRegression is positive toward classes_[1] = "spoof": flip to bona fide.
    cols = -np.column_stack(
        [a.decision_function(X[150:, :2]), b.decision_function(X[150:, 2:])]
    )
    direct = ScoreFusion().fit(cols, y[150:])
    assert_allclose(fused.coef_, direct.coef_)
    assert_allclose(fused.decision_function(X[150:]), direct.decision_function(cols))
    assert fused.n_members_ == 2


def test_frozen_members_survive_clone_and_grid_search():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(200, 2))
    y = np.where(X[:, 0] > 0, "bonafide", "spoof")
    member = FrozenEstimator(LogisticRegression().fit(X[:100], y[:100]))
    cal = ScoreCalibrator(member)
    search = GridSearchCV(cal, {"C": [1.0, 100.0]}, cv=2).fit(X[100:], y[100:])
    assert search.best_estimator_.coef_[0] > 0
    refit = clone(ScoreCalibrator(member)).fit(X[100:], y[100:])
    # the clone keeps the fitted member: the calibration of its (bona fide
    # oriented) scores, fitted on those scores directly
    column = -member.decision_function(X)  # LogisticRegression favours "spoof"
    direct = ScoreCalibrator().fit(column[100:], y[100:])
    assert_allclose(
        refit.decision_function(X[:5]), direct.decision_function(column[:5])
    )


def test_unfitted_member_error_says_to_freeze():
    with pytest.raises(NotFittedError, match="FrozenEstimator"):
        ScoreFusion([("lr", LogisticRegression())]).fit(
            np.zeros((4, 2)), ["bonafide", "spoof"] * 2
        )


def test_dataframe_columns_must_keep_their_order():
    s, y = _gaussian_scores(50, seed=10)
    frame = pd.DataFrame({"ssastcl": s, "lfcc_gmm": -s + 0.1})
    fusion = ScoreFusion().fit(frame, y)
    assert list(fusion.feature_names_in_) == ["ssastcl", "lfcc_gmm"]
    with pytest.raises(ValueError, match="feature names"):
        fusion.decision_function(frame[["lfcc_gmm", "ssastcl"]])


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        ([0.1, np.nan, 0.3, 0.4], ["bonafide", "spoof"] * 2, "NaN or inf"),
        ([0.1, np.inf, 0.3, 0.4], ["bonafide", "spoof"] * 2, "NaN or inf"),
        ([0.1, 0.2, 0.3], ["bonafide", "spoof"] * 2, "3 trials but y has 4"),
        ([0.1, 0.2, 0.3, 0.4], ["spoof"] * 4, "1 class"),
        ([0.1, 0.2, 0.3, 0.4], ["real", "fake"] * 2, "pos_label='bonafide'"),
        (np.zeros((4, 2)), ["bonafide", "spoof"] * 2, "Use ScoreFusion"),
    ],
)
def test_calibrator_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        ScoreCalibrator().fit(X, y)


def test_not_fitted_and_bad_params():
    with pytest.raises(NotFittedError):
        ScoreCalibrator().decision_function([0.0])
    with pytest.raises(ValueError, match="prior"):
        ScoreCalibrator(prior=1.0).fit([0.0, 1.0], ["spoof", "bonafide"])
    with pytest.raises(ValueError, match="duplicate"):
        member = FrozenEstimator(
            LogisticRegression().fit([[0.0], [1.0]], ["spoof", "bonafide"])
        )
        ScoreFusion([("a", member), ("a", member)]).fit(
            [[0.0], [1.0]], ["spoof", "bonafide"]
        )


def test_pickle_roundtrip():
    s, y = _gaussian_scores(50, seed=11)
    cal = ScoreCalibrator().fit(s, y)
    again = pickle.loads(pickle.dumps(cal))
    assert_allclose(again.decision_function(s), cal.decision_function(s))


# The common checks use integer labels 0/1: name 1 the bona fide class. They feed
# several columns, so they run on ScoreFusion; ScoreCalibrator is the same model
# restricted to one column (tested above).
_XFAIL = {
    "check_classifiers_classes": (
        "the bona fide class is named by pos_label, never guessed from the labels"
    ),
}


@parametrize_with_checks(
    [ScoreFusion(pos_label=1)], expected_failed_checks=lambda est: _XFAIL
)
def test_fusion_sklearn_compatible(estimator, check):
    check(estimator)


def test_inverted_held_out_scores_warn():
    s, y = _gaussian_scores(100, seed=12)
    with pytest.warns(UserWarning, match="reverse the detector's ranking"):
        cal = ScoreCalibrator().fit(-s, y)
    assert cal.coef_[0] < 0
