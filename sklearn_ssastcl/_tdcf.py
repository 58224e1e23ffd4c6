"""Minimum tandem detection cost function (t-DCF) of ASVspoof 2019 and 2021."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Real

import numpy as np
import numpy.typing as npt
from sklearn.utils._param_validation import StrOptions, validate_params

from sklearn_ssastcl._eer import compute_det_curve, compute_eer
from sklearn_ssastcl._score_checks import _as_scores

# ASVspoof priors and costs (the official t-DCF scripts); the same in 2019 and 2021.
_P_SPOOF = 0.05
_P_TAR = (1 - _P_SPOOF) * 0.99
_P_NON = (1 - _P_SPOOF) * 0.01
_COSTS_2019 = {"Cmiss_asv": 1.0, "Cfa_asv": 10.0, "Cmiss_cm": 1.0, "Cfa_cm": 10.0}
_COSTS_2021 = {"Cmiss": 1.0, "Cfa": 10.0, "Cfa_spoof": 10.0}
_ASV_RATE_NAMES = ("Pfa_asv", "Pmiss_asv", "Pmiss_spoof_asv", "Pfa_spoof_asv")


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
