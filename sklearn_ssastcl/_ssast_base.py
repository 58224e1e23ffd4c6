"""The base class of the SSAST estimators: fit orchestration and inference.

:class:`BaseSSASTClassifier` holds what :class:`~sklearn_ssastcl.SSASTCLClassifier`
and :class:`~sklearn_ssastcl.SSASTCEClassifier` share (as scikit-learn's
``BaseMultilayerPerceptron`` does for ``MLPClassifier`` and ``MLPRegressor``):
the shared parameter checks, input handling, validation split, the seeded
training context, the EER threshold and calibration, and inference. Each
subclass declares its own parameters and the networks it trains
(:meth:`_train_networks`). The work is done by module functions:
:mod:`~sklearn_ssastcl._inputs`, :mod:`~sklearn_ssastcl._stage1`,
:mod:`~sklearn_ssastcl._stage2`, :mod:`~sklearn_ssastcl._training` and
:mod:`~sklearn_ssastcl._persistence`.
"""

from __future__ import annotations

import os
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_ssastcl import _inputs
from sklearn_ssastcl._fingerprint import claim_checkpoint_dir, fit_fingerprint
from sklearn_ssastcl._pairs import per_clip
from sklearn_ssastcl._persistence import load_classifier, save_classifier
from sklearn_ssastcl._score_checks import one_minus_eer
from sklearn_ssastcl._stage1 import build_encoder
from sklearn_ssastcl._stage2 import head_logits
from sklearn_ssastcl._utils import check_device, seed_from
from sklearn_ssastcl.calibration import ScoreCalibrator
from sklearn_ssastcl.metrics import compute_eer
from sklearn_ssastcl.nn._ssast import SIZES, SSASTEncoder

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
_POSITIVE = Interval(Real, 0, None, closed="neither")


class BaseSSASTClassifier(ClassifierMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the SSAST spoof detectors (not for direct use).

    Subclasses define ``__init__`` with their parameters and implement
    :meth:`_train_networks` and :meth:`_new_head`; they set
    ``_end_to_end`` (whether encoder and head are trained together) and
    ``_end_to_end_epochs``.
    """

    _parameter_constraints: dict = {
        "model_size": [StrOptions(set(SIZES)), None],
        "embed_dim": [_POSITIVE_INT, None],
        "depth": [_POSITIVE_INT, None],
        "num_heads": [_POSITIVE_INT, None],
        "mlp_ratio": [_POSITIVE],
        "n_mels": [_POSITIVE_INT],
        "kernel_size": [tuple, list],
        "stride": [tuple, list, None],
        "pretrained": [str, os.PathLike, None],
        "augment": [callable, None],
        "spec_augment": [callable, None],
        "frontend": [object, None],
        "stream": [StrOptions({"auto"}), "boolean"],
        "num_workers": [Interval(Integral, 0, None, closed="left")],
        "feature_cache": [str, os.PathLike, HasMethods(["cache"]), None],
        "precision": [StrOptions({"fp32", "bf16", "fp16"})],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [_POSITIVE_INT],
        "lr": [_POSITIVE],
        "lr_schedule": [StrOptions({"cosine"}), None],
        "warmup_epochs": [Interval(Real, 0, None, closed="left")],
        "head_lr": [_POSITIVE],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), tuple, list, dict, None],
        "validation_split": [Interval(Real, 0, 1, closed="neither"), None],
        "patience": [_POSITIVE_INT, None],
        "calibrate": ["boolean"],
        "pos_label": [str, Integral],
        "device": [str],
        "checkpoint_dir": [str, os.PathLike, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------ subclass API
    @property
    @abstractmethod
    def _end_to_end(self) -> bool:
        """Whether encoder and head are trained together (no frozen stage II)."""

    @property
    @abstractmethod
    def _end_to_end_epochs(self) -> int:
        """Epochs of the end-to-end training, when :attr:`_end_to_end`."""

    @abstractmethod
    def _new_head(self, embed_dim: int) -> torch.nn.Module:
        """A fresh classification head over ``embed_dim`` embeddings."""

    @abstractmethod
    def _train_networks(self, encoder, source, X_train, y_train, Xv, val_bona, info):
        """Train ``encoder`` and the head; set ``head_net_`` and ``history_``."""

    # ------------------------------------------------------------------ inputs
    def _check_params(self) -> None:
        if self.augment is not None and self.frontend is None:
            raise ValueError(
                "augment works on raw waveforms and needs a frontend (e.g. "
                "frontend=LogMel()); got frontend=None. Pass a frontend and raw "
                "waveforms, or drop augment (use spec_augment on spectrograms)."
            )
        for name in ("kernel_size", "stride"):
            value = getattr(self, name)
            if value is not None and (
                len(value) != 2 or not all(isinstance(v, Integral) for v in value)
            ):
                raise ValueError(f"{name} must be 2 positive ints; got {value!r}.")
        if isinstance(self.class_weight, (tuple, list)) and (
            len(self.class_weight) != 2 or min(self.class_weight) < 0
        ):
            raise ValueError(
                "class_weight must be 'balanced', None or 2 non-negative weights "
                f"(spoof, bona fide); got {self.class_weight!r}."
            )
        if self.stream != "auto" and self.stream and self.frontend is None:
            raise ValueError(
                "stream=True streams raw audio through the frontend; got "
                "frontend=None. Pass a frontend (e.g. LogMel()) or stream='auto'."
            )
        if self.pretrained is not None and not Path(self.pretrained).is_file():
            raise ValueError(
                f"pretrained={os.fspath(self.pretrained)!r} is not a file. Give the "
                "path of an SSAST checkpoint (.pth) or pretrained=None."
            )

    def _features(self, X, *, reset: bool, stage: str | None = None):
        """``(spectrograms, waveforms or None)``; see :func:`_inputs.features`."""
        return _inputs.features(self, X, reset=reset, stage=stage)

    def _build_encoder(self, n_frames: int, n_mels: int) -> SSASTEncoder:
        return build_encoder(self, n_frames, n_mels)

    def _validation(self, X3, is_bona, X_val, y_val, seed):
        """``(train indices, validation features or None, validation mask)``."""
        if X_val is None:
            train, valid = _inputs.split(self.validation_split, len(X3), is_bona, seed)
            if valid is None:
                return train, None, None
            return train, _inputs.take(X3, valid), is_bona[valid]
        Xv, _ = self._features(X_val, reset=False, stage="fit")
        _, val_bona = _inputs.check_labels(y_val, self.pos_label)
        if len(val_bona) != len(Xv):
            raise ValueError(
                f"X_val has {len(Xv)} clips but y_val has {len(val_bona)} labels."
            )
        return np.arange(len(X3)), Xv, val_bona

    # -------------------------------------------------------------------- fit
    def _fit(self, X, y, X_val, y_val, attacks=None, groups=None):
        """Check everything, then train in a seeded torch context (see ``fit``)."""
        self._check_params()
        if (X_val is None) != (y_val is None):
            raise ValueError("Pass both X_val and y_val, or neither.")
        if self.calibrate and X_val is None and self.validation_split is None:
            raise ValueError(
                "calibrate=True fits the calibration on validation scores, but "
                "there are none: pass X_val/y_val to fit, or set validation_split "
                "(e.g. 0.1), or calibrate=False."
            )
        X3, waves = self._features(X, reset=True)
        if self.frontend is None:
            _, y = validate_data(self, X3.reshape(len(X3), -1), y, reset=False)
        elif len(y) != len(X3):
            raise ValueError(f"X has {len(X3)} clips but y has {len(y)} labels.")
        if len(X3) < 2:
            raise ValueError(
                f"Got n_samples = {len(X3)}; fit needs at least 2 clips per class."
            )
        self.classes_, is_bona = _inputs.check_labels(y, self.pos_label)
        attacks = per_clip(attacks, "attacks", len(X3))
        groups = per_clip(groups, "groups", len(X3))
        self.device_ = check_device(self.device)
        if self.precision == "fp16" and torch.device(self.device_).type != "cuda":
            raise ValueError(
                f"precision='fp16' needs a CUDA device; got device={self.device!r} "
                f"(resolved to {self.device_!r}). Use precision='bf16' on CPU, or "
                "'fp32'."
            )
        seed = seed_from(self.random_state)
        train, Xv, val_bona = self._validation(X3, is_bona, X_val, y_val, seed)
        shape = _inputs.spec_shape(X3)
        if Xv is not None and _inputs.spec_shape(Xv) != shape:
            raise ValueError(
                f"X_val spectrograms have shape {_inputs.spec_shape(Xv)}; X has "
                f"{shape}."
            )
        self.target_length_, self.n_mels_ = int(shape[0]), int(shape[1])
        if self.checkpoint_dir is not None:
            fingerprint = fit_fingerprint(self, X3, y, Xv, y_val, attacks, groups)
            claim_checkpoint_dir(self.checkpoint_dir, fingerprint)
        source = _inputs.training_source(self, X3, waves, train, seed)
        X_train = _inputs.take(X3, train)
        y_train = is_bona[train]
        info = {
            "attacks": None if attacks is None else attacks[train],
            "groups": None if groups is None else groups[train],
            "seed": seed,
        }
        devices = [] if self.device_ == "cpu" else [torch.device(self.device_)]
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            encoder = self._build_encoder(self.target_length_, self.n_mels_)
            self._train_networks(encoder, source, X_train, y_train, Xv, val_bona, info)
        self.encoder_ = encoder
        if Xv is not None:
            self._fit_threshold(Xv, val_bona)
        else:
            self._fit_threshold(X_train, y_train)
        return self

    def _fit_threshold(self, X3, bona) -> None:
        """Fit ``calibrator_`` (``calibrate=True``) and the EER ``threshold_``."""
        scores = self._decision(X3)
        self.calibrator_ = None
        if self.calibrate:
            self.calibrator_ = ScoreCalibrator().fit(
                scores, np.where(bona, "bonafide", "spoof")
            )
            scores = self.calibrator_.decision_function(scores)
        self.threshold_ = float(compute_eer(scores[bona], scores[~bona])[1])

    # ------------------------------------------------------------- inference
    def _logits(self, X3) -> np.ndarray:
        return head_logits(self, X3)

    def _decision(self, X3) -> np.ndarray:
        logits = self._logits(X3)
        return logits[:, 1] - logits[:, 0]

    def _check_predict_input(self, X) -> np.ndarray:
        check_is_fitted(self)
        X3, _ = self._features(X, reset=False)
        expected = (self.target_length_, self.n_mels_)
        shape = _inputs.spec_shape(X3)
        if shape != expected:
            raise ValueError(
                f"X has spectrograms of shape {shape}; the model was fitted "
                f"on {expected} (frames, mel bins)."
            )
        return X3

    def _calibrated(self, raw: np.ndarray) -> np.ndarray:
        calibrator = getattr(self, "calibrator_", None)
        return raw if calibrator is None else calibrator.decision_function(raw)

    def decision_function(self, X) -> np.ndarray:
        """Bona fide score ``logit_bona - logit_spoof`` (float64; higher = bona fide).

        With ``calibrate=True``, the calibrated natural-log likelihood ratio of
        that score instead.

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Scores.
        """
        return self._calibrated(self._decision(self._check_predict_input(X)))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order.

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Softmax of the two logits; with ``calibrate=True``, the posteriors
            ``sigmoid(±LLR)`` at equal priors.
        """
        if getattr(self, "calibrator_", None) is not None:
            p_bona = expit(self.decision_function(X))
            proba = np.column_stack([1.0 - p_bona, p_bona])
            return proba if self._pos_index == 1 else proba[:, ::-1].copy()
        logits = torch.as_tensor(self._logits(self._check_predict_input(X)))
        proba = torch.softmax(logits, dim=1).numpy()
        return proba if self._pos_index == 1 else proba[:, ::-1].copy()

    @property
    def _pos_index(self) -> int:
        return int(np.flatnonzero(self.classes_ == self.pos_label)[0])

    def predict(self, X) -> np.ndarray:
        """Bona fide iff ``decision_function(X) >= threshold_``.

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        bona = self.decision_function(X) >= self.threshold_
        pos = self._pos_index
        return np.where(bona, self.classes_[pos], self.classes_[1 - pos])

    def score(self, X, y, sample_weight=None) -> float:
        """``1 - EER`` of :meth:`decision_function` on ``(X, y)`` (higher is better).

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`.
        y : array-like of shape (n_samples,)
            True labels, from ``classes_``.
        sample_weight : None
            Not supported (the official EER weighs every trial equally).

        Returns
        -------
        float
            One minus the equal error rate.
        """
        return one_minus_eer(self, X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.device != "cpu"
        tags.classifier_tags.multi_class = False
        tags.input_tags.three_d_array = True
        return tags

    # ------------------------------------------------------ safe persistence
    def save_weights(self, path) -> None:
        """Save the fitted weights and settings without pickling any code.

        Writes ``weights.pt`` (tensor state dicts) and ``config.json`` (the
        architecture, JSON-able parameters, ``classes_`` and ``threshold_``)
        into the folder ``path``. Reload with :meth:`load_weights`.

        Parameters
        ----------
        path : str or path-like
            Folder to create or overwrite files in.
        """
        save_classifier(self, path)

    @classmethod
    def load_weights(cls, path, *, device="cpu"):
        """Rebuild a fitted classifier saved by :meth:`save_weights`.

        Only tensors and JSON are read (``torch.load(weights_only=True)``). A
        ``LogMel`` frontend is rebuilt from its saved parameters; waveform
        augmenters are not saved (they only matter in ``fit``).

        The files are checked before use: ``config.json`` must hold every
        expected key, the ``sha256`` written by :meth:`save_weights` (over
        ``weights.pt`` and the rest of ``config.json``) must match, and every
        weight must be finite; otherwise a ``ValueError`` names the file. A
        folder saved before the hash existed loads with a ``UserWarning``.
        Nothing named inside the files is opened: path-valued parameters
        (``feature_cache``, ``checkpoint_dir``, ``pretrained``) are not saved,
        and are ignored, with a warning, when a ``config.json`` holds them.

        Parameters
        ----------
        path : str or path-like
            Folder written by :meth:`save_weights`.
        device : str, default="cpu"
            Where to put the weights.

        Returns
        -------
        estimator
            A fitted estimator of this class, ready for ``predict``.
        """
        return load_classifier(cls, path, device=device)
