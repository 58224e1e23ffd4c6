"""min DCF and Cllr scorers: sign, orientation, GridSearchCV, pickling."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.naive_bayes import GaussianNB
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ssastcl.metrics import (
    cllr,
    cllr_scorer,
    make_cllr_scorer,
    make_min_dcf_scorer,
    min_dcf,
    min_dcf_scorer,
)


def _data(labels=("bonafide", "spoof"), n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.4, labels[0], labels[1])
    X = rng.normal(size=(n, 3))
    X[:, 0] += np.where(y == labels[0], 1.0, -1.0)
    return X, y


def _bona_llrs(clf, X, bona):
    # LogisticRegression's 1-D decision_function points toward classes_[1].
    d = clf.decision_function(X)
    return d if clf.classes_[1] == bona else -d


def test_sign_and_orientation():
    X, y = _data()
    clf = LogisticRegression().fit(X, y)
    assert list(clf.classes_) == ["bonafide", "spoof"]  # bona fide is classes_[0]
    llrs = _bona_llrs(clf, X, "bonafide")
    assert min_dcf_scorer(clf, X, y) == -min_dcf(y, llrs)
    assert cllr_scorer(clf, X, y) == -cllr(y, llrs)
    assert min_dcf_scorer(clf, X, y) <= 0 and cllr_scorer(clf, X, y) < 0
    # A sensible model is far better than chance: Cllr well below 1 bit.
    assert cllr_scorer(clf, X, y) > -0.9


def test_custom_labels_and_costs():
    X, y = _data(labels=("real", "fake"))
    clf = LogisticRegression().fit(X, y)
    llrs = _bona_llrs(clf, X, "real")
    scorer = make_min_dcf_scorer(pos_label="real", p_spoof=0.3, c_fa=2.0)
    expected = -min_dcf(y, llrs, pos_label="real", p_spoof=0.3, c_fa=2.0)
    assert scorer(clf, X, y) == expected
    assert make_cllr_scorer(pos_label="real")(clf, X, y) == -cllr(
        y, llrs, pos_label="real"
    )
    # Without pos_label neither 'bonafide' nor 1 is a class.
    with pytest.raises(ValueError, match="Cannot tell which class is bona fide"):
        min_dcf_scorer(clf, X, y)


@pytest.mark.parametrize("scorer", [min_dcf_scorer, cllr_scorer])
def test_grid_search(scorer):
    X, y = _data()
    search = GridSearchCV(
        LogisticRegression(), {"C": [0.001, 1.0]}, scoring=scorer, cv=3
    ).fit(X, y)
    assert search.best_score_ <= 0
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and search.best_score_ == scores.max()


def test_multi_metric_cross_validate():
    X, y = _data(labels=("real", "fake"))
    res = cross_validate(
        LogisticRegression(),
        X,
        y,
        cv=3,
        scoring={
            "dcf": make_min_dcf_scorer(pos_label="real"),
            "cllr": make_cllr_scorer(pos_label="real"),
        },
    )
    assert np.all(res["test_dcf"] <= 0) and np.all(res["test_cllr"] < 0)


@pytest.mark.parametrize(
    "scorer",
    [
        min_dcf_scorer,
        cllr_scorer,
        make_min_dcf_scorer(pos_label="bonafide", p_spoof=0.2),
        make_cllr_scorer(pos_label="bonafide"),
    ],
)
def test_picklable(scorer):
    X, y = _data()
    clf = LogisticRegression().fit(X, y)
    clone = pickle.loads(pickle.dumps(scorer))
    assert clone(clf, X, y) == scorer(clf, X, y)
    assert repr(clone) == repr(scorer)


def test_reprs():
    assert repr(min_dcf_scorer) == "min_dcf_scorer"
    assert repr(cllr_scorer) == "cllr_scorer"
    assert repr(make_min_dcf_scorer(c_fa=5.0)) == "make_min_dcf_scorer(c_fa=5.0)"
    assert repr(make_cllr_scorer(pos_label=1)) == "make_cllr_scorer(pos_label=1)"


def test_probability_only_estimator():
    X, y = _data()
    clf = GaussianNB().fit(X, y)
    # min DCF only needs the order: the bona fide probability column works.
    proba = clf.predict_proba(X)[:, list(clf.classes_).index("bonafide")]
    assert min_dcf_scorer(clf, X, y) == -min_dcf(y, proba)
    # Cllr needs LLRs: probabilities are refused.
    with pytest.raises(TypeError, match="no decision_function"):
        cllr_scorer(clf, X, y)


def test_errors():
    X, y = _data()
    clf = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        min_dcf_scorer(clf, X, y, sample_weight=np.ones(len(y)))
    with pytest.raises(ValueError, match="sample_weight"):
        cllr_scorer(clf, X, y, sample_weight=np.ones(len(y)))
    with pytest.raises(ValueError, match="p_spoof must be a probability"):
        make_min_dcf_scorer(p_spoof=1.0)
    with pytest.raises(ValueError, match="c_miss must be a finite positive"):
        make_min_dcf_scorer(c_miss=-1.0)
    with pytest.raises(InvalidParameterError, match="pos_label"):
        make_cllr_scorer(pos_label=[1])
    with pytest.raises(ValueError, match="not one of the estimator's classes_"):
        make_min_dcf_scorer(pos_label="nope")(clf, X, y)
    assert_allclose(make_min_dcf_scorer()(clf, X, y), min_dcf_scorer(clf, X, y))
