"""Score reports: every countermeasure metric, overall, per attack and per condition.

:func:`evaluate_scores` returns a :class:`ScoreReport` of pandas DataFrames (the
same tables ``ssastcl evaluate`` prints and writes as JSON). Conventions as in
:mod:`sklearn_ssastcl.metrics`: bona fide is ``pos_label``, a higher score means
more bona fide, rates are fractions.

Which trials each row uses:

- overall: every trial;
- per attack: every bona fide trial against the spoof trials of that attack (the
  ASVspoof convention);
- per condition (e.g. codec, transmission): the bona fide and spoof trials of
  that condition;
- attack x condition: the bona fide trials of the condition against the spoof
  trials of that attack in that condition.

A row whose trials lack a class holds NaN metrics (and its counts), so that a
table is complete even when a condition has no bona fide trial.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from sklearn_ssastcl._score_checks import _split_scores
from sklearn_ssastcl.metrics import (
    act_dcf,
    cllr,
    compute_eer,
    eer_score,
    min_cllr,
    min_dcf,
)

__all__ = ["ScoreReport", "evaluate_scores"]

_METRIC_COLUMNS = (
    "n_bonafide",
    "n_spoof",
    "eer",
    "eer_low",
    "eer_high",
    "min_dcf",
    "act_dcf",
    "cllr",
    "min_cllr",
)


@dataclass
class ScoreReport:
    """Tables of a score evaluation, as returned by :func:`evaluate_scores`.

    Attributes
    ----------
    overall : pandas.DataFrame
        One row ``"all"`` with columns ``n_bonafide``, ``n_spoof``, ``eer``,
        ``eer_low``, ``eer_high`` (bootstrap interval), ``min_dcf``, ``act_dcf``
        and ``cllr`` (NaN unless the scores are LLRs) and ``min_cllr``.
    per_attack : pandas.DataFrame or None
        The same columns, one row per attack (no interval).
    per_condition : dict of str to pandas.DataFrame
        One table per condition column (e.g. ``"codec"``), one row per value.
    attack_by_condition : dict of str to pandas.DataFrame
        EER of each attack (rows) in each condition value (columns).
    settings : dict
        The settings used (prior, costs, interval, whether scores are LLRs).
    """

    overall: pd.DataFrame
    per_attack: pd.DataFrame | None = None
    per_condition: dict[str, pd.DataFrame] = field(default_factory=dict)
    attack_by_condition: dict[str, pd.DataFrame] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-able nested dict (NaN becomes None)."""

        def records(df):
            clean = df.astype(object).where(df.notna(), None)
            return {str(k): v for k, v in clean.to_dict(orient="index").items()}

        return {
            "settings": self.settings,
            "overall": records(self.overall)["all"],
            "per_attack": None if self.per_attack is None else records(self.per_attack),
            "per_condition": {k: records(v) for k, v in self.per_condition.items()},
            "attack_by_condition": {
                k: records(v) for k, v in self.attack_by_condition.items()
            },
        }

    def to_text(self) -> str:
        """The tables as plain text, rates in %, for a terminal."""
        s = self.settings
        row = self.overall.loc["all"]
        lines = [
            f"EER: {100 * row['eer']:.2f} % "
            f"[{100 * row['eer_low']:.2f}, {100 * row['eer_high']:.2f}] "
            f"({100 * s['confidence_level']:g} % bootstrap interval by "
            f"{s['bootstrap_by']}, {s['n_bootstrap']} draws) over "
            f"{int(row['n_bonafide'])} bona fide and {int(row['n_spoof'])} spoof "
            "trials",
            f"minDCF: {row['min_dcf']:.4f} (Pspoof {s['p_spoof']:g}, Cmiss "
            f"{s['c_miss']:g}, Cfa {s['c_fa']:g})",
        ]
        if s["llr"]:
            lines.append(
                f"actDCF: {row['act_dcf']:.4f}   Cllr: {row['cllr']:.4f} bits   "
                f"minCllr: {row['min_cllr']:.4f} bits"
            )
        else:
            lines.append(
                f"minCllr: {row['min_cllr']:.4f} bits (actDCF and Cllr need LLRs: "
                "calibrate the scores, e.g. --calibrate-on DEV_SCORES)"
            )
        shown = ["n_bonafide", "n_spoof", "eer", "min_dcf"] + (
            ["act_dcf", "cllr"] if s["llr"] else []
        )
        for title, table in [("attack", self.per_attack)] + [
            (name, t) for name, t in self.per_condition.items()
        ]:
            if table is None:
                continue
            lines += ["", f"Per {title}:", _format(table[shown])]
        for name, table in self.attack_by_condition.items():
            lines += ["", f"EER (%) per attack x {name}:", _format(table, percent=True)]
        return "\n".join(lines)


def _format(df: pd.DataFrame, percent: bool = False) -> str:
    out = df.copy()
    for col in out.columns:
        if col in ("n_bonafide", "n_spoof"):
            out[col] = out[col].astype(int)
        elif col == "eer" or percent:
            out[col] = (100 * out[col]).map(
                lambda v: "-" if np.isnan(v) else f"{v:.2f}"
            )
        else:
            out[col] = out[col].map(lambda v: "-" if np.isnan(v) else f"{v:.4f}")
    if not percent:
        out = out.rename(columns={"eer": "eer_%"})
    return out.to_string()


def _row(y, s, pos_label, llr, cost) -> dict:
    bona = y == pos_label
    row = {"n_bonafide": int(bona.sum()), "n_spoof": int((~bona).sum())}
    nan = dict.fromkeys(_METRIC_COLUMNS[2:], np.nan)
    if row["n_bonafide"] == 0 or row["n_spoof"] == 0:
        return {**row, **nan}
    yy = np.where(bona, "bonafide", "spoof")
    row.update(nan)
    row["eer"] = eer_score(yy, s)
    row["min_dcf"] = min_dcf(yy, s, **cost)
    row["min_cllr"] = min_cllr(yy, s)
    if llr:
        row["act_dcf"] = act_dcf(yy, s, **cost)
        row["cllr"] = cllr(yy, s)
    return row


def _eer_or_nan(y, s, pos_label) -> float:
    bona = y == pos_label
    if bona.all() or not bona.any():
        return np.nan
    return compute_eer(s[bona], s[~bona])[0]


def _column(values, name: str, n: int) -> np.ndarray:
    v = np.asarray(values, dtype=object)
    if v.ndim != 1 or v.shape[0] != n:
        raise ValueError(
            f"{name} must be 1-D with one entry per trial; got shape {v.shape} for "
            f"{n} trials."
        )
    return v.astype(str)


def evaluate_scores(
    y_true: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    attacks: npt.ArrayLike | None = None,
    conditions: Mapping[str, npt.ArrayLike] | pd.DataFrame | None = None,
    groups: npt.ArrayLike | None = None,
    llr: bool = False,
    pos_label: str | int = "bonafide",
    p_spoof: float = 0.05,
    c_miss: float = 1.0,
    c_fa: float = 10.0,
    confidence_level: float = 0.95,
    n_bootstrap: int = 1000,
    random_state: int | None = 0,
) -> ScoreReport:
    """Evaluate countermeasure scores: EER with interval, minDCF, actDCF, Cllr.

    Parameters
    ----------
    y_true : array-like of shape (n_trials,)
        True labels: ``pos_label`` (bona fide) and one spoof label.
    scores : array-like of shape (n_trials,)
        Scores, higher = more bona fide.
    attacks : array-like of shape (n_trials,), default=None
        Attack ID of each trial (``"-"`` for bona fide), for the per-attack table.
    conditions : dict of str to array-like, or DataFrame, default=None
        Condition columns (e.g. ``{"codec": ..., "transmission": ...}``), one
        table each, and one attack x condition table each when ``attacks`` given.
    groups : array-like of shape (n_trials,), default=None
        Speaker of each trial: the EER interval then resamples speakers.
    llr : bool, default=False
        Whether the scores are natural-log LLRs (calibrated); only then are
        actDCF and Cllr meaningful, and computed.
    pos_label : str or int, default="bonafide"
        The bona fide label.
    p_spoof, c_miss, c_fa : float, default=0.05, 1.0, 10.0
        DCF prior of spoofing and costs (the ASVspoof 5 defaults).
    confidence_level : float, default=0.95
        Of the bootstrap EER interval.
    n_bootstrap : int, default=1000
        Bootstrap draws.
    random_state : int or None, default=0
        Seeds the bootstrap.

    Returns
    -------
    ScoreReport

    Examples
    --------
    >>> from sklearn_ssastcl.reports import evaluate_scores
    >>> y = ["bonafide", "spoof", "bonafide", "spoof", "bonafide", "spoof"]
    >>> s = [2.0, -1.0, 0.5, 0.8, 1.5, -2.0]
    >>> report = evaluate_scores(y, s, attacks=["-", "A01", "-", "A02", "-", "A01"],
    ...                          n_bootstrap=50)
    >>> report.per_attack[["n_bonafide", "n_spoof", "eer"]]
            n_bonafide  n_spoof       eer
    attack
    A01              3        2  0.000000
    A02              3        1  0.166667
    """
    y = np.asarray(y_true)
    _split_scores(y, scores, pos_label)  # runs every label and score check
    s = np.asarray(scores, dtype=np.float64).ravel()
    n = y.shape[0]
    cost = {"p_spoof": p_spoof, "c_miss": c_miss, "c_fa": c_fa}
    is_bona = y == pos_label
    g = None if groups is None else _column(groups, "groups", n)
    eer, low, high = eer_score(
        y,
        s,
        pos_label=pos_label,
        groups=g,
        confidence_level=confidence_level,
        n_bootstrap=n_bootstrap,
        random_state=random_state,
    )
    overall = _row(y, s, pos_label, llr, cost)
    overall.update(eer=eer, eer_low=low, eer_high=high)
    report = ScoreReport(
        overall=pd.DataFrame([overall], index=pd.Index(["all"]))[list(_METRIC_COLUMNS)],
        settings={
            "llr": bool(llr),
            **cost,
            "confidence_level": confidence_level,
            "n_bootstrap": n_bootstrap,
            "bootstrap_by": "speaker" if g is not None else "trial",
            "random_state": random_state,
        },
    )
    a = None
    if attacks is not None:
        a = _column(attacks, "attacks", n)
        rows = {
            key: _row(
                y[is_bona | (a == key)], s[is_bona | (a == key)], pos_label, llr, cost
            )
            for key in sorted(set(a[~is_bona].tolist()))
        }
        report.per_attack = _frame(rows, "attack")
    if conditions is not None:
        items = (
            conditions.items()
            if isinstance(conditions, Mapping)
            else ((c, conditions[c]) for c in conditions.columns)
        )
        for name, values in items:
            c = _column(values, f"conditions[{name!r}]", n)
            rows = {
                key: _row(y[c == key], s[c == key], pos_label, llr, cost)
                for key in sorted(set(c.tolist()))
            }
            report.per_condition[name] = _frame(rows, name)
            if a is not None:
                table = {}
                for key in sorted(set(c.tolist())):
                    bona_here = is_bona & (c == key)
                    table[key] = {}
                    for att in sorted(set(a[~is_bona].tolist())):
                        keep = bona_here | (~is_bona & (a == att) & (c == key))
                        table[key][att] = _eer_or_nan(y[keep], s[keep], pos_label)
                cross = pd.DataFrame(table)
                cross.index.name = "attack"
                cross.columns.name = name
                report.attack_by_condition[name] = cross
    return report


def _frame(rows: dict, index_name: str) -> pd.DataFrame:
    df = pd.DataFrame.from_dict(rows, orient="index")[list(_METRIC_COLUMNS)]
    df = df.drop(columns=["eer_low", "eer_high"])
    df.index.name = index_name
    return df
