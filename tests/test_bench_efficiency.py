"""benchmarks/bench_efficiency.py: FLOP counting, parameter counts and --quick run."""

from __future__ import annotations

import json

import pytest
import torch

from sklearn_ssastcl.nn import SSASTEncoder
from sklearn_ssastcl.nn._siamese import LinearHead, MLPHead
from tests._bench import BENCH, benchmark_module  # noqa: F401


@pytest.fixture(scope="module")
def bench():
    with benchmark_module("bench_efficiency") as module:
        yield module


@pytest.fixture(scope="module")
def quick(bench, tmp_path_factory):
    out = tmp_path_factory.mktemp("efficiency")
    path = bench.main(["--quick", "--threads", "1", "--out", str(out)])
    return path, json.loads(path.read_text())


@pytest.mark.parametrize("m, k, n", [(5, 3, 4), (7, 64, 33)])
def test_linear_flops_are_2mnk(bench, m, k, n):
    layer = torch.nn.Linear(k, n)
    x = torch.randn(m, k)
    total, by_op = bench.count_flops(lambda: layer(x))
    assert total == 2 * m * n * k
    assert set(by_op) == {"aten.addmm"}


def test_attention_is_counted(bench):
    """An encoder pass matches the hand count, attention included."""
    enc = SSASTEncoder(
        None, embed_dim=32, depth=2, num_heads=2, n_mels=32, target_length=64
    )
    n, d = enc.n_patches + 2, 32
    patch = 2 * enc.n_patches * d * 16 * 16
    block = 2 * n * d * d * (3 + 1 + 4 + 4) + 4 * n * n * d  # linears; QK^T, AV
    x = torch.randn(3, 64, 32)
    with torch.no_grad():
        total, by_op = bench.count_flops(lambda: enc(x))
    assert total == 3 * (patch + 2 * block)
    assert any("attention" in op for op in by_op)


def test_quick_run_writes_the_files(quick):
    path, rec = quick
    assert path.name.startswith("efficiency_") and path.suffix == ".json"
    md = path.with_suffix(".md").read_text()
    assert md.startswith("# Efficiency of CE and SSAST-CL")
    assert "--quick --threads 1" in rec["command"]
    rows = {(r["size"], r["system"]): r for r in rec["results"]}
    assert set(rows) == {("tiny", s) for s in ("ce", "ssastcl", "ssastcl_noca")}
    for label in ("| tiny | CE |", "| tiny | SSAST-CL |", "| tiny | SSAST-CL w/o CA |"):
        assert label in md
    for r in rows.values():
        for key in ("train", "infer"):
            m = r[key]
            assert m["peak_rss_mib"] >= m["rss_before_mib"] > 0
            assert m["matmul_gflop_per_s"] > 0 and m["ratio"] > 0
        assert r["train"]["s_per_1000"] > 0 and r["infer"]["clips_per_s"] > 0


def test_parameter_counts(quick):
    rows = {r["system"]: r for r in quick[1]["results"]}
    torch.manual_seed(0)
    enc = SSASTEncoder("tiny", n_mels=128, target_length=300)
    n_enc = sum(p.numel() for p in enc.parameters())
    n_linear = sum(p.numel() for p in LinearHead(192).parameters())
    n_mlp = sum(p.numel() for p in MLPHead(192).parameters())
    assert rows["ce"]["params"] == n_enc + n_linear
    for system in ("ssastcl", "ssastcl_noca"):
        assert rows[system]["params"] == n_enc + n_mlp
        assert rows[system]["params_trained"] == n_enc  # stage I: encoder only
    assert all(r["params_encoder"] == n_enc for r in rows.values())


def test_ssastcl_training_costs_more_than_ce(quick):
    flops = {r["system"]: r["flops"] for r in quick[1]["results"]}
    ce = flops["ce"]["train_per_item"]
    assert flops["ssastcl"]["train_per_item"] > flops["ssastcl_noca"]["train_per_item"]
    assert flops["ssastcl_noca"]["train_per_item"] > ce
    # same deployed encoder: inference FLOPs differ by the head only
    fwd = {s: f["forward_per_clip"] for s, f in flops.items()}
    assert fwd["ssastcl"] == fwd["ssastcl_noca"]
    assert abs(fwd["ssastcl"] - fwd["ce"]) < 1e-3 * fwd["ce"]
    # backward about twice the forward: a step is about 3 forward passes
    assert 2.5 < ce / fwd["ce"] < 3.5
