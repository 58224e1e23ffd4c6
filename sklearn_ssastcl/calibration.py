"""Score calibration: a detector's scores to natural-log likelihood ratios."""

from __future__ import annotations

from sklearn.utils._param_validation import HasMethods

from sklearn_ssastcl._llr_estimator import _LLRLinearModel

__all__ = ["ScoreCalibrator"]


class ScoreCalibrator(_LLRLinearModel):
    """Map a detector's scores to natural-log LLRs (prior-weighted logistic regression).

    Raw scores (logits, GMM log-likelihood ratios, ...) mean nothing across
    corpora: their threshold must be learned. Fitted on held-out scores, this
    affine map ``llr = a * score + b`` turns them into log-likelihood ratios
    ``log p(score | bona fide) / p(score | spoof)``, so that the Bayes threshold
    ``-log(prior odds)`` is the right one for any prior and costs (the ``act_dcf``
    of :mod:`sklearn_ssastcl.metrics`). With a positive scale ``a`` it is
    increasing, so the EER and minDCF do not change; a negative ``a`` (held-out
    scores that rank spoof above bona fide) flips the ranking and is warned
    about. ``a`` and ``b`` minimise the cross-entropy with the bona fide class
    weighted to the prior ``prior`` (0.5 minimises Cllr), as in FoCal / BOSARIS.

    Parameters
    ----------
    estimator : fitted estimator or None, default=None
        A fitted detector whose ``decision_function`` (oriented with ``pos_label``,
        higher = more bona fide) is calibrated; ``X`` is then what it takes.
        Wrap it in :class:`sklearn.frozen.FrozenEstimator` so that ``clone`` keeps
        it fitted. ``None``: ``X`` holds the scores themselves.
    prior : float, default=0.5
        Bona fide prior at which the logistic regression is weighted.
    C : float, default=1e4
        Inverse L2 strength on the standardised score (large: effectively none;
        it keeps the map finite when the held-out scores separate perfectly).
    max_iter : int, default=1000
        L-BFGS iterations.
    pos_label : str or int, default="bonafide"
        The bona fide label.

    Attributes
    ----------
    coef_ : ndarray of shape (1,)
        The scale ``a``.
    intercept_ : float
        The offset ``b`` (of the LLR, not of the prior-weighted logit).
    classes_ : ndarray of shape (2,)
        The two labels seen in ``fit``.
    n_iter_ : int
        L-BFGS iterations run.
    n_features_in_ : int
        1, when ``estimator`` is None.
    n_members_ : int
        1, when ``estimator`` is given.

    See Also
    --------
    ScoreFusion : The same map from several detectors' scores.
    sklearn_ssastcl.metrics.cllr : The cost this map minimises (at ``prior=0.5``).

    References
    ----------
    .. [1] N. Brümmer and J. du Preez, "Application-independent evaluation of
       speaker detection", Computer Speech & Language 20(2-3), 2006.
    .. [2] N. Brümmer and E. de Villiers, "The BOSARIS toolkit: theory, algorithms
       and code for surviving the new DCF", arXiv:1304.2865, 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ssastcl.calibration import ScoreCalibrator
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(["bonafide", "spoof"], 500)
    >>> scores = np.r_[rng.normal(3, 2, 500), rng.normal(-3, 2, 500)]
    >>> cal = ScoreCalibrator().fit(scores, y)
    >>> [round(float(v), 1) for v in (cal.coef_[0], cal.intercept_)]  # true: 1.5, 0
    [1.5, 0.2]
    """

    _parameter_constraints: dict = {
        **_LLRLinearModel._parameter_constraints,
        "estimator": [
            HasMethods(["decision_function"]),
            HasMethods(["predict_proba"]),
            None,
        ],
    }
    _max_columns = 1

    def __init__(
        self, estimator=None, *, prior=0.5, C=1e4, max_iter=1000, pos_label="bonafide"
    ):
        self.estimator = estimator
        self.prior = prior
        self.C = C
        self.max_iter = max_iter
        self.pos_label = pos_label

    def _member_list(self):
        return None if self.estimator is None else [("estimator", self.estimator)]
