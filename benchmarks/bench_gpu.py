r"""GPU (or CPU) check of SSAST-CL: matmul rates, encoder throughput, end-to-end fit.

One short script for a GPU session with little device time (an H100 run of the
default command takes about 1-2 minutes; every stage is budgeted by time). It
measures, on ``--device``:

1. ``matmul``: the rate of one ``n x n`` ``torch.mm`` (``--mm-size``; 8192 on
   CUDA, 1024 on CPU) in fp32 (in the TF32 state in effect, which is recorded),
   bf16 and fp16 (fp16 on CUDA only), and on CUDA fp32 with TF32 switched on.
   Each is warmed up, synchronised (``torch.cuda.synchronize``) and looped for
   ``--min-time`` s; the best of ``--repeats`` is kept. It is measured before and
   after the encoder timings and the mean of the two is the reference rate.
2. ``encoder``: ``SSASTEncoder`` of each of ``--sizes`` at ``--frames`` x
   ``--n-mels`` (400 x 128), 16 x 16 patches, for each ``--batch-size`` (16),
   under each precision the device supports ("fp32"; "bf16" if supported; "fp16"
   on CUDA, the training step then with a ``GradScaler``, as the classifier
   does): forward (``no_grad``, eval mode) and training step (forward under
   ``torch.autocast``, ``mean().backward()``, Adam step) in clips/s; achieved
   GFLOP/s from ``bench_encoder.encoder_flops`` (multiply-add = 2 FLOPs; norms,
   softmax, GELU and Adam not counted); its ratio to the matmul rate of the same
   dtype (fp32 to the fp32 rate in the TF32 state used); on CUDA the peak memory
   (``torch.cuda.max_memory_allocated``, reset before each measurement: model,
   Adam state and activations). Median of ``--repeats`` timings.
3. ``end_to_end``: ``SSASTCLClassifier(model_size=None, embed_dim=64, depth=2,
   num_heads=4, device=..., precision=p)`` fit on the 40 ``train`` clips of
   ``load_spoof_sample()`` through ``LogMel`` and ``decision_function`` on the 32
   ``eval`` clips, for each supported precision: fit and scoring seconds, whether
   the scores are finite, for fp16 whether the stage I and stage II nets carry a
   ``GradScaler`` (``scaler_``), and the Spearman correlation of the scores with
   the fp32 run's (same ``random_state``).

``checks`` in the results lists every pass/fail condition (finite scores, the
fp16 ``GradScaler``, positive finite ratios); the exit status is 1 if one fails.
Errors inside one measurement (e.g. out of memory) are recorded there and the
run goes on. The results file is rewritten after every stage, so a run cut off by
a time limit still leaves what it measured (``"complete": false``).

GPU command (one call; writes ``benchmarks/results/gpu_<UTC stamp>.json`` and
``.md``)::

    python benchmarks/bench_gpu.py --device cuda

CPU smoke run (seconds; fp32 and bf16, fp16 reported as skipped)::

    python benchmarks/bench_gpu.py --device cpu --quick --out /tmp/x

With the device tool (a bare machine with PyTorch, scikit-learn, pandas and scipy
but without skorch and soundfile), first fetch their wheels here, once (``.whl/``
is git-ignored)::

    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl skorch==1.4.0 soundfile==0.14.0 cffi pycparser

then run, with ``carry=[".whl"]`` and ``timeout_s=420``::

    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl \
      && export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 || exit 1; \
    python3 benchmarks/bench_gpu.py --device cuda --batch-size 16 64 --out $OUT; \
    python3 -m pytest tests/test_bench_gpu.py -q -p no:cacheprovider -m gpu

and copy the two files from ``$OUT`` into ``benchmarks/results/``.

``--quick`` shrinks everything (1-block encoders at 64 frames, batch 2, 256^3
matmuls, 0.05 s timings, a 1-block width-32 classifier at 128 frames). On a CPU
shared with other jobs compare the ratios measured side by side, not the
absolute rates.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent))  # the package, where it is not installed

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _common import (  # noqa: E402
    RESULTS,
    ResultsWriter,
    Stopwatch,
    machine_info,
    matmul_rates,
)
from _common import time_call as _time_call  # noqa: E402
from bench_encoder import encoder_flops  # noqa: E402

from sklearn_ssastcl._utils import check_device  # noqa: E402
from sklearn_ssastcl.nn import SSASTEncoder  # noqa: E402

PRECISIONS = ("fp32", "bf16", "fp16")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


# ----------------------------------------------------------------- helpers
def _is_cuda(device: str) -> bool:
    return torch.device(device).type == "cuda"


def _sync(device: str) -> None:
    if _is_cuda(device):
        torch.cuda.synchronize(device)


def supported_precisions(device: str) -> dict[str, str | None]:
    """``{precision: None if it runs on device else the reason it is skipped}``."""
    cuda = _is_cuda(device)
    bf16 = None
    if cuda and not torch.cuda.is_bf16_supported():
        bf16 = "skipped: this GPU has no bf16 support"
    return {"fp32": None, "bf16": bf16, "fp16": None if cuda else "skipped: needs CUDA"}


def _sync_fn(device: str):
    """``torch.cuda.synchronize`` on a CUDA device, else ``None``."""
    return (lambda: _sync(device)) if _is_cuda(device) else None


def autocast(device: str, precision: str):
    """``torch.autocast`` to ``precision`` on ``device`` ("fp32": no autocast)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=DTYPES[precision])


def time_call(fn, device: str, min_time: float, warmup: int = 2) -> float:
    """Seconds per call of ``fn``, synchronised on CUDA (``_common.time_call``)."""
    return _time_call(fn, min_time, warmup=warmup, sync=_sync_fn(device))


def _tf32_state() -> dict:
    return {
        "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
    }


def _safe(fn, *args, **kwargs) -> dict:
    """Run one measurement; on an exception record it and go on."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - a one-shot device run must go on
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return {
            "error": f"{type(exc).__name__}: {exc}",
            "trace": traceback.format_exc(),
        }


# ------------------------------------------------------------------ matmul
def matmul_rate(
    device: str, dtype: torch.dtype, n: int, min_time: float, repeats: int
) -> dict:
    """GFLOP/s of ``torch.mm`` on two ``n x n`` matrices of ``dtype`` on ``device``."""
    rates = matmul_rates(
        n, repeats=repeats, device=device, dtype=dtype, min_time=min_time, warmup=2
    )
    return {"gflop_per_s": max(rates), "median_gflop_per_s": statistics.median(rates)}


def bench_matmul(args, precisions: dict) -> dict:
    """Rates per supported dtype (plus fp32 with TF32 on, on CUDA)."""
    out = {}
    for p, skip in precisions.items():
        if skip:
            out[p] = {"skipped": skip}
            continue
        out[p] = _safe(
            matmul_rate, args.device, DTYPES[p], args.mm_size, args.min_time, 2
        )
    if _is_cuda(args.device):
        old = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = True
        try:
            out["fp32_tf32_on"] = _safe(
                matmul_rate,
                args.device,
                torch.float32,
                args.mm_size,
                args.min_time,
                2,
            )
        finally:
            torch.backends.cuda.matmul.allow_tf32 = old
    return out


# ----------------------------------------------------------------- encoder
def _encoder(size: str, args) -> SSASTEncoder:
    torch.manual_seed(0)
    kw = {"depth": args.depth} if args.depth else {}
    return SSASTEncoder(size, target_length=args.frames, n_mels=args.n_mels, **kw)


def bench_encoder_one(size: str, batch: int, precision: str, args) -> dict:
    """Forward and training-step throughput of one size/batch/precision."""
    device, cuda = args.device, _is_cuda(args.device)
    enc = _encoder(size, args).to(device)
    flops = encoder_flops(enc)
    gen = torch.Generator(device=device).manual_seed(1)
    x = torch.randn(batch, args.frames, args.n_mels, device=device, generator=gen)
    opt = torch.optim.Adam(enc.parameters(), lr=1e-5)
    scaler = torch.amp.GradScaler("cuda") if precision == "fp16" else None

    def forward():
        with torch.no_grad(), autocast(device, precision):
            enc(x)

    def train_step():
        opt.zero_grad(set_to_none=True)
        with autocast(device, precision):
            loss = enc(x).float().mean()
        if scaler is None:
            loss.backward()
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()

    out = {
        "embed_dim": enc.embed_dim,
        "depth": enc.depth,
        "tokens": enc.n_patches + 2,
        "gflop_per_clip_forward": flops["forward"] / 1e9,
        "gflop_per_clip_train": flops["train"] / 1e9,
    }
    for mode, fn in (("forward", forward), ("train", train_step)):
        enc.train(mode == "train")
        if cuda:
            torch.cuda.reset_peak_memory_stats(device)
        secs = [time_call(fn, device, args.min_time) for _ in range(args.repeats)]
        sec = statistics.median(secs)
        out[mode] = {
            "clips_per_s": batch / sec,
            "gflop_per_s": flops[mode] * batch / sec / 1e9,
            "seconds_per_step": secs,
            "peak_mem_mib": torch.cuda.max_memory_allocated(device) / 2**20
            if cuda
            else None,
        }
    if scaler is not None:
        out["grad_scale"] = float(scaler.get_scale())
    return out


def bench_encoders(args, precisions: dict) -> list[dict]:
    rows = []
    for size in args.sizes:
        for batch in args.batch_size:
            for p, skip in precisions.items():
                row = {"size": size, "batch_size": batch, "precision": p}
                if skip:
                    row["skipped"] = skip
                else:
                    row |= _safe(bench_encoder_one, size, batch, p, args)
                    if _is_cuda(args.device):
                        torch.cuda.empty_cache()
                rows.append(row)
                _print_encoder_row(row)
    return rows


def add_ratios(rows: list[dict], before: dict, after: dict) -> None:
    """Reference matmul rate (mean of before/after, same dtype) and the ratios."""
    for row in rows:
        if "forward" not in row:
            continue
        rates = [
            m[row["precision"]].get("gflop_per_s") for m in (before, after)
        ]  # fp32 is measured in the TF32 state the encoder ran in
        rates = [r for r in rates if r]
        if not rates:
            continue
        ref = sum(rates) / len(rates)
        row["matmul_gflop_per_s"] = ref
        for mode in ("forward", "train"):
            row[mode]["ratio_to_matmul"] = row[mode]["gflop_per_s"] / ref


def _print_encoder_row(row: dict) -> None:
    head = f"{row['size']:>5} b{row['batch_size']:<3} {row['precision']}"
    if "skipped" in row or "error" in row:
        print(f"{head}: {row.get('skipped') or row['error']}", flush=True)
        return
    parts = []
    for mode in ("forward", "train"):
        r = row[mode]
        mem = f", {r['peak_mem_mib']:.0f} MiB" if r["peak_mem_mib"] else ""
        parts.append(
            f"{mode} {r['clips_per_s']:8.1f} clips/s {r['gflop_per_s']:9.1f} "
            f"GFLOP/s{mem}"
        )
    print(f"{head}: " + "; ".join(parts), flush=True)


# -------------------------------------------------------------- end to end
def _sample_spectrograms(target_length: int) -> dict:
    from sklearn_ssastcl import LogMel
    from sklearn_ssastcl.datasets import load_spoof_sample

    sample = load_spoof_sample()
    X = LogMel(target_length=target_length).transform(sample.waveforms)
    train = sample.subset == "train"
    return {
        "X_train": X[train],
        "y_train": sample.labels[train],
        "X_eval": X[~train],
        "y_eval": sample.labels[~train],
    }


def end_to_end_one(precision: str, data: dict, args) -> dict:
    from sklearn_ssastcl import SSASTCLClassifier

    clf = SSASTCLClassifier(
        model_size=None,
        **args.e2e_arch,
        n_mels=args.n_mels,
        kernel_size=(16, 16),
        max_epochs=args.e2e_epochs,
        head_epochs=args.e2e_epochs,
        batch_size=8,
        validation_split=None,
        device=args.device,
        precision=precision,
        random_state=0,
    )
    with Stopwatch(_sync_fn(args.device)) as fit:
        clf.fit(data["X_train"], data["y_train"])
    with Stopwatch(_sync_fn(args.device)) as score:
        scores = clf.decision_function(data["X_eval"])
    fit_s, score_s = fit.seconds, score.seconds
    scaler_names = {
        name: type(getattr(net, "scaler_", None)).__name__
        for name, net in (
            ("encoder_net_", clf.encoder_net_),
            ("head_net_", clf.head_net_),
        )
    }
    return {
        "fit_s": fit_s,
        "decision_function_s": score_s,
        "n_train": len(data["y_train"]),
        "n_eval": len(data["y_eval"]),
        "device_": clf.device_,
        "scores_finite": bool(np.isfinite(scores).all()),
        "scaler": scaler_names,
        "scores": [float(s) for s in scores],
    }


def bench_end_to_end(args, precisions: dict) -> dict:
    from scipy.stats import spearmanr

    data = _safe(_sample_spectrograms, args.e2e_frames)
    out = {}
    for p, skip in precisions.items():
        if skip:
            out[p] = {"skipped": skip}
        elif "error" in data:
            out[p] = {"error": f"loading the sample: {data['error']}"}
        else:
            out[p] = _safe(end_to_end_one, p, data, args)
        r = out[p]
        if "fit_s" in r:
            print(
                f"end-to-end {p}: fit {r['fit_s']:.2f} s, scores "
                f"{'finite' if r['scores_finite'] else 'NOT FINITE'}, "
                f"scaler {r['scaler']}",
                flush=True,
            )
        else:
            print(f"end-to-end {p}: {r.get('skipped') or r['error']}", flush=True)
    ref = out["fp32"].get("scores")
    for p in ("bf16", "fp16"):
        if ref and out[p].get("scores") and out[p]["scores_finite"]:
            out[p]["spearman_vs_fp32"] = float(spearmanr(ref, out[p]["scores"])[0])
    return out


# ------------------------------------------------------------------ checks
def run_checks(record: dict) -> dict:
    """Pass/fail conditions of a (possibly partial) results record."""
    checks = {}
    for p, r in record.get("end_to_end", {}).items():
        if "skipped" in r:
            continue
        checks[f"end_to_end.{p}.ran"] = "error" not in r
        checks[f"end_to_end.{p}.scores_finite"] = bool(r.get("scores_finite"))
        if p == "fp16":
            checks["end_to_end.fp16.grad_scaler"] = r.get("scaler", {}) == {
                "encoder_net_": "GradScaler",
                "head_net_": "GradScaler",
            }
    for row in record.get("encoder", []):
        if "skipped" in row:
            continue
        key = f"encoder.{row['size']}.b{row['batch_size']}.{row['precision']}"
        checks[f"{key}.ran"] = "error" not in row
        for mode in ("forward", "train"):
            ratio = row.get(mode, {}).get("ratio_to_matmul")
            checks[f"{key}.{mode}.ratio_finite_positive"] = (
                ratio is not None and math.isfinite(ratio) and ratio > 0
            )
    return checks


# ----------------------------------------------------------------- writing
def _markdown(record: dict) -> str:
    """Tables of the matmul rates, the encoder rows, end to end and the checks."""
    lines = [
        f"Device: {record['params']['device']} "
        f"({record['machine'].get('gpu_name') or record['machine']['cpu_model']}), "
        f"TF32: {record['tf32_state']}, total {record.get('total_s', 0):.1f} s, "
        f"complete: {record['complete']}.",
        "",
        "## Matmul (GFLOP/s, best of 2; before / after the encoder timings)",
        "",
        "| dtype | before | after |",
        "|---|---|---|",
    ]
    before, after = record.get("matmul_before", {}), record.get("matmul_after", {})
    for key in before:

        def cell(m):
            r = m.get(key, {})
            return (
                f"{r['gflop_per_s']:.1f}"
                if "gflop_per_s" in r
                else str(r.get("skipped") or r.get("error", "-"))
            )

        lines.append(f"| {key} | {cell(before)} | {cell(after)} |")
    lines += [
        "",
        "## Encoder (median of repeats; ratio = model GFLOP/s / matmul GFLOP/s)",
        "",
        "| size | batch | precision | fwd clips/s | fwd GFLOP/s | fwd ratio "
        "| train clips/s | train GFLOP/s | train ratio | peak MiB (fwd/train) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in record.get("encoder", []):
        head = f"| {row['size']} | {row['batch_size']} | {row['precision']} |"
        if "forward" not in row:
            note = row.get("skipped") or row.get("error", "-")
            lines.append(f"{head} {note} |" + " |" * 6)
            continue
        f, t = row["forward"], row["train"]
        mem = (
            f"{f['peak_mem_mib']:.0f} / {t['peak_mem_mib']:.0f}"
            if f["peak_mem_mib"]
            else "-"
        )
        lines.append(
            f"{head} {f['clips_per_s']:.1f} | {f['gflop_per_s']:.1f} | "
            f"{f.get('ratio_to_matmul', float('nan')):.3f} | {t['clips_per_s']:.1f} "
            f"| {t['gflop_per_s']:.1f} | {t.get('ratio_to_matmul', float('nan')):.3f} "
            f"| {mem} |"
        )
    lines += [
        "",
        "## End to end (SSASTCLClassifier on load_spoof_sample)",
        "",
        "| precision | fit s | decision_function s | finite | scaler | "
        "Spearman vs fp32 |",
        "|---|---|---|---|---|---|",
    ]
    for p, r in record.get("end_to_end", {}).items():
        if "fit_s" not in r:
            lines.append(f"| {p} | {r.get('skipped') or r.get('error')} | | | | |")
            continue
        rho = r.get("spearman_vs_fp32")
        lines.append(
            f"| {p} | {r['fit_s']:.2f} | {r['decision_function_s']:.3f} | "
            f"{r['scores_finite']} | {r['scaler']['encoder_net_']} / "
            f"{r['scaler']['head_net_']} | "
            f"{'-' if rho is None else f'{rho:.3f}'} |"
        )
    failed = [k for k, ok in record.get("checks", {}).items() if not ok]
    lines += [
        "",
        f"Checks: {len(record.get('checks', {})) - len(failed)} passed, "
        f"{len(failed)} failed{': ' + ', '.join(failed) if failed else ''}.",
        "",
        record["note"],
    ]
    return "\n".join(lines)


def _write(record: dict, writer: ResultsWriter) -> Path:
    """Add the checks and (re)write ``gpu_<stamp>.json`` and ``.md``."""
    record["checks"] = run_checks(record)
    return writer.write(record, _markdown, title="bench_gpu")


# -------------------------------------------------------------------- main
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--device",
        default="cuda" if torch.cuda.is_available() else "cpu",
        help="cpu, cuda, cuda:N or auto (default: cuda if available, else cpu)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, a few seconds (smoke test)"
    )
    parser.add_argument(
        "--sizes", nargs="+", default=None, help="default: tiny base (quick: tiny)"
    )
    parser.add_argument(
        "--batch-size", type=int, nargs="+", default=None, help="default: 16 (quick: 2)"
    )
    parser.add_argument("--frames", type=int, default=None, help="400 (quick: 64)")
    parser.add_argument("--n-mels", type=int, default=128)
    parser.add_argument(
        "--depth", type=int, default=None, help="blocks, overriding the size's"
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="timings per figure: 3 (quick: 1)"
    )
    parser.add_argument(
        "--min-time",
        type=float,
        default=None,
        help="s per timing: 0.5 on CUDA, 2 on CPU (quick: 0.05)",
    )
    parser.add_argument(
        "--mm-size",
        type=int,
        default=None,
        help="matmul n: 8192 on CUDA, 1024 on CPU (quick: 256)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--skip-end-to-end", action="store_true")
    parser.add_argument(
        "--out", default=str(RESULTS), help="default: benchmarks/results"
    )
    args = parser.parse_args(argv)
    args.device = check_device(args.device)
    cuda = _is_cuda(args.device)
    quick = args.quick
    defaults = {
        "sizes": ["tiny"] if quick else ["tiny", "base"],
        "batch_size": [2] if quick else [16],
        "frames": 64 if quick else 400,
        "depth": 1 if quick else None,
        "min_time": 0.05 if quick else (0.5 if cuda else 2.0),
        "mm_size": 256 if quick else (8192 if cuda else 1024),
        "repeats": 1 if quick else 3,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.e2e_arch = (
        {"embed_dim": 32, "depth": 1, "num_heads": 2}
        if quick
        else {"embed_dim": 64, "depth": 2, "num_heads": 4}
    )
    args.e2e_frames = 128 if quick else 400
    args.e2e_epochs = 1 if quick else 3
    return args


def main(argv: list[str] | None = None) -> Path:
    """Run all stages; return the path of the JSON results file."""
    t_start = time.perf_counter()
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    precisions = supported_precisions(args.device)
    writer = ResultsWriter("gpu", __file__, argv, out=args.out, device=args.device)
    record = {
        "params": {k: v for k, v in vars(args).items() if k != "out"},
        "tf32_state": _tf32_state(),
        "precisions": {p: s or "run" for p, s in precisions.items()},
        "note": "Ratios are model GFLOP/s over the torch.mm rate of the same dtype "
        "on the same device in the same run (analytic FLOPs, bench_encoder). On a "
        "shared CPU compare ratios, not absolute rates.",
        "complete": False,
    }
    machine = machine_info(args.device)
    name = machine.get("gpu_name") or machine["cpu_model"]
    print(f"device {args.device}: {name}", flush=True)

    record["matmul_before"] = bench_matmul(args, precisions)
    for key, r in record["matmul_before"].items():
        print(f"matmul {key}: {r.get('gflop_per_s', r)}", flush=True)
    path = _write(record, writer)

    record["encoder"] = bench_encoders(args, precisions)
    record["matmul_after"] = bench_matmul(args, precisions)
    add_ratios(record["encoder"], record["matmul_before"], record["matmul_after"])
    _write(record, writer)

    if not args.skip_end_to_end:
        record["end_to_end"] = bench_end_to_end(args, precisions)
    record["complete"] = True
    record["total_s"] = time.perf_counter() - t_start
    _write(record, writer)
    failed = [k for k, ok in record["checks"].items() if not ok]
    print(
        f"{len(record['checks']) - len(failed)} checks passed, {len(failed)} failed"
        f"{': ' + ', '.join(failed) if failed else ''}; {record['total_s']:.1f} s",
        flush=True,
    )
    print(f"wrote {path} and {path.with_suffix('.md')}", flush=True)
    return path


if __name__ == "__main__":
    result = main()
    checks = json.loads(result.read_text())["checks"]
    sys.exit(0 if all(checks.values()) else 1)
