"""ASVspoof 5 countermeasure metrics: min / actual DCF and Bayes error rates.

Definitions follow the ASVspoof 5 evaluation package
(``evaluation-package/calculate_modules.py`` of
https://github.com/asvspoof-challenge/asvspoof5): bona fide is the positive class,
a higher score means more bona fide, and LLRs are natural-log likelihood ratios
``log p(s | bona fide) / p(s | spoof)``. Public names are re-exported by
:mod:`sklearn_ssastcl.metrics`.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import numpy.typing as npt
from sklearn.utils._param_validation import validate_params

from sklearn_ssastcl._score_checks import (
    _as_scores,
    _check_cost,
    _check_prior,
    _det_curve,
    _split_scores,
)

__all__ = ["act_dcf", "bayes_error_rates", "min_dcf"]


_DCF_PARAMS = {
    "y_true": ["array-like"],
    "pos_label": [str, Real],
    "p_spoof": [Real],
    "c_miss": [Real],
    "c_fa": [Real],
    "return_threshold": ["boolean"],
}


def _dcf_weights(p_spoof, c_miss, c_fa):
    p_spoof = _check_prior(p_spoof, "p_spoof")
    c_miss = _check_cost(c_miss, "c_miss")
    c_fa = _check_cost(c_fa, "c_fa")
    return p_spoof, c_miss, c_fa


@validate_params(
    {**_DCF_PARAMS, "scores": ["array-like"]}, prefer_skip_nested_validation=True
)
def min_dcf(
    y_true: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    pos_label: str | int = "bonafide",
    p_spoof: float = 0.05,
    c_miss: float = 1.0,
    c_fa: float = 10.0,
    return_threshold: bool = False,
) -> float | tuple[float, float]:
    """Normalised minimum detection cost function (min DCF), ASVspoof 5 Track 1.

    The DCF at a threshold is ``c_miss * (1 - p_spoof) * P_miss + c_fa * p_spoof
    * P_fa``, where ``P_miss`` is the fraction of bona fide trials rejected and
    ``P_fa`` the fraction of spoof trials accepted. Its minimum over the
    operating points of the official DET sweep (:func:`compute_det_curve`) is
    divided by the cost of the better trivial system, ``min(c_miss * (1 -
    p_spoof), c_fa * p_spoof)``, so 1 means no better than always accepting or
    always rejecting, and 0 is perfect. Lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels with exactly two values: ``pos_label`` (bona fide) and spoof.
    scores : array-like of shape (n_samples,)
        Scores of any scale; higher means more bona fide.
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.
    p_spoof : float, default=0.05
        Prior probability of a spoof, strictly between 0 and 1.
    c_miss : float, default=1.0
        Cost of rejecting a bona fide trial (> 0).
    c_fa : float, default=10.0
        Cost of accepting a spoof trial (> 0).
    return_threshold : bool, default=False
        Also return the threshold of the (first) minimum.

    Returns
    -------
    min_dcf : float
        The normalised minimum DCF.
    threshold : float
        Only when ``return_threshold=True``: trials scoring **above** it are
        accepted as bona fide (the DET-curve convention of :func:`eer_threshold`).

    See Also
    --------
    act_dcf : The DCF at the Bayes threshold of calibrated LLRs.

    Notes
    -----
    Tied scores are not grouped in the official sweep, but the extra points that
    ties create are never better than a real threshold, so the minimum equals the
    minimum over all real thresholds.

    References
    ----------
    .. [1] X. Wang, H. Delgado, H. Tak, J. Jung, H. Shim, M. Todisco, I. Kukanov,
       X. Liu, M. Sahidullah, T. Kinnunen, N. Evans, K. A. Lee and J. Yamagishi,
       "ASVspoof 5: Crowdsourced speech data, deepfakes, and adversarial attacks
       at scale", ASVspoof 2024 Workshop; and the ASVspoof 5 evaluation plan.
    .. [2] ASVspoof 5 evaluation package (``compute_mindcf``, ``compute_actDCF``),
       https://github.com/asvspoof-challenge/asvspoof5 (``evaluation-package/``).

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import min_dcf
    >>> y = ["bonafide", "bonafide", "spoof", "spoof"]
    >>> min_dcf(y, [0.9, 0.4, 0.1, 0.8])  # best: reject 0.1 only, P_fa = 0.5
    0.5
    >>> min_dcf(y, [0.9, 0.4, 0.1, 0.8], return_threshold=True)
    (0.5, 0.1)
    """
    p_spoof, c_miss, c_fa = _dcf_weights(p_spoof, c_miss, c_fa)
    tar, non = _split_scores(y_true, scores, pos_label, metric="min DCF")
    frr, far, thresholds = _det_curve(tar, non)
    p_target = 1 - p_spoof
    c_det = c_miss * frr * p_target + c_fa * far * (1 - p_target)
    i = int(np.argmin(c_det))
    c_def = min(c_miss * p_target, c_fa * (1 - p_target))
    value = float(c_det[i] / c_def)
    if return_threshold:
        return value, float(thresholds[i])
    return value


@validate_params(
    {**_DCF_PARAMS, "llrs": ["array-like"]}, prefer_skip_nested_validation=True
)
def act_dcf(
    y_true: npt.ArrayLike,
    llrs: npt.ArrayLike,
    *,
    pos_label: str | int = "bonafide",
    p_spoof: float = 0.05,
    c_miss: float = 1.0,
    c_fa: float = 10.0,
    return_threshold: bool = False,
) -> float | tuple[float, float]:
    """Normalised actual DCF of calibrated LLRs at the Bayes threshold (ASVspoof 5).

    With ``beta = c_miss * (1 - p_spoof) / (c_fa * p_spoof)`` the Bayes decision
    threshold for natural-log LLRs is ``-log(beta)``. A bona fide trial is missed
    when its LLR is ``< threshold``; a spoof is accepted when its LLR is ``>=
    threshold``. The DCF is normalised as in :func:`min_dcf`, so ``act_dcf >=
    min_dcf`` and the gap is the calibration loss. Lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels with exactly two values: ``pos_label`` (bona fide) and spoof.
    llrs : array-like of shape (n_samples,)
        Natural-log likelihood ratios ``log p(s|bona fide) / p(s|spoof)``.
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.
    p_spoof : float, default=0.05
        Prior probability of a spoof, strictly between 0 and 1.
    c_miss : float, default=1.0
        Cost of rejecting a bona fide trial (> 0).
    c_fa : float, default=10.0
        Cost of accepting a spoof trial (> 0).
    return_threshold : bool, default=False
        Also return the Bayes threshold ``-log(beta)``.

    Returns
    -------
    act_dcf : float
        The normalised actual DCF.
    threshold : float
        Only when ``return_threshold=True``.

    References
    ----------
    .. [1] X. Wang, H. Delgado, H. Tak, J. Jung, H. Shim, M. Todisco, I. Kukanov,
       X. Liu, M. Sahidullah, T. Kinnunen, N. Evans, K. A. Lee and J. Yamagishi,
       "ASVspoof 5: Crowdsourced speech data, deepfakes, and adversarial attacks
       at scale", ASVspoof 2024 Workshop; and the ASVspoof 5 evaluation plan.
    .. [2] ASVspoof 5 evaluation package (``compute_mindcf``, ``compute_actDCF``),
       https://github.com/asvspoof-challenge/asvspoof5 (``evaluation-package/``).

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import act_dcf
    >>> y = ["bonafide", "bonafide", "spoof", "spoof"]
    >>> act_dcf(y, [2.0, -1.0, -3.0, 0.5], return_threshold=True)
    (1.45, -0.641...)
    """
    p_spoof, c_miss, c_fa = _dcf_weights(p_spoof, c_miss, c_fa)
    tar, non = _split_scores(y_true, llrs, pos_label, metric="act DCF", name="llrs")
    beta = c_miss * (1 - p_spoof) / (c_fa * p_spoof)
    threshold = -np.log(beta)
    rate_miss = np.sum(tar < threshold) / tar.size
    rate_fa = np.sum(non >= threshold) / non.size
    dcf = c_miss * (1 - p_spoof) * rate_miss + c_fa * p_spoof * rate_fa
    value = float(dcf / min(c_fa * p_spoof, c_miss * (1 - p_spoof)))
    if return_threshold:
        return value, float(threshold)
    return value


@validate_params(
    {
        "y_true": ["array-like"],
        "llrs": ["array-like"],
        "prior_log_odds": ["array-like", Real],
        "pos_label": [str, Real],
    },
    prefer_skip_nested_validation=True,
)
def bayes_error_rates(
    y_true: npt.ArrayLike,
    llrs: npt.ArrayLike,
    prior_log_odds: npt.ArrayLike | float,
    *,
    pos_label: str | int = "bonafide",
) -> tuple[np.ndarray, np.ndarray]:
    """Actual and minimum normalised Bayes error rates over prior log-odds.

    For each prior log-odds ``eta`` the effective bona fide prior is ``p =
    sigmoid(eta)`` and the Bayes error is the DCF with unit costs, ``p * P_miss +
    (1 - p) * P_fa``, normalised by ``min(p, 1 - p)`` (the error of the better
    trivial system). *Actual*: at the Bayes threshold ``-eta`` for natural-log
    LLRs (missed when ``llr < -eta``, accepted when ``llr >= -eta``), i.e.
    :func:`act_dcf` with ``c_miss = c_fa = 1`` and ``p_spoof = 1 - p``.
    *Minimum*: over all thresholds, i.e. :func:`min_dcf` likewise. Plot both
    against ``eta`` for a normalised Bayes error-rate (applied probability of
    error) plot; the gap is the calibration loss, ``minimum <= actual``.

    At ``eta = 0`` the normalised error is ``P_miss + P_fa``, twice the
    unnormalised ``(P_miss + P_fa) / 2``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels with exactly two values: ``pos_label`` (bona fide) and spoof.
    llrs : array-like of shape (n_samples,)
        Natural-log likelihood ratios ``log p(s|bona fide) / p(s|spoof)``.
    prior_log_odds : array-like of shape (n_priors,) or float
        Finite prior log-odds ``log(p / (1 - p))`` of bona fide.
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.

    Returns
    -------
    actual : ndarray of shape (n_priors,)
        Normalised Bayes error at the Bayes threshold.
    minimum : ndarray of shape (n_priors,)
        Normalised minimum Bayes error over thresholds.

    Notes
    -----
    The normalised error is computed as ``exp(max(eta, 0)) * P_miss +
    exp(max(-eta, 0)) * P_fa``, which equals the definition above without
    forming ``1 - sigmoid(eta)``.

    References
    ----------
    .. [1] N. Brümmer and J. du Preez, "Application-independent evaluation of
       speaker detection", Computer Speech & Language 20(2-3), 230-275, 2006.
    .. [2] ASVspoof 5 evaluation package (``compute_actDCF``, ``compute_mindcf``),
       https://github.com/asvspoof-challenge/asvspoof5.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import bayes_error_rates
    >>> y = ["bonafide", "bonafide", "spoof", "spoof"]
    >>> actual, minimum = bayes_error_rates(y, [2.0, -1.0, -3.0, 0.5], [0.0])
    >>> actual.tolist(), minimum.tolist()
    ([1.0], [0.5])
    """
    tar, non = _split_scores(
        y_true, llrs, pos_label, metric="the Bayes error", name="llrs"
    )
    eta = _as_scores(np.atleast_1d(np.asarray(prior_log_odds)), "prior_log_odds")
    w_miss = np.exp(np.maximum(eta, 0.0))
    w_fa = np.exp(np.maximum(-eta, 0.0))

    tar_sorted, non_sorted = np.sort(tar), np.sort(non)
    thr = -eta
    p_miss = np.searchsorted(tar_sorted, thr, side="left") / tar.size  # llr < thr
    p_fa = (non.size - np.searchsorted(non_sorted, thr, side="left")) / non.size
    actual = w_miss * p_miss + w_fa * p_fa

    frr, far, _ = _det_curve(tar, non)
    minimum = np.empty_like(eta)
    for k in range(eta.size):
        minimum[k] = np.min(w_miss[k] * frr + w_fa[k] * far)
    return actual, minimum
