"""The benchmark toolkit (benchmarks/_common.py) and bench_speed's --quick run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
from tests._bench import BENCH, benchmark_module  # noqa: E402, F401

SCRIPTS = sorted(p for p in BENCH.glob("*.py") if p.name != "_common.py")


@pytest.fixture(scope="module")
def bench_path():
    with benchmark_module():
        yield


@pytest.fixture(scope="module")
def common(bench_path):
    import _common

    return _common


@pytest.fixture(scope="module")
def bench_speed(bench_path):
    import bench_speed

    return bench_speed


def _corpus() -> Path:
    """The corpus the scripts use (honours SSASTCL_CORPUS), without the check."""
    value = os.environ.get("SSASTCL_CORPUS", "").strip()
    return Path(value) if value else REPO.parent / "shared" / "data" / "spoofcorpus-dev"


needs_corpus = pytest.mark.skipif(
    not (_corpus() / "LA").is_dir(), reason="spoofcorpus-dev is not on this machine"
)


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


# ------------------------------------------------------------ results writer
def test_writer_records_commit_command_and_machine(common, tmp_path):
    import torch

    argv = ["--quick", "--out", "/tmp/a b"]
    writer = common.ResultsWriter("demo", BENCH / "bench_speed.py", argv, out=tmp_path)
    path = writer.write({"value": 1}, "| a | b |\n|---|---|", title="demo run")

    assert re.fullmatch(r"demo_\d{8}T\d{6}Z\.json", path.name)
    assert path.name == f"demo_{writer.stamp}.json" and path.parent == tmp_path
    rec = json.loads(path.read_text())
    head = _git("rev-parse", "HEAD")
    assert rec["git"]["commit"] == head and len(head) == 40
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    assert rec["git"]["dirty"] is dirty
    assert rec["command"] == "python benchmarks/bench_speed.py --quick --out '/tmp/a b'"
    assert rec["benchmark"] == "demo" and rec["stamp"] == writer.stamp
    assert rec["value"] == 1
    machine = rec["machine"]
    assert machine["cpu_count"] == os.cpu_count() and machine["cpu_model"]
    assert machine["torch"] == torch.__version__ and machine["device"] == "cpu"
    assert machine["torch_threads"] == torch.get_num_threads()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", rec["written_utc"])
    assert len(rec["loadavg_start"]) == len(rec["loadavg_end"]) == 3

    md = path.with_suffix(".md").read_text()
    assert md.startswith("# demo run\n\nMachine: ")
    assert f"Code: commit {head[:10]} " in md
    assert "Command: `python benchmarks/bench_speed.py --quick --out '/tmp/a b'`" in md
    assert md.endswith("\n| a | b |\n|---|---|\n")


def test_writer_names_and_markdown_from_the_record(common, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["benchmarks/bench_eer.py", "--quick"])
    writer = common.ResultsWriter("eer_quick", BENCH / "bench_eer.py", out=tmp_path)
    runs = writer.write({"scores": {}}, name="eer_runs", indent=None)
    assert runs.name == f"eer_runs_{writer.stamp}.json"
    assert not runs.with_suffix(".md").exists()  # no markdown asked for
    path = writer.write({"machine": {"extra": 1}}, lambda r: f"by {r['benchmark']}")
    rec = json.loads(path.read_text())
    assert rec["command"] == "python benchmarks/bench_eer.py --quick"  # sys.argv
    assert rec["machine"]["extra"] == 1 and "cpu_model" in rec["machine"]
    assert path.with_suffix(".md").read_text().endswith("\nby eer_quick\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [runs.name, path.name, path.with_suffix(".md").name]
    )


def test_git_state_outside_a_checkout(common, tmp_path):
    assert common.git_state(tmp_path) == {
        "commit": None,
        "dirty": None,
        "changed_files": [],
    }


# ------------------------------------------------------------------- corpus
def test_corpus_env_var_is_honoured(common, tmp_path, monkeypatch):
    (tmp_path / "LA").mkdir()
    monkeypatch.setenv("SSASTCL_CORPUS", str(tmp_path))
    assert common.default_corpus() == tmp_path
    assert common.corpus_dir() == tmp_path
    other = tmp_path / "other"
    (other / "LA").mkdir(parents=True)
    assert common.corpus_dir(other) == other  # --corpus wins over the variable

    missing = tmp_path / "missing"
    monkeypatch.setenv("SSASTCL_CORPUS", str(missing))
    with pytest.raises(FileNotFoundError) as err:
        common.corpus_dir()
    msg = str(err.value)
    assert f"spoofcorpus-dev not found at '{missing}' (from SSASTCL_CORPUS)" in msg
    assert "Set the SSASTCL_CORPUS environment variable" in msg and "--corpus" in msg


def test_corpus_default_without_the_variable(common, monkeypatch):
    monkeypatch.delenv("SSASTCL_CORPUS", raising=False)
    default = REPO.parent / "shared" / "data" / "spoofcorpus-dev"
    assert common.default_corpus() == default == common.DEFAULT_CORPUS
    monkeypatch.setenv("SSASTCL_CORPUS", "  ")  # empty: the default
    assert common.default_corpus() == default


@pytest.mark.parametrize(
    ("script", "argv"),
    [
        ("bench_eer", ["--quick"]),
        ("bench_logmel", []),
        ("bench_out_of_core", []),
        ("bench_pretrain", []),
        ("bench_speed", ["--quick"]),
        ("fusion_subsets", ["results.json"]),
        ("tune_dev", ["--baseline"]),
    ],
)
def test_scripts_stop_early_without_the_corpus(
    bench_path, script, argv, tmp_path, monkeypatch
):
    import importlib

    module = importlib.import_module(script)
    monkeypatch.setenv("SSASTCL_CORPUS", str(tmp_path / "nowhere"))
    out = tmp_path / "out"
    out_flag = "--out-dir" if script == "bench_logmel" else "--out"
    extra = [] if script == "fusion_subsets" else [out_flag, str(out)]
    with pytest.raises(FileNotFoundError, match="SSASTCL_CORPUS"):
        module.main([*argv, *extra])
    assert not out.exists()  # nothing written


def test_scripts_use_the_shared_toolkit():
    """No script measures memory, stamps files or finds the corpus by itself."""
    own = {
        "resource.RUSAGE": "peak_rss_mib",
        "strftime": "ResultsWriter / utc_stamp",
        "rev-parse": "git_state",
        'spoofcorpus-dev"': "corpus_dir",
        "/work/shared": "corpus_dir",
        "import resource": "peak_rss_mib",
        "sklearn_ssastcl._utils import machine_info": "_common.machine_info",
        ".write_text(json.dumps": "ResultsWriter.write",
    }
    found = [
        f"{path.name}: {needle!r} (use {use})"
        for path in SCRIPTS
        for needle, use in own.items()
        if needle in path.read_text()
    ]
    assert found == []
    assert {p.name for p in SCRIPTS} >= {"bench_eer.py", "bench_speed.py"}


# ----------------------------------------------------------- timing, memory
def test_stopwatch_and_time_call(common):
    with common.Stopwatch() as sw:
        time.sleep(0.02)
    assert 0.02 <= sw.seconds < 0.5

    calls = []

    def fn():
        calls.append(1)
        time.sleep(0.01)

    sec = common.time_call(fn, min_time=0.05, warmup=1)
    assert 0.009 < sec < 0.03
    assert 6 <= len(calls) <= 8  # 1 warm-up + 1 estimate + ~5 timed
    calls.clear()
    synced = []
    assert common.time_call(fn, warmup=0, sync=lambda: synced.append(1)) >= 0.01
    assert len(calls) == 1 and len(synced) == 2  # min_time 0: one timed call


def test_matmul_rate_is_shared_with_bench_encoder(common, bench_path):
    import bench_encoder

    assert bench_encoder.matmul_rate is common.matmul_rate
    rate = common.matmul_rate(128, reps=2)
    assert 0.01 < rate < 1e6
    rates = common.matmul_rates(64, repeats=3, min_time=0.01)
    assert len(rates) == 3 and all(r > 0 for r in rates)


def test_peak_rss_of_a_fresh_process(common, tmp_path):
    script = tmp_path / "child.py"
    script.write_text(
        f"import sys\nsys.path.insert(0, {str(BENCH)!r})\n"
        "from _common import peak_rss_mib, print_result\n"
        "before = peak_rss_mib()\n"
        "block = b'x' * (300 * 2**20)  # written: resident\n"
        "print('noise')\n"
        "print_result({'before': before, 'after': peak_rss_mib()})\n"
    )
    out = common.run_fresh(script, [])
    assert out["after"] - out["before"] > 250
    assert common.peak_rss_mib(children=True) >= out["after"] - 1
    assert common.peak_rss_mib() > 10


def test_run_fresh_reports_the_child_error(common, tmp_path):
    script = tmp_path / "boom.py"
    script.write_text("import sys\nprint('RESULT {}')\nsys.exit('boom: disk full')\n")
    with pytest.raises(RuntimeError, match=r"(?s)exit status 1.*boom: disk full"):
        common.run_fresh(script, [])
    quiet = tmp_path / "quiet.py"
    quiet.write_text("print('no result here')\n")
    with pytest.raises(RuntimeError, match="0 result lines"):
        common.run_fresh(quiet, [])


# ------------------------------------------------------ bench_speed --quick
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


@needs_corpus
def test_quick_run_writes_results(bench_speed, tmp_path):
    path = bench_speed.main(["--quick", "--threads", "1", "--out", str(tmp_path)])
    record = json.loads(path.read_text())
    assert {"machine", "command", "params", "loadavg_start", "loadavg_end"} <= set(
        record
    )
    assert record["git"]["commit"] == _git("rev-parse", "HEAD")
    assert record["command"] == (
        f"python benchmarks/bench_speed.py --quick --threads 1 --out {tmp_path}"
    )
    assert len(record["loadavg_start"]) == 3 and record["machine"]["torch_threads"]
    assert record["params"]["quick"] and record["params"]["isolation"] == "none"
    assert record["params"]["corpus"] == str(_corpus())
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


@needs_corpus
def test_too_many_clips_is_an_error(bench_speed):
    with pytest.raises(ValueError, match="only 766 train clips; asked for 5000"):
        bench_speed._paths(str(_corpus()), 5000, balanced=False)
