"""reports.evaluate_scores against metrics computed trial subset by trial subset."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sklearn_ssastcl.metrics import (
    act_dcf,
    cllr,
    eer_confidence_interval,
    eer_score,
    min_cllr,
    min_dcf,
)
from sklearn_ssastcl.reports import evaluate_scores


@pytest.fixture
def trials():
    rng = np.random.default_rng(0)
    n = 240
    y = np.where(np.arange(n) % 3 == 0, "bonafide", "spoof")
    attack = np.where(y == "bonafide", "-", rng.choice(["A01", "A02", "A03"], n))
    codec = rng.choice(["none", "gsm"], n)
    speaker = rng.choice([f"S{i}" for i in range(6)], n)
    s = np.where(y == "bonafide", 1.0, -1.0) + rng.normal(0, 1.3, n)
    s = np.round(s, 1)  # ties
    return y, s, attack, codec, speaker


def test_overall_row_equals_the_metrics(trials):
    y, s, attack, codec, speaker = trials
    report = evaluate_scores(y, s, groups=speaker, llr=True, n_bootstrap=200)
    row = report.overall.loc["all"]
    assert row["eer"] == eer_score(y, s)
    assert (row["eer_low"], row["eer_high"]) == eer_confidence_interval(
        y, s, groups=speaker, n_bootstrap=200, random_state=0
    )
    assert row["min_dcf"] == min_dcf(y, s)
    assert row["act_dcf"] == act_dcf(y, s)
    assert row["cllr"] == cllr(y, s)
    assert row["min_cllr"] == min_cllr(y, s)
    assert (row["n_bonafide"], row["n_spoof"]) == (80, 160)
    assert report.settings["bootstrap_by"] == "speaker"


def test_raw_scores_leave_llr_metrics_empty(trials):
    y, s, *_ = trials
    row = evaluate_scores(y, s, n_bootstrap=20).overall.loc["all"]
    assert np.isnan(row["act_dcf"]) and np.isnan(row["cllr"])
    assert row["min_dcf"] == min_dcf(y, s)


def test_tables_use_the_right_trials(trials):
    y, s, attack, codec, _ = trials
    report = evaluate_scores(
        y, s, attacks=attack, conditions={"codec": codec}, llr=True, n_bootstrap=20
    )
    bona = y == "bonafide"
    for a in ("A01", "A02", "A03"):
        keep = bona | (attack == a)
        assert report.per_attack.loc[a, "eer"] == eer_score(y[keep], s[keep])
        assert report.per_attack.loc[a, "act_dcf"] == act_dcf(y[keep], s[keep])
    for c in ("none", "gsm"):
        keep = codec == c
        assert report.per_condition["codec"].loc[c, "eer"] == eer_score(
            y[keep], s[keep]
        )
        for a in ("A01", "A02", "A03"):
            keep = (bona & (codec == c)) | ((attack == a) & (codec == c))
            expected = eer_score(y[keep], s[keep])
            assert report.attack_by_condition["codec"].loc[a, c] == expected


def test_condition_without_a_class_is_nan_not_an_error(trials):
    y, s, attack, codec, _ = trials
    codec = codec.copy()
    codec[np.flatnonzero(y == "spoof")[:5]] = "opus"  # spoof only
    report = evaluate_scores(
        y, s, attacks=attack, conditions={"codec": codec}, n_bootstrap=20
    )
    opus = report.per_condition["codec"].loc["opus"]
    assert opus["n_bonafide"] == 0 and opus["n_spoof"] == 5
    assert np.isnan(opus["eer"])
    assert report.attack_by_condition["codec"]["opus"].isna().all()


def test_report_serialises_and_prints(trials):
    y, s, attack, codec, _ = trials
    report = evaluate_scores(
        y, s, attacks=attack, conditions={"codec": codec}, n_bootstrap=20
    )
    record = json.loads(json.dumps(report.to_dict()))
    assert record["overall"]["eer"] == pytest.approx(eer_score(y, s))
    assert record["overall"]["cllr"] is None
    text = report.to_text()
    assert f"EER: {100 * eer_score(y, s):.2f} %" in text
    assert "actDCF and Cllr need LLRs" in text
    assert "Per codec:" in text


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"attacks": ["-"] * 3}, "attacks must be 1-D with one entry per trial"),
        ({"conditions": {"codec": ["gsm"]}}, r"conditions\['codec'\] must be 1-D"),
        ({"groups": ["S1"]}, "groups must be 1-D"),
    ],
)
def test_bad_columns(trials, kwargs, match):
    y, s, *_ = trials
    with pytest.raises(ValueError, match=match):
        evaluate_scores(y, s, **kwargs)


def test_bad_scores_are_rejected_before_work(trials):
    y, s, *_ = trials
    s = s.copy()
    s[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        evaluate_scores(y, s)
