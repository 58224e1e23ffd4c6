"""What the classic countermeasures share: labels, orientation, predict, score."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from sklearn_ssastcl._score_checks import one_minus_eer
from sklearn_ssastcl.classic._validation import check_waveforms


class _BinaryWaveformClassifier(ClassifierMixin, BaseEstimator):
    """Bona fide / spoof classifier of waveforms; subclasses define ``_window``,
    ``_fit_clips(clips, is_bona)`` and ``_decision_clips(clips)``."""

    def _check_X(self, X, *, reset: bool, y=None):
        return check_waveforms(
            self,
            X,
            window=self._window(),
            sample_rate=self.sample_rate,
            reset=reset,
            y=y,
        )

    def _check_labels(self, y) -> tuple[np.ndarray, np.ndarray]:
        check_classification_targets(y)
        y = np.asarray(y)
        classes = np.unique(y)
        listed = classes.tolist()
        name = type(self).__name__
        if len(classes) > 2:
            raise ValueError(
                "Only binary classification is supported (bona fide vs spoof); y "
                f"holds {len(classes)} classes: {listed!r}."
            )
        if len(classes) < 2:
            raise ValueError(
                f"y holds one class only ({listed!r}); {name} needs both bona fide "
                "and spoof clips."
            )
        if not any(c == self.pos_label for c in listed):
            raise ValueError(
                f"pos_label={self.pos_label!r} is not among the labels {listed!r}. "
                "Set pos_label to the bona fide label."
            )
        return classes, y == self.pos_label

    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> _BinaryWaveformClassifier:
        """Train on waveforms.

        Parameters
        ----------
        X : list of 1-D float arrays or array-like of shape (n_samples, n_times)
            Waveforms in [-1, 1] at ``sample_rate``; clips may differ in length.
        y : array-like of shape (n_samples,)
            Labels; ``pos_label`` marks bona fide, the other label spoof.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        self._check_params()
        clips, y = self._check_X(X, reset=True, y=y)
        self.classes_, is_bona = self._check_labels(y)
        self._fit_clips(clips, is_bona)
        return self

    def _check_params(self) -> None:
        """Checks that need more than one parameter (none by default)."""

    def decision_function(self, X: npt.ArrayLike) -> np.ndarray:
        """Bona fide score of each clip: higher means more bona fide.

        Parameters
        ----------
        X : list of 1-D float arrays or array-like of shape (n_samples, n_times)
            Waveforms, as in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,), dtype float64
            Scores (whatever the label names and their order).
        """
        check_is_fitted(self)
        clips, _ = self._check_X(X, reset=False)
        return self._decision_clips(clips)

    def predict_proba(self, X: npt.ArrayLike) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order.

        The bona fide probability is ``expit(decision_function(X) - threshold_)``,
        so it is 0.5 at the decision threshold.

        Parameters
        ----------
        X : list of 1-D float arrays or array-like of shape (n_samples, n_times)
            Waveforms, as in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Probabilities.
        """
        bona = expit(self.decision_function(X) - self.threshold_)
        proba = np.stack([1.0 - bona, bona], axis=1)
        return proba if self._pos_index == 1 else proba[:, ::-1].copy()

    def predict_log_proba(self, X: npt.ArrayLike) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : list of 1-D float arrays or array-like of shape (n_samples, n_times)
            Waveforms, as in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Log-probabilities, columns in ``classes_`` order.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @property
    def _pos_index(self) -> int:
        return int(np.flatnonzero(self.classes_ == self.pos_label)[0])

    def predict(self, X: npt.ArrayLike) -> np.ndarray:
        """Bona fide iff ``decision_function(X) >= threshold_``.

        Parameters
        ----------
        X : list of 1-D float arrays or array-like of shape (n_samples, n_times)
            Waveforms, as in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        bona = self.decision_function(X) >= self.threshold_
        pos = self._pos_index
        return np.where(bona, self.classes_[pos], self.classes_[1 - pos])

    def score(
        self, X: npt.ArrayLike, y: npt.ArrayLike, sample_weight: None = None
    ) -> float:
        """``1 - EER`` of :meth:`decision_function` on ``(X, y)`` (higher is better).

        Parameters
        ----------
        X : list of 1-D float arrays or array-like of shape (n_samples, n_times)
            Waveforms, as in :meth:`fit`.
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
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = False
        return tags
