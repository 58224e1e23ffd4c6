"""CPU throughput of PyTorch ``decision_function`` against the exported ONNX model.

One model with the ``"small"`` recipe's architecture (``make_recipe()``: width 64,
2 blocks, (128, 2) patches, 300 frames by 128 mel bins), fitted for one short epoch
on random spectrograms (speed does not depend on the weights), is exported with
:func:`sklearn_ssastcl.export.export_onnx`. On the same random spectrograms,
``clips/s`` of

* ``torch``: ``estimator.decision_function(S)`` (batches of 64, fp32), with
  ``torch.set_num_threads(t)``;
* ``onnxruntime``: ``OnnxScorer.score_spectrograms(S)`` (batches of 64), a session
  with ``intra_op_num_threads=t``;

for each ``t`` of ``--threads``, interleaved, ``--repeats`` times; the median is
reported, with the ratio ``onnxruntime / torch`` per repeat (median) and the
largest absolute score difference. The front end is not timed (it is the same
Python code on both paths; see ``bench_logmel.py``).

Other engineers share this machine's CPU cores, so absolute rates drift from run to
run; the side-by-side ratio is the figure to compare.

Command::

    python benchmarks/bench_onnx.py --n-clips 128 --repeats 5 --threads 1 2

Writes ``onnx_<UTC stamp>.json`` and ``.md`` into ``--out-dir`` (default
``benchmarks/results``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _common import RESULTS, ResultsWriter, print_result


def build_model(n_train: int, seed: int):
    """The small recipe's architecture, briefly fitted on random spectrograms."""
    from sklearn_ssastcl.recipe import make_recipe

    est = make_recipe(
        augment="none",
        random_state=seed,
        max_epochs=1,
        pairs_per_epoch=16,
        head_epochs=2,
        validation_split=None,
    )
    est.set_params(frontend=None)  # spectrogram input: the front end is not timed
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_train, 300, est.n_mels)).astype(np.float32)
    y = np.array(["bonafide", "spoof"] * (n_train // 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def clips_per_second(fn, n: int) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def run(args) -> dict:
    from sklearn_ssastcl.export import export_onnx, load_onnx

    torch.set_num_threads(max(args.threads))
    est = build_model(32, args.seed)
    S = np.random.default_rng(args.seed + 1).normal(size=(args.n_clips, 300, 128))
    S = S.astype(np.float32)
    folder = Path(tempfile.mkdtemp(prefix="bench_onnx_"))
    start = time.perf_counter()
    export_onnx(est, folder / "small.onnx")
    export_seconds = time.perf_counter() - start
    size_mib = (folder / "small.onnx").stat().st_size / 2**20
    scorers = {t: load_onnx(folder / "small.onnx", n_threads=t) for t in args.threads}
    torch_scores = est.decision_function(S)
    diffs = [
        float(np.max(np.abs(scorers[t].score_spectrograms(S) - torch_scores)))
        for t in args.threads
    ]
    rates = {t: {"torch": [], "onnxruntime": []} for t in args.threads}
    for t in args.threads:  # warm-up: one small call each
        torch.set_num_threads(t)
        est.decision_function(S[:8])
        scorers[t].score_spectrograms(S[:8])
    for _ in range(args.repeats):
        for t in args.threads:
            torch.set_num_threads(t)
            rates[t]["torch"].append(
                clips_per_second(lambda: est.decision_function(S), len(S))
            )
            rates[t]["onnxruntime"].append(
                clips_per_second(lambda t=t: scorers[t].score_spectrograms(S), len(S))
            )
    rows = []
    for t in args.threads:
        r = rates[t]
        ratios = [o / p for o, p in zip(r["onnxruntime"], r["torch"])]
        rows.append(
            {
                "threads": t,
                "torch_clips_per_s": statistics.median(r["torch"]),
                "onnxruntime_clips_per_s": statistics.median(r["onnxruntime"]),
                "ratio_median": statistics.median(ratios),
                "torch_runs": r["torch"],
                "onnxruntime_runs": r["onnxruntime"],
            }
        )
    import onnxruntime

    return {
        "model": {
            "embed_dim": est.embed_dim,
            "depth": est.depth,
            "num_heads": est.num_heads,
            "kernel_size": list(est.kernel_size),
            "target_length": est.target_length_,
            "n_mels": est.n_mels_,
            "onnx_mib": round(size_mib, 2),
        },
        "n_clips": args.n_clips,
        "repeats": args.repeats,
        "export_seconds": export_seconds,
        "max_abs_score_diff": max(diffs),
        "onnxruntime_version": onnxruntime.__version__,
        "rows": rows,
    }


def markdown(rec: dict) -> str:
    m = rec["model"]
    lines = [
        f"Model: small recipe architecture (width {m['embed_dim']}, depth "
        f"{m['depth']}, {m['num_heads']} head(s), {tuple(m['kernel_size'])} patches, "
        f"{m['target_length']} x {m['n_mels']} spectrograms); ONNX file "
        f"{m['onnx_mib']} MiB, exported in {rec['export_seconds']:.1f} s; "
        f"onnxruntime {rec['onnxruntime_version']}.",
        f"{rec['n_clips']} spectrograms per call, {rec['repeats']} interleaved "
        "repeats, medians. Front end not timed.",
        "",
        "| threads | torch clips/s | onnxruntime clips/s | ratio (ORT / torch) |",
        "|---:|---:|---:|---:|",
    ]
    for r in rec["rows"]:
        lines.append(
            f"| {r['threads']} | {r['torch_clips_per_s']:.1f} | "
            f"{r['onnxruntime_clips_per_s']:.1f} | {r['ratio_median']:.2f} |"
        )
    lines += [
        "",
        f"Largest |score difference| (ONNX Runtime - PyTorch): "
        f"{rec['max_abs_score_diff']:.2e}.",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-clips", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default=str(RESULTS))
    args = parser.parse_args(argv)
    writer = ResultsWriter("onnx", __file__, argv, out=args.out_dir)
    record = run(args)
    path = writer.write(record, markdown, title="ONNX Runtime vs PyTorch on CPU")
    print(path.with_suffix(".md").read_text())
    print_result({"json": str(path)})


if __name__ == "__main__":
    main()
