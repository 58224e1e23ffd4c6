"""EER of SSAST-CL, its ablations and classic baselines on the spoofcorpus-dev corpus.

Trains every system on the corpus's train part, selects on dev (early stopping and the
decision threshold), and scores eval, which holds two attacks unseen in training (A05,
A06) and codec-degraded clips. For each system and seed it records the EER overall, on
the seen attacks (A01-A04), on the unseen ones (A05-A06), per attack and per codec, with
the training time and the peak memory of the process that trained it, and draws the DET
curves of the first seed. This is NOT ASVspoof: never compare these numbers with
ASVspoof results.

Systems:

- ``ssastcl``: SSAST-CL (contrastive stage I with cross-attention, stage II MLP head),
  FIR + RawBoost waveform augmentation (a fresh draw each epoch) and SpecAugment;
- ``ssastcl_no_ca``: the same without the cross-attention branch (alpha = 0);
- ``ssastcl_no_aug``: the same without augmentation (neither waveform nor SpecAugment);
- ``ce``: the paper's baseline: the same encoder fine-tuned end to end with
  cross-entropy (with the same augmentation).

The neural defaults (frame encoder ``kernel_size=(128, 2)``, ``embed_dim=64``,
``depth=2``, ``num_heads=1``, random init, lr 1e-3 with warm-up + cosine, 6 epochs of
600 pairs, standardised embeddings, 60 head epochs of batch 32) were chosen on dev only
with ``benchmarks/tune_dev.py``; see ``results/tune_dev_*.md``.

Classic baselines:

- ``lfcc_gmm``: the classic ASVspoof baseline: 20 LFCCs + deltas + double deltas, one
  diagonal GaussianMixture per class, score = mean log-likelihood ratio;
- ``logmel_lr``: mean and standard deviation of the log-mel bands over time,
  standardised, logistic regression.

Command that produced the committed results (about 40-60 minutes on 2 CPU cores)::

    python benchmarks/bench_eer.py --seeds 0 1 2

Quick check (a couple of minutes)::

    python benchmarks/bench_eer.py --quick
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "spoofcorpus-dev"
DEFAULT_CHECKPOINT = (
    REPO / "benchmarks" / "results" / "ssast_tiny_patch_spoofcorpus.pth"
)
NEURAL = ("ssastcl", "ssastcl_no_ca", "ssastcl_no_aug", "ce")
BASELINES = ("lfcc_gmm", "logmel_lr")
SEEN = ("A01", "A02", "A03", "A04")
UNSEEN = ("A05", "A06")


def load_corpus(root: Path) -> dict:
    """Waveforms, labels, attacks (and eval codecs) of the three parts of the corpus."""
    from sklearn_ssastcl.datasets import load_asvspoof, load_audio, read_protocol

    parts = {}
    for part in ("train", "dev", "eval"):
        frame = load_asvspoof(root, part=part)
        parts[part] = {
            "waveforms": [load_audio(p) for p in frame["path"]],
            "labels": frame["label"].to_numpy(),
            "attacks": frame["attack"].to_numpy(),
            "speakers": frame["speaker"].to_numpy(),
            "ids": frame["utterance_id"].to_numpy(),
        }
    key = read_protocol(root / "keys" / "LA" / "CM" / "trial_metadata.txt")
    codec = dict(zip(key["utterance_id"], key["codec"]))
    parts["eval"]["codecs"] = np.array(
        [codec.get(u, "none") for u in parts["eval"]["ids"]]
    )
    return parts


def build_neural(name: str, seed: int, args: argparse.Namespace):
    """The SSAST-CL variants and the CE baseline, sharing one configuration."""
    from sklearn_ssastcl import LogMel, SSASTCLClassifier
    from sklearn_ssastcl.augment import (
        Codec,
        Compose,
        FIRFilter,
        RawBoost,
        SpecAugment,
        TelephoneChannel,
    )

    no_aug = name == "ssastcl_no_aug"
    steps = [FIRFilter(p=0.5), RawBoost(algo=5, p=0.7)]
    if args.telephone:
        steps.insert(1, TelephoneChannel(p=args.telephone))
    if args.codec:
        steps.insert(1, Codec(p=args.codec))
    augment = None if no_aug else Compose(steps)
    spec_augment = None if no_aug else SpecAugment()
    pretrained = (
        args.pretrained if args.pretrained and Path(args.pretrained).is_file() else None
    )
    arch = (
        {"model_size": "tiny"}
        if pretrained
        else {
            "model_size": None,
            "embed_dim": args.embed_dim,
            "depth": args.depth,
            "num_heads": args.num_heads,
            "kernel_size": tuple(args.kernel),
        }
    )
    return SSASTCLClassifier(
        frontend=LogMel(
            target_length=args.target_length, pad_mode="repeat", f_max=args.f_max
        ),
        augment=augment,
        spec_augment=spec_augment,
        pretrained=pretrained,
        loss="ce" if name == "ce" else "contrastive",
        cross_attention=name != "ssastcl_no_ca",
        alpha=args.alpha,
        max_epochs=args.epochs,
        head_epochs=args.head_epochs,
        freeze_encoder=not args.unfreeze,
        batch_size=args.batch_size,
        head_batch_size=args.head_batch_size,
        pairs_per_epoch=args.pairs_per_epoch,
        lr=args.lr,
        lr_schedule="cosine",
        warmup_epochs=args.warmup_epochs,
        standardize_embeddings=True,
        head_views=0 if no_aug else args.head_views,
        pair_mix=tuple(args.pair_mix),
        patience=args.patience,
        random_state=seed,
        verbose=0,
        **arch,
    )


def lfcc_features(waveforms: list[np.ndarray]) -> list[np.ndarray]:
    """20 LFCCs with deltas and double deltas, per frame (the ASVspoof B2 front end)."""
    import torch
    import torchaudio

    lfcc = torchaudio.transforms.LFCC(
        sample_rate=16000,
        n_filter=20,
        n_lfcc=20,
        speckwargs={"n_fft": 512, "win_length": 320, "hop_length": 160},
    )
    feats = []
    with torch.no_grad():
        for wave in waveforms:
            c = lfcc(torch.from_numpy(wave))  # (n_lfcc, frames)
            d = torchaudio.functional.compute_deltas(c)
            dd = torchaudio.functional.compute_deltas(d)
            feats.append(torch.cat([c, d, dd]).T.numpy().astype(np.float64))
    return feats


def run_lfcc_gmm(data: dict, seed: int, args: argparse.Namespace) -> np.ndarray:
    from sklearn.mixture import GaussianMixture

    train = lfcc_features(data["train"]["waveforms"])
    labels = data["train"]["labels"]
    gmms = {}
    for cls in ("bonafide", "spoof"):
        frames = np.concatenate([f for f, y in zip(train, labels) if y == cls])
        gmms[cls] = GaussianMixture(
            n_components=args.gmm_components,
            covariance_type="diag",
            max_iter=100,
            random_state=seed,
        ).fit(frames)
    test = lfcc_features(data["eval"]["waveforms"])
    return np.array([gmms["bonafide"].score(f) - gmms["spoof"].score(f) for f in test])


def run_logmel_lr(data: dict, seed: int, args: argparse.Namespace) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_ssastcl import LogMel

    f_max = args.f_max if args.baseline_f_max else None
    logmel = LogMel(target_length=args.target_length, pad_mode="repeat", f_max=f_max)

    def stats(waves):
        spec = logmel.transform(waves)
        return np.concatenate([spec.mean(axis=1), spec.std(axis=1)], axis=1)

    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    model.fit(stats(data["train"]["waveforms"]), data["train"]["labels"])
    bona = list(model.classes_).index("bonafide")
    return model.decision_function(stats(data["eval"]["waveforms"])) * (
        1 if bona == 1 else -1
    )


def run_one(name: str, seed: int, args: argparse.Namespace) -> dict:
    """Train one system with one seed in this fresh process; return eval scores."""
    import torch

    torch.set_num_threads(args.threads)
    data = load_corpus(Path(args.corpus))
    if args.quick:
        data = _subsample(data, args.quick_clips, seed)
    start = time.perf_counter()
    info = {}
    if name == "lfcc_gmm":
        scores = run_lfcc_gmm(data, seed, args)
    elif name == "logmel_lr":
        scores = run_logmel_lr(data, seed, args)
    else:
        clf = build_neural(name, seed, args)
        clf.fit(
            data["train"]["waveforms"],
            data["train"]["labels"],
            X_val=data["dev"]["waveforms"],
            y_val=data["dev"]["labels"],
            attacks=data["train"]["attacks"],
            groups=data["train"]["speakers"] if args.speaker_pairs else None,
        )
        fit_time = time.perf_counter() - start
        scores = clf.decision_function(data["eval"]["waveforms"])
        info = {"fit_seconds": fit_time, "params": _jsonable(clf.get_params())}
    info["seconds"] = time.perf_counter() - start
    info["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    info["scores"] = np.asarray(scores, dtype=np.float64).tolist()
    info["eval_ids"] = data["eval"]["ids"].tolist()
    return info


def _subsample(data: dict, n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for part, d in data.items():
        idx = np.sort(rng.permutation(len(d["labels"]))[:n])
        out[part] = {
            k: ([v[i] for i in idx] if isinstance(v, list) else v[idx])
            for k, v in d.items()
        }
    return out


def _jsonable(params: dict) -> dict:
    return {
        k: v if isinstance(v, (int, float, str, bool, type(None))) else repr(v)
        for k, v in params.items()
    }


def summarise(data_eval: dict, scores: np.ndarray) -> dict:
    """EER overall, on seen and unseen attacks, per attack and per codec."""
    from sklearn_ssastcl.metrics import eer_score

    y, attacks, codecs = data_eval["labels"], data_eval["attacks"], data_eval["codecs"]
    bona = y == "bonafide"

    def eer_on(mask):
        keep = bona | mask
        if (mask & ~bona).sum() == 0:
            return None
        return float(eer_score(y[keep], scores[keep]))

    result = {
        "eer": float(eer_score(y, scores)),
        "eer_seen": eer_on(np.isin(attacks, SEEN)),
        "eer_unseen": eer_on(np.isin(attacks, UNSEEN)),
        "per_attack": {a: eer_on(attacks == a) for a in sorted(set(attacks[~bona]))},
        "per_codec": {},
    }
    for codec in sorted(set(codecs)):
        keep = codecs == codec
        if len(set(y[keep])) == 2:
            result["per_codec"][codec] = float(eer_score(y[keep], scores[keep]))
    return result


def markdown_table(summary: dict) -> str:
    """Mean and spread over seeds, one row per system, in percent."""
    lines = [
        "| system | EER all | EER seen (A01-A04) | EER unseen (A05-A06) "
        "| train time (s) | peak RSS (MB) | seeds |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, runs in summary.items():

        def cell(key):
            vals = np.array([r[key] for r in runs if r[key] is not None]) * 100
            return f"{vals.mean():.2f} ± {vals.std(ddof=1) if len(vals) > 1 else 0:.2f}"

        secs = np.mean([r["seconds"] for r in runs])
        rss = np.max([r["peak_rss_mb"] for r in runs])
        lines.append(
            f"| {name} | {cell('eer')} | {cell('eer_seen')} | {cell('eer_unseen')} "
            f"| {secs:.0f} | {rss:.0f} | {len(runs)} |"
        )
    return "\n".join(lines)


def per_attack_table(summary: dict) -> str:
    attacks = sorted({a for runs in summary.values() for a in runs[0]["per_attack"]})
    lines = [
        "| system | " + " | ".join(attacks) + " |",
        "|---" * (len(attacks) + 1) + "|",
    ]
    for name, runs in summary.items():
        cells = []
        for a in attacks:
            vals = [r["per_attack"].get(a) for r in runs]
            vals = np.array([v for v in vals if v is not None]) * 100
            cells.append(f"{vals.mean():.1f}" if len(vals) else "-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def per_codec_table(summary: dict) -> str:
    codecs = sorted({c for runs in summary.values() for c in runs[0]["per_codec"]})
    header = "| system | " + " | ".join(codecs) + " |"
    lines = [header, "|---" * (len(codecs) + 1) + "|"]
    for name, runs in summary.items():
        vals = [np.mean([r["per_codec"][c] for r in runs]) * 100 for c in codecs]
        lines.append(f"| {name} | " + " | ".join(f"{v:.1f}" for v in vals) + " |")
    return "\n".join(lines)


def plot_det(data_eval: dict, first_scores: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_ssastcl.plotting import plot_det_curve

    fig, ax = plt.subplots(figsize=(6, 6))
    for name, scores in first_scores.items():
        plot_det_curve(data_eval["labels"], np.asarray(scores), ax=ax, label=name)
    ax.set_title("spoofcorpus-dev eval (not ASVspoof), first seed")
    ax.legend(loc="upper right", fontsize=8)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--systems",
        nargs="+",
        default=[*NEURAL, *BASELINES],
        choices=[*NEURAL, *BASELINES],
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--pretrained",
        default="",
        help="SSAST checkpoint to start the encoder from (its architecture is "
        f"used), e.g. {DEFAULT_CHECKPOINT.name}; default: random init with the "
        "architecture below (tune_dev.py: the pretrained tiny patch model was worse "
        "on dev)",
    )
    parser.add_argument("--embed-dim", type=int, default=64)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--num-heads", type=int, default=1)
    parser.add_argument(
        "--kernel", type=int, nargs=2, default=[128, 2], help="patch (freq, time)"
    )
    parser.add_argument("--target-length", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--pairs-per-epoch", type=int, default=600)
    parser.add_argument("--head-epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--head-batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warmup-epochs", type=float, default=1.0)
    parser.add_argument("--patience", type=int, default=None)
    parser.add_argument(
        "--telephone",
        type=float,
        default=0.0,
        help="add TelephoneChannel(p=P) after the FIR filter (0: off)",
    )
    parser.add_argument(
        "--codec",
        type=float,
        default=0.0,
        help="add Codec(p=P) (GSM / Opus / G.711) after the FIR filter (0: off)",
    )
    parser.add_argument(
        "--head-views",
        type=int,
        default=0,
        help="augmented views per clip for the frozen stage II head",
    )
    parser.add_argument(
        "--pair-mix",
        type=float,
        nargs=3,
        default=[0.25, 0.25, 0.5],
        help="stage I pair shares: bona-bona, spoof-spoof, bona-spoof",
    )
    parser.add_argument(
        "--f-max",
        type=float,
        default=None,
        help="LogMel(f_max=F) for the SSAST-CL and CE systems, e.g. 4000 (the "
        "telephone band); the log-mel LR baseline stays full-band unless "
        "--baseline-f-max",
    )
    parser.add_argument(
        "--baseline-f-max",
        action="store_true",
        help="use --f-max for the log-mel LR baseline too",
    )
    parser.add_argument(
        "--unfreeze",
        action="store_true",
        help="stage II fine-tunes the encoder with the head (freeze_encoder=False; "
        "set --head-epochs too)",
    )
    parser.add_argument(
        "--alpha", type=float, default=1.0, help="weight of the CA loss (default 1)"
    )
    parser.add_argument(
        "--speaker-pairs",
        action="store_true",
        help="stage I: bona-spoof pairs within a speaker, same-class pairs across "
        "speakers (fit(..., groups=speakers))",
    )
    parser.add_argument("--gmm-components", type=int, default=64)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads per run (default 1)"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="runs in parallel processes (default 2)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="subsample each part and train 1 epoch: a smoke test",
    )
    parser.add_argument("--quick-clips", type=int, default=80)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.head_epochs, args.seeds = 1, 5, args.seeds[:1]
        args.gmm_components = 4
    args.out.mkdir(parents=True, exist_ok=True)

    from sklearn_ssastcl._utils import machine_info

    data = load_corpus(args.corpus)
    ctx = mp.get_context("spawn")
    summary, first_scores, raw = {}, {}, {}
    tasks = [(name, seed) for name in args.systems for seed in args.seeds]
    # A fresh process per run (maxtasksperchild=1), so its peak RSS is that run's.
    with ctx.Pool(args.jobs, maxtasksperchild=1) as pool:
        pending = {t: pool.apply_async(run_one, (*t, args)) for t in tasks}
        for name, seed in tasks:
            info = pending[name, seed].get()
            eval_part = (
                data["eval"]
                if not args.quick
                else _subsample(data, args.quick_clips, seed)["eval"]
            )
            assert list(eval_part["ids"]) == info["eval_ids"]
            scores = np.array(info["scores"])
            result = summarise(eval_part, scores)
            result.update(
                seconds=info["seconds"], peak_rss_mb=info["peak_rss_mb"], seed=seed
            )
            summary.setdefault(name, []).append(result)
            raw.setdefault(name, {})[seed] = info["scores"]
            if seed == args.seeds[0]:
                first_scores[name] = scores
            print(
                f"{name:15s} seed {seed}: EER {100 * result['eer']:.2f} %  "
                f"seen {100 * (result['eer_seen'] or 0):.2f} %  "
                f"unseen {100 * (result['eer_unseen'] or 0):.2f} %  "
                f"({info['seconds']:.0f} s, {info['peak_rss_mb']:.0f} MB)",
                flush=True,
            )

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    tag = "quick" if args.quick else "full"
    record = {
        "benchmark": "bench_eer",
        "command": "python " + " ".join([sys.argv[0], *(argv or sys.argv[1:])]),
        "machine": machine_info(),
        "params": {
            k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
        },
        "note": "spoofcorpus-dev (train -> select on dev -> eval); not ASVspoof",
        "results": summary,
        "scores": raw,
    }
    json_path = args.out / f"eer_{tag}_{stamp}.json"
    json_path.write_text(json.dumps(record, indent=1))
    md = (
        f"Machine: {record['machine']['processor']}, {record['machine']['platform']}, "
        f"torch {record['machine']['torch']}, {args.jobs} runs in parallel with "
        f"{args.threads} torch thread(s) each.\n"
        f"Command: `{record['command']}`\n\nEER in % on eval, mean ± std over seeds "
        f"{args.seeds}:\n\n{markdown_table(summary)}\n\n"
        f"Per attack (mean over seeds, %):\n\n{per_attack_table(summary)}\n\n"
        f"Per codec (mean over seeds, %):\n\n{per_codec_table(summary)}\n"
    )
    (args.out / f"eer_{tag}_{stamp}.md").write_text(md)
    plot_det(
        data["eval"]
        if not args.quick
        else _subsample(data, args.quick_clips, args.seeds[0])["eval"],
        first_scores,
        args.out / f"eer_{tag}_det.png",
    )
    print(md)
    print(f"Results written to {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
