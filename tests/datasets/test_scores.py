from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from sklearn_ssastcl.datasets import read_scores, write_scores

IDS = ["LA_E_1", "LA_E_2", "LA_E_3"]


def _scores():
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(size=2) * 1e3, [1.0 / 3.0]])


def test_round_trip_2021_exact(tmp_path):
    scores = _scores()
    path = write_scores(tmp_path / "s.txt", IDS, scores, format="2021")
    lines = path.read_text().splitlines()
    assert [line.split()[0] for line in lines] == IDS
    assert all(len(line.split()) == 2 for line in lines)
    frame = read_scores(path)
    assert list(frame.columns) == ["utterance_id", "score"]
    assert frame["utterance_id"].tolist() == IDS
    assert frame["score"].dtype == np.float64
    assert_array_equal(frame["score"].to_numpy(), scores)  # bit-exact
    # independent reader: pandas on the space-separated text
    other = pd.read_csv(path, sep=" ", header=None)
    assert_array_equal(other[1].to_numpy(), scores)


def test_round_trip_2019(tmp_path):
    scores = _scores()
    attacks = ["-", "A07", "A19"]
    labels = np.array(["bonafide", "spoof", "spoof"])
    path = write_scores(
        tmp_path / "s.txt", np.array(IDS), scores, attacks=attacks, labels=labels
    )
    first = path.read_text().splitlines()[0].split()
    assert first[:3] == ["LA_E_1", "-", "bonafide"]
    assert float(first[3]) == scores[0]
    frame = read_scores(path)
    assert list(frame.columns) == ["utterance_id", "attack", "label", "score"]
    assert frame["attack"].tolist() == attacks
    assert frame["label"].tolist() == labels.tolist()
    assert_array_equal(frame["score"].to_numpy(), scores)


def test_accepts_series_and_integer_scores(tmp_path):
    path = write_scores(
        tmp_path / "s.txt", pd.Series(IDS), pd.Series([1, 2, 3]), format="2021"
    )
    assert path.read_text() == "LA_E_1 1.0\nLA_E_2 2.0\nLA_E_3 3.0\n"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"scores": [1.0, 2.0]}, "Got 2 scores for 3 utterance IDs"),
        (
            {"scores": [1.0, np.nan, 2.0]},
            r"1 score\(s\) NaN or infinite.*scores\[1\] = nan",
        ),
        ({"scores": [1.0, np.inf, 2.0]}, "NaN or infinite"),
        ({"format": "2019"}, "needs both attacks= and labels="),
        ({"format": "2021", "utterance_ids": []}, "is empty"),
        ({"format": "2021", "utterance_ids": ["a", "a b", "c"]}, "no white space"),
        ({"format": "2021", "utterance_ids": ["a", "b", "a"]}, "'a' more than once"),
        ({"format": "csv"}, "format must be one of"),
        (
            {"format": "2019", "attacks": ["-", "A01"], "labels": ["b"] * 3},
            "attacks has 2 entries but there are 3",
        ),
        (
            {
                "format": "2019",
                "attacks": ["-"] * 3,
                "labels": ["bonafide"] * 2 + ["x"],
            },
            r"labels\[2\] is 'x'",
        ),
    ],
)
def test_write_errors(tmp_path, kwargs, match):
    args = {"utterance_ids": IDS, "scores": [0.0, 1.0, 2.0], "format": "2021"}
    args.update(kwargs)
    ids, scores = args.pop("utterance_ids"), args.pop("scores")
    with pytest.raises(ValueError, match=match):
        write_scores(tmp_path / "s.txt", ids, scores, **args)


def test_write_non_numeric_scores(tmp_path):
    with pytest.raises(TypeError, match="scores must be numbers"):
        write_scores(tmp_path / "s.txt", IDS, ["a", "b", "c"], format="2021")


@pytest.mark.parametrize(
    "text, match",
    [
        ("a 1.0\nb - spoof 2.0\n", r"Line 2 .* 4 columns, expected 2"),
        ("a x y\n", "has 3 columns"),
        ("a 1.0\n\nb nan\n", r"Line 3 .* score 'nan'"),
        ("a 1.0\nb one\n", r"Line 2 .* score 'one'"),
        ("\n", "is empty"),
    ],
)
def test_read_errors(tmp_path, text, match):
    path = tmp_path / "s.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_scores(path)


def test_read_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="none.txt"):
        read_scores(tmp_path / "none.txt")
