"""benchmarks/bench_score_files.py --quick: results files and the windows scored."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
from tests._bench import BENCH, benchmark_module  # noqa: E402, F401


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    with benchmark_module("bench_score_files") as bench_score_files:
        out = tmp_path_factory.mktemp("results")
        path = bench_score_files.main(["--quick", "--out", str(out)])
        yield path, out


def expected_windows(n: int, window: int, hop: int) -> int:
    """Windows every ``hop`` while they fit, plus one ending at the end if needed;
    a file shorter than a window is one window."""
    if n <= window:
        return 1
    regular = (n - window) // hop + 1
    last_end = (regular - 1) * hop + window
    return regular + (last_end < n)


def test_quick_run_writes_json_and_markdown(bench):
    path, out = bench
    assert path.parent == out and path.name.startswith("score_files_")
    rec = json.loads(path.read_text())
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    assert rec["git"]["commit"] == head
    assert (
        rec["command"] == f"python benchmarks/bench_score_files.py --quick --out {out}"
    )
    assert rec["params"]["quick"] and rec["demo"] is None
    assert len(rec["loadavg_start"]) == 3
    md = path.with_suffix(".md").read_text()
    assert md.startswith("# Scoring whole recordings") and rec["command"] in md
    assert "| 60 s | score_files |" in md


def test_windows_scored_match_the_windowing_rule(bench):
    from sklearn_ssastcl.recipe import make_recipe

    rec = json.loads(bench[0].read_text())
    frontend = make_recipe().frontend
    rate = frontend.sample_rate
    frame, step = int(0.025 * rate), int(0.010 * rate)  # Kaldi 25 ms / 10 ms frames
    window = frame + (frontend.target_length - 1) * step  # 3.015 s
    hop = window // 2
    assert (rec["window_samples"], rec["hop_samples"]) == (window, hop)
    for name, seconds in (("short", 10.0), ("long", 60.0)):
        n = int(seconds * rate)
        assert rec["files"][name]["n_samples"] == n
        res = rec["results"][name]["score_files"]
        assert res["status"] == "ok" and res["duration"] == seconds
        assert res["n_windows"] == expected_windows(n, window, hop)
        assert res["windows_per_s"] == pytest.approx(res["n_windows"] / res["seconds"])
        assert res["rss_peak_mib"] >= res["rss_baseline_mib"] > 0
        cli = rec["results"][name]["cli"]
        assert cli["rss_peak_mib"] > 0 and cli["score"] == pytest.approx(
            res["score"], abs=1e-4
        )
    assert expected_windows(10 * 16000, 48240, 24120) == 6  # 5 regular + 1 at end
    assert rec["rss_ratio_score_files"] == pytest.approx(
        rec["results"]["long"]["score_files"]["rss_peak_mib"]
        / rec["results"]["short"]["score_files"]["rss_peak_mib"]
    )
