"""Throughput of SSASTEncoder on the CPU, against the machine's fp32 matmul rate.

Measures, for each model size (default tiny and base) at 400 frames x 128 mel bins
with a 16 x 16 patch and no overlap (8 x 25 = 200 patches, 202 tokens):

* forward (``torch.no_grad``, eval mode): clips/s and achieved GFLOP/s;
* training step (forward + ``mean().backward()`` + Adam step): clips/s, GFLOP/s;
* the fp32 rate of one large ``torch.mm`` (2048^3 by default), measured right before
  and right after every model timing (interleaved), with ``torch.get_num_threads()``.

The reported efficiency is ``model GFLOP/s / matmul GFLOP/s`` per repeat, medianed
over repeats. Other processes share this CPU, so absolute numbers drift; the ratio,
measured side by side, is the figure to compare.

FLOP count (multiply-add = 2 FLOPs), per clip with N = P + 2 tokens, width D,
MLP hidden 4D, kernel k_f x k_t:

* patch embedding: 2 P D k_f k_t;
* per block: qkv 6 N D^2, attention scores 2 N^2 D, attention x values 2 N^2 D,
  output projection 2 N D^2, MLP 16 N D^2; in all 24 N D^2 + 4 N^2 D;
* layer norms, GELU, softmax, biases and pooling are not counted.

A training step counts 3 x the forward (backward = grads for inputs and weights),
except the patch embedding (its input needs no grad: 2 x). The optimizer is not
counted.

Command::

    python benchmarks/bench_encoder.py --sizes tiny base --repeats 5

``--compile`` times ``torch.compile(encoder)`` (inductor; the first call compiles,
inside the warm-up) instead of the eager module. ``--threads N`` sets
``torch.set_num_threads``. Writes ``benchmarks/results/encoder_<UTC stamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from sklearn_ssastcl._utils import machine_info
from sklearn_ssastcl.nn import SSASTEncoder


def encoder_flops(enc: SSASTEncoder) -> dict:
    """Analytic forward FLOPs of one clip and of one training step (see docstring)."""
    p, d = enc.n_patches, enc.embed_dim
    n = p + 2
    hidden = enc.blocks[0].mlp.fc1.out_features
    patch = 2 * p * d * enc.kernel_size[0] * enc.kernel_size[1]
    block = 8 * n * d * d + 4 * n * n * d + 4 * n * d * hidden
    fwd = patch + enc.depth * block
    return {"forward": fwd, "train": 2 * patch + 3 * enc.depth * block}


def matmul_rate(n: int, reps: int = 3) -> float:
    """GFLOP/s of ``torch.mm`` on two ``n x n`` fp32 matrices (best of ``reps``)."""
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def time_model(fn, min_time: float) -> float:
    """Seconds per call of ``fn`` (after a warm-up), looping for ``min_time``."""
    fn()
    calls, t0 = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time:
            return elapsed / calls


def bench_size(size: str, args) -> dict:
    torch.manual_seed(0)
    enc = SSASTEncoder(size, target_length=args.frames, n_mels=args.n_mels)
    flops = encoder_flops(enc)
    x = torch.randn(args.batch_size, args.frames, args.n_mels)
    opt = torch.optim.Adam(enc.parameters(), lr=1e-5)
    model = torch.compile(enc) if args.compile else enc

    def forward():
        with torch.no_grad():
            model(x)

    def train_step():
        opt.zero_grad(set_to_none=True)
        model(x).mean().backward()
        opt.step()

    rows = {"forward": [], "train": []}
    for _ in range(args.repeats):
        for mode, fn in (("forward", forward), ("train", train_step)):
            enc.train(mode == "train")
            mm_before = matmul_rate(args.mm_size)
            sec = time_model(fn, args.min_time)
            mm_after = matmul_rate(args.mm_size)
            gflops = flops[mode] * args.batch_size / sec / 1e9
            mm = (mm_before + mm_after) / 2
            rows[mode].append(
                {
                    "clips_per_s": args.batch_size / sec,
                    "gflop_per_s": gflops,
                    "matmul_gflop_per_s": mm,
                    "ratio": gflops / mm,
                }
            )
    out = {
        "size": size,
        "compiled": args.compile,
        "embed_dim": enc.embed_dim,
        "depth": enc.depth,
        "tokens": enc.n_patches + 2,
        "gflop_per_clip_forward": flops["forward"] / 1e9,
        "gflop_per_clip_train": flops["train"] / 1e9,
    }
    for mode, reps in rows.items():
        out[mode] = {
            key: statistics.median(r[key] for r in reps) for key in reps[0]
        } | {"repeats": reps}
    return out


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["tiny", "base"])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--frames", type=int, default=400)
    parser.add_argument("--n-mels", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=2.0, help="s per timing")
    parser.add_argument("--mm-size", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--compile", action="store_true", help="time torch.compile(encoder) instead"
    )
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    results = []
    for size in args.sizes:
        res = bench_size(size, args)
        results.append(res)
        for mode in ("forward", "train"):
            r = res[mode]
            print(
                f"{size:>5} {mode:>7}: {r['clips_per_s']:7.2f} clips/s "
                f"{r['gflop_per_s']:7.1f} GFLOP/s, "
                f"matmul {r['matmul_gflop_per_s']:6.1f} GFLOP/s, "
                f"ratio {r['ratio']:.2f} "
                f"(median of {args.repeats})"
            )
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = Path(args.out) / f"encoder_{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "machine": machine_info(),
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "params": {k: v for k, v in vars(args).items() if k != "out"},
        "note": "CPU shared with other jobs: compare ratios (model / interleaved "
        "matmul), not absolute rates.",
        "results": results,
    }
    path.write_text(json.dumps(record, indent=2))
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
