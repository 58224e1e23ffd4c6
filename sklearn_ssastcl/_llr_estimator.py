"""Shared machinery of ScoreCalibrator and ScoreFusion: score columns in, LLRs out."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from sklearn_ssastcl._prior_logreg import fit_prior_weighted_logreg


class _LLRLinearModel(ClassifierMixin, BaseEstimator):
    """Affine map from score columns (or fitted members' scores) to natural-log LLRs.

    Subclasses say which fitted members feed the columns (``_member_list``) and how
    many columns a direct input may have (``_max_columns``).
    """

    _parameter_constraints: dict = {
        "prior": [Interval(Real, 0, 1, closed="neither")],
        "C": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "pos_label": [str, Integral],
    }
    _max_columns: int | None = None

    # ------------------------------------------------------------------ inputs
    def _check_members(self, members) -> None:
        for name, est in members:
            if not hasattr(est, "decision_function") and not hasattr(
                est, "predict_proba"
            ):
                raise TypeError(
                    f"Member {name!r} ({type(est).__name__}) has neither "
                    "decision_function nor predict_proba, so it gives no scores."
                )
            try:
                check_is_fitted(est)
            except NotFittedError as exc:
                raise NotFittedError(
                    f"Member {name!r} ({type(est).__name__}) is not fitted. Fit each "
                    "detector on training data first, then calibrate or fuse on "
                    "held-out data. clone() and GridSearchCV refit nothing here but "
                    "do copy members unfitted: wrap fitted members in "
                    "sklearn.frozen.FrozenEstimator to keep them fitted."
                ) from exc

    def _member_scores(self, members, X) -> np.ndarray:
        from sklearn_ssastcl._scorers import _bonafide_scores

        columns = []
        for name, est in members:
            scores, _ = _bonafide_scores(est, X, self.pos_label)
            scores = np.asarray(scores, dtype=np.float64)
            bad = ~np.isfinite(scores)
            if bad.any():
                raise ValueError(
                    f"Member {name!r} returned {int(bad.sum())} NaN or infinite "
                    f"score(s) (first at trial {int(np.flatnonzero(bad)[0])}); fix or "
                    "remove those trials."
                )
            columns.append(scores)
        return np.column_stack(columns)

    def _columns(self, X, *, reset: bool) -> np.ndarray:
        members = self._member_list()
        if members is not None:
            if reset:
                self._check_members(members)
                self.n_members_ = len(members)
            return self._member_scores(members, X)
        if self._max_columns == 1 and not hasattr(X, "columns"):
            try:
                array = np.asarray(X)
            except (TypeError, ValueError):
                array = None  # let validate_data say what is wrong
            if array is not None and array.ndim == 1:
                X = array.reshape(-1, 1)  # one score column
        S = validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_all_finite=False
        )
        if self._max_columns is not None and S.shape[1] > self._max_columns:
            raise ValueError(
                f"{type(self).__name__} maps one score column to LLRs; X has "
                f"{S.shape[1]} columns. Use ScoreFusion to combine several systems."
            )
        bad = ~np.isfinite(S)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"X contains {int(bad.sum())} NaN or inf score(s) (first: row {row}, "
                f"column {col}, value {S[row, col]}). Remove those trials or fix the "
                "detector that produced them."
            )
        return S

    def _is_bona(self, y) -> np.ndarray:
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.size > 2:
            raise ValueError(
                f"Only binary classification is supported. y holds {classes.size} "
                f"classes {classes[:5].tolist()!r}; map every attack to one spoof "
                "label."
            )
        if classes.size != 2:
            raise ValueError(
                f"y holds 1 class {classes.tolist()!r}; calibration and fusion need "
                "bona fide and spoof trials."
            )
        if self.pos_label not in classes.tolist():
            raise ValueError(
                f"pos_label={self.pos_label!r} is not among the labels "
                f"{classes.tolist()!r}; pass the bona fide label as pos_label."
            )
        self.classes_ = classes
        return y == self.pos_label

    # --------------------------------------------------------------- estimator
    def fit(self, X, y):
        """Fit the affine map to natural-log LLRs on held-out scores.

        Parameters
        ----------
        X : array-like
            Score columns of shape (n_trials,) or (n_trials, n_systems), higher =
            more bona fide; or, when members are given, what the members take.
        y : array-like of shape (n_trials,)
            True labels: ``pos_label`` and one spoof label.

        Returns
        -------
        self
        """
        self._validate_params()
        S = self._columns(X, reset=True)
        is_bona = self._is_bona(y)
        if S.shape[0] != is_bona.size:
            raise ValueError(
                f"X has {S.shape[0]} trials but y has {is_bona.size} labels; pass "
                "one label per trial, in the same order."
            )
        self.coef_, self.intercept_, self.n_iter_ = fit_prior_weighted_logreg(
            S, is_bona, prior=self.prior, C=self.C, max_iter=self.max_iter
        )
        if self._max_columns == 1 and self.coef_[0] <= 0:
            warnings.warn(
                f"The calibration scale is {self.coef_[0]:.3g} <= 0: on these held-out "
                "trials spoof scores higher than bona fide, so the LLRs reverse the "
                "detector's ranking (its EER changes). Check the labels and "
                "pos_label, or the detector itself.",
                UserWarning,
                stacklevel=2,
            )
        return self

    def decision_function(self, X) -> np.ndarray:
        """Natural-log likelihood ratio ``log p(x | bona fide) / p(x | spoof)``.

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_trials,)
        """
        check_is_fitted(self)
        S = self._columns(X, reset=False)
        return S @ self.coef_ + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        """Posterior class probabilities at the bona fide prior ``prior``.

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_trials, 2)
            Columns in ``classes_`` order.
        """
        p_bona = expit(self.decision_function(X) + logit(self.prior))
        proba = np.column_stack([1.0 - p_bona, p_bona])
        pos = int(np.flatnonzero(self.classes_ == self.pos_label)[0])
        return proba if pos == 1 else proba[:, ::-1].copy()

    def predict(self, X) -> np.ndarray:
        """Bayes decision at the bona fide prior ``prior`` (equal costs).

        A trial is bona fide iff its LLR is at least ``-logit(prior)``.

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_trials,)
            Labels from ``classes_``.
        """
        bona = self.decision_function(X) >= -logit(self.prior)
        other = self.classes_[self.classes_ != self.pos_label][0]
        return np.where(bona, self.pos_label, other).astype(self.classes_.dtype)

    def score(self, X, y, sample_weight=None) -> float:
        """Negative Cllr (bits) of the LLRs on ``(X, y)``; higher is better.

        Cllr measures discrimination and calibration together, which is what a
        calibration or fusion is fitted for (the EER cannot see calibration).

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`.
        y : array-like of shape (n_trials,)
            True labels.
        sample_weight : None
            Not supported.

        Returns
        -------
        float
        """
        from sklearn_ssastcl.metrics import cllr

        if sample_weight is not None:
            raise ValueError("score does not support sample_weight; pass None.")
        return -cllr(y, self.decision_function(X), pos_label=self.pos_label)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.poor_score = True
        return tags
