"""LFCCGMMClassifier and SpectralStatsClassifier: scores, orientation, inputs."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.base import clone

import sklearn_ssastcl.classic._lfcc_gmm as lfcc_gmm_module
from sklearn_ssastcl.classic import (
    LFCCGMMClassifier,
    SpectralStatsClassifier,
    lfcc,
    spectral_statistics,
)
from sklearn_ssastcl.metrics import eer_score

GMM = {"n_components": 2, "random_state": 0}


def toy(n=16, *, seed=0, labels=("bonafide", "spoof"), n_times=(2400, 4000)):
    """Bona fide = white noise, spoof = low-passed noise; clips of varied length."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for i in range(n):
        noise = rng.normal(scale=0.1, size=int(rng.integers(*n_times)))
        bona = i % 2 == 0
        wave = noise if bona else np.convolve(noise, np.ones(8) / 8, mode="same")
        X.append(wave.astype(np.float32))
        y.append(labels[0] if bona else labels[1])
    return X, np.array(y)


def make(kind, **params):
    if kind == "gmm":
        return LFCCGMMClassifier(**{**GMM, **params})
    return SpectralStatsClassifier(**params)


KINDS = ["gmm", "stats"]


@pytest.fixture(scope="module")
def data():
    return toy(16), toy(12, seed=1)


@pytest.mark.parametrize("kind", KINDS)
def test_learns_separable_toy(kind, data):
    (X, y), (X_test, y_test) = data
    clf = make(kind).fit(X, y)
    assert clf.score(X_test, y_test) == 1.0
    assert eer_score(y_test, clf.decision_function(X_test)) == 0.0
    assert_array_equal(clf.predict(X_test), y_test)
    assert_array_equal(clf.classes_, ["bonafide", "spoof"])


def test_gmm_score_is_mean_frame_llr(data, monkeypatch):
    (X, y), (X_test, _) = data
    clf = make("gmm").fit(X, y)
    expected = [
        clf.gmm_bonafide_.score_samples(f).mean()
        - clf.gmm_spoof_.score_samples(f).mean()
        for f in (lfcc(x) for x in X_test)
    ]
    assert_allclose(clf.decision_function(X_test), expected, rtol=1e-10)
    # frames scored in small chunks (one clip per chunk, or several) give the same
    monkeypatch.setattr(lfcc_gmm_module, "_SCORE_CHUNK", 40)
    assert_allclose(clf.decision_function(X_test), expected, rtol=1e-10)
    assert clf.gmm_bonafide_.covariance_type == "diag"
    assert clf.gmm_bonafide_.means_.shape == (2, 60)
    assert_array_equal(clf.n_iter_ >= 1, True)


def test_gmm_fits_each_class_on_its_frames(data, monkeypatch):
    (X, y), _ = data
    seen = []

    class Recorder(lfcc_gmm_module.GaussianMixture):
        def fit(self, frames, y=None):
            seen.append(frames)
            return super().fit(frames)

    monkeypatch.setattr(lfcc_gmm_module, "GaussianMixture", Recorder)
    make("gmm").fit(X, y)
    for frames, label in zip(seen, ["bonafide", "spoof"]):
        expected = np.concatenate([lfcc(x) for x, c in zip(X, y) if c == label])
        assert_allclose(frames, expected)
    seen.clear()
    make("gmm", max_frames=50).fit(X, y)
    assert [len(f) for f in seen] == [50, 50]
    bona = np.concatenate([lfcc(x) for x, c in zip(X, y) if c == "bonafide"])
    rows = {r.tobytes() for r in bona}
    assert all(r.tobytes() in rows for r in seen[0])  # a subset of the frames


def test_stats_score_is_logistic_log_odds(data):
    (X, y), (X_test, _) = data
    clf = make("stats", C=0.5).fit(X, y)
    Z = np.stack([spectral_statistics(x) for x in X_test])
    logit = clf.logistic_.decision_function(clf.scaler_.transform(Z))
    assert_allclose(clf.decision_function(X_test), logit)
    assert clf.logistic_.C == 0.5
    assert_array_equal(clf.logistic_.classes_, [0, 1])  # 1 = bona fide
    proba = clf.predict_proba(X_test)
    assert_allclose(proba[:, 0], expit(logit))
    assert_allclose(
        proba, clf.logistic_.predict_proba(clf.scaler_.transform(Z))[:, ::-1]
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "labels, pos_label",
    [
        (("bonafide", "spoof"), "bonafide"),
        (("zz_bona", "aa_spoof"), "zz_bona"),
        ((0, 1), 0),
        ((1, 0), 1),
    ],
)
def test_orientation_whatever_label_order(kind, labels, pos_label, data):
    (X, y), (X_test, y_test) = data
    relabel = np.where(y == "bonafide", labels[0], labels[1])
    y_test2 = np.where(y_test == "bonafide", labels[0], labels[1])
    clf = make(kind, pos_label=pos_label).fit(X, relabel)
    reference = make(kind).fit(X, y)
    scores = clf.decision_function(X_test)
    assert_allclose(scores, reference.decision_function(X_test))
    bona = y_test == "bonafide"
    assert scores[bona].min() > scores[~bona].max()  # higher = bona fide
    proba = clf.predict_proba(X_test)
    pos = list(clf.classes_).index(pos_label)
    assert_allclose(proba[:, pos], expit(scores - clf.threshold_))
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.predict(X_test), y_test2)
    assert_array_equal(clf.classes_[np.argmax(proba, axis=1)], clf.predict(X_test))
    assert clf.score(X_test, y_test2) == 1.0


def test_threshold_moves_predict(data):
    (X, y), (X_test, _) = data
    clf = make("stats").fit(X, y)
    assert clf.threshold_ == 0.0
    clf.threshold_ = np.inf
    assert (clf.predict(X_test) == "spoof").all()


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic_clone_pickle(kind, data):
    (X, y), (X_test, _) = data
    a = make(kind, random_state=3).fit(X, y)
    b = make(kind, random_state=3).fit(X, y)
    assert_array_equal(a.decision_function(X_test), b.decision_function(X_test))
    copy = pickle.loads(pickle.dumps(a))
    assert_array_equal(copy.decision_function(X_test), a.decision_function(X_test))
    fresh = clone(a)
    assert fresh.get_params() == a.get_params()
    assert not hasattr(fresh, "classes_")
    assert a.get_params()["random_state"] == 3


def test_gmm_random_state_matters(data):
    (X, y), (X_test, _) = data
    a = make("gmm", random_state=0, max_frames=60).fit(X, y)
    b = make("gmm", random_state=1, max_frames=60).fit(X, y)
    assert not np.allclose(a.decision_function(X_test), b.decision_function(X_test))


@pytest.mark.parametrize("kind", KINDS)
def test_2d_array_sets_n_features_in(kind, data):
    (X, y), _ = data
    X2 = np.stack([x[:2400] for x in X])
    clf = make(kind).fit(X2, y)
    assert clf.n_features_in_ == 2400
    with pytest.raises(ValueError, match="2400 features"):
        clf.decision_function(X2[:, :2000])
    assert len(clf.decision_function([x[:3000] for x in X[:2]])) == 2
    clf.fit(X, y)  # a list of clips: no clip length to remember
    assert not hasattr(clf, "n_features_in_")


BAD_X = [
    (lambda X: [(x * 32767).astype(np.int16) for x in X], TypeError, "int16.*32768"),
    (
        lambda X: (np.stack([x[:2400] for x in X]) * 32767).astype(np.int16),
        TypeError,
        "integer.*32768",
    ),
    (lambda X: [x > 0 for x in X], TypeError, "bool"),
    (lambda X: [*X[:-1], np.zeros(0, np.float32)], ValueError, "empty clip"),
    (lambda X: [*X[:-1], np.full(3000, np.nan, np.float32)], ValueError, "NaN"),
    (lambda X: np.stack([x[:2400] for x in X]) * np.nan, ValueError, "NaN"),
    (lambda X: [*X[:-1], np.zeros((2, 3000), np.float32)], ValueError, "1-D waveform"),
    (lambda X: [*X[:-1], np.zeros(100, np.float32)], ValueError, "at least"),
    (lambda X: np.zeros((len(X), 2, 3000)), ValueError, "3-D array"),
    (lambda X: X[0], ValueError, "Reshape your data"),
    (lambda X: [], ValueError, "empty list"),
    (lambda X: ["a.flac"] * len(X), TypeError, "load_audio"),
    (lambda X: "a.flac", TypeError, "load_audio"),
    (lambda X: [x.astype(np.complex64) for x in X], TypeError, "complex"),
    (lambda X: [np.array(["a"] * 3000)] * len(X), TypeError, "real floats"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bad, error, match", BAD_X)
def test_bad_input_errors(kind, bad, error, match, data):
    (X, y), _ = data
    with pytest.raises(error, match=match):
        make(kind).fit(bad(X), y)
    fitted = make(kind).fit(X, y)
    with pytest.raises(error, match=match):
        fitted.decision_function(bad(X))


@pytest.mark.parametrize("kind", KINDS)
def test_bad_label_errors(kind, data):
    (X, y), _ = data
    with pytest.raises(ValueError, match="16 clips but 15 labels"):
        make(kind).fit(X, y[:-1])
    with pytest.raises(ValueError, match="one class only"):
        make(kind).fit(X, np.full(len(X), "bonafide"))
    with pytest.raises(ValueError, match="binary"):
        make(kind).fit(X, np.arange(len(X)) % 3)
    with pytest.raises(ValueError, match="pos_label='bonafide' is not among"):
        make(kind).fit(X, np.where(y == "bonafide", "bona", "spoof"))
    fitted = make(kind).fit(X, y)
    with pytest.raises(ValueError, match="not among classes_"):
        fitted.score(X, np.where(y == "bonafide", "real", "spoof"))
    with pytest.raises(ValueError, match="both bona fide and spoof"):
        fitted.score(X, np.full(len(X), "spoof"))
    with pytest.raises(ValueError, match="sample_weight"):
        fitted.score(X, y, sample_weight=np.ones(len(X)))


def test_bad_parameter_errors(data):
    (X, y), _ = data
    with pytest.raises(ValueError, match="n_lfcc=30 exceeds n_filter=20"):
        make("gmm", n_lfcc=30).fit(X, y)
    with pytest.raises(ValueError, match="fewer than n_components=5000"):
        make("gmm", n_components=5000).fit(X, y)
    with pytest.raises(ValueError, match="n_components"):
        make("gmm", n_components=0).fit(X, y)
    with pytest.raises(ValueError, match="n_fft=256 is shorter"):
        make("stats", n_fft=256).fit(X, y)
    for stats in [(), ("mean", "mean"), ("max",)]:
        with pytest.raises(ValueError, match="statistics must be"):
            make("stats", statistics=stats).fit(X, y)
    with pytest.raises(ValueError, match="'C' parameter"):
        make("stats", C=0).fit(X, y)
