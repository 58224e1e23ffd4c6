"""ASVspoof 5 Track 2 (spoofing-robust ASV) metrics: concurrent t-EER and a-DCF.

Definitions follow the ASVspoof 5 evaluation package
(``evaluation-package/calculate_modules.py`` and ``a_dcf.py`` of
https://github.com/asvspoof-challenge/asvspoof5). Trials are labelled
``"target"`` (bona fide, the claimed speaker), ``"nontarget"`` (bona fide,
another speaker) or ``"spoof"``; higher scores mean "accept". Public names are
re-exported by :mod:`sklearn_ssastcl.metrics`.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import numpy.typing as npt
from sklearn.utils._param_validation import validate_params

from sklearn_ssastcl._score_checks import _as_scores, _check_cost, _det_curve

__all__ = ["a_dcf", "t_eer"]

_CLASSES = ("target", "nontarget", "spoof")

# ASVspoof 5 Track 2 cost model (calculate_metrics.calculate_aDCF_tdcf_tEER).
_P_SPOOF = 0.05
_P_TAR = (1 - _P_SPOOF) * 0.99
_P_NON = (1 - _P_SPOOF) * 0.01


def _split_sasv(labels, named_scores: dict[str, object], metric: str):
    """Check the labels and score arrays; return {name: (tar, non, spoof)}."""
    arrays = {name: _as_scores(s, name) for name, s in named_scores.items()}
    lab = np.asarray(labels)
    if lab.ndim == 2 and lab.shape[1] == 1:
        lab = lab[:, 0]
    if lab.ndim != 1:
        raise ValueError(f"labels must be 1-D; got shape {lab.shape}.")
    lab = lab.astype(str)
    for name, arr in arrays.items():
        if arr.shape[0] != lab.shape[0]:
            raise ValueError(
                f"labels has {lab.shape[0]} entries but {name} has {arr.shape[0]} "
                "values; pass one score and one label per trial."
            )
    unknown = sorted(set(lab.tolist()) - set(_CLASSES))
    if unknown:
        raise ValueError(
            f"labels must be 'target', 'nontarget' or 'spoof'; found {unknown!r}. "
            "Use the ASV key column (asv-label) of the ASVspoof 5 key file."
        )
    missing = [k for k in _CLASSES if not np.any(lab == k)]
    if missing:
        raise ValueError(
            f"labels has no {missing!r} trials; {metric} needs target, nontarget "
            "and spoof trials. Evaluate on a trial list that holds all three."
        )
    return {
        name: tuple(arr[lab == k] for k in _CLASSES) for name, arr in arrays.items()
    }


def _three_class_curves(tar, non, spf):
    """Official 3-class sweep: Pmiss(target), Pfa(nontarget), Pfa(spoof), thresholds.

    Stable sort of target, nontarget then spoof scores; one operating point per
    sorted score, preceded by "accept all".
    """
    all_scores = np.concatenate([tar, non, spf])
    labels = np.concatenate([np.ones(tar.size), np.zeros(non.size), -np.ones(spf.size)])
    order = np.argsort(all_scores, kind="mergesort")
    labels = labels[order]
    pmiss = np.concatenate([[0.0], np.cumsum(labels == 1) / tar.size])
    pfa_non = np.concatenate([[1.0], 1 - np.cumsum(labels == 0) / non.size])
    pfa_spf = np.concatenate([[1.0], 1 - np.cumsum(labels == -1) / spf.size])
    thresholds = np.concatenate([[all_scores[order[0]] - 0.001], all_scores[order]])
    return pmiss, pfa_non, pfa_spf, thresholds


@validate_params(
    {
        "cm_scores": ["array-like"],
        "asv_scores": ["array-like"],
        "labels": ["array-like"],
        "return_thresholds": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def t_eer(
    cm_scores: npt.ArrayLike,
    asv_scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    return_thresholds: bool = False,
) -> float | tuple[float, float, float]:
    """Concurrent tandem equal error rate (t-EER) of a CM and an ASV system.

    The CM (bona fide = target and nontarget trials, against spoof) and the
    ASV (target against nontarget and spoof) are swept over all their
    thresholds as in the ASVspoof 5 package (``compute_teer``). The tandem
    system misses a target when either rejects it and falsely accepts when both
    accept. For each ASV threshold the CM threshold with the closest tandem miss
    and false-alarm rates (spoof prevalence 0.5) is taken; among admissible ASV
    thresholds (ASV miss rate below its mean false-alarm rate) the *concurrent*
    point is where ``Pfa_non_asv / Pfa_spoof_asv`` is closest to ``Pfa_cm / (1 -
    Pmiss_cm)``, at which the nontarget and spoof false-alarm rates of the
    tandem system are equal; the t-EER is the tandem spoof false-alarm rate
    ``Pfa_spoof_asv * Pfa_cm`` there. Lower is better.

    Parameters
    ----------
    cm_scores : array-like of shape (n_trials,)
        CM score of each trial; higher means more bona fide.
    asv_scores : array-like of shape (n_trials,)
        ASV score of each trial; higher means more target-like.
    labels : array-like of shape (n_trials,)
        ``"target"``, ``"nontarget"`` or ``"spoof"`` (the ASV key); all three
        must occur.
    return_thresholds : bool, default=False
        Also return the ASV and CM thresholds of the concurrent point (trials
        scoring above both are accepted).

    Returns
    -------
    t_eer : float
        The concurrent t-EER as a fraction (the package prints a percentage).
    asv_threshold, cm_threshold : float
        Only when ``return_thresholds=True``.

    Notes
    -----
    The exact search costs ``O(n_trials ** 2)`` time (in blocks, ``O(n_trials)``
    memory per block); the package's coarse-to-fine ``compute_teer_accelerated``
    approximation is not used, so very large trial lists take a while.

    References
    ----------
    .. [1] T. Kinnunen, K. A. Lee, H. Tak, N. Evans and A. Nautsch, "t-EER:
       Parameter-free tandem evaluation of countermeasures and biometric
       comparators", IEEE Trans. Pattern Analysis and Machine Intelligence,
       46(5), 2622-2637, 2024 (arXiv:2309.12237, 2023).
    .. [2] X. Wang et al., "ASVspoof 5: Crowdsourced speech data, deepfakes, and
       adversarial attacks at scale", ASVspoof 2024 Workshop; and the ASVspoof 5
       evaluation plan.
    .. [3] ASVspoof 5 evaluation package (``compute_teer``),
       https://github.com/asvspoof-challenge/asvspoof5.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import t_eer
    >>> labels = ["target", "target", "nontarget", "nontarget", "spoof", "spoof"]
    >>> cm = [3.0, 2.0, 2.5, 1.5, 1.0, 0.2]
    >>> asv = [2.0, 1.5, 0.0, 1.0, 1.8, 2.5]  # the ASV alone accepts both spoofs
    >>> t_eer(cm, asv, labels, return_thresholds=True)
    (0.0, 1.0, 1.0)
    """
    (tar_asv, non_asv, spf_asv), (tar_cm, non_cm, spf_cm) = _split_sasv(
        labels, {"asv_scores": asv_scores, "cm_scores": cm_scores}, "t-EER"
    ).values()
    pmiss_asv, pfa_non_asv, pfa_spf_asv, tau_asv = _three_class_curves(
        tar_asv, non_asv, spf_asv
    )
    pmiss_cm, pfa_cm, tau_cm = _det_curve(np.concatenate([tar_cm, non_cm]), spf_cm)

    rho = 0.5
    best_crit, best = np.inf, None
    block = max(1, 2_000_000 // pmiss_cm.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        rhs = pfa_cm / (1 - pmiss_cm)
        for start in range(0, tau_asv.size, block):
            j = slice(start, start + block)
            pm_a = pmiss_asv[j, None]
            pfn_a, pfs_a = pfa_non_asv[j, None], pfa_spf_asv[j, None]
            pmiss_tdm = pmiss_cm + (1 - pmiss_cm) * pm_a
            pfa_tdm = (1 - rho) * (1 - pmiss_cm) * pfn_a + rho * pfa_cm * pfs_a
            idx_cm = np.argmin(np.abs(pmiss_tdm - pfa_tdm), axis=1)
            allowed = pmiss_asv[j] < (1 - rho) * pfa_non_asv[j] + rho * pfa_spf_asv[j]
            crit = np.abs(pfa_non_asv[j] / pfa_spf_asv[j] - rhs[idx_cm])
            crit = np.where(allowed & np.isfinite(crit), crit, np.inf)
            k = int(np.argmin(crit))
            if crit[k] < best_crit:
                best_crit, best = crit[k], (start + k, int(idx_cm[k]))
    if best is None:
        raise ValueError(
            "No admissible tandem operating point: at every ASV threshold the ASV "
            "miss rate is at least its false-alarm rate, or the rates involved are "
            "0/0. The ASV scores look inverted or degenerate; check that higher "
            "ASV scores mean target."
        )
    j_asv, i_cm = best
    value = float(pfa_spf_asv[j_asv] * pfa_cm[i_cm])
    if return_thresholds:
        return value, float(tau_asv[j_asv]), float(tau_cm[i_cm])
    return value


def _check_priors(p_target, p_nontarget, p_spoof):
    priors = {"p_target": p_target, "p_nontarget": p_nontarget, "p_spoof": p_spoof}
    for name, v in priors.items():
        if isinstance(v, bool) or not isinstance(v, Real):
            raise TypeError(f"{name} must be a real number; got {v!r}.")
        if not 0.0 <= float(v) <= 1.0:
            raise ValueError(
                f"{name} must be a probability in [0, 1]; got {v!r}. Pass "
                "fractions, not percentages."
            )
    total = float(p_target) + float(p_nontarget) + float(p_spoof)
    if abs(total - 1.0) > 1e-10:
        raise ValueError(
            f"p_target + p_nontarget + p_spoof must be 1; got {total!r}. ASVspoof 5 "
            f"uses p_spoof=0.05, p_target={_P_TAR!r}, p_nontarget={_P_NON!r}."
        )
    if not 0.0 < float(p_spoof) < 1.0:
        raise ValueError(
            f"p_spoof must be strictly between 0 and 1; got {p_spoof!r}. Pass a "
            "fraction such as p_spoof=0.05."
        )
    return float(p_target), float(p_nontarget), float(p_spoof)


@validate_params(
    {
        "sasv_scores": ["array-like"],
        "labels": ["array-like"],
        "p_target": [Real],
        "p_nontarget": [Real],
        "p_spoof": [Real],
        "c_miss": [Real],
        "c_fa_asv": [Real],
        "c_fa_cm": [Real],
        "return_threshold": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def a_dcf(
    sasv_scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    p_target: float = _P_TAR,
    p_nontarget: float = _P_NON,
    p_spoof: float = _P_SPOOF,
    c_miss: float = 1.0,
    c_fa_asv: float = 10.0,
    c_fa_cm: float = 10.0,
    return_threshold: bool = False,
) -> float | tuple[float, float]:
    """Normalised minimum architecture-agnostic DCF (a-DCF), ASVspoof 5 Track 2.

    One score per trial (a spoofing-aware ASV, or a fused CM+ASV score) is
    thresholded; at each threshold the cost is ``c_miss * p_target * P_miss +
    c_fa_asv * p_nontarget * P_fa_nontarget + c_fa_cm * p_spoof * P_fa_spoof``,
    normalised by the cost of the better trivial system ``min(c_fa_asv *
    p_nontarget + c_fa_cm * p_spoof, c_miss * p_target)``. The minimum over the
    official sweep (stable sort, one point per sorted score, preceded by
    "accept all") is returned. Lower is better.

    Parameters
    ----------
    sasv_scores : array-like of shape (n_trials,)
        Score of each trial; higher means accept (target, bona fide).
    labels : array-like of shape (n_trials,)
        ``"target"``, ``"nontarget"`` or ``"spoof"``; all three must occur.
    p_target : float, default=0.9405
        Prior of target trials, ``(1 - 0.05) * 0.99`` in ASVspoof 5.
    p_nontarget : float, default=0.0095
        Prior of nontarget (zero-effort impostor) trials, ``(1 - 0.05) * 0.01``.
    p_spoof : float, default=0.05
        Prior of spoof trials. The three priors must sum to 1.
    c_miss : float, default=1.0
        Cost of rejecting a target trial (> 0).
    c_fa_asv : float, default=10.0
        Cost of accepting a nontarget trial (> 0).
    c_fa_cm : float, default=10.0
        Cost of accepting a spoof trial (> 0).
    return_threshold : bool, default=False
        Also return the threshold of the (first) minimum; trials scoring above
        it are accepted.

    Returns
    -------
    a_dcf : float
        The normalised minimum a-DCF.
    threshold : float
        Only when ``return_threshold=True``.

    Notes
    -----
    The defaults are the ASVspoof 5 cost model of ``calculate_metrics.py``; the
    a-DCF paper's own defaults (``CostModel()`` in ``a_dcf.py``: priors 0.9 /
    0.05 / 0.05 and ``c_fa_cm=20``) differ, pass them explicitly if needed.

    References
    ----------
    .. [1] H.-j. Shim, J.-w. Jung, T. Kinnunen, N. Evans, J.-F. Bonastre and
       I. Lapidot, "a-DCF: an architecture agnostic metric with application to
       spoofing-robust speaker verification", Odyssey 2024.
    .. [2] X. Wang et al., "ASVspoof 5: Crowdsourced speech data, deepfakes, and
       adversarial attacks at scale", ASVspoof 2024 Workshop; and the ASVspoof 5
       evaluation plan.
    .. [3] ASVspoof 5 evaluation package (``a_dcf.py``),
       https://github.com/asvspoof-challenge/asvspoof5.

    Examples
    --------
    >>> from sklearn_ssastcl.metrics import a_dcf
    >>> labels = ["target", "target", "nontarget", "spoof"]
    >>> a_dcf([3.0, 1.0, 2.0, 0.0], labels, return_threshold=True)
    (0.159..., 0.0)
    """
    p_target, p_nontarget, p_spoof = _check_priors(p_target, p_nontarget, p_spoof)
    c_miss = _check_cost(c_miss, "c_miss")
    c_fa_asv = _check_cost(c_fa_asv, "c_fa_asv")
    c_fa_cm = _check_cost(c_fa_cm, "c_fa_cm")
    ((tar, non, spf),) = _split_sasv(
        labels, {"sasv_scores": sasv_scores}, "a-DCF"
    ).values()
    all_scores = np.concatenate([tar, non, spf])
    lab = np.concatenate([np.ones(tar.size), np.zeros(non.size), np.full(spf.size, 2)])
    order = np.argsort(all_scores, kind="mergesort")
    lab = lab[order]
    frr = np.concatenate([[0.0], np.cumsum(lab == 1) / tar.size])
    far_asv = np.concatenate([[1.0], (non.size - np.cumsum(lab == 0)) / non.size])
    far_cm = np.concatenate([[1.0], (spf.size - np.cumsum(lab == 2)) / spf.size])
    thresholds = np.concatenate([[all_scores[order[0]] - 1e-8], all_scores[order]])
    dcf = (
        c_miss * p_target * frr
        + c_fa_asv * p_nontarget * far_asv
        + c_fa_cm * p_spoof * far_cm
    )
    norm = min(c_fa_asv * p_nontarget + c_fa_cm * p_spoof, c_miss * p_target)
    if norm <= 0:
        raise ValueError(
            "The a-DCF normaliser min(c_fa_asv * p_nontarget + c_fa_cm * p_spoof, "
            "c_miss * p_target) is 0; give p_target > 0."
        )
    curve = dcf / norm
    i = int(np.argmin(curve))
    value = float(curve[i])
    if return_threshold:
        return value, float(thresholds[i])
    return value
