"""datasets.join_scores: strict matching of score tables to a key."""

from __future__ import annotations

import pandas as pd
import pytest

from sklearn_ssastcl.datasets import join_scores


@pytest.fixture
def key():
    return pd.DataFrame(
        {"utterance_id": ["u1", "u2", "u3"], "label": ["bonafide", "spoof", "spoof"]}
    )


def _table(ids, scores):
    return pd.DataFrame({"utterance_id": ids, "score": scores})


def test_columns_follow_the_key_order(key):
    out = join_scores(
        key,
        {
            "a": _table(["u3", "u1", "u2"], [3.0, 1.0, 2.0]),
            "b": _table(["u1", "u2", "u3"], [-1.0, -2.0, -3.0]),
        },
    )
    assert out["utterance_id"].tolist() == ["u1", "u2", "u3"]
    assert out["a"].tolist() == [1.0, 2.0, 3.0]
    assert out["b"].tolist() == [-1.0, -2.0, -3.0]


@pytest.mark.parametrize(
    ("table", "match"),
    [
        (_table(["u1", "u1", "u2", "u3"], [1.0, 1.5, 2.0, 3.0]), "more than once"),
        (_table(["u1", "u2", "u3", "u9"], [1.0, 2.0, 3.0, 4.0]), "not in the key"),
        (_table(["u1", "u2"], [1.0, 2.0]), "miss 1 of the key's 3"),
    ],
)
def test_mismatches_are_errors(key, table, match):
    with pytest.raises(ValueError, match=match):
        join_scores(key, {"a": table})


def test_missing_can_be_dropped_with_a_warning(key):
    with pytest.warns(UserWarning, match="left out"):
        out = join_scores(key, {"a": _table(["u1", "u3"], [1.0, 3.0])}, missing="drop")
    assert out["utterance_id"].tolist() == ["u1", "u3"]


def test_name_clash_and_bad_option(key):
    with pytest.raises(ValueError, match="also a key column"):
        join_scores(key, {"label": _table(["u1", "u2", "u3"], [1.0, 2.0, 3.0])})
    with pytest.raises(ValueError, match="missing must be"):
        join_scores(key, {}, missing="ignore")
