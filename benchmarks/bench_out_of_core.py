"""Peak memory and time of SSASTCLClassifier on file paths: streamed vs in memory.

For each multiple M of ``--multiples`` (default 1, 4, 16) the spoofcorpus-dev train
part (766 FLAC clips, 1.5-6 s) is given M times over as a list of file paths
(the path list repeated), and a fresh Python process runs

    clf = SSASTCLClassifier(tiny encoder, frontend=LogMel(...), stream=S,
                            max_epochs=1, head_epochs=1, pairs_per_epoch=P,
                            validation_split=None, random_state=0)
    clf.fit(paths, y); clf.decision_function(paths)

with ``stream=True`` (each clip read and featurised when a batch needs it,
``--num-workers`` DataLoader workers) and ``stream=False`` (all waveforms loaded
and all features computed in memory, the pre-streaming behaviour). It reports
the wall time of ``fit`` and of ``decision_function`` and the process's peak
resident memory (``_common.peak_rss_mib``: the process's own ``VmHWM``, imports
included; with workers, their own peaks are ``RUSAGE_CHILDREN``, which already
holds about 440 MB after ``import torch`` forks a helper, recorded separately)
and the same after imports only, and each mode's peak growth over the smallest
multiple.

Streaming should keep the peak flat in M: the only O(M) state is the path list,
the ``(n, embed_dim)`` float32 embeddings of stage II and the float64 scores
(about 0.3 KB per clip). Before ``embed_batches`` wrote its batches into one
preallocated array, the peak grew by about 24 KB per clip (863 / 921 / 1148 MB
at M = 1 / 4 / 16, results ``out_of_core_20261126T131319Z``): the list of
per-batch embedding tensors pinned small blocks inside the space each batch's
spectrograms had just freed, so glibc's heap grew by about one spectrogram batch
(64 x 100 x 64 float32 = 1.6 MB) per 64 clips.

The pairs per epoch are fixed, so time grows with M through
reading, LogMel and the per-clip encoder passes of stage II, the threshold and
scoring. Streaming featurises each clip about 3 times per fit + score (stage I
pairs, stage II embeddings, threshold; scoring once more) where the in-memory
mode does it once per call.

Other engineers share this CPU: absolute times drift with their load (the load
average at start and end is recorded); the stream / memory ratios, measured side
by side at each M, are the figures to compare.

Command (about 10 minutes on 2 shared cores)::

    python benchmarks/bench_out_of_core.py

Smoke test (seconds)::

    python benchmarks/bench_out_of_core.py --multiples 1 --max-clips 64 --out /tmp/ooc

Writes ``out_of_core_<UTC stamp>.json`` and ``.md`` into ``--out`` (default
``benchmarks/results``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _common import (
    RESULTS,
    ResultsWriter,
    Stopwatch,
    corpus_dir,
    peak_rss_mib,
    print_result,
    run_fresh,
)


def _paths(data: Path, max_clips: int | None):
    """Paths and labels of the train part (protocol order), the first ``max_clips``."""
    from sklearn_ssastcl.datasets import load_asvspoof

    frame = load_asvspoof(data, part="train")
    if max_clips is not None:
        frame = frame.iloc[:max_clips]
    return frame["path"].tolist(), frame["label"].to_numpy()


def child(spec: dict) -> dict:
    """One measurement, in this (fresh) process."""
    import numpy as np
    import torch

    torch.set_num_threads(spec["threads"])
    from sklearn_ssastcl import LogMel, SSASTCLClassifier

    paths, labels = _paths(Path(spec["data"]), spec["max_clips"])
    paths = paths * spec["multiple"]
    labels = np.tile(labels, spec["multiple"])
    rss_ready = peak_rss_mib()
    children_ready = peak_rss_mib(children=True)
    clf = SSASTCLClassifier(
        embed_dim=spec["embed_dim"],
        depth=spec["depth"],
        num_heads=spec["num_heads"],
        n_mels=spec["n_mels"],
        frontend=LogMel(n_mels=spec["n_mels"], target_length=spec["target_length"]),
        stream=spec["stream"],
        num_workers=spec["num_workers"],
        max_epochs=1,
        head_epochs=1,
        pairs_per_epoch=spec["pairs"],
        batch_size=16,
        validation_split=None,
        random_state=0,
    )
    with Stopwatch() as fit:
        clf.fit(paths, labels)
    with Stopwatch() as score:
        scores = clf.decision_function(paths)
    return {
        "n_clips": len(paths),
        "fit_s": fit.seconds,
        "decision_function_s": score.seconds,
        "peak_rss_mb": peak_rss_mib(),
        "peak_rss_workers_mb": peak_rss_mib(children=True),
        "rss_after_imports_and_paths_mb": rss_ready,
        "peak_rss_children_after_imports_mb": children_ready,
        "score_checksum": float(np.sum(scores)),
    }


def main(argv: list[str] | None = None) -> Path | None:
    """Run every (multiple, mode) in a fresh process; write the results files."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--multiples", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--modes", nargs="+", default=["stream", "memory"])
    parser.add_argument(
        "--data", default=None, help="the corpus (default: $SSASTCL_CORPUS)"
    )
    parser.add_argument("--max-clips", type=int, default=None)
    parser.add_argument("--target-length", type=int, default=100)
    parser.add_argument("--n-mels", type=int, default=64)
    parser.add_argument("--embed-dim", type=int, default=64)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--num-heads", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=256)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--time-budget", type=float, default=1500, help="skip runs past it (s)"
    )
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print_result(child(json.loads(args.child)))
        return None
    writer = ResultsWriter("out_of_core", __file__, argv, out=args.out)
    args.data = str(corpus_dir(args.data))

    params = {
        k: v for k, v in vars(args).items() if k not in ("child", "out", "time_budget")
    }
    runs, skipped = [], []
    began = time.perf_counter()
    for multiple in args.multiples:
        for mode in args.modes:
            if time.perf_counter() - began > args.time_budget:
                skipped.append({"multiple": multiple, "mode": mode})
                continue
            spec = {
                "multiple": multiple,
                "stream": mode == "stream",
                "data": args.data,
                "max_clips": args.max_clips,
                "target_length": args.target_length,
                "n_mels": args.n_mels,
                "embed_dim": args.embed_dim,
                "depth": args.depth,
                "num_heads": args.num_heads,
                "pairs": args.pairs,
                "num_workers": args.num_workers if mode == "stream" else 0,
                "threads": args.threads,
            }
            measured = run_fresh(__file__, ["--child", json.dumps(spec)])
            result = {"multiple": multiple, "mode": mode, **measured}
            runs.append(result)
            print(json.dumps(result), flush=True)
    ratios = []
    for multiple in args.multiples:
        pair = {r["mode"]: r for r in runs if r["multiple"] == multiple}
        if {"stream", "memory"} <= pair.keys():
            s, m = pair["stream"], pair["memory"]
            ratios.append(
                {
                    "multiple": multiple,
                    "peak_rss_stream_over_memory": s["peak_rss_mb"] / m["peak_rss_mb"],
                    "time_stream_over_memory": (s["fit_s"] + s["decision_function_s"])
                    / (m["fit_s"] + m["decision_function_s"]),
                    "same_scores": abs(s["score_checksum"] - m["score_checksum"])
                    <= 1e-6 * max(1.0, abs(m["score_checksum"])),
                }
            )
    growth = []
    for mode in args.modes:
        mine = sorted(
            (r for r in runs if r["mode"] == mode), key=lambda r: r["multiple"]
        )
        growth += [
            {
                "mode": mode,
                "multiple": r["multiple"],
                "over_multiple": mine[0]["multiple"],
                "peak_rss_growth_mb": r["peak_rss_mb"] - mine[0]["peak_rss_mb"],
                "growth_kb_per_added_clip": 1024
                * (r["peak_rss_mb"] - mine[0]["peak_rss_mb"])
                / (r["n_clips"] - mine[0]["n_clips"]),
            }
            for r in mine[1:]
        ]
    record = {
        "params": params,
        "note": "CPU shared with other jobs: compare the stream/memory ratios "
        "measured side by side, not absolute times.",
        "runs": runs,
        "ratios": ratios,
        "peak_rss_growth": growth,
        "skipped_for_time": skipped,
    }
    title = f"Out-of-core benchmark ({writer.stamp})"
    path = writer.write(record, markdown, title=title)
    print(path.with_suffix(".md").read_text())
    return path


def markdown(record: dict) -> str:
    """Tables of the runs, the stream / memory ratios and the peak growth."""
    runs, ratios = record["runs"], record["ratios"]
    growth, skipped = record["peak_rss_growth"], record["skipped_for_time"]
    rows = [
        f"Load average start/end: {record['loadavg_start']} / "
        f"{record['loadavg_end']} (shared CPU: compare the ratios).",
        "",
        "| x train | clips | mode | fit (s) | decision_function (s) | peak RSS (MB) "
        "| RSS after imports (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        rows.append(
            f"| {r['multiple']} | {r['n_clips']} | {r['mode']} | {r['fit_s']:.1f} | "
            f"{r['decision_function_s']:.1f} | {r['peak_rss_mb']:.0f} | "
            f"{r['rss_after_imports_and_paths_mb']:.0f} |"
        )
    rows += ["", "| x train | peak RSS stream / memory | time stream / memory |"]
    rows.append("|---|---|---|")
    for r in ratios:
        rows.append(
            f"| {r['multiple']} | {r['peak_rss_stream_over_memory']:.2f} | "
            f"{r['time_stream_over_memory']:.2f} |"
        )
    rows += ["", "| mode | x train | peak RSS growth (MB) | KB per added clip |"]
    rows.append("|---|---|---|---|")
    for g in growth:
        rows.append(
            f"| {g['mode']} | {g['over_multiple']} -> {g['multiple']} | "
            f"{g['peak_rss_growth_mb']:+.0f} | {g['growth_kb_per_added_clip']:+.1f} |"
        )
    if skipped:
        rows += ["", f"Skipped for the time budget: {skipped}"]
    return "\n".join(rows)


if __name__ == "__main__":
    main()
