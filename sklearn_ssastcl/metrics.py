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

from sklearn_ssastcl._bootstrap import eer_confidence_interval
from sklearn_ssastcl._breakdowns import eer_by_attack, eer_by_group
from sklearn_ssastcl._cllr import cllr, min_cllr
from sklearn_ssastcl._dcf import act_dcf, bayes_error_rates, min_dcf
from sklearn_ssastcl._eer import (
    compute_det_curve,
    compute_eer,
    eer_and_threshold,
    eer_score,
    eer_threshold,
)
from sklearn_ssastcl._scorers import (
    cllr_scorer,
    eer_scorer,
    make_cllr_scorer,
    make_eer_scorer,
    make_min_dcf_scorer,
    min_dcf_scorer,
)
from sklearn_ssastcl._tandem import a_dcf, t_eer
from sklearn_ssastcl._tdcf import min_tdcf

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
