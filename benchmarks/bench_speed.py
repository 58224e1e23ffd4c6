"""Speed and memory of SSASTCLClassifier on real audio: LogMel, training, inference.

Measured on the spoofcorpus-dev train part (real FLAC clips, 1.5-6 s), patch 16 x 16
without overlap, ``--target-length`` frames (default 400: 8 x 25 = 200 patches),
for each of ``--sizes`` (default tiny and base):

* ``logmel``: ``LogMel(target_length=...).transform`` in seconds of audio per
  second ("x real time", full clip durations; frames past ``target_length`` are
  cut), on waveforms already in memory and from file paths (FLAC decoding
  included), median of ``--logmel-repeats`` interleaved timings;
* ``train``: stage I training throughput in pairs/s, timed on the classifier's
  real training: ``SSASTCLClassifier(pairs_per_epoch=P, batch_size=B,
  max_epochs=1 + E, head_epochs=1, validation_split=None).fit(spectrograms)``,
  pairs/s = P / median skorch ``history_[epoch]["dur"]`` over the E epochs after
  the first (warm-up) epoch (the best epoch is reported too: other jobs on a
  shared CPU make single epochs vary by 2-3x). With cross-attention
  (``cross_attention=True``: three encoder branches fwd+bwd per pair) and
  without (two branches). The epoch time
  includes pair sampling, batching, the loss and the Adam step;
* ``infer``: ``decision_function`` on spectrograms (one encoder pass per clip,
  batches of 64) in clips/s, with the weights of the ``train`` run (saved and
  reloaded with ``save_weights``/``load_weights``);
* ``scale``: wall time and peak memory of a whole ``fit`` (tiny size, 1 stage I
  epoch of ``--scale-pairs`` pairs, 1 head epoch) with N, 2N and 4N training
  clips given as FILE PATHS with ``frontend=LogMel(...)``. The pairs per epoch
  are fixed, so time grows with N only through reading, LogMel and the per-clip
  encoder passes of stage II and the threshold. A second, untimed fit in the
  same process runs under ``tracemalloc``: its peak is the numpy memory alone
  (cached waveforms and features; torch tensors are not traced).

GFLOP/s come from the analytic count of ``bench_encoder.encoder_flops`` (multiply-
add = 2 FLOPs; layer norms, softmax, GELU, the loss and Adam not counted): a pair
with cross-attention costs ``2 * train + 3 * depth * block`` (the CA branch reuses
x_a's patch embedding, and its blocks cost what self-attention blocks cost), one
without costs ``2 * train``; inference costs ``forward`` per clip. Each is divided
by the fp32 ``torch.mm`` rate (``_common.matmul_rate``, ``--mm-size``)
probed right before and right after the measurement, in the launching process
(so the probe's buffers are not in the measurement's memory), and the ratio of
the two is reported.

Peak memory: with ``--isolation process`` (default) every measurement runs in a
fresh Python process and reports its own peak resident memory
(``_common.peak_rss_mib``: ``VmHWM``, not inherited from this process) at its end
(imports, data and warm-up included), plus the same after imports and data loading,
so each number is its own. ``--isolation none`` runs everything in this process
(fast, for ``--quick``); its peaks are then cumulative.

Other engineers share this CPU: absolute rates drift, the load average at start
and end is recorded, and the model / matmul ratios measured side by side are the
figures to compare.

Command (about 10 minutes on 2 shared cores)::

    python benchmarks/bench_speed.py

Smoke test (seconds, in-process, tiny 1-block encoder, 64 frames)::

    python benchmarks/bench_speed.py --quick --out /tmp/speed

Writes ``speed_<UTC stamp>.json``, ``.md`` (table) and ``.png`` (scaling plot)
into ``--out`` (default ``benchmarks/results``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _common import (  # noqa: E402
    RESULTS,
    ResultsWriter,
    Stopwatch,
    corpus_dir,
    matmul_rate,
    peak_rss_mib,
    print_result,
    pyplot,
    run_fresh,
)
from bench_encoder import encoder_flops  # noqa: E402


# ----------------------------------------------------------------- helpers
def _paths(corpus: str, n: int, *, balanced: bool = True) -> tuple[list, list]:
    """First ``n`` train clips (half bona fide, half spoof when ``balanced``)."""
    import pandas as pd

    from sklearn_ssastcl.datasets import load_asvspoof

    df = load_asvspoof(corpus, part="train")
    if balanced:
        bona = df[df["label"] == "bonafide"].head(n - n // 2)
        spoof = df[df["label"] != "bonafide"].head(n // 2)
        df = pd.concat([bona, spoof])
    else:
        df = df.head(n)
    if len(df) < n:
        raise ValueError(f"The corpus has only {len(df)} train clips; asked for {n}.")
    return df["path"].tolist(), df["label"].tolist()


def _spectrograms(job: dict, n: int):
    from sklearn_ssastcl import LogMel

    paths, labels = _paths(job["corpus"], n)
    X = LogMel(target_length=job["target_length"]).transform(paths)
    return X, np.asarray(labels)


def _classifier(job: dict, **kwargs):
    from sklearn_ssastcl import SSASTCLClassifier

    arch = job.get("arch") or {}
    return SSASTCLClassifier(
        model_size=job["size"],
        kernel_size=(16, 16),
        validation_split=None,
        head_epochs=1,
        random_state=0,
        **arch,
        **kwargs,
    )


def _flops(encoder) -> dict:
    """Forward, training-step and per-pair FLOPs of one clip (see docstring)."""
    f = encoder_flops(encoder)
    blocks = f["train"] - 2 * f["forward"]  # depth * block, forward only
    return {
        "forward": f["forward"],
        "train": f["train"],
        "pair_ca": 2 * f["train"] + 3 * blocks,
        "pair_no_ca": 2 * f["train"],
    }


# -------------------------------------------------------------------- jobs
def job_logmel(job: dict) -> dict:
    from sklearn_ssastcl import LogMel
    from sklearn_ssastcl.datasets import load_audio

    paths, _ = _paths(job["corpus"], job["n_clips"], balanced=False)
    waves = [load_audio(p) for p in paths]
    audio_s = sum(len(w) for w in waves) / 16000
    logmel = LogMel(target_length=job["target_length"])
    logmel.transform(waves[:4])  # warm-up
    rss_setup = peak_rss_mib()
    times = {"waveforms": [], "paths": []}
    for _ in range(job.get("repeats", 1)):  # interleaved
        for name, X in (("waveforms", waves), ("paths", paths)):
            with Stopwatch() as sw:
                logmel.transform(X)
            times[name].append(sw.seconds)
    t_mem, t_paths = (statistics.median(times[k]) for k in ("waveforms", "paths"))
    return {
        "n_clips": len(paths),
        "audio_seconds": round(audio_s, 2),
        "x_real_time_waveforms": audio_s / t_mem,
        "x_real_time_paths": audio_s / t_paths,
        "seconds_waveforms": t_mem,
        "seconds_paths": t_paths,
        "seconds_per_repeat": times,
        "rss_after_setup_mb": rss_setup,
    }


def job_train(job: dict) -> dict:
    X, y = _spectrograms(job, job["n_train"])
    rss_setup = peak_rss_mib()
    clf = _classifier(
        job,
        cross_attention=job["cross_attention"],
        pairs_per_epoch=job["pairs_per_epoch"],
        batch_size=job["batch_size"],
        max_epochs=1 + job["epochs"],
    )
    with Stopwatch() as fit:
        clf.fit(X, y)
    fit_s = fit.seconds
    durs = [row["dur"] for row in clf.history_]
    sec = statistics.median(durs[1:])
    flops = _flops(clf.encoder_)
    pair = flops["pair_ca" if job["cross_attention"] else "pair_no_ca"]
    if job.get("save_to"):
        clf.save_weights(job["save_to"])
    return {
        "pairs_per_s": job["pairs_per_epoch"] / sec,
        "pairs_per_s_best_epoch": job["pairs_per_epoch"] / min(durs[1:]),
        "gflop_per_pair": pair / 1e9,
        "gflop_per_s": pair * job["pairs_per_epoch"] / sec / 1e9,
        "epoch_dur_s": durs,
        "warmup_epoch_dur_s": durs[0],
        "fit_wall_s": fit_s,
        "embed_dim": clf.encoder_.embed_dim,
        "depth": clf.encoder_.depth,
        "tokens": clf.encoder_.n_patches + 2,
        "rss_after_setup_mb": rss_setup,
    }


def job_infer(job: dict) -> dict:
    from sklearn_ssastcl import SSASTCLClassifier

    X, _ = _spectrograms(job, job["n_clips"])
    clf, source = None, "max_epochs=0 fit (no saved weights)"
    if job.get("load_from") and Path(job["load_from"], "weights.pt").exists():
        try:
            clf = SSASTCLClassifier.load_weights(job["load_from"])
            source = "weights of the train run"
        except Exception as exc:  # noqa: BLE001 - record it, time the same cost
            source = f"max_epochs=0 fit (load_weights failed: {exc!r:.200})"
    if clf is None:  # an untrained encoder costs the same per clip
        Xf, yf = _spectrograms(job, 4)
        clf = _classifier(job, max_epochs=0, batch_size=2).fit(Xf, yf)
        source = "max_epochs=0 fit"
    clf.decision_function(X[:2])  # warm-up
    rss_setup = peak_rss_mib()
    with Stopwatch() as sw:
        clf.decision_function(X)
    sec = sw.seconds
    fwd = _flops(clf.encoder_)["forward"]
    return {
        "clips_per_s": len(X) / sec,
        "gflop_per_clip": fwd / 1e9,
        "gflop_per_s": fwd * len(X) / sec / 1e9,
        "seconds": sec,
        "weights": source,
        "rss_after_setup_mb": rss_setup,
    }


def job_scale(job: dict) -> dict:
    from sklearn_ssastcl import LogMel

    paths, labels = _paths(job["corpus"], job["n_train"])
    rss_setup = peak_rss_mib()
    clf = _classifier(
        job,
        frontend=LogMel(target_length=job["target_length"]),
        pairs_per_epoch=job["pairs_per_epoch"],
        batch_size=job["batch_size"],
        max_epochs=1,
    )
    with Stopwatch() as fit:
        clf.fit(paths, labels)
    fit_s = fit.seconds
    stage1_s = clf.history_[0]["dur"]
    peak = peak_rss_mib()
    traced = None
    if job.get("trace", True):  # a second, untimed fit: numpy memory only
        tracemalloc.start()
        clf.fit(paths, labels)
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    import soundfile as sf

    samples = sum(sf.info(p).frames for p in paths)
    return {
        "fit_wall_s": fit_s,
        "stage1_epoch_dur_s": stage1_s,
        "peak_rss_timed_fit_mb": peak,
        "traced_numpy_peak_mb": traced,
        "features_mb": len(paths) * job["target_length"] * 128 * 4 / 2**20,
        "waveforms_mb": samples * 4 / 2**20,
        "rss_after_setup_mb": rss_setup,
    }


JOBS = {
    "logmel": job_logmel,
    "train": job_train,
    "infer": job_infer,
    "scale": job_scale,
}


def execute(job: dict) -> dict:
    """Run one job in this process and add its wall time and peak memory."""
    torch.set_num_threads(job["threads"])
    torch.manual_seed(0)
    with Stopwatch() as sw:
        out = JOBS[job["kind"]](job)
    out["job_wall_s"] = sw.seconds
    out["peak_rss_mb"] = peak_rss_mib()
    out["torch_threads"] = torch.get_num_threads()
    return out


def run_job(job: dict, isolation: str) -> dict:
    """Run one job here (``"none"``) or in a fresh process (``"process"``)."""
    if isolation == "none":
        return execute(job)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as fh:
        json.dump(job, fh)
        fh.flush()
        return run_fresh(__file__, ["--_child", fh.name])


# -------------------------------------------------------------------- plan
def plan(args, tmp: str) -> list[dict]:
    base = {
        "corpus": str(args.corpus),
        "target_length": args.target_length,
        "threads": args.threads,
    }
    arch = {"depth": 1} if args.quick else {}
    jobs = [
        {
            **base,
            "kind": "logmel",
            "n_clips": args.logmel_clips,
            "repeats": args.logmel_repeats,
        }
    ]
    for size in args.sizes:
        setting = {
            "size": size,
            "arch": arch,
            "batch_size": args.base_batch if size == "base" else args.batch_size,
            "pairs_per_epoch": args.base_pairs if size == "base" else args.pairs,
            "epochs": args.base_epochs if size == "base" else args.epochs,
            "n_train": 4 if size == "base" else args.n_train,
        }
        weights = str(Path(tmp) / size)
        for ca in (True, False):
            jobs.append(
                {
                    **base,
                    **setting,
                    "kind": "train",
                    "cross_attention": ca,
                    "save_to": weights if ca else None,
                }
            )
        n_inf = args.base_infer_clips if size == "base" else args.infer_clips
        jobs.append(
            {
                **base,
                "kind": "infer",
                "size": size,
                "arch": arch,
                "n_clips": n_inf,
                "load_from": weights,
            }
        )
    for n in (args.scale_n, 2 * args.scale_n, 4 * args.scale_n):
        jobs.append(
            {
                **base,
                "kind": "scale",
                "size": "tiny",
                "arch": arch,
                "n_train": n,
                "pairs_per_epoch": args.scale_pairs,
                "batch_size": args.batch_size,
            }
        )
    return jobs


# ------------------------------------------------------------------ output
def _label(job: dict) -> str:
    if job["kind"] == "train":
        return f"train {'CA' if job['cross_attention'] else 'no CA'}"
    if job["kind"] == "scale":
        return f"scale N={job['n_train']}"
    return job["kind"]


def _row(rec: dict) -> str:
    job, res = rec["job"], rec["result"]
    size = job.get("size", "-")
    if job["kind"] == "logmel":
        rate = (
            f"{res['x_real_time_waveforms']:.0f} x RT (waveforms), "
            f"{res['x_real_time_paths']:.0f} x RT (paths)"
        )
    elif job["kind"] == "train":
        rate = (
            f"{res['pairs_per_s']:.3g} pairs/s (best epoch "
            f"{res['pairs_per_s_best_epoch']:.3g})"
        )
    elif job["kind"] == "infer":
        rate = f"{res['clips_per_s']:.3g} clips/s"
    else:
        rate = f"fit {res['fit_wall_s']:.1f} s"
    gf = res.get("gflop_per_s")
    gf_s = "-" if gf is None else f"{gf:.1f}"
    ratio = "-" if gf is None else f"{rec['ratio']:.2f}"
    return (
        f"| {_label(job)} | {size} | {rate} | {gf_s} | "
        f"{rec['matmul_gflop_per_s']:.1f} | {ratio} | "
        f"{res['rss_after_setup_mb']:.0f} | {res['peak_rss_mb']:.0f} |"
    )


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.0f}"


def markdown(record: dict) -> str:
    """The measurements table, the scaling table and the memory verdict."""
    scale_rows = [
        f"| {s['n_train']} | {s['fit_wall_s']:.1f} | {s['stage1_epoch_dur_s']:.1f} "
        f"| {s['rss_after_setup_mb']:.0f} | {_scale_peak(s):.0f} "
        f"| {s['features_mb']:.0f} | {s['waveforms_mb']:.0f} "
        f"| {_fmt(s.get('traced_numpy_peak_mb'))} |"
        for s in record["scaling"]
    ]
    data_growth = _data_growth(record["scaling"])
    lines = [
        f"Torch threads per measurement: {record['params']['threads']}. "
        f"Load average (1/5/15 min) at start {record['loadavg_start']}, at end "
        f"{record['loadavg_end']}; isolation: {record['params']['isolation']}.",
        "",
        "GFLOP/s from the analytic count; ratio = GFLOP/s over the fp32 matmul rate "
        "probed just before and after; RSS = peak resident MiB (imports included).",
        "",
        "| measurement | size | throughput | GFLOP/s | matmul GFLOP/s | ratio "
        "| RSS before timing | peak RSS |",
        "|---|---|---|---|---|---|---|---|",
        *(_row(rec) for rec in record["results"]),
        "",
        "Scaling: `fit` from file paths with `frontend=LogMel`, tiny, 1 stage I "
        "epoch of fixed size, 1 head epoch:",
        "",
        "| N clips | fit s | stage I epoch s | RSS before fit | peak RSS "
        "| features MiB | waveforms MiB | traced numpy peak MiB |",
        "|---|---|---|---|---|---|---|---|",
        *scale_rows,
        "",
        f"Peak RSS from N to 4N grew by {record['scaling_rss_growth_mb']:.0f} MiB; "
        f"the float32 features + waveforms of the clips grew by {data_growth:.0f} "
        f"MiB: memory {'grows' if record['memory_grows_with_n'] else 'stays flat'}"
        " with N.",
        "",
        record["note"],
    ]
    return "\n".join(lines)


def write_plot(path: Path, scaling: list[dict]) -> None:
    plt = pyplot()

    n = [s["n_train"] for s in scaling]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax1.plot(n, [s["fit_wall_s"] for s in scaling], "o-", label="whole fit")
    ax1.plot(
        n,
        [s["fit_wall_s"] - s["stage1_epoch_dur_s"] for s in scaling],
        "s--",
        label="fit minus stage I epoch",
    )
    ax1.set(xlabel="training clips N", ylabel="seconds", title="fit wall time")
    ax1.legend()
    ax2.plot(n, [_scale_peak(s) for s in scaling], "o-", label="peak RSS")
    ax2.plot(
        n,
        [s["rss_after_setup_mb"] for s in scaling],
        "s--",
        label="RSS before fit",
    )
    if all(s.get("traced_numpy_peak_mb") is not None for s in scaling):
        ax2.plot(
            n,
            [s["traced_numpy_peak_mb"] for s in scaling],
            "^:",
            label="traced numpy peak",
        )
    ax2.set(xlabel="training clips N", ylabel="MiB", title="peak memory")
    ax2.legend()
    fig.suptitle("SSASTCLClassifier.fit from file paths (tiny, 1 epoch)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _scale_peak(s: dict) -> float:
    """Peak RSS of the timed fit (older records: of the whole job)."""
    return s.get("peak_rss_timed_fit_mb", s["peak_rss_mb"])


def _data_growth(scaling: list[dict]) -> float:
    """MiB of float32 features + waveforms added from the first to the last N."""
    first, last = scaling[0], scaling[-1]
    size = [s["features_mb"] + s["waveforms_mb"] for s in (first, last)]
    return size[1] - size[0]


# -------------------------------------------------------------------- main
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--sizes",
        nargs="*",
        default=["tiny", "base"],
        help="model sizes to time (none: LogMel and scaling only)",
    )
    p.add_argument("--target-length", type=int, default=400)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--logmel-clips", type=int, default=200)
    p.add_argument("--logmel-repeats", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=8, help="pairs per batch")
    p.add_argument("--pairs", type=int, default=16, help="pairs per epoch")
    p.add_argument("--epochs", type=int, default=4, help="timed epochs")
    p.add_argument("--n-train", type=int, default=16, help="clips for train")
    p.add_argument("--infer-clips", type=int, default=64)
    p.add_argument("--base-batch", type=int, default=2)
    p.add_argument("--base-pairs", type=int, default=2)
    p.add_argument("--base-epochs", type=int, default=2)
    p.add_argument("--base-infer-clips", type=int, default=8)
    p.add_argument("--scale-n", type=int, default=50, help="N of N, 2N, 4N")
    p.add_argument("--scale-pairs", type=int, default=16)
    p.add_argument("--mm-size", type=int, default=2048)
    p.add_argument("--isolation", choices=["process", "none"], default="process")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: tiny only, 1 block, 64 frames, few clips, in-process",
    )
    p.add_argument("--corpus", type=Path, default=None, help="default: $SSASTCL_CORPUS")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--_child", dest="child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.sizes = ["tiny"]
        args.target_length = 64
        args.logmel_clips, args.n_train, args.infer_clips = 8, 8, 8
        args.logmel_repeats = 1
        args.batch_size, args.pairs, args.epochs = 4, 4, 1
        args.scale_n, args.scale_pairs = 4, 4
        args.mm_size, args.isolation = 512, "none"
    return args


def main(argv: list[str] | None = None) -> Path:
    """Run every job; write ``speed_<stamp>.json``, ``.md`` and ``.png``."""
    args = parse_args(argv)
    if args.child:
        print_result(execute(json.loads(Path(args.child).read_text())))
        return Path(args.child)
    writer = ResultsWriter("speed", __file__, argv, out=args.out)
    args.corpus = corpus_dir(args.corpus)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        jobs = plan(args, tmp)
        before = matmul_rate(args.mm_size)
        for job in jobs:
            res = run_job(job, args.isolation)
            after = matmul_rate(args.mm_size)
            mm = (before + after) / 2
            rec = {
                "job": {k: v for k, v in job.items() if k not in ("save_to",)},
                "result": res,
                "matmul_gflop_per_s_before": before,
                "matmul_gflop_per_s_after": after,
                "matmul_gflop_per_s": mm,
            }
            if "gflop_per_s" in res:
                rec["ratio"] = res["gflop_per_s"] / mm
            results.append(rec)
            print(_row(rec), flush=True)
            before = after
    scaling = [
        {"n_train": r["job"]["n_train"], **r["result"]}
        for r in results
        if r["job"]["kind"] == "scale"
    ]
    growth = _scale_peak(scaling[-1]) - _scale_peak(scaling[0])
    record = {
        "params": {k: v for k, v in vars(args).items() if k not in ("out", "child")},
        "note": (
            "CPU shared with other jobs: absolute rates drift; compare the ratios "
            "(model GFLOP/s over the fp32 matmul rate probed just before and after "
            "each measurement). Training pairs/s come from the classifier's own "
            "fit (skorch history 'dur' of the epochs after the warm-up epoch). "
            "Peak RSS is the peak resident memory of a fresh process per measurement "
            "(isolation=process), imports included; with isolation=none it is "
            "cumulative over the run."
        ),
        "results": results,
        "scaling": scaling,
        "scaling_rss_growth_mb": growth,
        # "grows" when the peak grows by at least half the clips' data growth
        "memory_grows_with_n": bool(growth > 0.5 * _data_growth(scaling)),
    }
    path = writer.write(record, markdown, title=f"bench_speed {writer.stamp}")
    write_plot(writer.path(".png"), scaling)
    print(f"wrote {path}, {path.with_suffix('.md')} and {writer.path('.png')}")
    return path


if __name__ == "__main__":
    main()
