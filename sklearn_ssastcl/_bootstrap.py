"""Percentile-bootstrap confidence interval of the official ASVspoof EER.

Public names are re-exported by :mod:`sklearn_ssastcl.metrics`.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import numpy.typing as npt
from sklearn.utils._param_validation import validate_params

from sklearn_ssastcl._score_checks import (
    _check_confidence_level,
    _check_n_bootstrap,
    _eer,
    _split_scores,
)

__all__ = ["eer_confidence_interval"]

# Consecutive one-class group draws tolerated before giving up on a resample.
_MAX_REDRAWS = 1000


def _check_rng(random_state) -> np.random.Generator:
    """An int, None, Generator or RandomState as a :class:`numpy.random.Generator`."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(
                f"random_state must be a non-negative integer; got {random_state}."
            )
        return np.random.default_rng(int(random_state))
    raise TypeError(
        "random_state must be an int, None, a numpy Generator or RandomState; got "
        f"{random_state!r}."
    )


def _bootstrap_eers(y_true, scores, pos_label, groups, n_bootstrap, rng):
    """EER of each of ``n_bootstrap`` resamples (stratified or by group)."""
    tar, non = _split_scores(y_true, scores, pos_label, metric="the EER interval")
    eers = np.empty(n_bootstrap)
    if groups is None:
        for b in range(n_bootstrap):
            t = tar[rng.integers(0, tar.size, tar.size)]
            n = non[rng.integers(0, non.size, non.size)]
            eers[b] = _eer(t, n)
        return eers

    g = np.asarray(groups)
    if g.ndim == 2 and g.shape[1] == 1:
        g = g[:, 0]
    n_trials = tar.size + non.size
    if g.ndim != 1 or g.shape[0] != n_trials:
        raise ValueError(
            f"groups must be 1-D with one entry per trial; got shape {g.shape} for "
            f"{n_trials} trials. Pass e.g. the speaker ID of each trial."
        )
    y = np.asarray(y_true)
    if y.ndim == 2:
        y = y[:, 0]
    s = np.asarray(scores, dtype=np.float64).ravel()
    is_bona = y == pos_label
    _, inverse = np.unique(g, return_inverse=True)
    inverse = inverse.ravel()
    n_groups = int(inverse.max()) + 1
    order = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=n_groups))])
    members = [order[bounds[k] : bounds[k + 1]] for k in range(n_groups)]
    n_bona = np.bincount(inverse, weights=is_bona, minlength=n_groups)
    n_spoof = np.bincount(inverse, weights=~is_bona, minlength=n_groups)
    for b in range(n_bootstrap):
        for _ in range(_MAX_REDRAWS):
            drawn = rng.integers(0, n_groups, n_groups)
            if n_bona[drawn].sum() > 0 and n_spoof[drawn].sum() > 0:
                break
        else:
            raise ValueError(
                f"{_MAX_REDRAWS} successive group resamples held only one class; "
                "most groups hold only bona fide or only spoof trials. Use groups "
                "that each hold both classes, or groups=None."
            )
        idx = np.concatenate([members[k] for k in drawn])
        eers[b] = _eer(s[idx][is_bona[idx]], s[idx][~is_bona[idx]])
    return eers


@validate_params(
    {
        "y_true": ["array-like"],
        "scores": ["array-like"],
        "pos_label": [str, Real],
        "groups": ["array-like", None],
        "confidence_level": [Real],
        "n_bootstrap": [Integral],
        "random_state": ["random_state", np.random.Generator],
    },
    prefer_skip_nested_validation=True,
)
def eer_confidence_interval(
    y_true: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    pos_label: str | int = "bonafide",
    groups: npt.ArrayLike | None = None,
    confidence_level: float = 0.95,
    n_bootstrap: int = 1000,
    random_state: int | np.random.Generator | np.random.RandomState | None = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of the official EER.

    Each resample recomputes the EER with the official algorithm
    (:func:`compute_eer`); the interval is the ``(1 - confidence_level) / 2`` and
    ``(1 + confidence_level) / 2`` percentiles (linear interpolation) of the
    resampled EERs.

    * ``groups=None``: trials are resampled with replacement, *stratified*: the
      bona fide and the spoof trials are resampled separately, keeping each
      class's size, so both classes are always present.
    * ``groups`` given (e.g. the speaker of each trial): as many groups as there
      are distinct groups are drawn with replacement and **all** trials of each
      drawn group are taken (a group drawn twice contributes its trials twice).
      This respects the dependence of trials within a group and gives wider,
      more honest intervals. A draw holding one class only is discarded and
      redrawn, so the interval is conditional on both classes being present.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels with exactly two values: ``pos_label`` (bona fide) and spoof.
    scores : array-like of shape (n_samples,)
        Scores; higher means more bona fide.
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.
    groups : array-like of shape (n_samples,), default=None
        Group of each trial for a cluster bootstrap; ``None`` resamples trials.
    confidence_level : float, default=0.95
        Coverage of the interval, strictly between 0 and 1.
    n_bootstrap : int, default=1000
        Number of resamples (>= 1).
    random_state : int, None, numpy Generator or RandomState, default=0
        Seed of the resampling; an int gives the same interval on every call,
        ``None`` a fresh one. Draws use :func:`numpy.random.default_rng`.

    Returns
    -------
    low, high : float
        Interval bounds (fractions in ``[0, 1]``).

    Notes
    -----
    The official EER moves in steps of ``1 / (2 n)``, and ties are not grouped,
    so with few trials the interval is coarse. It does not need to contain the
    point EER, though on a reasonable set it does.

    References
    ----------
    .. [1] B. Efron and R. J. Tibshirani, "An Introduction to the Bootstrap",
       Chapman & Hall, 1993 (percentile interval, ch. 13).
    .. [2] R. M. Bolle, N. K. Ratha and S. Pankanti, "Error analysis of pattern
       recognition systems - the subsets bootstrap", Computer Vision and Image
       Understanding 93(1), 1-33, 2004 (resampling whole groups of trials).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ssastcl.metrics import eer_confidence_interval
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(["bonafide", "spoof"], 200)
    >>> s = np.concatenate([rng.normal(2, 1, 200), rng.normal(0, 1, 200)])
    >>> low, high = eer_confidence_interval(y, s, n_bootstrap=200)
    >>> bool(low < high), bool(0 < low < 0.16 < high < 0.3)
    (True, True)
    """
    level = _check_confidence_level(confidence_level)
    n_bootstrap = _check_n_bootstrap(n_bootstrap)
    rng = _check_rng(random_state)
    eers = _bootstrap_eers(y_true, scores, pos_label, groups, n_bootstrap, rng)
    alpha = 1.0 - level
    low, high = np.percentile(eers, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(low), float(high)
