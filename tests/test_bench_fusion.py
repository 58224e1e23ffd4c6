"""The member selection of benchmarks/bench_eer.py on synthetic dev scores."""

from __future__ import annotations

import numpy as np
import pytest

from tests._bench import BENCH, benchmark_module  # noqa: F401


@pytest.fixture(scope="module")
def bench_eer():
    with benchmark_module("bench_eer") as module:
        yield module


def _dev(seed=0, n=300):
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) % 2 == 0, "bonafide", "spoof")
    truth = np.where(y == "bonafide", 1.0, -1.0)
    a = truth + rng.normal(0, 1.0, n)  # good
    b = truth + rng.normal(0, 1.0, n)  # as good, independent errors: fusing helps
    noise = rng.normal(0, 1.0, n)  # useless
    return y, {"a": a, "b": b, "noise": noise}


def test_selection_adds_complementary_members_and_stops(bench_eer):
    y, scores = _dev()
    members, trace = bench_eer.select_members(scores, y)
    assert set(members) == {"a", "b"}
    assert members[0] == min(
        ("a", "b"), key=lambda m: bench_eer_eer(y, scores[m])
    )  # starts from the lowest dev EER
    assert trace[-1][1] <= trace[0][1] - 0.005  # each addition gained >= 0.5 point
    assert [t[0] for t in trace] == [members[:1], members]


def test_selection_keeps_a_single_system_when_nothing_helps(bench_eer):
    y, scores = _dev(seed=1, n=4000)
    members, trace = bench_eer.select_members(
        {"a": scores["a"], "noise": scores["noise"]}, y
    )
    assert members == ["a"] and len(trace) == 1


def bench_eer_eer(y, s):
    from sklearn_ssastcl.metrics import eer_score

    return eer_score(y, s)
