"""Property-based tests (hypothesis) of the score-file and protocol readers and of the
metrics under permutation, ties and increasing maps."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_ssastcl.datasets import read_protocol, read_scores, write_scores
from sklearn_ssastcl.metrics import eer_score, min_cllr, min_dcf

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
_ID = st.text(
    alphabet=st.characters(
        whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="_-."
    ),
    min_size=1,
    max_size=12,
)


@st.composite
def scored_trials(draw):
    """Labels with both classes and scores with many ties (a few distinct values)."""
    n = draw(st.integers(min_value=2, max_value=40))
    bona = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    bona[0], bona[1] = True, False
    values = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
    y = np.where(bona, "bonafide", "spoof")
    return y, np.asarray(values, dtype=np.float64) / 2


@SETTINGS
@given(scored_trials(), st.randoms(use_true_random=False))
def test_metrics_ignore_trial_order(trials, rnd):
    y, s = trials
    order = np.array(rnd.sample(range(len(y)), len(y)))
    assert eer_score(y[order], s[order]) == eer_score(y, s)
    assert min_dcf(y[order], s[order]) == min_dcf(y, s)
    assert np.isclose(min_cllr(y[order], s[order]), min_cllr(y, s), atol=1e-12)


@SETTINGS
@given(scored_trials(), st.integers(-5, 5))
def test_metrics_ignore_increasing_maps(trials, shift):
    y, s = trials
    mapped = 4.0 * s + shift  # exact in floating point: ties stay ties
    assert eer_score(y, mapped) == eer_score(y, s)
    assert min_dcf(y, mapped) == min_dcf(y, s)


@SETTINGS
@given(scored_trials())
def test_min_dcf_equals_brute_force(trials):
    y, s = trials
    bona = y == "bonafide"
    p_spoof, c_miss, c_fa = 0.05, 1.0, 10.0
    best = np.inf
    for t in np.r_[np.unique(s), np.inf]:  # reject when score < t
        p_miss = np.mean(s[bona] < t)
        p_fa = np.mean(s[~bona] >= t)
        best = min(best, c_miss * (1 - p_spoof) * p_miss + c_fa * p_spoof * p_fa)
    best /= min(c_miss * (1 - p_spoof), c_fa * p_spoof)
    assert np.isclose(min_dcf(y, s), best)


@SETTINGS
@given(
    st.lists(_ID, min_size=1, max_size=20, unique=True),
    st.data(),
)
def test_score_files_round_trip(tmp_path_factory, ids, data):
    scores = data.draw(
        st.lists(
            st.floats(allow_nan=False, allow_infinity=False, width=64),
            min_size=len(ids),
            max_size=len(ids),
        )
    )
    labels = data.draw(
        st.lists(
            st.sampled_from(["bonafide", "spoof"]), min_size=len(ids), max_size=len(ids)
        )
    )
    path = tmp_path_factory.mktemp("scores") / "s.txt"
    attacks = ["-" if lab == "bonafide" else "A01" for lab in labels]
    write_scores(path, ids, scores, format="2019", attacks=attacks, labels=labels)
    back = read_scores(path)
    assert back["utterance_id"].tolist() == ids
    assert back["label"].tolist() == labels
    assert back["score"].tolist() == scores  # repr(float) reads back exactly


@SETTINGS
@given(
    st.lists(
        st.tuples(
            _ID, st.sampled_from(["bonafide", "spoof"]), st.sampled_from(["A01", "A07"])
        ),
        min_size=1,
        max_size=20,
        unique_by=lambda row: row[0],
    )
)
def test_protocol_reader_returns_the_written_fields(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("protocol") / "cm.txt"
    lines = [
        f"LA_00{i % 9} {utt} - {'-' if lab == 'bonafide' else att} {lab}"
        for i, (utt, lab, att) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    frame = read_protocol(path)
    assert frame["utterance_id"].tolist() == [r[0] for r in rows]
    assert frame["label"].tolist() == [r[1] for r in rows]
    expected = ["-" if lab == "bonafide" else att for _, lab, att in rows]
    assert frame["attack"].tolist() == expected
