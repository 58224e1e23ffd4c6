"""Efficiency table: CE, SSAST-CL and SSAST-CL without cross-attention, by model size.

For each encoder size and each system, on the CPU, with random inputs of the
recipe's shape (300 frames x 128 mel bins; no data loading, no augmentation):

* parameters of the deployed network (encoder + head);
* forward FLOPs per clip at inference (one encoder pass + head) and training FLOPs
  per pair (SSAST-CL) or clip (CE): forward + loss + backward of one real training
  step, counted with ``torch.utils.flop_counter.FlopCounterMode`` (multiply-add =
  2 FLOPs; matmuls, convolutions and attention only; the CPU attention kernel is
  counted with torch's own SDPA formulas, whose backward recomputes the scores);
* training time per 1,000 pairs or clips, extrapolated from timed batches after
  warm-up (at least ``--batches`` of them and ``--min-time`` seconds), and peak
  memory of that training, in a fresh process;
* inference clips/s (``torch.no_grad``, eval mode) and its peak memory, in a
  fresh process;
* achieved FLOP/s (counted FLOPs / measured time) over the fp32 ``torch.mm`` rate
  probed in this process right before and right after each fresh process.

Sizes: ``recipe`` is the encoder of ``make_recipe()`` (width 64, 2 blocks, 1 head,
(128, 2) patches: 150 patches); ``tiny``, ``small`` and ``base`` are the presets
of :data:`sklearn_ssastcl.nn.SIZES` on 16 x 16 patches as in SSAST (8 x 18 = 144
patches). Systems:

* ``ce``: encoder + linear head trained end to end with cross-entropy
  (:class:`~sklearn_ssastcl._steps.TrainStep`);
* ``ssastcl``: stage I step of :class:`~sklearn_ssastcl.nn._siamese.SiameseSSAST`
  (two self-attention branches and one cross-attention branch) with
  :class:`~sklearn_ssastcl.nn.SiameseContrastiveLoss` through
  :class:`~sklearn_ssastcl._steps.SiameseStep`; deployed as encoder + MLP head;
* ``ssastcl_noca``: the same without the cross-attention branch. Its deployed
  network is the same as ``ssastcl``'s, so its inference is measured once.

Stage II of SSAST-CL (the MLP head on frozen embeddings) is not timed. Adam
(betas 0.95, 0.999) steps every batch, as in the estimators.

Command::

    python benchmarks/bench_efficiency.py

``--quick`` runs the tiny size with small batches in seconds. Writes
``efficiency_<UTC stamp>.json`` and ``.md`` into ``--out``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from _common import (
    RESULTS,
    ResultsWriter,
    Stopwatch,
    matmul_rate,
    peak_rss_mib,
    print_result,
    run_fresh,
    time_call,
)
from torch import nn
from torch.utils.flop_counter import (
    FlopCounterMode,
    sdpa_backward_flop_count,
    sdpa_flop_count,
)

from sklearn_ssastcl._steps import ADAM_BETAS, SiameseStep, TrainStep
from sklearn_ssastcl.nn import SIZES, SiameseContrastiveLoss, SSASTEncoder
from sklearn_ssastcl.nn._siamese import (
    EncoderClassifier,
    LinearHead,
    MLPHead,
    SiameseSSAST,
)

__all__ = ["build", "count_flops", "flops_of", "main", "make_encoder"]

FRAMES, N_MELS = 300, 128
SIZE_NAMES = ("recipe", *SIZES)
SYSTEMS = ("ce", "ssastcl", "ssastcl_noca")
LABELS = {"ce": "CE", "ssastcl": "SSAST-CL", "ssastcl_noca": "SSAST-CL w/o CA"}
#: The system whose inference measurement a system shares (same deployed network).
INFER_AS = {"ce": "ce", "ssastcl": "ssastcl", "ssastcl_noca": "ssastcl"}


def make_encoder(size: str) -> SSASTEncoder:
    """The encoder of a size: ``"recipe"`` or a key of ``SIZES``, 300 x 128 input."""
    if size == "recipe":
        from sklearn_ssastcl.recipe import PRESETS

        p = PRESETS["small"]["params"]
        return SSASTEncoder(
            None,
            embed_dim=p["embed_dim"],
            depth=p["depth"],
            num_heads=p["num_heads"],
            kernel_size=p["kernel_size"],
            n_mels=N_MELS,
            target_length=PRESETS["small"]["frontend"]["target_length"],
        )
    if size not in SIZES:
        raise ValueError(f"Unknown size {size!r}; choose from {list(SIZE_NAMES)}.")
    return SSASTEncoder(size, n_mels=N_MELS, target_length=FRAMES)


def build(size: str, system: str, seed: int = 0) -> dict[str, Any]:
    """Networks, loss and training step of one size and system.

    Parameters
    ----------
    size : str
        ``"recipe"``, ``"tiny"``, ``"small"`` or ``"base"``.
    system : {"ce", "ssastcl", "ssastcl_noca"}
        The system.
    seed : int, default=0
        Seed of the initial weights.

    Returns
    -------
    dict
        ``train`` (the module a training step runs), ``infer`` (the deployed
        encoder + head, sharing the encoder), ``criterion``, ``step`` (a
        ``TrainStep``) and ``unit`` (``"pair"`` or ``"clip"``).
    """
    if system not in SYSTEMS:
        raise ValueError(f"Unknown system {system!r}; choose from {list(SYSTEMS)}.")
    torch.manual_seed(seed)
    encoder = make_encoder(size)
    dim = encoder.embed_dim
    if system == "ce":
        model = EncoderClassifier(encoder, LinearHead(dim))
        return {
            "train": model,
            "infer": model,
            "criterion": nn.CrossEntropyLoss(),
            "step": TrainStep(),
            "unit": "clip",
        }
    return {
        "train": SiameseSSAST(encoder, cross_attention=system == "ssastcl"),
        "infer": EncoderClassifier(encoder, MLPHead(dim)),
        "criterion": SiameseContrastiveLoss(alpha=1.0, margin=1.0),
        "step": SiameseStep(),
        "unit": "pair",
    }


def _sdpa(q, k, v, *args, out_shape=None, **kwargs) -> int:
    return sdpa_flop_count(q, k, v)


def _sdpa_backward(grad, q, k, v, *args, out_shape=None, **kwargs) -> int:
    return sdpa_backward_flop_count(grad, q, k, v)


def _cpu_attention_formulas() -> dict:
    # torch has formulas for the CUDA attention kernels only; the CPU kernel
    # takes the same (query, key, value) first (the backward: grad_out first).
    ops = {
        "_scaled_dot_product_flash_attention_for_cpu": _sdpa,
        "_scaled_dot_product_flash_attention_for_cpu_backward": _sdpa_backward,
    }
    aten = torch.ops.aten
    return {getattr(aten, n): f for n, f in ops.items() if hasattr(aten, n)}


def count_flops(fn: Callable[[], Any]) -> tuple[int, dict[str, int]]:
    """FLOPs of ``fn()`` counted by ``FlopCounterMode`` (CPU attention included).

    Parameters
    ----------
    fn : callable
        Runs the computation to count, without arguments.

    Returns
    -------
    total : int
        FLOPs (a multiply-add counts 2).
    by_op : dict of str to int
        FLOPs per aten operator.

    Examples
    --------
    >>> count_flops(lambda: torch.nn.Linear(3, 4)(torch.ones(5, 3)))[0]
    120
    """
    with FlopCounterMode(display=False, custom_mapping=_cpu_attention_formulas()) as c:
        fn()
    by_op = {str(op): int(n) for op, n in c.get_flop_counts()["Global"].items()}
    return int(c.get_total_flops()), by_op


def example_batch(system: str, batch: int, seed: int = 0):
    """Random ``(x, y)`` of a training step: clips and labels, or pairs and same."""
    gen = torch.Generator().manual_seed(seed)

    def clips():
        return torch.randn(batch, FRAMES, N_MELS, generator=gen)

    labels = torch.randint(0, 2, (batch,), generator=gen)
    if system == "ce":
        return clips(), labels
    return {"x_a": clips(), "x_b": clips()}, labels.float()


def _adam(module: nn.Module) -> torch.optim.Adam:
    return torch.optim.Adam(module.parameters(), lr=1e-5, betas=ADAM_BETAS)


def flops_of(size: str, system: str, batch: int = 2) -> dict[str, Any]:
    """Counted FLOPs of one clip's inference and of one pair's or clip's training.

    Parameters
    ----------
    size, system : str
        As for :func:`build`.
    batch : int, default=2
        Batch of the counted passes (the counts are divided by it).

    Returns
    -------
    dict
        ``forward_per_clip``, ``train_per_item`` (one real training step: forward,
        loss, backward, Adam) and ``*_by_op`` (FLOPs per operator, per item).
    """
    parts = build(size, system)
    infer = parts["infer"].eval()
    x = torch.randn(batch, FRAMES, N_MELS)
    with torch.no_grad():
        fwd, fwd_ops = count_flops(lambda: infer(x))
    train = parts["train"].train()
    xb, yb = example_batch(system, batch)
    opt = _adam(train)
    step = parts["step"]
    tr, tr_ops = count_flops(lambda: step(train, parts["criterion"], [opt], xb, yb))
    return {
        "forward_per_clip": fwd // batch,
        "train_per_item": tr // batch,
        "forward_by_op": {k: v // batch for k, v in fwd_ops.items()},
        "train_by_op": {k: v // batch for k, v in tr_ops.items()},
    }


def describe(size: str, system: str) -> dict[str, Any]:
    """Encoder shape and parameter counts of one size and system."""
    parts = build(size, system)
    enc = parts["infer"].encoder
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    return {
        "embed_dim": enc.embed_dim,
        "depth": enc.depth,
        "num_heads": enc.num_heads,
        "kernel_size": list(enc.kernel_size),
        "tokens": enc.n_patches + 2,
        "params": count(parts["infer"]),
        "params_encoder": count(enc),
        "params_head": count(parts["infer"].head),
        "params_trained": count(parts["train"]),
        "unit": parts["unit"],
    }


# ------------------------------------------------------------ fresh processes
def child_train(args: argparse.Namespace) -> dict[str, Any]:
    """Time training batches of one size and system; peak memory of this process."""
    parts = build(args.sizes[0], args.system)
    module, step, crit = parts["train"].train(), parts["step"], parts["criterion"]
    opt = _adam(module)
    x, y = example_batch(args.system, args.batch_size)
    before = peak_rss_mib()
    for _ in range(args.warmup):
        step(module, crit, [opt], x, y)
    done, start = 0, time.perf_counter()
    with Stopwatch() as sw:  # at least `batches` batches and `min_time` seconds
        while done < args.batches or time.perf_counter() - start < args.min_time:
            step(module, crit, [opt], x, y)
            done += 1
    per_batch = sw.seconds / done
    return {
        "batch_size": args.batch_size,
        "warmup_batches": args.warmup,
        "timed_batches": done,
        "s_per_batch": per_batch,
        "items_per_s": args.batch_size / per_batch,
        "s_per_1000": 1000 * per_batch / args.batch_size,
        "rss_before_mib": before,
        "peak_rss_mib": peak_rss_mib(),
    }


def child_infer(args: argparse.Namespace) -> dict[str, Any]:
    """Time no-grad inference batches; peak memory of this process."""
    model = build(args.sizes[0], args.system)["infer"].eval()
    x = torch.randn(args.infer_batch, FRAMES, N_MELS)
    before = peak_rss_mib()

    def forward():
        with torch.no_grad():
            model(x)

    sec = time_call(forward, args.min_time, warmup=args.warmup)
    return {
        "batch_size": args.infer_batch,
        "s_per_batch": sec,
        "clips_per_s": args.infer_batch / sec,
        "rss_before_mib": before,
        "peak_rss_mib": peak_rss_mib(),
    }


def _child_args(args: argparse.Namespace, kind: str, size: str, system: str):
    return [
        "--child", kind, "--sizes", size, "--system", system,
        "--threads", args.threads, "--batch-size", args.batch_size,
        "--warmup", _warmup(args, size), "--batches", _batches(args, size),
        "--infer-batch", args.infer_batch, "--min-time", args.min_time,
    ]  # fmt: skip


def _batches(args: argparse.Namespace, size: str) -> int:
    return args.base_batches if size == "base" else args.batches


def _warmup(args: argparse.Namespace, size: str) -> int:
    return args.base_warmup if size == "base" else args.warmup


def measure(args: argparse.Namespace, kind: str, size: str, system: str) -> dict:
    """One fresh-process measurement between two matmul probes of this process."""
    mm_before = matmul_rate(args.mm_size)
    out = run_fresh(__file__, _child_args(args, kind, size, system))
    mm_after = matmul_rate(args.mm_size)
    return out | {
        "matmul_gflop_per_s_before": mm_before,
        "matmul_gflop_per_s_after": mm_after,
    }


def bench_size(args: argparse.Namespace, size: str) -> list[dict]:
    """The rows of one size: one per system."""
    rows, infer = [], {}
    for system in SYSTEMS:
        row = {"size": size, "system": system} | describe(size, system)
        row["flops"] = flops_of(size, system)
        row["train"] = measure(args, "train", size, system)
        shared = INFER_AS[system]
        if shared not in infer:
            infer[shared] = measure(args, "infer", size, shared)
        row["infer"] = infer[shared] | {"measured_as": shared}
        for key, per_s, flops in (
            ("train", "items_per_s", row["flops"]["train_per_item"]),
            ("infer", "clips_per_s", row["flops"]["forward_per_clip"]),
        ):
            m = row[key]
            mm = (m["matmul_gflop_per_s_before"] + m["matmul_gflop_per_s_after"]) / 2
            m["gflop_per_s"] = flops * m[per_s] / 1e9
            m["matmul_gflop_per_s"] = mm
            m["ratio"] = m["gflop_per_s"] / mm
        rows.append(row)
        t, i = row["train"], row["infer"]
        print(
            f"{size:>6} {LABELS[system]:<16} {row['params'] / 1e6:7.2f} M params, "
            f"fwd {row['flops']['forward_per_clip'] / 1e9:7.3f} GFLOP/clip, "
            f"train {row['flops']['train_per_item'] / 1e9:7.3f} GFLOP/{row['unit']}, "
            f"{t['s_per_1000']:8.1f} s/1k {row['unit']}s, "
            f"{i['clips_per_s']:7.1f} clips/s, peak {t['peak_rss_mib']:.0f} / "
            f"{i['peak_rss_mib']:.0f} MiB, ratio {t['ratio']:.2f} / {i['ratio']:.2f}",
            flush=True,
        )
    return rows


# ------------------------------------------------------------------ output
def _mib(m: dict) -> str:
    return f"{m['peak_rss_mib']:.0f} (+{m['peak_rss_mib'] - m['rss_before_mib']:.0f})"


def markdown_table(record: dict) -> str:
    """The table (one row per size and system) and its notes."""
    p = record["params"]
    lines = [
        "| size | system | params (M) | fwd GFLOP / clip | train GFLOP / item "
        "| train s / 1k items | infer clips/s | train peak MiB | infer peak MiB "
        "| train FLOP/s / matmul | infer FLOP/s / matmul |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in record["results"]:
        t, i, f = r["train"], r["infer"], r["flops"]
        shared = " (as SSAST-CL)" if i["measured_as"] != r["system"] else ""
        lines.append(
            f"| {r['size']} | {LABELS[r['system']]} | {r['params'] / 1e6:.3f} "
            f"| {f['forward_per_clip'] / 1e9:.3f} "
            f"| {f['train_per_item'] / 1e9:.3f} / {r['unit']} "
            f"| {t['s_per_1000']:.1f} / 1k {r['unit']}s "
            f"| {i['clips_per_s']:.1f}{shared} | {_mib(t)} "
            f"| {_mib(i)}{shared} | {t['ratio']:.2f} "
            f"| {i['ratio']:.2f}{shared} |"
        )
    sizes = {}
    for r in record["results"]:
        sizes.setdefault(
            r["size"],
            f"{r['size']}: width {r['embed_dim']}, {r['depth']} blocks, "
            f"{r['num_heads']} heads, {tuple(r['kernel_size'])} patches, "
            f"{r['tokens']} tokens",
        )
    base = ""
    if "base" in sizes and (p["base_batches"], p["base_warmup"]) != (
        p["batches"],
        p["warmup"],
    ):
        base = (
            f" (base: {p['base_warmup']} warm-up and {p['base_batches']} timed "
            "batch(es), and inference without warm-up, to keep the run short)"
            if p["base_warmup"] == 0
            else f" (base: {p['base_warmup']} warm-up and {p['base_batches']} "
            "timed batch(es), to keep the run short)"
        )
    notes = [
        "",
        f"Input: {FRAMES} frames x {N_MELS} mel bins, random values. "
        + "; ".join(sizes.values())
        + ".",
        "Items: SSAST-CL rows train on pairs (stage I: two self-attention "
        "branches, plus the cross-attention branch unless w/o CA); CE trains on "
        "clips, end to end. Parameters and inference are of the deployed network "
        "(encoder + head: linear for CE, MLP for SSAST-CL); SSAST-CL w/o CA "
        "deploys the same network as SSAST-CL, measured once.",
        "FLOPs: torch.utils.flop_counter.FlopCounterMode (multiply-add = 2; "
        "matmuls, convolutions, attention; the attention backward recomputes "
        "the scores); training = forward + loss + backward of one step.",
        f"Training time: batches of {p['batch_size']} after {p['warmup']} warm-up "
        f"batch(es), at least {p['batches']} timed batch(es) and "
        f"{p['min_time']:g} s{base}, extrapolated to 1,000 "
        "items (Adam steps included; no data loading or augmentation; stage II "
        f"not timed). Inference: batches of {p['infer_batch']}, no grad, after "
        f"{p['warmup']} warm-up call(s), timed for at least {p['min_time']:g} s "
        "or one call. Timed batch counts are in the JSON.",
        "Peak memory: peak resident set (VmHWM) of a fresh Python process that "
        "imports torch, builds the model and runs the measurement (it "
        "includes the interpreter, torch and the package); in brackets, the "
        "growth over the process's peak before its first batch.",
        f"FLOP/s / matmul: counted FLOPs x measured rate over the fp32 torch.mm "
        f"rate ({p['mm_size']}^3, best of 3) probed right before and after each "
        f"measurement, {p['threads']} thread(s). The CPU is shared with other "
        "jobs: absolute times drift; the ratios are measured side by side.",
    ]
    return "\n".join(lines + notes)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", nargs="+", choices=SIZE_NAMES, default=list(SIZE_NAMES)
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny only, small batches: seconds"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16, help="training")
    parser.add_argument("--warmup", type=int, default=1, help="untimed batches")
    parser.add_argument("--batches", type=int, default=3, help="timed batches")
    parser.add_argument(
        "--base-batches", type=int, default=1, help="timed batches of base"
    )
    parser.add_argument(
        "--base-warmup", type=int, default=1, help="warm-up calls of base"
    )
    parser.add_argument("--infer-batch", type=int, default=64)
    parser.add_argument(
        "--min-time", type=float, default=5.0, help="least s of each timing"
    )
    parser.add_argument("--mm-size", type=int, default=2048)
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--child", choices=("train", "infer"), help=argparse.SUPPRESS)
    parser.add_argument("--system", choices=SYSTEMS, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> Path | None:
    """Measure every size and system; write ``efficiency_<stamp>.json`` and ``.md``.

    Parameters
    ----------
    argv : list of str, default=None
        The command-line arguments (``None``: ``sys.argv[1:]``).

    Returns
    -------
    pathlib.Path or None
        The JSON file (``None`` in a ``--child`` process, which prints its result).
    """
    args = _parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.child:
        run = child_train if args.child == "train" else child_infer
        print_result(run(args))
        return None
    if args.quick:
        args.sizes, args.batch_size, args.infer_batch = ["tiny"], 4, 8
        args.warmup, args.batches, args.min_time, args.mm_size = 1, 1, 0.0, 512
    writer = ResultsWriter("efficiency", __file__, argv, out=args.out)
    results = []
    for size in args.sizes:
        results += bench_size(args, size)
    params = {k: v for k, v in vars(args).items() if k not in ("out", "child")}
    params.pop("system")
    record = {
        "params": params,
        "input": {"frames": FRAMES, "n_mels": N_MELS},
        "note": "CPU shared with other jobs: compare the ratios to the matmul "
        "rate (measured side by side), not absolute rates.",
        "results": results,
    }
    path = writer.write(record, markdown_table, title="Efficiency of CE and SSAST-CL")
    print(f"wrote {path} and {path.with_suffix('.md')}")
    return path


if __name__ == "__main__":
    main()
