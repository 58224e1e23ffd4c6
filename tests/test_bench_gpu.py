"""Tests of benchmarks/bench_gpu.py: its CPU --quick run and its pieces."""

from __future__ import annotations

import json
import math
import time

import pytest
import torch

from tests._bench import BENCH, benchmark_module  # noqa: F401


@pytest.fixture(scope="module")
def bench_gpu():
    with benchmark_module("bench_gpu") as module:
        yield module


@pytest.fixture(scope="module")
def quick_cpu(bench_gpu, tmp_path_factory):
    """The documented CPU smoke command, run once in-process."""
    out = tmp_path_factory.mktemp("bench_gpu")
    path = bench_gpu.main(["--device", "cpu", "--quick", "--out", str(out)])
    return path, json.loads(path.read_text())


def _gflop_by_hand(dim: int, depth: int, frames: int, mels: int = 128) -> dict:
    """SSAST FLOPs per clip from the layer shapes (16 x 16 patches, MLP 4 D)."""
    patches = (mels // 16) * (frames // 16)
    tokens = patches + 2
    patch = 2 * patches * dim * 16 * 16
    # qkv 3 D^2, proj D^2, fc1 4 D^2, fc2 4 D^2 per token; QK^T and AV 2 N^2 D each
    block = depth * (2 * tokens * dim * dim * 12 + 4 * tokens**2 * dim)
    return {"forward": (patch + block) / 1e9, "train": (2 * patch + 3 * block) / 1e9}


def test_quick_cpu_run_structure(quick_cpu):
    path, rec = quick_cpu
    assert path.name.startswith("gpu_") and path.suffix == ".json"
    assert path.with_suffix(".md").read_text().startswith("# bench_gpu")
    assert rec["complete"] is True
    assert rec["command"] == "python benchmarks/bench_gpu.py --device cpu --quick " + (
        f"--out {path.parent}"
    )
    assert {"platform", "torch", "torch_threads"} <= set(rec["machine"])
    assert rec["machine"]["device"] == "cpu" and len(rec["git"]["commit"]) == 40
    assert "Command: `python benchmarks/bench_gpu.py --device cpu --quick" in (
        path.with_suffix(".md").read_text()
    )
    assert rec["params"]["device"] == "cpu"
    assert rec["precisions"] == {
        "fp32": "run",
        "bf16": "run",
        "fp16": "skipped: needs CUDA",
    }
    for key in ("matmul_before", "matmul_after"):
        assert rec[key]["fp16"] == {"skipped": "skipped: needs CUDA"}
        for p in ("fp32", "bf16"):
            rate = rec[key][p]["gflop_per_s"]
            assert math.isfinite(rate) and rate > 0
        assert "fp32_tf32_on" not in rec[key]  # CUDA only
    assert all(rec["checks"].values()) and len(rec["checks"]) == 10


def test_quick_cpu_encoder_rows(quick_cpu):
    _, rec = quick_cpu
    rows = {row["precision"]: row for row in rec["encoder"]}
    assert [row["size"] for row in rec["encoder"]] == ["tiny"] * 3
    assert rows["fp16"] == {
        "size": "tiny",
        "batch_size": 2,
        "precision": "fp16",
        "skipped": "skipped: needs CUDA",
    }
    hand = _gflop_by_hand(dim=192, depth=1, frames=64)
    for p in ("fp32", "bf16"):
        row = rows[p]
        assert row["tokens"] == 34 and row["depth"] == 1
        assert row["gflop_per_clip_forward"] == pytest.approx(hand["forward"])
        assert row["gflop_per_clip_train"] == pytest.approx(hand["train"])
        ref = [rec[k][p]["gflop_per_s"] for k in ("matmul_before", "matmul_after")]
        assert row["matmul_gflop_per_s"] == pytest.approx(sum(ref) / 2)
        for mode in ("forward", "train"):
            r = row[mode]
            assert r["peak_mem_mib"] is None  # CPU: no device memory counter
            assert r["gflop_per_s"] == pytest.approx(r["clips_per_s"] * hand[mode])
            ratio = r["ratio_to_matmul"]
            assert math.isfinite(ratio) and ratio > 0
            assert ratio == pytest.approx(r["gflop_per_s"] / row["matmul_gflop_per_s"])


def test_quick_cpu_end_to_end(quick_cpu):
    _, rec = quick_cpu
    e2e = rec["end_to_end"]
    assert e2e["fp16"] == {"skipped": "skipped: needs CUDA"}
    for p in ("fp32", "bf16"):
        r = e2e[p]
        assert r["device_"] == "cpu" and r["scores_finite"] is True
        assert r["fit_s"] > 0 and (r["n_train"], r["n_eval"]) == (40, 32)
        assert len(r["scores"]) == 32 and all(map(math.isfinite, r["scores"]))
        assert r["scaler"] == {"encoder_net_": "NoneType", "head_net_": "NoneType"}
    # bf16 autocast keeps the ranking of the fp32 run's scores (same seed)
    assert e2e["bf16"]["spearman_vs_fp32"] > 0.8


def test_checks_flag_failures(bench_gpu):
    good_row = {
        "size": "tiny",
        "batch_size": 2,
        "precision": "fp16",
        "forward": {"ratio_to_matmul": 0.5},
        "train": {"ratio_to_matmul": 0.4},
    }
    record = {
        "encoder": [
            good_row,
            good_row | {"precision": "bf16", "train": {"ratio_to_matmul": 0.0}},
            {"size": "base", "batch_size": 2, "precision": "fp32", "error": "OOM"},
            {"size": "base", "batch_size": 2, "precision": "fp16", "skipped": "x"},
        ],
        "end_to_end": {
            "fp32": {"scores_finite": False, "scaler": {}},
            "fp16": {
                "scores_finite": True,
                "scaler": {"encoder_net_": "GradScaler", "head_net_": "NoneType"},
            },
        },
    }
    checks = bench_gpu.run_checks(record)
    failed = sorted(k for k, ok in checks.items() if not ok)
    assert failed == [
        "encoder.base.b2.fp32.forward.ratio_finite_positive",
        "encoder.base.b2.fp32.ran",
        "encoder.base.b2.fp32.train.ratio_finite_positive",
        "encoder.tiny.b2.bf16.train.ratio_finite_positive",
        "end_to_end.fp16.grad_scaler",
        "end_to_end.fp32.scores_finite",
    ]
    assert checks["encoder.tiny.b2.fp16.forward.ratio_finite_positive"] is True


def test_supported_precisions_cpu(bench_gpu):
    assert bench_gpu.supported_precisions("cpu") == {
        "fp32": None,
        "bf16": None,
        "fp16": "skipped: needs CUDA",
    }


def test_time_call_measures_seconds_per_call(bench_gpu):
    calls = []

    def fn():
        calls.append(1)
        time.sleep(0.01)

    sec = bench_gpu.time_call(fn, "cpu", min_time=0.05, warmup=1)
    assert 0.009 < sec < 0.03
    # 1 warm-up + 1 estimate + ceil(0.05 / ~0.01) timed calls
    assert 6 <= len(calls) <= 8


def test_safe_records_the_error(bench_gpu):
    def boom():
        raise RuntimeError("CUDA out of memory (simulated)")

    out = bench_gpu._safe(boom)
    assert out["error"] == "RuntimeError: CUDA out of memory (simulated)"
    assert "Traceback" in out["trace"]


@pytest.mark.parametrize(
    ("device", "match"),
    [("tpu", "device must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got 'tpu'")]
    + ([] if torch.cuda.is_available() else [("cuda", "torch sees no CUDA device")]),
)
def test_bad_device_is_an_error(bench_gpu, device, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        bench_gpu.main(["--device", device, "--quick", "--out", str(tmp_path)])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_quick_cuda_run(bench_gpu, tmp_path):
    path = bench_gpu.main(["--device", "cuda", "--quick", "--out", str(tmp_path)])
    rec = json.loads(path.read_text())
    assert all(rec["checks"].values()), rec["checks"]
    assert rec["end_to_end"]["fp16"]["scaler"] == {
        "encoder_net_": "GradScaler",
        "head_net_": "GradScaler",
    }
    assert rec["machine"]["gpu_name"]
    assert all(r["train"]["peak_mem_mib"] > 0 for r in rec["encoder"] if "train" in r)
