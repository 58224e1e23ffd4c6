"""ASVspoof 5 calibration metrics: Cllr and min Cllr (bits).

Definitions follow the ASVspoof 5 evaluation package
(``evaluation-package/calculate_modules.py`` of
https://github.com/asvspoof-challenge/asvspoof5): bona fide is the positive class
and LLRs are natural-log likelihood ratios ``log p(s | bona fide) / p(s | spoof)``.
Public names are re-exported by :mod:`sklearn_ssastcl.metrics`.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import numpy.typing as npt
from sklearn.utils._param_validation import validate_params

from sklearn_ssastcl._score_checks import _split_scores

__all__ = ["cllr", "min_cllr"]

_LOG2 = np.log(2.0)


def _cllr_bits(tar: np.ndarray, non: np.ndarray) -> float:
    # log(1 + exp(-llr)) for bona fide, log(1 + exp(llr)) for spoof, stably;
    # an infinite LLR on the correct side contributes exactly 0.
    c_tar = np.mean(np.logaddexp(0.0, -tar))
    c_non = np.mean(np.logaddexp(0.0, non))
    return float(0.5 * (c_tar + c_non) / _LOG2)


_CLLR_PARAMS = {"y_true": ["array-like"], "pos_label": [str, Real]}


@validate_params(
    {**_CLLR_PARAMS, "llrs": ["array-like"]}, prefer_skip_nested_validation=True
)
def cllr(
    y_true: npt.ArrayLike, llrs: npt.ArrayLike, *, pos_label: str | int = "bonafide"
) -> float:
    """Log-likelihood-ratio cost Cllr in bits (ASVspoof 5 Track 1 secondary metric).

    ``Cllr = (mean(log2(1 + exp(-llr_bona))) + mean(log2(1 + exp(llr_spoof)))) / 2``
    for natural-log LLRs, computed with :func:`numpy.logaddexp` so that large
    LLRs neither overflow nor lose precision. 0 is perfect, 1 bit is the cost of
    an uninformative system that always outputs LLR 0; above 1 means harmful
    miscalibration. Lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels with exactly two values: ``pos_label`` (bona fide) and spoof.
    llrs : array-like of shape (n_samples,)
        Natural-log likelihood ratios ``log p(s|bona fide) / p(s|spoof)``.
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.

    Returns
    -------
    float
        Cllr in bits.

    See Also
    --------
    min_cllr : Cllr after optimal monotone calibration (discrimination only).

    References
    ----------
    .. [1] N. Brümmer and J. du Preez, "Application-independent evaluation of
       speaker detection", Computer Speech & Language 20(2-3), 230-275, 2006.
    .. [2] ASVspoof 5 evaluation package (``calculate_CLLR``),
       https://github.com/asvspoof-challenge/asvspoof5.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import cllr
    >>> cllr(["bonafide", "spoof"], [0.0, 0.0])
    1.0
    >>> round(cllr(["bonafide", "spoof"], [3.0, -3.0]), 4)  # log2(1 + exp(-3))
    0.0701
    """
    tar, non = _split_scores(y_true, llrs, pos_label, metric="Cllr", name="llrs")
    return _cllr_bits(tar, non)


def _pav_llrs(tar: np.ndarray, non: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Optimal monotone (PAV) LLRs of bona fide and spoof scores; may be +-inf."""
    from sklearn.isotonic import IsotonicRegression

    x = np.concatenate([tar, non])
    y = np.concatenate([np.ones(tar.size), np.zeros(non.size)])
    post = IsotonicRegression(increasing=True).fit_transform(x, y)
    post = np.clip(post, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        # logit(posterior) minus the log prior odds of the fitted data.
        llr = np.log(post) - np.log1p(-post) - np.log(tar.size / non.size)
    return llr[: tar.size], llr[tar.size :]


@validate_params(
    {**_CLLR_PARAMS, "scores": ["array-like"]}, prefer_skip_nested_validation=True
)
def min_cllr(
    y_true: npt.ArrayLike, scores: npt.ArrayLike, *, pos_label: str | int = "bonafide"
) -> float:
    """Minimum Cllr in bits: Cllr after the optimal monotone calibration (PAV).

    Scores are mapped to bona fide posteriors by isotonic regression (the
    pool-adjacent-violators algorithm, :class:`sklearn.isotonic.IsotonicRegression`;
    tied scores share one posterior), then to LLRs by ``logit(posterior) -
    log(n_bonafide / n_spoof)``, which removes the prior of the evaluation data
    so that the LLRs suit Cllr's equal class weighting. ``cllr - min_cllr`` is
    the calibration loss; ``min_cllr <= cllr`` for any LLRs with the same order.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels with exactly two values: ``pos_label`` (bona fide) and spoof.
    scores : array-like of shape (n_samples,)
        Scores of any scale; higher means more bona fide.
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.

    Returns
    -------
    float
        Minimum Cllr in bits, in ``[0, 1]``.

    Notes
    -----
    Infinite LLRs: a PAV block holding only bona fide trials (at the top of the
    score range) gets posterior 1 and LLR ``+inf``; a block of only spoofs (at
    the bottom) gets posterior 0 and LLR ``-inf``. No clipping or Laplace smoothing
    is applied (the BOSARIS ``opt_loglr`` choice without its Laplace option):
    an infinite LLR is always on the correct side of its trial, so its Cllr term
    ``log(1 + exp(-inf))`` is exactly 0, which :func:`numpy.logaddexp` evaluates
    exactly. Perfectly separated scores therefore give exactly 0.

    References
    ----------
    .. [1] N. Brümmer and J. du Preez, "Application-independent evaluation of
       speaker detection", Computer Speech & Language 20(2-3), 230-275, 2006.
    .. [2] N. Brümmer and E. de Villiers, "The BOSARIS toolkit: theory,
       algorithms and code for surviving the new DCF", arXiv:1304.2865, 2013.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import min_cllr
    >>> min_cllr(["bonafide", "spoof", "bonafide", "spoof"], [4.0, 1.0, 3.0, 2.0])
    0.0
    >>> min_cllr(["bonafide", "spoof"], [1.0, 1.0])
    1.0
    """
    tar, non = _split_scores(y_true, scores, pos_label, metric="min Cllr")
    return _cllr_bits(*_pav_llrs(tar, non))
