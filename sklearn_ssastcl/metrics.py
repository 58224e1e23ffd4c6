"""Spoof-detection metrics: the official ASVspoof EER, min t-DCF, ASVspoof 5 metrics.

ASVspoof 5 Track 1 (countermeasure): :func:`min_dcf`, :func:`act_dcf`,
:func:`cllr`, :func:`min_cllr`; Track 2 (tandem / spoofing-aware ASV):
:func:`t_eer`, :func:`a_dcf`; a Bayes error-rate curve
(:func:`bayes_error_rates`), a bootstrap interval of the EER
(:func:`eer_confidence_interval`) and scorers for model search
(:data:`eer_scorer`, :data:`min_dcf_scorer`, :data:`cllr_scorer`).

Conventions (as in the ASVspoof evaluation package and clovaai/aasist): bona fide is
the positive class (the *target*, ``pos_label="bonafide"`` by default) and a higher
score means more bona fide. The EER follows the official algorithm exactly: a stable
sort of all scores, one operating point per sorted score (tied scores are **not**
grouped, so ties can move the EER), and the first point of minimal ``|FRR - FAR|``.

Rates are returned as fractions in ``[0, 1]``; multiply by 100 for tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real

import numpy as np
import numpy.typing as npt
from sklearn.utils._param_validation import StrOptions, validate_params

from sklearn_ssastcl._bootstrap import eer_confidence_interval
from sklearn_ssastcl._dcf import act_dcf, bayes_error_rates, cllr, min_cllr, min_dcf
from sklearn_ssastcl._score_checks import (
    _as_scores,
    _check_cost,
    _check_prior,
    _det_curve,
    _split_scores,
)
from sklearn_ssastcl._tandem import a_dcf, t_eer

__all__ = [
    "a_dcf",
    "act_dcf",
    "bayes_error_rates",
    "cllr",
    "cllr_scorer",
    "compute_det_curve",
    "compute_eer",
    "eer_and_threshold",
    "eer_by_attack",
    "eer_by_group",
    "eer_confidence_interval",
    "eer_score",
    "eer_scorer",
    "eer_threshold",
    "make_cllr_scorer",
    "make_eer_scorer",
    "make_min_dcf_scorer",
    "min_cllr",
    "min_dcf",
    "min_dcf_scorer",
    "min_tdcf",
    "t_eer",
]

# ASVspoof priors and costs (the official t-DCF scripts); the same in 2019 and 2021.
_P_SPOOF = 0.05
_P_TAR = (1 - _P_SPOOF) * 0.99
_P_NON = (1 - _P_SPOOF) * 0.01
_COSTS_2019 = {"Cmiss_asv": 1.0, "Cfa_asv": 10.0, "Cmiss_cm": 1.0, "Cfa_cm": 10.0}
_COSTS_2021 = {"Cmiss": 1.0, "Cfa": 10.0, "Cfa_spoof": 10.0}
_ASV_RATE_NAMES = ("Pfa_asv", "Pmiss_asv", "Pmiss_spoof_asv", "Pfa_spoof_asv")


# --------------------------------------------------------------------------- checks


# _as_scores and _split_scores live in _score_checks (shared with the private
# metric modules) and are re-exported here for the code that imports them.


# ------------------------------------------------------------- official algorithms


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


# -------------------------------------------------------------------------- t-DCF


def _asv_error_rates_from_scores(asv_scores, asv_labels) -> dict[str, float]:
    """ASV error rates at the ASV EER threshold (target vs non-target)."""
    s = _as_scores(asv_scores, "asv_scores")
    lab = np.asarray(asv_labels).astype(str)
    if lab.ndim != 1 or lab.shape[0] != s.shape[0]:
        raise ValueError(
            f"asv_labels must be 1-D with one label per ASV score; got shape "
            f"{lab.shape} for {s.shape[0]} scores."
        )
    unknown = sorted(set(lab.tolist()) - {"target", "nontarget", "spoof"})
    if unknown:
        raise ValueError(
            f"asv_labels must be 'target', 'nontarget' or 'spoof'; found {unknown!r}. "
            "Use the key column of the ASV score file."
        )
    tar, non, spoof = (s[lab == k] for k in ("target", "nontarget", "spoof"))
    names = ("target", "nontarget", "spoof")
    missing = [k for k, v in zip(names, (tar, non, spoof)) if v.size == 0]
    if missing:
        raise ValueError(
            f"asv_labels has no {missing!r} trials; the ASV error rates need target, "
            "nontarget and spoof ASV scores."
        )
    _, thr = compute_eer(tar, non)
    return {
        "Pfa_asv": float(np.mean(non >= thr)),
        "Pmiss_asv": float(np.mean(tar < thr)),
        "Pmiss_spoof_asv": float(np.mean(spoof < thr)),
        "Pfa_spoof_asv": float(np.mean(spoof >= thr)),
    }


def _check_asv_error_rates(rates) -> dict[str, float]:
    """Turn a mapping or a 3/4-sequence of ASV error rates into a checked dict."""
    if isinstance(rates, Mapping):
        unknown = sorted(set(rates) - set(_ASV_RATE_NAMES))
        missing = [k for k in _ASV_RATE_NAMES[:3] if k not in rates]
        if unknown or missing:
            raise ValueError(
                f"asv_error_rates must have keys {list(_ASV_RATE_NAMES[:3])} and "
                f"optionally 'Pfa_spoof_asv'; missing {missing}, unknown {unknown}."
            )
        out = {k: rates[k] for k in _ASV_RATE_NAMES if k in rates}
    else:
        values = list(rates)
        if len(values) not in (3, 4):
            raise ValueError(
                "asv_error_rates must be (Pfa_asv, Pmiss_asv, Pmiss_spoof_asv"
                f"[, Pfa_spoof_asv]); got {len(values)} values: {values!r}."
            )
        out = dict(zip(_ASV_RATE_NAMES, values))
    for k, v in out.items():
        if not isinstance(v, Real) or not 0.0 <= float(v) <= 1.0:
            raise ValueError(
                f"asv_error_rates[{k!r}] must be a fraction in [0, 1]; got {v!r}. "
                "Give rates as fractions, not percentages."
            )
        out[k] = float(v)
    # At one ASV threshold a spoof is either rejected or accepted.
    out.setdefault("Pfa_spoof_asv", 1.0 - out["Pmiss_spoof_asv"])
    return out


@validate_params(
    {
        "bonafide_cm_scores": ["array-like"],
        "spoof_cm_scores": ["array-like"],
        "asv_scores": ["array-like", None],
        "asv_labels": ["array-like", None],
        "asv_error_rates": [Mapping, Sequence, None],
        "version": [StrOptions({"2019", "2021"})],
        "return_curve": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def min_tdcf(
    bonafide_cm_scores: npt.ArrayLike,
    spoof_cm_scores: npt.ArrayLike,
    *,
    asv_scores: npt.ArrayLike | None = None,
    asv_labels: npt.ArrayLike | None = None,
    asv_error_rates: Mapping[str, float] | Sequence[float] | None = None,
    version: str = "2021",
    return_curve: bool = False,
) -> float | tuple[float, np.ndarray, np.ndarray]:
    """Minimum normalised tandem detection cost function (t-DCF), ASVspoof style.

    ``version="2021"`` is the revised t-DCF of ASVspoof 2021 LA (``tDCF_python_v2``);
    ``version="2019"`` the legacy t-DCF of ASVspoof 2019
    (``evaluate_tDCF_asvspoof19``). Priors: Pspoof = 0.05, Ptar = 0.9405,
    Pnon = 0.0095; costs: miss 1, false alarm 10.

    Parameters
    ----------
    bonafide_cm_scores : array-like of shape (n_bonafide,)
        Countermeasure scores of bona fide trials; higher means more bona fide.
    spoof_cm_scores : array-like of shape (n_spoof,)
        Countermeasure scores of spoof trials.
    asv_scores : array-like of shape (n_asv,), default=None
        The organisers' ASV scores. The ASV operating point is the ASV EER
        threshold of target vs non-target (same :func:`compute_eer`).
    asv_labels : array-like of shape (n_asv,), default=None
        ``"target"``, ``"nontarget"`` or ``"spoof"`` for each ASV score.
    asv_error_rates : dict or sequence, default=None
        Instead of ASV scores: ``(Pfa_asv, Pmiss_asv, Pmiss_spoof_asv[,
        Pfa_spoof_asv])`` as fractions, or a dict with those keys. A missing
        ``Pfa_spoof_asv`` is taken as ``1 - Pmiss_spoof_asv``.
    version : {"2021", "2019"}, default="2021"
        Which t-DCF definition.
    return_curve : bool, default=False
        Also return the normalised t-DCF at every CM threshold and the thresholds.

    Returns
    -------
    min_tdcf : float
        The minimum over CM thresholds of the normalised t-DCF.
    tdcf_curve : ndarray of shape (n_bonafide + n_spoof + 1,)
        Only when ``return_curve=True``.
    thresholds : ndarray of shape (n_bonafide + n_spoof + 1,)
        Only when ``return_curve=True``.

    Notes
    -----
    Sanity check from the official script: if negated scores give a lower min
    t-DCF (``min_tdcf(-bona, -spoof, ...)``), the labels or the score sign are
    probably swapped. A normalised t-DCF above 1 means the CM is worse than none.
    Scores must be soft: fewer than 3 distinct values raise an error.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import min_tdcf
    >>> rates = (0.01, 0.02, 0.3)  # Pfa_asv, Pmiss_asv, Pmiss_spoof_asv
    >>> round(min_tdcf([2.0, 3.0, 4.0], [0.0, 1.0, 2.5], asv_error_rates=rates), 4)
    0.369
    """
    bona = _as_scores(bonafide_cm_scores, "bonafide_cm_scores")
    spoof = _as_scores(spoof_cm_scores, "spoof_cm_scores")
    if (asv_scores is None) != (asv_labels is None):
        raise ValueError(
            "asv_scores and asv_labels go together; got only "
            f"{'asv_scores' if asv_labels is None else 'asv_labels'}."
        )
    if (asv_scores is None) == (asv_error_rates is None):
        raise ValueError(
            "Give the ASV system either as asv_scores with asv_labels, or as "
            "asv_error_rates; got "
            f"{'both' if asv_error_rates is not None else 'neither'}."
        )
    if asv_error_rates is not None:
        rates = _check_asv_error_rates(asv_error_rates)
    else:
        rates = _asv_error_rates_from_scores(asv_scores, asv_labels)
    if np.unique(np.concatenate([bona, spoof])).size < 3:
        raise ValueError(
            "The CM scores hold fewer than 3 distinct values; min t-DCF needs soft "
            "scores (e.g. decision_function), not hard decisions."
        )
    pmiss_cm, pfa_cm, thresholds = compute_det_curve(bona, spoof)
    pfa_asv, pmiss_asv = rates["Pfa_asv"], rates["Pmiss_asv"]
    if version == "2021":
        c = _COSTS_2021
        c0 = _P_TAR * c["Cmiss"] * pmiss_asv + _P_NON * c["Cfa"] * pfa_asv
        c1 = _P_TAR * c["Cmiss"] - c0
        c2 = _P_SPOOF * c["Cfa_spoof"] * rates["Pfa_spoof_asv"]
        weights = {"C0": c0, "C1": c1, "C2": c2}
        norm = c0 + min(c1, c2)
        curve = (c0 + c1 * pmiss_cm + c2 * pfa_cm) if norm > 0 else None
    else:
        c = _COSTS_2019
        c1 = (
            _P_TAR * (c["Cmiss_cm"] - c["Cmiss_asv"] * pmiss_asv)
            - _P_NON * c["Cfa_asv"] * pfa_asv
        )
        c2 = c["Cfa_cm"] * _P_SPOOF * (1 - rates["Pmiss_spoof_asv"])
        weights = {"C1": c1, "C2": c2}
        norm = min(c1, c2)
        curve = (c1 * pmiss_cm + c2 * pfa_cm) if norm > 0 else None
    if any(w < 0 for w in weights.values()):
        raise ValueError(
            f"The t-DCF weights {weights} include a negative one; check the ASV error "
            f"rates {rates} (fractions, not percentages)."
        )
    if curve is None:
        raise ValueError(
            f"The t-DCF normaliser is 0 (weights {weights}, ASV error rates {rates}); "
            "the ASV system accepts no spoofs or rejects every target, so the "
            "normalised t-DCF is undefined."
        )
    tdcf_norm = curve / norm
    best = float(np.min(tdcf_norm))
    if return_curve:
        return best, tdcf_norm, thresholds
    return best


# --------------------------------------------------------------------- breakdowns


def _breakdown(y, s, keys, pos_label, index_name):
    import pandas as pd

    rows = {}
    for key, (bona, spoof) in keys.items():
        rows[key] = {
            "n_bonafide": int(bona.size),
            "n_spoof": int(spoof.size),
            "eer": compute_eer(bona, spoof)[0],
        }
    is_bona = y == pos_label
    rows["pooled"] = {
        "n_bonafide": int(is_bona.sum()),
        "n_spoof": int((~is_bona).sum()),
        "eer": compute_eer(s[is_bona], s[~is_bona])[0],
    }
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = index_name
    return df


def _check_keys(y_true, scores, values, name, pos_label):
    y = np.asarray(y_true)
    v = np.asarray(values)
    if v.ndim != 1 or v.shape[0] != y.shape[0]:
        raise ValueError(
            f"{name} must be 1-D with one entry per trial; got shape {v.shape} for "
            f"{y.shape[0]} labels."
        )
    _split_scores(y, scores, pos_label)  # runs every label and score check
    return y, _as_scores(scores, "scores"), v


@validate_params(
    {
        "y_true": ["array-like"],
        "scores": ["array-like"],
        "attacks": ["array-like"],
        "pos_label": [str, Real],
        "bonafide_attack": [str, None],
    },
    prefer_skip_nested_validation=True,
)
def eer_by_attack(
    y_true: npt.ArrayLike,
    scores: npt.ArrayLike,
    attacks: npt.ArrayLike,
    *,
    pos_label: str | int = "bonafide",
    bonafide_attack: str | None = "-",
):
    """EER of all bona fide trials against the spoofs of each attack, and pooled.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels: ``pos_label`` (bona fide) and one spoof label.
    scores : array-like of shape (n_samples,)
        Scores; higher means more bona fide.
    attacks : array-like of shape (n_samples,)
        Attack ID of each trial (e.g. ``"A07"``; protocol column 4).
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.
    bonafide_attack : str or None, default="-"
        The attack ID that bona fide trials carry; a spoof trial carrying it is
        an error. ``None`` skips that check.

    Returns
    -------
    pandas.DataFrame
        Indexed by attack (sorted) then ``"pooled"``, with columns ``n_bonafide``,
        ``n_spoof`` and ``eer`` (fraction).

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import eer_by_attack
    >>> y = ["bonafide", "bonafide", "spoof", "spoof"]
    >>> eer_by_attack(y, [0.9, 0.8, 0.1, 0.85], ["-", "-", "A01", "A02"])
            n_bonafide  n_spoof   eer
    attack
    A01              2        1  0.00
    A02              2        1  0.75
    pooled           2        2  0.50
    """
    y, s, a = _check_keys(y_true, scores, attacks, "attacks", pos_label)
    is_bona = y == pos_label
    spoof_attacks = a[~is_bona]
    if bonafide_attack is not None:
        clash = np.asarray(spoof_attacks == bonafide_attack)
        if clash.any():
            raise ValueError(
                f"{int(clash.sum())} spoof trial(s) carry the bona fide attack ID "
                f"{bonafide_attack!r}; check the labels, or set bonafide_attack."
            )
    bona_scores = s[is_bona]
    keys = {
        key: (bona_scores, s[~is_bona & (a == key)])
        for key in np.unique(spoof_attacks).tolist()
    }
    return _breakdown(y, s, keys, pos_label, "attack")


@validate_params(
    {
        "y_true": ["array-like"],
        "scores": ["array-like"],
        "groups": ["array-like"],
        "pos_label": [str, Real],
    },
    prefer_skip_nested_validation=True,
)
def eer_by_group(
    y_true: npt.ArrayLike,
    scores: npt.ArrayLike,
    groups: npt.ArrayLike,
    *,
    pos_label: str | int = "bonafide",
):
    """EER within each group (e.g. codec or transmission channel), and pooled.

    Each group is scored on its own bona fide and spoof trials, so every group
    needs both classes. For attacks (spoof only) use :func:`eer_by_attack`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels: ``pos_label`` (bona fide) and one spoof label.
    scores : array-like of shape (n_samples,)
        Scores; higher means more bona fide.
    groups : array-like of shape (n_samples,)
        Group of each trial (e.g. the codec column of the 2021 key).
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (sorted) then ``"pooled"``, with columns ``n_bonafide``,
        ``n_spoof`` and ``eer``.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import eer_by_group
    >>> y = ["bonafide", "spoof", "bonafide", "spoof"]
    >>> eer_by_group(y, [0.9, 0.1, 0.2, 0.3], ["none", "none", "gsm", "gsm"])
            n_bonafide  n_spoof  eer
    group
    gsm              1        1  1.0
    none             1        1  0.0
    pooled           2        2  0.5
    """
    y, s, g = _check_keys(y_true, scores, groups, "groups", pos_label)
    is_bona = y == pos_label
    keys, lacking = {}, []
    for key in np.unique(g).tolist():
        in_group = g == key
        bona, spoof = s[in_group & is_bona], s[in_group & ~is_bona]
        if bona.size == 0 or spoof.size == 0:
            lacking.append(key)
        keys[key] = (bona, spoof)
    if lacking:
        raise ValueError(
            f"Group(s) {lacking!r} lack bona fide or spoof trials, so their EER is "
            "undefined. Merge them with other groups, or use eer_by_attack for "
            "spoof-only groupings."
        )
    return _breakdown(y, s, keys, pos_label, "group")


# ------------------------------------------------------------------------- scorer


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
