"""The official ASVspoof EER and DET curve (``compute_det_curve`` / ``compute_eer``)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import numpy.typing as npt
from sklearn.utils._param_validation import validate_params

from sklearn_ssastcl._bootstrap import eer_confidence_interval
from sklearn_ssastcl._score_checks import _as_scores, _det_curve, _split_scores


@validate_params(
    {"target_scores": ["array-like"], "nontarget_scores": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def compute_det_curve(
    target_scores: npt.ArrayLike, nontarget_scores: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DET curve of the official ASVspoof evaluation code (``compute_det_curve``).

    Scores are sorted with a stable sort, so tied target scores precede tied
    non-target scores and each sorted score is its own operating point.

    Parameters
    ----------
    target_scores : array-like of shape (n_target,)
        Scores of the target (bona fide) trials; higher means more bona fide.
    nontarget_scores : array-like of shape (n_nontarget,)
        Scores of the non-target (spoof) trials.

    Returns
    -------
    frr : ndarray of shape (n_target + n_nontarget + 1,)
        Fraction of targets with a score at or below the threshold (starts at 0).
    far : ndarray of shape (n_target + n_nontarget + 1,)
        Fraction of non-targets with a score above the threshold (starts at 1).
    thresholds : ndarray of shape (n_target + n_nontarget + 1,)
        The sorted scores, preceded by the lowest score minus 0.001.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import compute_det_curve
    >>> frr, far, thr = compute_det_curve([2.0, 3.0], [1.0])
    >>> frr.tolist(), far.tolist(), thr.tolist()
    ([0.0, 0.0, 0.5, 1.0], [1.0, 0.0, 0.0, 0.0], [0.999, 1.0, 2.0, 3.0])
    """
    tar = _as_scores(target_scores, "target_scores")
    non = _as_scores(nontarget_scores, "nontarget_scores")
    if tar.size == 0 or non.size == 0:
        raise ValueError(
            f"Both score sets must be non-empty; got {tar.size} target and "
            f"{non.size} non-target scores."
        )
    return _det_curve(tar, non)


def compute_eer(
    target_scores: npt.ArrayLike, nontarget_scores: npt.ArrayLike
) -> tuple[float, float]:
    """EER and its threshold from split scores, as the official ``compute_eer``.

    Parameters
    ----------
    target_scores : array-like of shape (n_target,)
        Bona fide (target) scores; higher means more bona fide.
    nontarget_scores : array-like of shape (n_nontarget,)
        Spoof (non-target) scores.

    Returns
    -------
    eer : float
        Mean of FRR and FAR at the first point of minimal ``|FRR - FAR|``.
    threshold : float
        The threshold at that point.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import compute_eer
    >>> compute_eer([0.9, 0.8, 0.3], [0.1, 0.4, 0.2])
    (0.333..., 0.3)
    """
    frr, far, thresholds = compute_det_curve(target_scores, nontarget_scores)
    i = int(np.argmin(np.abs(frr - far)))
    return float((frr[i] + far[i]) / 2), float(thresholds[i])


_EER_PARAMS = {
    "y_true": ["array-like"],
    "scores": ["array-like"],
    "pos_label": [str, Real],
}


@validate_params(_EER_PARAMS, prefer_skip_nested_validation=True)
def eer_and_threshold(
    y_true: npt.ArrayLike, scores: npt.ArrayLike, *, pos_label: str | int = "bonafide"
) -> tuple[float, float]:
    """Equal error rate and the threshold at which the official code finds it.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels with exactly two values: ``pos_label`` (bona fide) and spoof.
    scores : array-like of shape (n_samples,)
        Scores; higher means more bona fide (e.g. ``decision_function``).
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.

    Returns
    -------
    eer : float
        The EER as a fraction in ``[0, 1]``.
    threshold : float
        The score threshold at the EER point.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import eer_and_threshold
    >>> eer_and_threshold(["bonafide", "spoof", "bonafide", "spoof"], [3, 1, 2, 2.5])
    (0.5, 2.0)
    """
    tar, non = _split_scores(y_true, scores, pos_label)
    return compute_eer(tar, non)


@validate_params(
    {
        **_EER_PARAMS,
        "confidence_level": [Real, None],
        "groups": ["array-like", None],
        "n_bootstrap": [Integral],
        "random_state": ["random_state", np.random.Generator],
    },
    prefer_skip_nested_validation=True,
)
def eer_score(
    y_true: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    pos_label: str | int = "bonafide",
    confidence_level: float | None = None,
    groups: npt.ArrayLike | None = None,
    n_bootstrap: int = 1000,
    random_state: int | np.random.Generator | np.random.RandomState | None = 0,
) -> float | tuple[float, float, float]:
    """Equal error rate (EER) of a spoofing countermeasure, official ASVspoof algorithm.

    Lower is better; 0 is perfect separation, 1 means fully inverted scores.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels with exactly two values: ``pos_label`` (bona fide) and spoof.
    scores : array-like of shape (n_samples,)
        Scores; higher means more bona fide (e.g. ``decision_function``).
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``; use e.g. ``pos_label=1`` for 0/1 labels.
    confidence_level : float or None, default=None
        If given (e.g. 0.95), also return a percentile-bootstrap confidence
        interval of the EER; see :func:`eer_confidence_interval`.
    groups : array-like of shape (n_samples,), default=None
        Only with ``confidence_level``: resample whole groups (e.g. speakers)
        instead of single trials.
    n_bootstrap : int, default=1000
        Only with ``confidence_level``: number of bootstrap resamples.
    random_state : int, None, numpy Generator or RandomState, default=0
        Only with ``confidence_level``: seed of the resampling.

    Returns
    -------
    float or tuple of float
        The EER as a fraction in ``[0, 1]`` (multiply by 100 for a percentage);
        with ``confidence_level``, the tuple ``(eer, low, high)``.

    See Also
    --------
    eer_threshold : The threshold at the EER point.
    eer_scorer : ``1 - EER`` as a scorer for model selection.
    eer_confidence_interval : The bootstrap interval alone.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import eer_score
    >>> eer_score(["bonafide", "spoof", "bonafide", "spoof"], [0.9, 0.2, 0.7, 0.8])
    0.5
    >>> eer_score([1, 0, 1, 0], [0.9, 0.2, 0.7, 0.1], pos_label=1)
    0.0
    >>> y, s = [1, 1, 1, 0, 0, 0], [0.9, 0.8, 0.3, 0.1, 0.4, 0.2]
    >>> eer_score(y, s, pos_label=1, confidence_level=0.9, n_bootstrap=100)
    (0.333..., 0.0, 0.666...)
    """
    eer = eer_and_threshold(y_true, scores, pos_label=pos_label)[0]
    if confidence_level is None:
        if groups is not None:
            raise ValueError(
                "groups only matters for the bootstrap interval; pass "
                "confidence_level (e.g. 0.95) too, or drop groups."
            )
        return eer
    low, high = eer_confidence_interval(
        y_true,
        scores,
        pos_label=pos_label,
        groups=groups,
        confidence_level=confidence_level,
        n_bootstrap=n_bootstrap,
        random_state=random_state,
    )
    return eer, low, high


@validate_params(_EER_PARAMS, prefer_skip_nested_validation=True)
def eer_threshold(
    y_true: npt.ArrayLike, scores: npt.ArrayLike, *, pos_label: str | int = "bonafide"
) -> float:
    """Score threshold at the EER point, as the official ``compute_eer`` returns it.

    Trials scoring above the threshold are accepted as bona fide.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels with exactly two values: ``pos_label`` (bona fide) and spoof.
    scores : array-like of shape (n_samples,)
        Scores; higher means more bona fide.
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.

    Returns
    -------
    float
        The threshold.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import eer_threshold
    >>> eer_threshold(["bonafide", "spoof", "bonafide", "spoof"], [0.9, 0.2, 0.7, 0.1])
    0.2
    """
    return eer_and_threshold(y_true, scores, pos_label=pos_label)[1]
