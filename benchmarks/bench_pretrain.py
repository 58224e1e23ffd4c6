"""SSAST masked-patch pretraining on the spoofcorpus-dev audio (no labels used).

Measures the masked-patch accuracy (fraction of masked patches whose InfoNCE row peaks
on the right prediction) per epoch, on the training clips and on a held-out 10 %,
against chance = 1 / masked patches per clip. Audio: the train and dev parts of
spoofcorpus-dev (eval is left out so the classifier's evaluation stays clean).
Features: ``sklearn_ssastcl.LogMel`` (SSAST's Kaldi fbank, AudioSet normalisation).
The corpus: ``--corpus``, else ``$SSASTCL_CORPUS``, else
``../shared/data/spoofcorpus-dev`` next to the repository.

Command (the run reported in benchmarks/results/pretrain_*.json)::

    python benchmarks/bench_pretrain.py --depth 6 --n-samples 600 --max-epochs 5

Writes ``pretrain_<UTC stamp>.json``, ``.md`` and ``.png`` (the curve) into
``--out`` (default ``benchmarks/results``), and ``ssast_tiny_patch_spoofcorpus.pth``
(released SSAST format) when the file is under ``--max-mb``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from _common import (
    RESULTS,
    ResultsWriter,
    Stopwatch,
    corpus_dir,
    flac_paths,
    pyplot,
)

from sklearn_ssastcl import LogMel, SSASTPretrainer

FEATURES = "sklearn_ssastcl.LogMel(normalize='ssast')"


def plot(history: list[dict], path: Path, title: str) -> None:
    """Masked-patch accuracy per epoch, train and held-out, against chance."""
    plt = pyplot()

    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, [h["train_accuracy"] for h in history], "o-", label="train")
    ax.plot(epochs, [h["valid_accuracy"] for h in history], "s-", label="held-out")
    ax.axhline(history[0]["chance"], color="k", ls="--", label="chance (1/M)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("masked-patch accuracy")
    ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def markdown(record: dict) -> str:
    """The model, the headline figures and the accuracy per epoch."""
    m, hist = record["metrics"], record["history"]
    lines = [
        f"Model: {record['model_config']}",
        "",
        f"Chance = 1/{m['n_masked']} = {m['chance']:.4f}; final held-out "
        f"masked-patch accuracy {m['final_valid_accuracy']:.4f} "
        f"({m['valid_over_chance']:.1f}x chance); fit {m['fit_seconds']:.0f} s on "
        f"{m['n_clips']} clips ({'+'.join(record['params']['parts'])} audio, "
        "no labels).",
        "",
        "| epoch | loss | train acc | held-out acc |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {h['epoch']} | {h['loss']:.4f} | {h['train_accuracy']:.4f} | "
        f"{h['valid_accuracy']:.4f} |"
        for h in hist
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> Path:
    """Pretrain; write ``pretrain_<stamp>.json``, ``.md``, ``.png``, the checkpoint."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=None, help="default: $SSASTCL_CORPUS")
    parser.add_argument("--parts", nargs="+", default=["train", "dev"])
    parser.add_argument("--size", default="tiny")
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--kernel", type=int, nargs=2, default=[16, 16])
    parser.add_argument("--target-length", type=int, default=400)
    parser.add_argument("--n-mels", type=int, default=128)
    parser.add_argument("--mask-patches", type=int, default=100)
    parser.add_argument("--max-epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument(
        "--n-samples", type=int, default=None, help="evenly spaced subset of clips"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--max-mb", type=float, default=15.0)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    writer = ResultsWriter("pretrain", __file__, argv, out=args.out, device=args.device)
    args.corpus = str(corpus_dir(args.corpus))

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = flac_paths(args.corpus, args.parts)
    if args.n_samples and args.n_samples < len(paths):  # evenly spaced subset
        keep = np.linspace(0, len(paths) - 1, args.n_samples).round().astype(int)
        paths = [paths[i] for i in keep]
    with Stopwatch() as feat:
        logmel = LogMel(n_mels=args.n_mels, target_length=args.target_length)
        X = logmel.fit_transform(paths)
    print(f"{len(paths)} clips, features {X.shape} in {feat.seconds:.0f} s")

    pre = SSASTPretrainer(
        size=args.size,
        depth=args.depth,
        kernel_size=tuple(args.kernel),
        n_mels=args.n_mels,
        target_length=args.target_length,
        mask_patches=args.mask_patches,
        max_epochs=args.max_epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        validation_fraction=0.1,
        device=args.device,
        random_state=args.random_state,
        verbose=1,
    )
    with Stopwatch() as fit:
        pre.fit(X)

    enc = pre.encoder_
    config = {
        "size": args.size,
        "embed_dim": enc.embed_dim,
        "depth": enc.depth,
        "num_heads": enc.num_heads,
        "kernel_size": list(enc.kernel_size),
        "stride": list(enc.stride),
        "target_length": enc.target_length,
        "n_mels": enc.n_mels,
        "features": FEATURES,
    }
    ckpt = out_dir / "ssast_tiny_patch_spoofcorpus.pth"
    tmp = out_dir / f".pretrain_{writer.stamp}.pth"
    pre.save_checkpoint(tmp)
    size_mb = tmp.stat().st_size / 2**20
    if size_mb < args.max_mb:
        tmp.replace(ckpt)
        saved = str(ckpt)
    else:
        tmp.unlink()
        saved = None
    hist = pre.history_
    metrics = {
        "chance": hist[0]["chance"],
        "n_masked": pre.n_masked_,
        "final_train_accuracy": hist[-1]["train_accuracy"],
        "final_valid_accuracy": hist[-1]["valid_accuracy"],
        "valid_over_chance": hist[-1]["valid_accuracy"] / hist[0]["chance"],
        "fit_seconds": fit.seconds,
        "feature_seconds": feat.seconds,
        "n_clips": len(paths),
        "checkpoint": saved,
        "checkpoint_mb": size_mb,
    }
    record = {
        "params": vars(args),
        "model_config": config,
        "note": "CPU shared with other jobs: durations are not clean timings.",
        "metrics": metrics,
        "history": hist,
    }
    path = writer.write(record, markdown)
    plot(
        hist,
        writer.path(".png"),
        f"SSAST {args.size} depth {enc.depth}, {enc.n_patches} patches, "
        f"M={pre.n_masked_}, {len(paths)} clips ({'+'.join(args.parts)})",
    )
    print(json.dumps(metrics, indent=2))
    print(f"wrote {path}, {path.with_suffix('.md')} and {writer.path('.png')}")
    return path


if __name__ == "__main__":
    main()
