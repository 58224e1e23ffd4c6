"""Throughput and memory of ``LogMel.transform`` against per-clip torchaudio.

Throughput, in seconds of audio per second of wall time ("x real time"), of two ways
to get SSAST's features (SSAST's ``_wav2fbank``: DC removal, Kaldi fbank, pad/cut to
``target_length`` frames, ``(x - mean) / (2 * std)``), stacked into one float32 array:

* ``torchaudio``: a Python loop calling ``torchaudio.compliance.kaldi.fbank`` clip by
  clip with SSAST's arguments (SSAST's ``_wav2fbank``);
* ``logmel``: ``LogMel(target_length=...).transform(clips)`` (batched, ``n_jobs=None``).

Both run in this process with the same torch threads (each of ``--threads`` in
turn), interleaved, ``--repeats`` times, on the same in-memory clips: real clips of
the spoofcorpus-dev train part (FLAC read with soundfile) and synthetic 4 s clips
(64 000 samples, 398 frames, so nothing is cut). The ratio ``logmel / torchaudio``
is taken per repeat and its median is reported. The real clips are 1.5-6 s long,
so with ``target_length=400`` LogMel skips the frames past 4 s that the torchaudio
path computes and then cuts; the synthetic set has no such saving.

Memory: a fresh process runs ``LogMel.transform`` on N and then (another process) on
4N file paths. It reports the tracemalloc peak during the transform (numpy buffers:
the output and the waveforms read; torch's own allocator is not traced) and the peak
resident memory (``_common.peak_rss_mib``). Reading from paths keeps one batch of
waveforms at a time, so the traced peak minus the output stays flat as N grows, and
the RSS peak grows by about the output's growth, not by the corpus's waveforms (the
RSS peak is often set by the imports and warm-up, so it may not move at all).

Other engineers share this machine's CPU cores, so absolute rates drift from run to
run; the side-by-side ratio is the figure to compare.

Command::

    python benchmarks/bench_logmel.py --n-clips 200 --repeats 5 --threads 1 2 \\
        --memory-n 150

Writes ``logmel_<UTC stamp>.json`` and ``.md`` into ``--out-dir`` (default
``benchmarks/results``). The corpus: ``--corpus``, else ``$SSASTCL_CORPUS``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio.compliance.kaldi as kaldi
from _common import (
    RESULTS,
    ResultsWriter,
    corpus_dir,
    flac_paths,
    peak_rss_mib,
    print_result,
    run_fresh,
)

from sklearn_ssastcl import LogMel

#: SSAST's AudioSet fbank statistics (``src/run_*.sh``), for the reference path.
SSAST_MEAN, SSAST_STD = -4.2677393, 4.5689974


def torchaudio_features(clips: list[np.ndarray], target_length: int) -> np.ndarray:
    """SSAST's ``_wav2fbank`` and normalisation, one clip at a time."""
    out = []
    for clip in clips:
        wave = torch.from_numpy(clip)[None]
        wave = wave - wave.mean()
        fbank = kaldi.fbank(
            wave,
            htk_compat=True,
            sample_frequency=16000,
            use_energy=False,
            window_type="hanning",
            num_mel_bins=128,
            dither=0.0,
            frame_shift=10,
        )
        pad = target_length - fbank.shape[0]
        if pad > 0:
            fbank = torch.nn.ZeroPad2d((0, 0, 0, pad))(fbank)
        else:
            fbank = fbank[:target_length]
        out.append(((fbank - SSAST_MEAN) / (SSAST_STD * 2)).numpy())
    return np.stack(out)


def compare(clips: list[np.ndarray], target_length: int, repeats: int) -> dict:
    """Interleaved timings of both paths; the rates and their per-repeat ratio."""
    audio_s = sum(len(c) for c in clips) / 16000
    logmel = LogMel(target_length=target_length)
    a, b = torchaudio_features(clips[:4], target_length), logmel.transform(clips[:4])
    max_abs_diff = float(np.abs(a - b).max())  # warm-up, and a parity check
    rates = {"torchaudio": [], "logmel": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        torchaudio_features(clips, target_length)
        rates["torchaudio"].append(audio_s / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        logmel.transform(clips)
        rates["logmel"].append(audio_s / (time.perf_counter() - t0))
    ratios = [x / y for x, y in zip(rates["logmel"], rates["torchaudio"])]
    return {
        "n_clips": len(clips),
        "audio_seconds": round(audio_s, 2),
        "x_real_time": {k: [round(v, 1) for v in r] for k, r in rates.items()},
        "x_real_time_median": {
            k: round(statistics.median(r), 1) for k, r in rates.items()
        },
        "ratio_per_repeat": [round(r, 3) for r in ratios],
        "ratio_median": round(statistics.median(ratios), 3),
        "max_abs_diff_first_4_clips": max_abs_diff,
    }


def child_memory(paths_file: str, batch_size: int, target_length: int) -> None:
    """Run in a fresh process: print the memory use of one transform as JSON."""
    paths = Path(paths_file).read_text().split("\n")
    logmel = LogMel(target_length=target_length, batch_size=batch_size)
    logmel.transform(paths[:2])  # imports and warm-up
    rss_before = peak_rss_mib()
    tracemalloc.start()  # numpy buffers are traced; torch's own allocator is not
    out = logmel.transform(paths)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    output_mb = out.nbytes / 2**20
    print_result(
        {
            "n_clips": len(paths),
            "output_mb": round(output_mb, 1),
            "traced_peak_mb": round(traced_peak, 1),
            "traced_peak_minus_output_mb": round(traced_peak - output_mb, 1),
            "peak_rss_mb": round(peak_rss_mib(), 1),
            "peak_rss_after_warmup_mb": round(rss_before, 1),
        }
    )


def memory(paths: list[str], n: int, batch_size: int, target_length: int) -> dict:
    """Memory of transforms from N and 4N paths, each in a fresh process."""
    runs = []
    for count in (n, 4 * n):
        listing = Path(f"/tmp/bench_logmel_paths_{count}.txt")
        listing.write_text("\n".join(paths[:count]))
        args = ["--_child-memory", listing, "--batch-size", batch_size]
        runs.append(run_fresh(__file__, [*args, "--target-length", target_length]))
    small, large = runs
    waveforms_mb = sum(sf.info(p).frames for p in paths[:count]) * 4 / 2**20
    return {
        "runs": runs,
        "float32_waveforms_of_4N_clips_mb": round(waveforms_mb, 1),
        "peak_rss_growth_4N_vs_N_mb": round(
            large["peak_rss_mb"] - small["peak_rss_mb"], 1
        ),
        "output_growth_4N_vs_N_mb": round(large["output_mb"] - small["output_mb"], 1),
    }


def markdown_table(metrics: dict) -> str:
    """Median rates of both paths and their ratio, per thread count and clip set."""
    lines = [
        "| torch threads | clips | torchaudio per clip (x real time) "
        "| LogMel (x real time) | ratio (median) |",
        "|---|---|---|---|---|",
    ]
    for key, sets in metrics.items():
        if not key.startswith("torch_threads_"):
            continue
        for name, m in sets.items():
            med = m["x_real_time_median"]
            lines.append(
                f"| {key.removeprefix('torch_threads_')} | {name} | "
                f"{med['torchaudio']:.0f} | {med['logmel']:.0f} | "
                f"{m['ratio_median']:.2f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> Path | None:
    """Time both paths, measure memory; write ``logmel_<stamp>.json`` and ``.md``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-clips", type=int, default=200, help="clips per set")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[1, torch.get_num_threads()],
        help="torch thread counts to time both paths with (default: 1 and all)",
    )
    parser.add_argument("--target-length", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--memory-n", type=int, default=150, help="N for the N / 4N memory runs"
    )
    parser.add_argument(
        "--corpus", type=Path, default=None, help="default: $SSASTCL_CORPUS"
    )
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    parser.add_argument(
        "--_child-memory", dest="child", default=None, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        child_memory(args.child, args.batch_size, args.target_length)
        return None
    writer = ResultsWriter("logmel", __file__, argv, out=args.out_dir)
    args.corpus = corpus_dir(args.corpus)

    paths = flac_paths(args.corpus, ["train"])
    real = [sf.read(p, dtype="float32")[0] for p in paths[: args.n_clips]]
    rng = np.random.default_rng(0)
    synthetic = list(
        rng.normal(scale=0.1, size=(args.n_clips, 64000)).astype(np.float32)
    )
    metrics = {}
    for threads in args.threads:
        torch.set_num_threads(threads)
        metrics[f"torch_threads_{threads}"] = {
            "real_clips": compare(real, args.target_length, args.repeats),
            "synthetic_4s_clips": compare(synthetic, args.target_length, args.repeats),
        }
    metrics |= {
        "memory_from_paths": memory(
            paths, args.memory_n, args.batch_size, args.target_length
        ),
        "note": "CPU shared with other jobs: compare the side-by-side ratios.",
    }
    params = {k: v for k, v in vars(args).items() if k != "child"}
    path = writer.write({"params": params, "metrics": metrics}, markdown_table(metrics))
    print(markdown_table(metrics))
    print(f"wrote {path} and {path.with_suffix('.md')}")
    return path


if __name__ == "__main__":
    main()
