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
``torch.set_num_threads``. Writes ``encoder_<UTC stamp>.json`` and ``.md`` into
``--out`` (default ``benchmarks/results``). ``matmul_rate`` lives in ``_common``
(imported here).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import torch
from _common import RESULTS, ResultsWriter, matmul_rate, time_call

from sklearn_ssastcl.nn import SSASTEncoder

__all__ = ["encoder_flops", "matmul_rate", "main"]  # matmul_rate: from _common


def encoder_flops(enc: SSASTEncoder) -> dict:
    """Analytic forward FLOPs of one clip and of one training step (see docstring)."""
    p, d = enc.n_patches, enc.embed_dim
    n = p + 2
    hidden = enc.blocks[0].mlp.fc1.out_features
    patch = 2 * p * d * enc.kernel_size[0] * enc.kernel_size[1]
    block = 8 * n * d * d + 4 * n * n * d + 4 * n * d * hidden
    fwd = patch + enc.depth * block
    return {"forward": fwd, "train": 2 * patch + 3 * enc.depth * block}


def bench_size(size: str, args: argparse.Namespace) -> dict:
    """Forward and training-step rates of one size, against interleaved matmuls."""
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
            sec = time_call(fn, args.min_time)
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


def markdown_table(results: list[dict]) -> str:
    """One row per size and pass: medians of the repeats."""
    lines = [
        "| size | pass | clips/s | GFLOP/s | matmul GFLOP/s | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for res in results:
        for mode in ("forward", "train"):
            r = res[mode]
            lines.append(
                f"| {res['size']} | {mode} | {r['clips_per_s']:.2f} | "
                f"{r['gflop_per_s']:.1f} | {r['matmul_gflop_per_s']:.1f} | "
                f"{r['ratio']:.2f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> Path:
    """Time each size; write ``encoder_<stamp>.json`` and ``.md``."""
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
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    writer = ResultsWriter("encoder", __file__, argv, out=args.out)
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
    record = {
        "params": {k: v for k, v in vars(args).items() if k != "out"},
        "note": "CPU shared with other jobs: compare ratios (model / interleaved "
        "matmul), not absolute rates.",
        "results": results,
    }
    path = writer.write(record, markdown_table(results))
    print(f"wrote {path} and {path.with_suffix('.md')}")
    return path


if __name__ == "__main__":
    main()
