"""Scorers for model search (higher is better): ``1 - EER``, ``-min_dcf``, ``-cllr``."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import validate_params

from sklearn_ssastcl._cllr import cllr
from sklearn_ssastcl._dcf import min_dcf
from sklearn_ssastcl._eer import eer_score
from sklearn_ssastcl._score_checks import _check_cost, _check_prior

_NO_LABEL = object()


def _declared_pos_label(estimator):
    """``pos_label`` of the estimator or of a Pipeline's last step, else _NO_LABEL."""
    candidates = [estimator]
    if hasattr(estimator, "steps"):  # a Pipeline: its last step does the scoring
        candidates.append(estimator.steps[-1][1])
    for est in candidates:
        if hasattr(est, "pos_label"):
            return est.pos_label
    return _NO_LABEL


def _bonafide_scores(estimator, X, pos_label) -> tuple[np.ndarray, object]:
    """Scores of ``estimator`` on ``X`` (higher = more bona fide), and the label."""
    classes = np.asarray(estimator.classes_).tolist()
    declared = _declared_pos_label(estimator)
    pos = pos_label
    if pos is None:
        if declared is not _NO_LABEL:
            pos = declared
        elif "bonafide" in classes:
            pos = "bonafide"
        elif 1 in classes:
            pos = 1
        else:
            raise ValueError(
                "Cannot tell which class is bona fide: the estimator has no "
                f"`pos_label` and classes_={classes!r} holds neither 'bonafide' nor "
                "1. Build the scorer with pos_label=<bona fide label> (e.g. "
                "make_eer_scorer(pos_label=...))."
            )
    matches = [i for i, c in enumerate(classes) if c == pos]
    if len(matches) != 1:
        raise ValueError(
            f"pos_label={pos!r} is not one of the estimator's classes_ {classes!r}. "
            "Build the scorer with pos_label=<bona fide label> (e.g. "
            "make_eer_scorer(pos_label=...))."
        )
    col = matches[0]
    if hasattr(estimator, "decision_function"):
        s = np.asarray(estimator.decision_function(X), dtype=np.float64)
        if s.ndim == 2 and s.shape[1] > 1:
            return s[:, col], pos
        # A 1-D decision_function is positive toward one class: the declared
        # pos_label for estimators that expose one (this library's convention,
        # higher = more bona fide), else classes_[1] (scikit-learn's convention).
        toward = declared if declared is not _NO_LABEL else classes[-1]
        s = s.ravel()
        return (s if toward == pos else -s), pos
    if hasattr(estimator, "predict_proba"):
        return np.asarray(estimator.predict_proba(X), dtype=np.float64)[:, col], pos
    raise TypeError(
        f"{type(estimator).__name__} has neither decision_function nor predict_proba; "
        "eer_scorer needs continuous scores."
    )


class _EERScorer:
    """Callable ``scorer(estimator, X, y) -> 1 - EER`` (higher is better)."""

    def __init__(self, pos_label=None):
        self.pos_label = pos_label

    def __call__(self, estimator, X, y_true, sample_weight=None) -> float:
        if sample_weight is not None:
            raise ValueError(
                "eer_scorer does not support sample_weight; the official EER "
                "weights every trial equally."
            )
        scores, pos = _bonafide_scores(estimator, X, self.pos_label)
        return 1.0 - eer_score(y_true, scores, pos_label=pos)

    def __repr__(self) -> str:
        if self.pos_label is None:
            return "eer_scorer"
        return f"make_eer_scorer(pos_label={self.pos_label!r})"


@validate_params({"pos_label": [str, Real, None]}, prefer_skip_nested_validation=True)
def make_eer_scorer(*, pos_label: str | int | None = None) -> _EERScorer:
    """Build a scorer that returns ``1 - EER`` (higher is better) for model search.

    Scores come from ``decision_function``, or from the bona fide column of
    ``predict_proba`` when there is none. A 1-D ``decision_function`` is taken as
    higher = more ``estimator.pos_label`` for estimators exposing ``pos_label``
    (as :class:`~sklearn_ssastcl.SSASTCLClassifier` does), and as positive toward
    ``classes_[1]`` otherwise (scikit-learn's convention); its sign is flipped
    when the bona fide class is the other one.

    Parameters
    ----------
    pos_label : str, int or None, default=None
        The bona fide class. ``None`` uses the estimator's ``pos_label`` attribute
        if it has one, else ``"bonafide"`` or ``1`` if in ``classes_``.

    Returns
    -------
    callable
        ``scorer(estimator, X, y)`` returning ``1 - EER``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ssastcl.metrics import make_eer_scorer
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], ["spoof", "spoof", "real", "real"]
    >>> clf = LogisticRegression().fit(X, y)
    >>> make_eer_scorer(pos_label="real")(clf, X, y)
    1.0
    """
    return _EERScorer(pos_label=pos_label)


eer_scorer = _EERScorer()
"""Scorer returning ``1 - EER`` (higher is better); bona fide class found automatically.

Use as ``GridSearchCV(..., scoring=eer_scorer)``. The bona fide class is the
estimator's ``pos_label`` attribute, else ``"bonafide"`` or ``1`` in ``classes_``.
See :func:`make_eer_scorer` for how the scores are oriented.
"""


class _MinDCFScorer:
    """Callable ``scorer(estimator, X, y) -> -min_dcf`` (higher is better)."""

    def __init__(self, pos_label=None, p_spoof=0.05, c_miss=1.0, c_fa=10.0):
        self.pos_label = pos_label
        self.p_spoof = p_spoof
        self.c_miss = c_miss
        self.c_fa = c_fa

    def __call__(self, estimator, X, y_true, sample_weight=None) -> float:
        if sample_weight is not None:
            raise ValueError(
                "min_dcf_scorer does not support sample_weight; the ASVspoof DCF "
                "weights every trial equally. Pass sample_weight=None."
            )
        scores, pos = _bonafide_scores(estimator, X, self.pos_label)
        return -min_dcf(
            y_true,
            scores,
            pos_label=pos,
            p_spoof=self.p_spoof,
            c_miss=self.c_miss,
            c_fa=self.c_fa,
        )

    def __repr__(self) -> str:
        defaults = {"pos_label": None, "p_spoof": 0.05, "c_miss": 1.0, "c_fa": 10.0}
        changed = {
            k: getattr(self, k) for k, v in defaults.items() if getattr(self, k) != v
        }
        if not changed:
            return "min_dcf_scorer"
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"make_min_dcf_scorer({args})"


@validate_params(
    {
        "pos_label": [str, Real, None],
        "p_spoof": [Real],
        "c_miss": [Real],
        "c_fa": [Real],
    },
    prefer_skip_nested_validation=True,
)
def make_min_dcf_scorer(
    *,
    pos_label: str | int | None = None,
    p_spoof: float = 0.05,
    c_miss: float = 1.0,
    c_fa: float = 10.0,
) -> _MinDCFScorer:
    """Build a scorer returning ``-min_dcf`` (higher is better) for model search.

    The sign is flipped because scikit-learn and Optuna maximise scores: the
    best model has the largest ``-min_dcf``, i.e. the smallest min DCF; report
    ``-search.best_score_`` as the min DCF. Scores are taken from the estimator
    exactly as for :func:`make_eer_scorer` (``decision_function``, else the bona
    fide column of ``predict_proba``); min DCF ignores their scale.

    Parameters
    ----------
    pos_label : str, int or None, default=None
        The bona fide class. ``None`` uses the estimator's ``pos_label`` attribute
        if it has one, else ``"bonafide"`` or ``1`` if in ``classes_``.
    p_spoof : float, default=0.05
        Prior probability of a spoof, strictly between 0 and 1.
    c_miss : float, default=1.0
        Cost of rejecting a bona fide trial (> 0).
    c_fa : float, default=10.0
        Cost of accepting a spoof trial (> 0).

    Returns
    -------
    callable
        ``scorer(estimator, X, y)`` returning ``-min_dcf``; picklable.

    See Also
    --------
    min_dcf : The metric itself.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ssastcl.metrics import make_min_dcf_scorer
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], ["spoof", "spoof", "real", "real"]
    >>> clf = LogisticRegression().fit(X, y)
    >>> make_min_dcf_scorer(pos_label="real")(clf, X, y)
    -0.0
    """
    _check_prior(p_spoof, "p_spoof")
    _check_cost(c_miss, "c_miss")
    _check_cost(c_fa, "c_fa")
    return _MinDCFScorer(pos_label=pos_label, p_spoof=p_spoof, c_miss=c_miss, c_fa=c_fa)


class _CllrScorer:
    """Callable ``scorer(estimator, X, y) -> -cllr`` (higher is better)."""

    def __init__(self, pos_label=None):
        self.pos_label = pos_label

    def __call__(self, estimator, X, y_true, sample_weight=None) -> float:
        if sample_weight is not None:
            raise ValueError(
                "cllr_scorer does not support sample_weight; Cllr weights the two "
                "classes equally. Pass sample_weight=None."
            )
        if not hasattr(estimator, "decision_function"):
            raise TypeError(
                f"{type(estimator).__name__} has no decision_function; cllr_scorer "
                "needs natural-log LLRs from decision_function, not probabilities. "
                "Calibrate the scores to LLRs first, or use min_dcf_scorer."
            )
        llrs, pos = _bonafide_scores(estimator, X, self.pos_label)
        return -cllr(y_true, llrs, pos_label=pos)

    def __repr__(self) -> str:
        if self.pos_label is None:
            return "cllr_scorer"
        return f"make_cllr_scorer(pos_label={self.pos_label!r})"


@validate_params({"pos_label": [str, Real, None]}, prefer_skip_nested_validation=True)
def make_cllr_scorer(*, pos_label: str | int | None = None) -> _CllrScorer:
    """Build a scorer returning ``-cllr`` in bits (higher is better) for model search.

    The sign is flipped because scikit-learn and Optuna maximise scores; report
    ``-search.best_score_`` as Cllr. The estimator's ``decision_function`` output,
    oriented toward bona fide as in :func:`make_eer_scorer`, is taken **as is**
    as natural-log LLRs ``log p(x|bona fide) / p(x|spoof)``; no calibration is
    applied, so the scorer rewards calibrated models. For a scikit-learn
    classifier such as :class:`~sklearn.linear_model.LogisticRegression` the
    decision function is the posterior log-odds, which equals the LLR only when
    the training classes were balanced. Estimators without
    ``decision_function`` raise a TypeError.

    Parameters
    ----------
    pos_label : str, int or None, default=None
        The bona fide class. ``None`` uses the estimator's ``pos_label`` attribute
        if it has one, else ``"bonafide"`` or ``1`` if in ``classes_``.

    Returns
    -------
    callable
        ``scorer(estimator, X, y)`` returning ``-cllr``; picklable.

    See Also
    --------
    cllr : The metric itself.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ssastcl.metrics import make_cllr_scorer
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], ["spoof", "spoof", "real", "real"]
    >>> clf = LogisticRegression(C=100.0).fit(X, y)
    >>> score = make_cllr_scorer(pos_label="real")(clf, X, y)
    >>> bool(-1.0 < score < 0.0)
    True
    """
    return _CllrScorer(pos_label=pos_label)


min_dcf_scorer = _MinDCFScorer()
"""Scorer returning ``-min_dcf`` (higher is better) at the ASVspoof 5 cost model.

Use as ``GridSearchCV(..., scoring=min_dcf_scorer)``; ``-best_score_`` is the min
DCF. Defaults: ``p_spoof=0.05, c_miss=1, c_fa=10``; see :func:`make_min_dcf_scorer`.
"""

cllr_scorer = _CllrScorer()
"""Scorer returning ``-cllr`` in bits (higher is better).

``decision_function`` output is taken as natural-log LLRs; see
:func:`make_cllr_scorer`. ``-best_score_`` is the Cllr.
"""
