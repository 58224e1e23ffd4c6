"""Smoke test of benchmarks/bench_speed.py in its --quick mode."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
CORPUS = Path("/work/shared/data/spoofcorpus-dev")

pytestmark = pytest.mark.skipif(
    not (CORPUS / "LA").is_dir(), reason="spoofcorpus-dev is not on this machine"
)


@pytest.fixture(scope="module")
def bench_speed():
    sys.path.insert(0, str(BENCH))
    try:
        import bench_speed

        yield bench_speed
    finally:
        sys.path.remove(str(BENCH))


def _pair_gflop_by_hand(depth: int, dim: int, frames: int, mels: int = 128) -> dict:
    """SSAST patch embedding + blocks, counted from the layer shapes by hand."""
    patches = (mels // 16) * (frames // 16)
    tokens = patches + 2
    patch = 2 * patches * dim * 16 * 16
    # qkv 3, proj 1, fc1 4, fc2 4 (x 2 FLOPs x N D^2); QK^T and AV (2 N^2 D each)
    block = depth * (2 * tokens * dim * dim * (3 + 1 + 4 + 4) + 4 * tokens**2 * dim)
    sa_train = 2 * patch + 3 * block
    return {
        "forward": (patch + block) / 1e9,
        "pair_ca": (2 * sa_train + 3 * block) / 1e9,
        "pair_no_ca": 2 * sa_train / 1e9,
    }


def test_quick_run_writes_results(bench_speed, tmp_path):
    path = bench_speed.main(["--quick", "--threads", "1", "--out", str(tmp_path)])
    record = json.loads(path.read_text())
    assert {"machine", "command", "params", "loadavg_start", "loadavg_end"} <= set(
        record
    )
    assert len(record["loadavg_start"]) == 3 and record["machine"]["torch_threads"]
    assert record["params"]["quick"] and record["params"]["isolation"] == "none"
    assert path.with_suffix(".md").read_text().startswith("# bench_speed")
    assert path.with_suffix(".png").stat().st_size > 1000

    by_kind = {}
    for rec in record["results"]:
        by_kind.setdefault(rec["job"]["kind"], []).append(rec)
        assert rec["matmul_gflop_per_s"] > 0
        assert rec["result"]["peak_rss_mb"] >= rec["result"]["rss_after_setup_mb"] > 0
        if "gflop_per_s" in rec["result"]:
            assert rec["ratio"] == pytest.approx(
                rec["result"]["gflop_per_s"] / rec["matmul_gflop_per_s"]
            )
    assert sorted(by_kind) == ["infer", "logmel", "scale", "train"]

    logmel = by_kind["logmel"][0]["result"]
    assert logmel["x_real_time_waveforms"] == pytest.approx(
        logmel["audio_seconds"] / logmel["seconds_waveforms"], rel=1e-3
    )  # audio_seconds is rounded to 0.01 s

    hand = _pair_gflop_by_hand(depth=1, dim=192, frames=64)
    train = {rec["job"]["cross_attention"]: rec for rec in by_kind["train"]}
    for ca, key in ((True, "pair_ca"), (False, "pair_no_ca")):
        res, job = train[ca]["result"], train[ca]["job"]
        assert res["gflop_per_pair"] == pytest.approx(hand[key])
        timed = res["epoch_dur_s"][1:]  # the first epoch is the warm-up
        assert len(timed) == job["epochs"]
        assert res["pairs_per_s"] == pytest.approx(
            job["pairs_per_epoch"] / (sum(timed) / len(timed))
        )
    infer = by_kind["infer"][0]["result"]
    assert infer["weights"] == "weights of the train run"
    assert infer["gflop_per_clip"] == pytest.approx(hand["forward"])

    scaling = record["scaling"]
    assert [s["n_train"] for s in scaling] == [4, 8, 16]
    assert scaling[2]["features_mb"] == pytest.approx(16 * 64 * 128 * 4 / 2**20)
    for s in scaling:  # fit keeps at least the float32 features in numpy
        assert s["traced_numpy_peak_mb"] >= s["features_mb"]
    assert record["scaling_rss_growth_mb"] == pytest.approx(
        scaling[2]["peak_rss_timed_fit_mb"] - scaling[0]["peak_rss_timed_fit_mb"]
    )


def test_too_many_clips_is_an_error(bench_speed):
    with pytest.raises(ValueError, match="only 766 train clips; asked for 5000"):
        bench_speed._paths(str(CORPUS), 5000, balanced=False)
