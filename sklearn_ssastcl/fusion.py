"""Linear score fusion of several detectors into natural-log likelihood ratios."""

from __future__ import annotations

from sklearn_ssastcl._llr_estimator import _LLRLinearModel

__all__ = ["ScoreFusion"]


class ScoreFusion(_LLRLinearModel):
    """Fuse the scores of several detectors into one natural-log LLR.

    ``llr = w_1 * s_1 + ... + w_k * s_k + b``, with the weights and the offset
    fitted by prior-weighted logistic regression on held-out scores (the linear
    fusion of FoCal / BOSARIS and of the ASVspoof fusion baselines). The output
    is calibrated by construction. Fit it on data the members did not train on
    (e.g. the development part), then score the evaluation part.

    Parameters
    ----------
    estimators : list of (str, estimator) or None, default=None
        Fitted detectors whose bona fide scores are fused (``decision_function``,
        oriented with ``pos_label``; else the bona fide column of
        ``predict_proba``). ``X`` is then what the members take (e.g. waveforms).
        Members are never refitted; wrap them in
        :class:`sklearn.frozen.FrozenEstimator` so that ``clone`` and
        ``GridSearchCV`` keep them fitted. ``None``: ``X`` holds one score column
        per system.
    prior : float, default=0.5
        Bona fide prior at which the logistic regression is weighted.
    C : float, default=1e4
        Inverse L2 strength on the standardised score columns; lower it to
        shrink the weights when the held-out set is small.
    max_iter : int, default=1000
        L-BFGS iterations.
    pos_label : str or int, default="bonafide"
        The bona fide label.

    Attributes
    ----------
    coef_ : ndarray of shape (n_systems,)
        The fusion weights (per unit of each system's score).
    intercept_ : float
        The LLR offset.
    classes_ : ndarray of shape (2,)
        The two labels seen in ``fit``.
    n_iter_ : int
        L-BFGS iterations run.
    n_features_in_ : int
        Number of score columns, when ``estimators`` is None.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names; later
        inputs must have the same columns in the same order.
    n_members_ : int
        Number of members, when ``estimators`` is given.

    See Also
    --------
    ScoreCalibrator : The same map from one detector's scores.

    References
    ----------
    .. [1] N. Brümmer et al., "Fusion of heterogeneous speaker recognition
       systems in the STBU submission for the NIST speaker recognition evaluation
       2006", IEEE TASLP 15(7), 2007.
    .. [2] N. Brümmer and E. de Villiers, "The BOSARIS toolkit: theory, algorithms
       and code for surviving the new DCF", arXiv:1304.2865, 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ssastcl.fusion import ScoreFusion
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(["bonafide", "spoof"], 500)
    >>> truth = np.r_[np.ones(500), -np.ones(500)]
    >>> S = truth[:, None] + rng.normal(size=(1000, 2))  # two noisy detectors
    >>> fusion = ScoreFusion().fit(S, y)
    >>> fusion.coef_.round(1).tolist()  # each LLR weight near 2
    [1.8, 2.1]
    """

    _parameter_constraints: dict = {
        **_LLRLinearModel._parameter_constraints,
        "estimators": [list, None],
    }

    def __init__(
        self, estimators=None, *, prior=0.5, C=1e4, max_iter=1000, pos_label="bonafide"
    ):
        self.estimators = estimators
        self.prior = prior
        self.C = C
        self.max_iter = max_iter
        self.pos_label = pos_label

    def _member_list(self):
        if self.estimators is None:
            return None
        members = list(self.estimators)
        if not members or not all(
            isinstance(m, tuple) and len(m) == 2 and isinstance(m[0], str)
            for m in members
        ):
            raise ValueError(
                "estimators must be a non-empty list of (name, fitted estimator) "
                f"pairs; got {self.estimators!r}."
            )
        names = [name for name, _ in members]
        if len(set(names)) != len(names):
            raise ValueError(f"estimators has duplicate names: {names!r}.")
        return members
