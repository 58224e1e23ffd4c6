"""ONNX export: ONNX Runtime scores equal ``decision_function`` (tiny models)."""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_ssastcl import SSASTCEClassifier, SSASTCLClassifier, __version__
from sklearn_ssastcl.export import export_onnx, load_onnx
from tests._tiny import TINY, make_spectrograms, make_waves, tiny_logmel

TOL = 1e-4
_CE_TINY = {k: v for k, v in TINY.items() if k != "head_epochs"}


def _need_onnx():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def ce_classifier():
    X, y = make_spectrograms(40, seed=2)
    return SSASTCEClassifier(**_CE_TINY).fit(X, y)


@pytest.fixture(scope="module")
def calibrated_classifier():
    X, y = make_spectrograms(40, seed=3)
    clf = SSASTCLClassifier(**TINY, calibrate=True, validation_split=0.25)
    return clf.fit(X, y)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, request):
    """``name -> (estimator, onnx path)``, exported once per module."""
    _need_onnx()
    folder = tmp_path_factory.mktemp("onnx")
    models = {
        "frozen": request.getfixturevalue("fitted_classifier"),
        "ce": request.getfixturevalue("ce_classifier"),
        "calibrated": request.getfixturevalue("calibrated_classifier"),
        "frontend": request.getfixturevalue("fitted_frontend_classifier"),
    }
    out = {}
    for name, est in models.items():
        path = folder / f"{name}.onnx"
        export_onnx(est, path)
        out[name] = (est, path)
    return out


@pytest.mark.parametrize("name", ["frozen", "ce", "calibrated"])
@pytest.mark.parametrize("n", [1, 5, 40])
def test_onnx_scores_equal_torch(exported, name, n):
    est, path = exported[name]
    assert est.calibrate == (name == "calibrated")
    X, _ = make_spectrograms(40, seed=7)
    scorer = load_onnx(path, n_threads=1, batch_size=16)  # 40 clips: 3 ORT calls
    expected = est.decision_function(X[:n])
    got = scorer.decision_function(X[:n])
    assert got.shape == (n,) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)
    # flattened 2-D spectrograms are taken too
    flat = X[:n].reshape(n, -1)
    np.testing.assert_allclose(scorer.score_spectrograms(flat), got, rtol=0, atol=0)


def test_onnx_waveforms_and_files_through_frontend(exported, audio_files):
    est, path = exported["frontend"]
    scorer = load_onnx(path)
    clips, _ = make_waves(12, seed=5)
    np.testing.assert_allclose(
        scorer.decision_function(clips), est.decision_function(clips), atol=TOL, rtol=0
    )
    paths = audio_files[0][:6]
    np.testing.assert_allclose(
        scorer.decision_function(paths), est.decision_function(paths), atol=TOL, rtol=0
    )
    # a 3-D array skips the front end
    spec = est.frontend.transform(clips)
    np.testing.assert_allclose(
        scorer.decision_function(spec), est.decision_function(clips), atol=TOL, rtol=0
    )
    np.testing.assert_array_equal(scorer.predict(clips[:1]).dtype.kind, "U")


def test_onnx_metadata_round_trips(exported):
    est, path = exported["frontend"]
    scorer = load_onnx(path)
    meta = scorer.metadata_
    assert meta["package_version"] == __version__
    assert meta["estimator"] == "SSASTCLClassifier"
    assert (scorer.target_length_, scorer.n_mels_) == (est.target_length_, est.n_mels_)
    assert scorer.threshold_ == est.threshold_
    np.testing.assert_array_equal(scorer.classes_, est.classes_)
    assert scorer.pos_label == est.pos_label
    assert scorer.frontend_.get_params() == est.frontend.get_params()
    assert json.loads(meta["calibration"]) is None
    cal_est, cal_path = exported["calibrated"]
    calibration = json.loads(load_onnx(cal_path).metadata_["calibration"])
    assert calibration["coef"] == float(cal_est.calibrator_.coef_[0])
    assert calibration["intercept"] == float(cal_est.calibrator_.intercept_)
    assert load_onnx(exported["frozen"][1]).frontend_ is None


def test_onnx_fitted_logmel_statistics(tmp_path):
    """A LogMel(normalize="fit") front end is rebuilt with its fitted statistics."""
    _need_onnx()
    clips, y = make_waves(16, seed=4)
    frontend = tiny_logmel(normalize="fit").fit(clips)  # fit() leaves it as given
    est = SSASTCEClassifier(**{**_CE_TINY, "max_epochs": 1}, frontend=frontend)
    est.fit(clips, y)
    export_onnx(est, tmp_path / "m.onnx")
    scorer = load_onnx(tmp_path / "m.onnx")
    assert scorer.frontend_.normalize == (est.frontend.mean_, est.frontend.std_)
    np.testing.assert_allclose(
        scorer.decision_function(clips), est.decision_function(clips), atol=TOL, rtol=0
    )


def test_onnx_bad_spectrogram_shape(exported):
    scorer = load_onnx(exported["frozen"][1])
    with pytest.raises(ValueError, match=r"\(n_samples, 16, 8\)"):
        scorer.decision_function(np.zeros((2, 15, 8), dtype=np.float32))


@pytest.mark.parametrize("cls", [SSASTCLClassifier, SSASTCEClassifier])
def test_export_unfitted_says_fit_first(cls, tmp_path):
    with pytest.raises(NotFittedError, match=r"not fitted yet.*Call fit\(X, y\)"):
        export_onnx(cls(), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_export_not_a_detector(tmp_path):
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="SSASTCLClassifier or SSASTCEClassifier"):
        export_onnx(LogisticRegression(), tmp_path / "m.onnx")


def test_export_bad_opset(fitted_classifier, tmp_path):
    with pytest.raises(ValueError, match="opset"):
        export_onnx(fitted_classifier, tmp_path / "m.onnx", opset="17")


def test_missing_onnx_packages_name_the_extra(fitted_classifier, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails
    with pytest.raises(ImportError, match=r'pip install "sklearn-ssastcl\[onnx\]"'):
        load_onnx(tmp_path / "m.onnx")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "onnxscript" else real(name, *a),
    )
    with pytest.raises(ImportError, match=r"onnxscript.*sklearn-ssastcl\[onnx\]"):
        export_onnx(fitted_classifier, tmp_path / "m.onnx")


def test_load_onnx_rejects_foreign_models(tmp_path):
    pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    node = helper.make_node("Identity", ["x"], ["y"])
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "other.onnx")
    with pytest.raises(ValueError, match="export_onnx"):
        load_onnx(tmp_path / "other.onnx")
