"""SSASTCLClassifier(calibrate=True): LLRs from its own validation split."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_ssastcl import SSASTCLClassifier
from sklearn_ssastcl.calibration import ScoreCalibrator
from sklearn_ssastcl.metrics import eer_score
from tests._tiny import TINY, make_spectrograms


@pytest.fixture(scope="module")
def pair():
    X, y = make_spectrograms(60, seed=0, shift=0.6)
    Xv, yv = make_spectrograms(30, seed=1, shift=0.6)
    raw = SSASTCLClassifier(**TINY).fit(X, y, X_val=Xv, y_val=yv)
    cal = SSASTCLClassifier(**TINY, calibrate=True).fit(X, y, X_val=Xv, y_val=yv)
    return raw, cal, (Xv, yv)


def test_calibrated_scores_are_the_validation_fit_of_the_raw_scores(pair):
    raw, cal, (Xv, yv) = pair
    assert raw.calibrator_ is None
    Xt, yt = make_spectrograms(20, seed=2, shift=0.6)
    # Calibration does not touch training: same raw scores, so an independent
    # ScoreCalibrator on the raw validation scores gives the same LLRs.
    expected = ScoreCalibrator().fit(raw.decision_function(Xv), yv)
    assert_allclose(
        cal.decision_function(Xt),
        expected.decision_function(raw.decision_function(Xt)),
        rtol=1e-6,
        atol=1e-6,
    )
    assert eer_score(yt, cal.decision_function(Xt)) == eer_score(
        yt, raw.decision_function(Xt)
    )
    assert np.array_equal(cal.predict(Xt), raw.predict(Xt))
    p_bona = 1 / (1 + np.exp(-cal.decision_function(Xt)))
    assert_allclose(cal.predict_proba(Xt)[:, 0], p_bona)


def test_calibration_survives_save_and_load(pair, tmp_path):
    _, cal, (Xv, _) = pair
    cal.save_weights(tmp_path / "model")
    again = SSASTCLClassifier.load_weights(tmp_path / "model")
    assert_allclose(again.decision_function(Xv), cal.decision_function(Xv), atol=1e-6)


def test_calibrate_without_validation_data_fails_before_training():
    X, y = make_spectrograms(20, seed=0)
    clf = SSASTCLClassifier(**TINY, calibrate=True, validation_split=None)
    with pytest.raises(ValueError, match="pass X_val/y_val"):
        clf.fit(X, y)
    assert not hasattr(clf, "encoder_")
