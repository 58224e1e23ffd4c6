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
- ``ssastcl_supcon`` / ``ssastcl_ntxent``: ``ssastcl`` with stage I's margin loss
  replaced by the in-batch supervised contrastive loss / NT-Xent (``--temperature``,
  default 0.1, not tuned);
- ``ce``: the paper's baseline: the same encoder fine-tuned end to end with
  cross-entropy (with the same augmentation).

The neural defaults (frame encoder ``kernel_size=(128, 2)``, ``embed_dim=64``,
``depth=2``, ``num_heads=1``, random init, lr 1e-3 with warm-up + cosine, 6 epochs of
600 pairs, standardised embeddings, 60 head epochs of batch 32) were chosen on dev only
with ``benchmarks/tune_dev.py``; see ``results/tune_dev_*.md``.

Classic countermeasures (the library's estimators, ``sklearn_ssastcl.classic``):

- ``lfcc_gmm``: ``LFCCGMMClassifier``, the ASVspoof 2019 baseline: 20 LFCCs + deltas +
  double deltas, one diagonal GaussianMixture per class, score = mean log-likelihood
  ratio;
- ``spectral_lr``: ``SpectralStatsClassifier``, mean and standard deviation over time of
  the 257-bin log power spectrum, standardised, logistic regression (library defaults);
- ``logmel_lr``: mean and standard deviation of the log-mel bands over time,
  standardised, logistic regression.

Every system scores dev and eval. Scores are reported raw (EER, minDCF) and
calibrated on dev with ``ScoreCalibrator`` (actDCF and Cllr of the eval LLRs: how well
a calibration fitted on dev transfers to eval). Unless ``--no-fusion``, a fused system
(``ScoreFusion``) is built per seed: members chosen on dev only by greedy forward
selection on the out-of-fold dev EER (5-fold, stop below a 0.5-point gain), weights
fitted on all of dev (see ``select_members``).

Command that produced the committed results (about 40-60 minutes on 2 CPU cores)::

    python benchmarks/bench_eer.py --seeds 0 1 2

Quick check (a couple of minutes)::

    python benchmarks/bench_eer.py --quick
"""

from __future__ import annotations

import argparse
import inspect
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, ResultsWriter, corpus_dir, peak_rss_mib, pyplot

DEFAULT_CHECKPOINT = RESULTS / "ssast_tiny_patch_spoofcorpus.pth"
NEURAL = (
    "ssastcl",
    "ssastcl_no_ca",
    "ssastcl_no_aug",
    "ssastcl_supcon",
    "ssastcl_ntxent",
    "ce",
)
#: Stage I loss of each SSAST-CL system (default: the margin loss).
STAGE1_LOSS = {"ssastcl_supcon": "supcon", "ssastcl_ntxent": "ntxent"}
BASELINES = ("lfcc_gmm", "spectral_lr", "logmel_lr")
SEEN = ("A01", "A02", "A03", "A04")
UNSEEN = ("A05", "A06")


def load_corpus(root: Path, codec_dev: bool = False) -> dict:
    """Waveforms, labels, attacks (and eval codecs) of the three parts of the corpus.

    ``codec_dev``: a seeded half of the dev clips through GSM, Opus, mu-law or a-law
    (``tune_dev.codec_dev``, the library's ``Codec`` augmenter on dev audio only).
    """
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
    if codec_dev:
        from tune_dev import codec_dev as degrade

        parts["dev"]["waveforms"] = degrade(parts["dev"]["waveforms"])
    key = read_protocol(root / "keys" / "LA" / "CM" / "trial_metadata.txt")
    codec = dict(zip(key["utterance_id"], key["codec"]))
    parts["eval"]["codecs"] = np.array(
        [codec.get(u, "none") for u in parts["eval"]["ids"]]
    )
    return parts


def build_neural(name: str, seed: int, args: argparse.Namespace):
    """The SSAST-CL variants and the CE baseline: the "small" recipe with options."""
    from sklearn_ssastcl.augment import (
        Codec,
        Compose,
        FIRFilter,
        RawBoost,
        TelephoneChannel,
    )
    from sklearn_ssastcl.recipe import make_recipe

    no_aug = name == "ssastcl_no_aug"
    steps = [FIRFilter(p=0.5), RawBoost(algo=5, p=0.7)]
    if args.telephone:
        steps.insert(1, TelephoneChannel(p=args.telephone))
    if args.codec:
        steps.insert(1, Codec(p=args.codec))
    pretrained = (
        args.pretrained if args.pretrained and Path(args.pretrained).is_file() else None
    )
    arch = (
        {"pretrained": pretrained}
        if pretrained
        else {
            "embed_dim": args.embed_dim,
            "depth": args.depth,
            "num_heads": args.num_heads,
            "kernel_size": tuple(args.kernel),
        }
    )
    return make_recipe(
        augment="none" if no_aug else Compose(steps),
        frontend={"target_length": args.target_length, "f_max": args.f_max},
        loss="ce" if name == "ce" else STAGE1_LOSS.get(name, "contrastive"),
        temperature=args.temperature,
        cross_attention=name != "ssastcl_no_ca",
        alpha=args.alpha,
        max_epochs=args.epochs,
        head_epochs=args.head_epochs,
        freeze_encoder=not args.unfreeze,
        batch_size=args.batch_size,
        head_batch_size=args.head_batch_size,
        pairs_per_epoch=args.pairs_per_epoch,
        lr=args.lr,
        warmup_epochs=args.warmup_epochs,
        head_views=0 if no_aug else args.head_views,
        pair_mix=tuple(args.pair_mix),
        patience=args.patience,
        random_state=seed,
        verbose=0,
        **arch,
    )


def run_lfcc_gmm(data: dict, seed: int, args: argparse.Namespace) -> dict:
    from sklearn_ssastcl.classic import LFCCGMMClassifier

    clf = LFCCGMMClassifier(n_components=args.gmm_components, random_state=seed)
    clf.fit(data["train"]["waveforms"], data["train"]["labels"])
    return {p: clf.decision_function(data[p]["waveforms"]) for p in ("dev", "eval")}


def run_spectral_lr(data: dict, seed: int, args: argparse.Namespace) -> dict:
    from sklearn_ssastcl.classic import SpectralStatsClassifier

    clf = SpectralStatsClassifier(random_state=seed)
    clf.fit(data["train"]["waveforms"], data["train"]["labels"])
    return {p: clf.decision_function(data[p]["waveforms"]) for p in ("dev", "eval")}


def run_logmel_lr(data: dict, seed: int, args: argparse.Namespace) -> dict:
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
    sign = 1 if list(model.classes_).index("bonafide") == 1 else -1
    return {
        p: sign * model.decision_function(stats(data[p]["waveforms"]))
        for p in ("dev", "eval")
    }


CLASSIC_RUNNERS = {
    "lfcc_gmm": run_lfcc_gmm,
    "spectral_lr": run_spectral_lr,
    "logmel_lr": run_logmel_lr,
}


def run_one(name: str, seed: int, args: argparse.Namespace) -> dict:
    """Train one system with one seed in this fresh process; return eval scores."""
    import torch

    torch.set_num_threads(args.threads)
    data = load_corpus(Path(args.corpus), codec_dev=getattr(args, "codec_dev", False))
    if args.quick:
        data = _subsample(data, args.quick_clips, seed)
    start = time.perf_counter()
    info = {}
    if name in CLASSIC_RUNNERS:
        both = CLASSIC_RUNNERS[name](data, seed, args)
        scores = both["eval"]
        info["dev_scores"] = np.asarray(both["dev"], dtype=np.float64).tolist()
    else:
        clf = build_neural(name, seed, args)
        pairs = {  # stage I pair sampling; the CE baseline (no pairs) takes neither
            "attacks": data["train"]["attacks"],
            "groups": data["train"]["speakers"] if args.speaker_pairs else None,
        }
        accepted = inspect.signature(clf.fit).parameters
        clf.fit(
            data["train"]["waveforms"],
            data["train"]["labels"],
            X_val=data["dev"]["waveforms"],
            y_val=data["dev"]["labels"],
            **{k: v for k, v in pairs.items() if k in accepted},
        )
        fit_time = time.perf_counter() - start
        scores = clf.decision_function(data["eval"]["waveforms"])
        info = {"fit_seconds": fit_time, "params": _jsonable(clf.get_params())}
        info["dev_scores"] = clf.decision_function(data["dev"]["waveforms"]).tolist()
    info["seconds"] = time.perf_counter() - start
    info["peak_rss_mb"] = peak_rss_mib()
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


def summarise(
    data_eval: dict, scores: np.ndarray, dev=None, llrs_given: bool = False
) -> dict:
    """EER overall, on seen and unseen attacks, per attack and per codec; minDCF; and,
    with ``dev = (dev_labels, dev_scores)``, actDCF and Cllr calibrated on dev (or of
    ``scores`` themselves when ``llrs_given``), overall and per codec."""
    from sklearn_ssastcl.calibration import ScoreCalibrator
    from sklearn_ssastcl.metrics import act_dcf, cllr, eer_score, min_dcf

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
        "min_dcf": float(min_dcf(y, scores)),
        "per_attack": {a: eer_on(attacks == a) for a in sorted(set(attacks[~bona]))},
        "per_codec": {},
    }
    llr = None
    if dev is not None:
        llr = ScoreCalibrator().fit(dev[1], dev[0]).decision_function(scores)
    elif llrs_given:
        llr = scores
    if llr is not None:
        result["act_dcf"] = float(act_dcf(y, llr))
        result["cllr"] = float(cllr(y, llr))
        result["per_codec_dcf"] = {}
    for codec in sorted(set(codecs)):
        keep = codecs == codec
        if len(set(y[keep])) == 2:
            result["per_codec"][codec] = float(eer_score(y[keep], scores[keep]))
            if llr is not None:
                result["per_codec_dcf"][codec] = [
                    float(min_dcf(y[keep], scores[keep])),
                    float(act_dcf(y[keep], llr[keep])),
                ]
    return result


def select_members(dev_scores: dict, y_dev: np.ndarray, min_gain: float = 0.005):
    """Greedy forward selection of fusion members on dev (the pre-registered rule).

    Start from the system with the lowest dev EER; add the system that lowers the
    out-of-fold dev EER of the fused LLRs most (5-fold StratifiedKFold, shuffled,
    random_state=0; ``ScoreFusion`` defaults); stop when no system lowers it by at
    least ``min_gain``. Returns the members and the trace of (members, OOF EER).
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from sklearn_ssastcl.fusion import ScoreFusion
    from sklearn_ssastcl.metrics import eer_score

    cv = StratifiedKFold(5, shuffle=True, random_state=0)

    def oof_eer(members):
        S = np.column_stack([dev_scores[m] for m in members])
        # cross_val_predict label-encodes y: give it 1 = bona fide already.
        is_bona = (np.asarray(y_dev) == "bonafide").astype(int)
        llr = cross_val_predict(
            ScoreFusion(pos_label=1), S, is_bona, cv=cv, method="decision_function"
        )
        return float(eer_score(y_dev, llr))

    names = sorted(dev_scores)
    first = min(names, key=lambda m: eer_score(y_dev, np.asarray(dev_scores[m])))
    members, best = [first], oof_eer([first])
    trace = [(list(members), best)]
    while len(members) < len(names):
        trials = {m: oof_eer(members + [m]) for m in names if m not in members}
        pick = min(trials, key=trials.get)
        if best - trials[pick] < min_gain:
            break
        members.append(pick)
        best = trials[pick]
        trace.append((list(members), best))
    return members, trace


def fuse_seed(raw_dev: dict, raw_eval: dict, y_dev, seed) -> dict:
    """Choose members on dev, fit the fusion on dev, return eval LLRs and the choice."""
    from sklearn_ssastcl.fusion import ScoreFusion

    dev = {name: np.asarray(runs[seed]) for name, runs in raw_dev.items()}
    members, trace = select_members(dev, y_dev)
    fusion = ScoreFusion().fit(np.column_stack([dev[m] for m in members]), y_dev)
    S_eval = np.column_stack([np.asarray(raw_eval[m][seed]) for m in members])
    S_dev = np.column_stack([dev[m] for m in members])
    return {
        "members": members,
        "weights": fusion.coef_.tolist(),
        "intercept": float(fusion.intercept_),
        "trace": trace,
        "eval_llr": fusion.decision_function(S_eval),
        "dev_llr": fusion.decision_function(S_dev),
    }


def markdown_table(summary: dict) -> str:
    """Mean and spread over seeds, one row per system, rates in percent."""
    lines = [
        "| system | EER all | EER seen (A01-A04) | EER unseen (A05-A06) | minDCF "
        "| actDCF (cal. on dev) | Cllr (cal. on dev) | train time (s) "
        "| peak RSS (MB) | seeds |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in summary.items():

        def cell(key, scale=100, fmt=".2f"):
            vals = [r.get(key) for r in runs]
            vals = np.array([v for v in vals if v is not None], dtype=float) * scale
            if not len(vals):
                return "-"
            spread = vals.std(ddof=1) if len(vals) > 1 else 0
            return f"{vals.mean():{fmt}} ± {spread:{fmt}}"

        secs = [r["seconds"] for r in runs if r.get("seconds") is not None]
        rss = [r["peak_rss_mb"] for r in runs if r.get("peak_rss_mb") is not None]
        lines.append(
            f"| {name} | {cell('eer')} | {cell('eer_seen')} | {cell('eer_unseen')} "
            f"| {cell('min_dcf', 1, '.3f')} | {cell('act_dcf', 1, '.3f')} "
            f"| {cell('cllr', 1, '.3f')} "
            f"| {f'{np.mean(secs):.0f}' if secs else '-'} "
            f"| {f'{np.max(rss):.0f}' if rss else '-'} | {len(runs)} |"
        )
    return "\n".join(lines)


def fusion_table(fusions: dict) -> str:
    lines = [
        "| seed | members (chosen on dev) | weights | OOF dev EER trace (%) |",
        "|---|---|---|---|",
    ]
    for seed, f in fusions.items():
        trace = " -> ".join(f"{100 * e:.2f}" for _, e in f["trace"])
        weights = ", ".join(f"{w:.3g}" for w in f["weights"])
        lines.append(f"| {seed} | {' + '.join(f['members'])} | {weights} | {trace} |")
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


def calibration_table(summary: dict) -> str:
    """actDCF / minDCF per codec, mean over seeds: how dev calibration transfers."""
    codecs = sorted({c for runs in summary.values() for c in runs[0]["per_codec"]})
    lines = [
        "| system | " + " | ".join(codecs) + " |",
        "|---" * (len(codecs) + 1) + "|",
    ]
    for name, runs in summary.items():
        if "per_codec_dcf" not in runs[0]:
            continue
        cells = []
        for c in codecs:
            pairs = np.array([r["per_codec_dcf"][c] for r in runs])
            cells.append(f"{pairs[:, 1].mean():.3f} / {pairs[:, 0].mean():.3f}")
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
    plt = pyplot()

    from sklearn_ssastcl.plotting import plot_det_curve

    fig, ax = plt.subplots(figsize=(6, 6))
    for name, scores in first_scores.items():
        plot_det_curve(data_eval["labels"], np.asarray(scores), ax=ax, label=name)
    ax.set_title("spoofcorpus-dev eval (not ASVspoof), first seed")
    ax.legend(loc="upper right", fontsize=8)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def plot_bayes(data_eval: dict, first_llrs: dict, path: Path) -> None:
    """Bayes error plot of the eval LLRs (calibrated on dev), first seed."""
    plt = pyplot()

    from sklearn_ssastcl.plotting import plot_bayes_error

    fig, ax = plt.subplots(figsize=(7, 5))
    for name, llr in first_llrs.items():
        plot_bayes_error(data_eval["labels"], llr, ax=ax, label=name)
    ax.set_title("eval LLRs calibrated on dev (not ASVspoof), first seed")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def main(argv=None) -> int:
    from sklearn_ssastcl.recipe import PRESETS

    SMALL = PRESETS["small"]["params"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="the spoofcorpus-dev folder (default: $SSASTCL_CORPUS, else "
        "../shared/data/spoofcorpus-dev next to the repository)",
    )
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
    parser.add_argument("--embed-dim", type=int, default=SMALL["embed_dim"])
    parser.add_argument("--depth", type=int, default=SMALL["depth"])
    parser.add_argument("--num-heads", type=int, default=SMALL["num_heads"])
    parser.add_argument(
        "--kernel",
        type=int,
        nargs=2,
        default=list(SMALL["kernel_size"]),
        help="patch (freq, time)",
    )
    parser.add_argument(
        "--target-length",
        type=int,
        default=PRESETS["small"]["frontend"]["target_length"],
    )
    parser.add_argument("--epochs", type=int, default=SMALL["max_epochs"])
    parser.add_argument("--pairs-per-epoch", type=int, default=SMALL["pairs_per_epoch"])
    parser.add_argument("--head-epochs", type=int, default=SMALL["head_epochs"])
    parser.add_argument("--batch-size", type=int, default=SMALL["batch_size"])
    parser.add_argument("--head-batch-size", type=int, default=SMALL["head_batch_size"])
    parser.add_argument("--lr", type=float, default=SMALL["lr"])
    parser.add_argument("--warmup-epochs", type=float, default=SMALL["warmup_epochs"])
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
        "--temperature",
        type=float,
        default=0.1,
        help="softmax temperature of ssastcl_supcon / ssastcl_ntxent (default 0.1)",
    )
    parser.add_argument(
        "--speaker-pairs",
        action="store_true",
        help="stage I: bona-spoof pairs within a speaker, same-class pairs across "
        "speakers (fit(..., groups=speakers))",
    )
    parser.add_argument("--gmm-components", type=int, default=64)
    parser.add_argument(
        "--codec-dev",
        action="store_true",
        help="dev (validation, calibration and fusion) with a seeded half of its "
        "clips through GSM / Opus / G.711 codecs, like eval's channels",
    )
    parser.add_argument(
        "--no-fusion",
        action="store_true",
        help="do not build the fused system (default: fuse, members chosen on dev)",
    )
    parser.add_argument(
        "--scores-from",
        type=Path,
        help="take the dev and eval scores of systems found in this earlier "
        "results JSON instead of retraining them (the report says so)",
    )
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
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.corpus = corpus_dir(args.corpus)
    if args.quick:
        args.epochs, args.head_epochs, args.seeds = 1, 5, args.seeds[:1]
        args.gmm_components = 4
    tag = "quick" if args.quick else "full"
    writer = ResultsWriter(f"eer_{tag}", __file__, argv, out=args.out)

    from sklearn_ssastcl.calibration import ScoreCalibrator

    data = load_corpus(args.corpus, codec_dev=args.codec_dev)
    reused = _reused_scores(args)
    ctx = mp.get_context("spawn")
    summary, first_scores, raw, raw_dev, infos = {}, {}, {}, {}, {}
    tasks = [
        (name, seed)
        for name in args.systems
        for seed in args.seeds
        if (name, seed) not in reused
    ]
    # A fresh process per run (maxtasksperchild=1), so its peak RSS is that run's.
    with ctx.Pool(args.jobs, maxtasksperchild=1) as pool:
        pending = {t: pool.apply_async(run_one, (*t, args)) for t in tasks}
        for name in args.systems:
            for seed in args.seeds:
                if (name, seed) in reused:
                    info = reused[name, seed]
                else:
                    info = pending[name, seed].get()
                infos[name, seed] = info
                print(f"{name:15s} seed {seed}: {_done(info)}", flush=True)

    def eval_part(seed):
        if not args.quick:
            return data["eval"], data["dev"]
        sub = _subsample(data, args.quick_clips, seed)
        return sub["eval"], sub["dev"]

    # Keep the runs even if what follows fails: reusable with --scores-from.
    writer.write(
        {
            "scores": {
                n: {s: i["scores"] for (m, s), i in infos.items() if m == n}
                for n in args.systems
            },
            "dev_scores": {
                n: {s: i["dev_scores"] for (m, s), i in infos.items() if m == n}
                for n in args.systems
            },
        },
        name="eer_runs",
        indent=None,
    )
    first_llrs = {}
    for (name, seed), info in infos.items():
        part, dev_part = eval_part(seed)
        assert list(part["ids"]) == info["eval_ids"]
        scores = np.array(info["scores"])
        dev = (dev_part["labels"], np.array(info["dev_scores"]))
        result = summarise(part, scores, dev)
        result.update(
            seconds=info.get("seconds"), peak_rss_mb=info.get("peak_rss_mb"), seed=seed
        )
        summary.setdefault(name, []).append(result)
        raw.setdefault(name, {})[seed] = info["scores"]
        raw_dev.setdefault(name, {})[seed] = info["dev_scores"]
        if seed == args.seeds[0]:
            first_scores[name] = scores
            cal = ScoreCalibrator().fit(dev[1], dev[0])
            first_llrs[name] = cal.decision_function(scores)

    fusions = {}
    if not args.no_fusion and len(args.systems) > 1:
        for seed in args.seeds:
            part, dev_part = eval_part(seed)
            candidates = {name: raw_dev[name] for name in args.systems}
            fused = fuse_seed(candidates, raw, dev_part["labels"], seed)
            # the fused scores are LLRs already (fitted on dev): no recalibration
            result = summarise(part, fused["eval_llr"], llrs_given=True)
            result.update(seconds=None, peak_rss_mb=None, seed=seed)
            summary.setdefault("fusion", []).append(result)
            raw.setdefault("fusion", {})[seed] = fused["eval_llr"].tolist()
            raw_dev.setdefault("fusion", {})[seed] = fused["dev_llr"].tolist()
            fusions[seed] = {k: v for k, v in fused.items() if not k.endswith("_llr")}
            if seed == args.seeds[0]:
                first_scores["fusion"] = fused["eval_llr"]
                first_llrs["fusion"] = fused["eval_llr"]
            r = result
            print(
                f"fusion          seed {seed}: {' + '.join(fused['members'])}: EER "
                f"{100 * r['eer']:.2f} %  unseen {100 * r['eer_unseen']:.2f} %  "
                f"minDCF {r['min_dcf']:.3f}  actDCF {r['act_dcf']:.3f}",
                flush=True,
            )

    record = {
        "params": vars(args),
        "note": "spoofcorpus-dev (train -> select on dev -> eval); not ASVspoof",
        "results": summary,
        "fusion": fusions,
        "scores": raw,
        "dev_scores": raw_dev,
    }
    reuse_note = (
        f"Scores of {sorted({n for n, _ in reused})} reused from {args.scores_from} "
        "(not retrained).\n"
        if reused
        else ""
    )
    md = (
        f"{args.jobs} runs in parallel with {args.threads} torch thread(s) each.\n"
        f"{reuse_note}\nEER in % on eval, mean ± std "
        f"over seeds {args.seeds}; minDCF on raw scores (Pspoof 0.05, Cmiss 1, "
        "Cfa 10); "
        "actDCF and Cllr (bits) of the eval scores calibrated on dev:\n\n"
        f"{markdown_table(summary)}\n\n"
    )
    if fusions:
        md += (
            f"Fusion members and weights, chosen on dev:\n\n{fusion_table(fusions)}\n\n"
        )
    md += (
        f"Per attack (mean over seeds, %):\n\n{per_attack_table(summary)}\n\n"
        f"Per codec (mean over seeds, %):\n\n{per_codec_table(summary)}\n\n"
        "Calibration transfer per codec, actDCF / minDCF (mean over seeds; "
        "calibrated on dev, fusion LLRs as fitted on dev):\n\n"
        f"{calibration_table(summary)}\n"
    )
    json_path = writer.write(record, md, indent=1)
    first_eval = eval_part(args.seeds[0])[0]
    plot_det(first_eval, first_scores, args.out / f"eer_{tag}_det.png")
    plot_bayes(first_eval, first_llrs, args.out / f"eer_{tag}_bayes.png")
    print(md)
    print(f"Results written to {json_path}")
    return 0


def _done(info: dict) -> str:
    if info.get("reused"):
        return f"scores reused from {info['reused']}"
    return f"{info['seconds']:.0f} s, {info['peak_rss_mb']:.0f} MB"


def _reused_scores(args) -> dict:
    """Runs taken from an earlier results file (``--scores-from``), by (name, seed)."""
    if args.scores_from is None:
        return {}
    record = json.loads(Path(args.scores_from).read_text())
    ids = list(load_corpus_ids(args.corpus))
    out = {}
    for name, runs in record.get("scores", {}).items():
        if name == "fusion" or name not in args.systems:
            continue
        for seed, scores in runs.items():
            dev = record.get("dev_scores", {}).get(name, {}).get(seed)
            if dev is None or int(seed) not in args.seeds:
                continue
            out[name, int(seed)] = {
                "scores": scores,
                "dev_scores": dev,
                "eval_ids": ids,
                "reused": str(args.scores_from),
            }
    return out


def load_corpus_ids(root: Path) -> np.ndarray:
    from sklearn_ssastcl.datasets import load_asvspoof

    return load_asvspoof(Path(root), part="eval")["utterance_id"].to_numpy()


if __name__ == "__main__":
    sys.exit(main())
