"""Export a fitted SSAST detector to ONNX and score with ONNX Runtime.

:func:`export_onnx` writes the inference path (encoder, head and the optional
score calibration) as an ONNX graph from spectrograms to the bona fide score of
``decision_function``, with a dynamic batch axis. The ``LogMel`` front end stays in
Python: its parameters are stored in the model's metadata, and :func:`load_onnx`
rebuilds it, so that :class:`OnnxScorer` takes the same input as the estimator
(waveforms, file paths or spectrograms).

Exporting needs ``onnx`` and ``onnxscript`` (torch's ``torch.export``-based
exporter) and scoring needs ``onnxruntime``: ``pip install "sklearn-ssastcl[onnx]"``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import warnings
from numbers import Integral

import numpy as np

from sklearn_ssastcl._score_module import check_detector, score_module

__all__ = ["OnnxScorer", "export_onnx", "load_onnx"]

INPUT_NAME = "spectrogram"
OUTPUT_NAME = "score"
_FORMAT = "sklearn-ssastcl-onnx/1"
_INSTALL = 'pip install "sklearn-ssastcl[onnx]"'


def _need(modules: tuple[str, ...], purpose: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(
            f"{purpose} needs the package(s) {', '.join(missing)}, which are not "
            f"installed. Install the ONNX extra: {_INSTALL}"
        )


def _frontend_spec(frontend) -> dict | None:
    """The front end as JSON: class name and parameters (fitted statistics kept)."""
    if frontend is None:
        return None
    from sklearn_ssastcl._logmel import LogMel

    params = {}
    for key, value in frontend.get_params(deep=False).items():
        with contextlib.suppress(TypeError, ValueError):
            json.dumps(value)
            params[key] = value
    if isinstance(frontend, LogMel) and frontend.normalize == "fit":
        # the statistics learned in fit, as the (mean, std) LogMel takes
        params["normalize"] = [float(frontend.mean_), float(frontend.std_)]
    return {
        "module": type(frontend).__module__,
        "name": type(frontend).__name__,
        "params": params,
    }


def _metadata(estimator) -> dict[str, str]:
    from sklearn_ssastcl import __version__

    calibrator = getattr(estimator, "calibrator_", None)
    calibration = None
    if calibrator is not None:
        calibration = {
            "coef": float(calibrator.coef_[0]),
            "intercept": float(calibrator.intercept_),
        }
    return {
        "format": _FORMAT,
        "package": "sklearn-ssastcl",
        "package_version": __version__,
        "estimator": type(estimator).__name__,
        "target_length": str(int(estimator.target_length_)),
        "n_mels": str(int(estimator.n_mels_)),
        "threshold": repr(float(estimator.threshold_)),
        "classes": json.dumps(np.asarray(estimator.classes_).tolist()),
        "pos_label": json.dumps(np.asarray(estimator.pos_label).tolist()),
        "calibration": json.dumps(calibration),
        "frontend": json.dumps(_frontend_spec(estimator.frontend)),
        "score": "bona fide score of decision_function (higher = bona fide); "
        "with calibration, the natural-log likelihood ratio",
    }


def export_onnx(estimator, path, *, opset: int | None = None) -> dict[str, str]:
    """Write a fitted detector's spectrogram-to-score graph as an ONNX file.

    The graph takes float32 spectrograms named ``"spectrogram"`` of shape
    ``(batch, target_length_, n_mels_)`` (the output of the estimator's front end;
    ``batch`` is dynamic) and returns the float32 ``"score"`` of shape ``(batch,)``:
    ``decision_function``'s bona fide score, the calibration's affine map
    included. It is traced with torch's ``torch.export``-based exporter
    (``torch.onnx.export(..., dynamo=True)``) in fp32 on the CPU, whatever the
    estimator's ``precision`` and ``device``.

    The model's metadata (``metadata_props``, all strings) holds
    ``target_length``, ``n_mels``, ``threshold``, ``classes``, ``pos_label``,
    ``calibration`` (JSON), ``frontend`` (JSON: class and parameters, a fitted
    ``normalize="fit"`` as its ``(mean, std)``), ``estimator`` and
    ``package_version``: what :func:`load_onnx` needs to rebuild the front end.

    Parameters
    ----------
    estimator : SSASTCLClassifier or SSASTCEClassifier
        A fitted detector.
    path : str or path-like
        The ``.onnx`` file to write.
    opset : int, default=None
        ONNX opset version; None takes the exporter's default.

    Returns
    -------
    dict of str to str
        The metadata written.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    ImportError
        If ``onnx`` or ``onnxscript`` is missing.

    Examples
    --------
    >>> from sklearn_ssastcl.export import export_onnx, load_onnx
    >>> export_onnx(clf, "detector.onnx")  # doctest: +SKIP
    >>> load_onnx("detector.onnx").decision_function(waveforms)  # doctest: +SKIP
    """
    check_detector(estimator, "export")
    if opset is not None and (
        not isinstance(opset, Integral) or isinstance(opset, bool) or opset < 1
    ):
        raise ValueError(f"opset must be a positive int or None; got {opset!r}.")
    _need(("onnx", "onnxscript"), "export_onnx")
    import torch

    module = score_module(estimator, copy_to="cpu")
    example = torch.zeros(2, estimator.target_length_, estimator.n_mels_)
    batch = torch.export.Dim("batch")
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # the exporter's progress and notices
        program = torch.onnx.export(
            module,
            (example,),
            None,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            opset_version=None if opset is None else int(opset),
            dynamo=True,
            dynamic_shapes={"spectrogram": {0: batch}},
            verbose=False,
        )
    metadata = _metadata(estimator)
    program.model.metadata_props.update(metadata)
    program.model.doc_string = (
        f"{metadata['estimator']} exported by sklearn-ssastcl "
        f"{metadata['package_version']}: spectrogram -> bona fide score."
    )
    program.save(os.fspath(path))
    return metadata


def _rebuild_frontend(spec):
    if spec is None:
        return None
    if spec.get("module") != "sklearn_ssastcl._logmel":
        return None
    from sklearn_ssastcl._logmel import LogMel

    params = dict(spec["params"])
    if isinstance(params.get("normalize"), list):
        params["normalize"] = tuple(params["normalize"])
    return LogMel(**params)


class OnnxScorer:
    """Score clips with an ONNX model written by :func:`export_onnx`.

    The ``LogMel`` front end is rebuilt from the model's metadata and runs in
    Python (torch); the encoder and head run in ONNX Runtime.

    Parameters
    ----------
    path : str or path-like
        The ``.onnx`` file.
    n_threads : int, default=None
        ONNX Runtime intra-op threads; None lets ONNX Runtime choose.
    batch_size : int, default=64
        Clips per ONNX Runtime call (and per front-end pass).
    providers : list of str, default=None
        ONNX Runtime execution providers; None is ``["CPUExecutionProvider"]``.

    Attributes
    ----------
    metadata_ : dict of str to str
        The model's metadata, as written by :func:`export_onnx`.
    target_length_, n_mels_ : int
        The spectrogram shape the graph takes.
    threshold_ : float
        The estimator's decision threshold (on the score).
    classes_ : ndarray of shape (2,)
        The estimator's labels.
    pos_label : str or int
        The bona fide label.
    frontend_ : LogMel or None
        The rebuilt front end; None when the model takes spectrograms (or its front
        end is not a ``LogMel``).
    session_ : onnxruntime.InferenceSession
        The session.
    """

    def __init__(self, path, *, n_threads=None, batch_size=64, providers=None):
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ImportError(
                "Scoring an ONNX model needs onnxruntime, which is not installed. "
                f"Install the ONNX extra: {_INSTALL}"
            ) from exc
        options = ort.SessionOptions()
        if n_threads is not None:
            options.intra_op_num_threads = int(n_threads)
            options.inter_op_num_threads = 1
        self.path = os.fspath(path)
        self.batch_size = int(batch_size)
        self.session_ = ort.InferenceSession(
            self.path, options, providers=providers or ["CPUExecutionProvider"]
        )
        meta = dict(self.session_.get_modelmeta().custom_metadata_map)
        if meta.get("format") != _FORMAT:
            raise ValueError(
                f"{self.path} was not written by sklearn_ssastcl.export.export_onnx "
                f"(its metadata has format={meta.get('format')!r}); export the "
                "fitted estimator with export_onnx first."
            )
        self.metadata_ = meta
        self.target_length_ = int(meta["target_length"])
        self.n_mels_ = int(meta["n_mels"])
        self.threshold_ = float(meta["threshold"])
        self.classes_ = np.asarray(json.loads(meta["classes"]))
        self.pos_label = json.loads(meta["pos_label"])
        self.frontend_spec_ = json.loads(meta["frontend"])
        self.frontend_ = _rebuild_frontend(self.frontend_spec_)

    def score_spectrograms(self, S) -> np.ndarray:
        """Bona fide scores of spectrograms ``(n, target_length_, n_mels_)``.

        Parameters
        ----------
        S : array-like of shape (n_samples, n_frames, n_mels)
            Front-end output; 2-D ``(n_samples, target_length_ * n_mels_)`` is
            reshaped.

        Returns
        -------
        ndarray of shape (n_samples,)
            float64 scores (float32 precision).
        """
        S = np.asarray(S, dtype=np.float32)
        expected = (self.target_length_, self.n_mels_)
        if S.ndim == 2 and S.shape[1] == expected[0] * expected[1]:
            S = S.reshape(len(S), *expected)
        if S.ndim != 3 or S.shape[1:] != expected:
            raise ValueError(
                f"Expected spectrograms of shape (n_samples, {expected[0]}, "
                f"{expected[1]}) (frames, mel bins); got {S.shape}."
            )
        out = np.empty(len(S), dtype=np.float64)
        for start in range(0, len(S), self.batch_size):
            chunk = np.ascontiguousarray(S[start : start + self.batch_size])
            out[start : start + len(chunk)] = self.session_.run(
                [OUTPUT_NAME], {INPUT_NAME: chunk}
            )[0]
        return out

    def decision_function(self, X) -> np.ndarray:
        """Bona fide scores, as the estimator's ``decision_function`` gives them.

        Parameters
        ----------
        X : array-like
            What the estimator takes: waveforms (a 2-D array or a list of 1-D
            arrays) or audio file paths when it has a front end, spectrograms
            otherwise. A 3-D array is always taken as spectrograms.

        Returns
        -------
        ndarray of shape (n_samples,)
            float64 scores; higher = bona fide.
        """
        if getattr(X, "ndim", None) == 3 or self.frontend_spec_ is None:
            return self.score_spectrograms(X)
        if self.frontend_ is None:
            raise ValueError(
                f"This model's front end ({self.frontend_spec_['name']}) cannot be "
                "rebuilt from its metadata; compute the spectrograms yourself and "
                "pass them as a 3-D array."
            )
        from sklearn_ssastcl._inputs import clip_items, sample_rate
        from sklearn_ssastcl._sources import read_clip

        items = clip_items(X)
        rate = sample_rate(self.frontend_)
        out = np.empty(len(items), dtype=np.float64)
        for start in range(0, len(items), self.batch_size):
            part = items[start : start + self.batch_size]
            waves = [
                read_clip(c, start + i, rate, "predict") for i, c in enumerate(part)
            ]
            spec = self.frontend_.transform(waves)
            out[start : start + len(part)] = self.score_spectrograms(spec)
        return out

    def predict(self, X) -> np.ndarray:
        """Bona fide iff ``decision_function(X) >= threshold_``, else spoof.

        Parameters
        ----------
        X : array-like
            As in :meth:`decision_function`.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        bona = self.decision_function(X) >= self.threshold_
        other = self.classes_[self.classes_ != self.pos_label][0]
        return np.where(bona, self.pos_label, other).astype(self.classes_.dtype)


def load_onnx(path, **kwargs) -> OnnxScorer:
    """Open an ONNX model written by :func:`export_onnx` for scoring.

    Parameters
    ----------
    path : str or path-like
        The ``.onnx`` file.
    **kwargs
        ``n_threads``, ``batch_size``, ``providers`` of :class:`OnnxScorer`.

    Returns
    -------
    OnnxScorer
        With ``decision_function`` and ``predict``.
    """
    return OnnxScorer(path, **kwargs)
