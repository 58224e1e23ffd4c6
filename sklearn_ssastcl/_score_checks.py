"""Input checks and the official DET sweep shared by the metric modules.

Kept apart from :mod:`sklearn_ssastcl.metrics` so that the private metric modules
(``_dcf``, ``_tandem``, ``_bootstrap``) can use them without a circular import;
``metrics`` re-exports ``_as_scores`` and ``_split_scores``.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np


def _as_scores(scores, name: str) -> np.ndarray:
    """Return ``scores`` as a finite 1-D float64 array, or say what is wrong."""
    try:
        arr = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must hold real numbers; got values such as "
            f"{np.asarray(scores).ravel()[:3].tolist()!r}. Pass numeric scores "
            "(e.g. decision_function output)."
        ) from exc
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one score per trial); got shape {arr.shape}. "
            "For predict_proba output pass the bona fide column only."
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.flatnonzero(bad)
        raise ValueError(
            f"{name} contains {bad.sum()} NaN or infinite value(s), e.g. "
            f"{arr[where[:3]].tolist()} at positions {where[:3].tolist()}. "
            "Remove those trials or fix the model producing them."
        )
    return arr


def _split_scores(
    y_true, scores, pos_label, *, metric: str = "the EER", name: str = "scores"
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``scores`` into (bona fide, spoof) arrays using ``y_true == pos_label``.

    ``metric`` names the quantity in the error messages; ``name`` the score input.
    """
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y_true must be 1-D; got shape {y.shape}.")
    s = _as_scores(scores, name)
    if y.shape[0] != s.shape[0]:
        raise ValueError(
            f"y_true has {y.shape[0]} labels but {name} has {s.shape[0]} values; "
            "pass one score per trial."
        )
    labels = np.unique(y).tolist()
    if len(labels) < 2:
        raise ValueError(
            f"y_true holds a single class {labels!r}; {metric} needs both bona fide "
            f"(pos_label={pos_label!r}) and spoof trials."
        )
    if not any(label == pos_label for label in labels):
        raise ValueError(
            f"pos_label={pos_label!r} is not among the labels found in y_true: "
            f"{labels!r}. Pass the bona fide label as pos_label "
            f"(e.g. pos_label={labels[-1]!r})."
        )
    if len(labels) > 2:
        raise ValueError(
            f"y_true holds {len(labels)} labels {labels!r}; {metric} needs exactly "
            f"two (bona fide = pos_label={pos_label!r}, and spoof). Map attack IDs to "
            "one spoof label, or use eer_by_attack for a per-attack breakdown."
        )
    is_bona = y == pos_label
    return s[is_bona], s[~is_bona]


def _det_curve(tar: np.ndarray, non: np.ndarray):
    """Official ASVspoof DET sweep on checked, non-empty float arrays.

    Stable sort, one operating point per sorted score (ties not grouped); at
    ``thresholds[i]`` a trial is rejected when its score is at or below it.
    """
    n_scores = tar.size + non.size
    all_scores = np.concatenate([tar, non])
    labels = np.concatenate([np.ones(tar.size), np.zeros(non.size)])
    order = np.argsort(all_scores, kind="mergesort")
    tar_sums = np.cumsum(labels[order])
    non_sums = non.size - (np.arange(1, n_scores + 1) - tar_sums)
    frr = np.concatenate([[0.0], tar_sums / tar.size])
    far = np.concatenate([[1.0], non_sums / non.size])
    thresholds = np.concatenate([[all_scores[order[0]] - 0.001], all_scores[order]])
    return frr, far, thresholds


def _eer(tar: np.ndarray, non: np.ndarray) -> float:
    """Official EER (first point of minimal ``|FRR - FAR|``) without input checks."""
    frr, far, _ = _det_curve(tar, non)
    i = int(np.argmin(np.abs(frr - far)))
    return float((frr[i] + far[i]) / 2)


# ----------------------------------------------------------------- parameter checks


def _check_prior(value, name: str, example: str = "0.05") -> float:
    """A prior probability strictly inside (0, 1)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number; got {value!r}.")
    v = float(value)
    if not 0.0 < v < 1.0:
        raise ValueError(
            f"{name} must be a probability strictly between 0 and 1; got {value!r}. "
            f"Pass a fraction such as {name}={example} (not a percentage)."
        )
    return v


def _check_cost(value, name: str) -> float:
    """A finite, strictly positive decision cost."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number; got {value!r}.")
    v = float(value)
    if not (np.isfinite(v) and v > 0.0):
        raise ValueError(
            f"{name} must be a finite positive cost; got {value!r}. Costs weigh "
            "errors, so pass a value > 0 (ASVspoof 5 uses c_miss=1, c_fa=10)."
        )
    return v


def _check_confidence_level(value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"confidence_level must be a real number; got {value!r}.")
    v = float(value)
    if not 0.0 < v < 1.0:
        raise ValueError(
            f"confidence_level must be strictly between 0 and 1; got {value!r}. "
            "Pass a fraction, e.g. confidence_level=0.95 for a 95% interval."
        )
    return v


def _check_n_bootstrap(value) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"n_bootstrap must be an integer; got {value!r}.")
    if value < 1:
        raise ValueError(
            f"n_bootstrap must be at least 1; got {value!r}. Use about 1000 "
            "resamples for a 95% interval (more for higher confidence levels)."
        )
    return int(value)


def one_minus_eer(estimator, X, y, sample_weight=None) -> float:
    """``1 - EER`` of ``estimator.decision_function(X)`` against ``y`` (the
    ``score`` method of the library's detectors; bona fide is ``estimator.pos_label``).
    """
    from sklearn.utils.validation import check_is_fitted

    from sklearn_ssastcl._eer import compute_eer

    if sample_weight is not None:
        raise ValueError(
            "score does not support sample_weight (the official EER weighs every "
            "trial equally); pass None."
        )
    check_is_fitted(estimator)
    y = np.asarray(y)
    classes = np.asarray(estimator.classes_)
    unknown = sorted(set(y.tolist()) - set(classes.tolist()), key=str)
    if unknown:
        raise ValueError(
            f"y holds labels {unknown!r} that are not among classes_ "
            f"{classes.tolist()!r}."
        )
    bona = y == estimator.pos_label
    if bona.all() or not bona.any():
        raise ValueError("score needs both bona fide and spoof clips in y.")
    scores = estimator.decision_function(X)
    if len(scores) != len(y):
        raise ValueError(f"X has {len(scores)} clips but y has {len(y)} labels.")
    return 1.0 - compute_eer(scores[bona], scores[~bona])[0]
