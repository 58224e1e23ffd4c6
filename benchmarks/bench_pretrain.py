"""SSAST masked-patch pretraining on the spoofcorpus-dev audio (no labels used).

Measures the masked-patch accuracy (fraction of masked patches whose InfoNCE row peaks
on the right prediction) per epoch, on the training clips and on a held-out 10 %,
against chance = 1 / masked patches per clip. Audio: the train and dev parts of
spoofcorpus-dev (eval is left out so the classifier's evaluation stays clean).
Features: ``sklearn_ssastcl.LogMel`` (SSAST's Kaldi fbank, AudioSet normalisation)
when it is importable, else ``torchaudio.compliance.kaldi.fbank`` with SSAST's
arguments and the same normalisation.

Command (the run reported in benchmarks/results/pretrain_*.json)::

    python benchmarks/bench_pretrain.py --depth 6 --n-samples 600 --max-epochs 5

Writes ``benchmarks/results/pretrain_<UTC stamp>.json`` and ``.png`` (the curve), and
``benchmarks/results/ssast_tiny_patch_spoofcorpus.pth`` (released SSAST format) when
the file is under ``--max-mb``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from sklearn_ssastcl import SSASTPretrainer
from sklearn_ssastcl._utils import machine_info

CORPUS = Path("/work/shared/data/spoofcorpus-dev")
SSAST_MEAN, SSAST_STD = -4.2677393, 4.5689974


def clip_paths(root: Path, parts: list[str]) -> list[str]:
    """FLAC files of the given parts (``train``, ``dev``), sorted."""
    paths: list[str] = []
    for part in parts:
        paths += sorted(
            str(p) for p in (root / f"LA/ASVspoof2019_LA_{part}/flac").glob("*.flac")
        )
    return paths


def features(
    paths: list[str], target_length: int, n_mels: int
) -> tuple[np.ndarray, str]:
    """Normalised log-mel features ``(n, target_length, n_mels)`` and their source."""
    try:
        from sklearn_ssastcl import LogMel

        fe = LogMel(n_mels=n_mels, target_length=target_length)
        return fe.fit_transform(paths), "sklearn_ssastcl.LogMel(normalize='ssast')"
    except ImportError:
        import soundfile as sf
        import torchaudio

        out = np.zeros((len(paths), target_length, n_mels), dtype=np.float32)
        for i, path in enumerate(paths):
            wav, sr = sf.read(path, dtype="float32")
            wav = torch.from_numpy(wav)[None]
            fb = torchaudio.compliance.kaldi.fbank(
                wav - wav.mean(),
                htk_compat=True,
                sample_frequency=sr,
                use_energy=False,
                window_type="hanning",
                num_mel_bins=n_mels,
                dither=0.0,
                frame_shift=10,
            )[:target_length]
            out[i, : len(fb)] = fb.numpy()
        return (out - SSAST_MEAN) / (
            2 * SSAST_STD
        ), "torchaudio kaldi.fbank (SSAST args)"


def plot(history: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(CORPUS))
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
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args(argv)

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = clip_paths(Path(args.corpus), args.parts)
    if args.n_samples and args.n_samples < len(paths):  # evenly spaced subset
        keep = np.linspace(0, len(paths) - 1, args.n_samples).round().astype(int)
        paths = [paths[i] for i in keep]
    t0 = time.perf_counter()
    X, source = features(paths, args.target_length, args.n_mels)
    feat_s = time.perf_counter() - t0
    print(f"{len(paths)} clips, features {X.shape} from {source} in {feat_s:.0f} s")

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
    t0 = time.perf_counter()
    pre.fit(X)
    fit_s = time.perf_counter() - t0

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
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
        "features": source,
    }
    ckpt = out_dir / "ssast_tiny_patch_spoofcorpus.pth"
    tmp = out_dir / f".pretrain_{stamp}.pth"
    pre.save_checkpoint(tmp)
    size_mb = os.path.getsize(tmp) / 2**20
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
        "fit_seconds": fit_s,
        "feature_seconds": feat_s,
        "n_clips": len(paths),
        "checkpoint": saved,
        "checkpoint_mb": size_mb,
    }
    record = {
        "machine": machine_info(),
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "params": vars(args),
        "model_config": config,
        "note": "CPU shared with other jobs: durations are not clean timings.",
        "metrics": metrics,
        "history": hist,
    }
    path = out_dir / f"pretrain_{stamp}.json"
    path.write_text(json.dumps(record, indent=2))
    plot(
        hist,
        out_dir / f"pretrain_{stamp}.png",
        f"SSAST {args.size} depth {enc.depth}, {enc.n_patches} patches, "
        f"M={pre.n_masked_}, {len(paths)} clips (train+dev)",
    )
    print(json.dumps(metrics, indent=2))
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
