"""SSAST-CL on ASVspoof 2021: train on 2019 LA, select on 2019 LA dev, score 2021 eval.

The paper's set-up (Goel et al., Interspeech 2023), as one script:

1. train ``SSASTCLClassifier`` on the ASVspoof 2019 LA **train** part (waveforms
   read from the FLAC files, RawBoost + FIR augmentation drawn afresh each epoch);
2. select the stage I and stage II epochs and the decision threshold on the 2019
   LA **dev** part (``fit(X_val=..., y_val=...)``), never on 2021 data;
3. score every trial of the 2021 LA eval list (and of 2021 DF when given) and
   write ``scores_LA.txt`` / ``scores_DF.txt`` in the 2021 format (``TRIAL SCORE``,
   higher = bona fide) that the official evaluation package reads;
4. evaluate with the 2021 keys (``keys/{LA,DF}/CM/trial_metadata.txt``, phase
   ``eval`` by default): EER overall, per attack and per codec, and for LA the
   2021 min t-DCF when the organisers' ASV files
   (``keys/LA/ASV/trial_metadata.txt``, ``keys/LA/ASV/ASVTorch_Kaldi/score.txt``)
   are there.

Outputs in ``--out-dir``: the model (``model/``, from ``save_weights``), the score
files and ``results.json`` (settings, machine, timings, metrics).

The paper's configuration, on a GPU (SSAST-Base-Patch-400 from the SSAST release,
overlapping 16 x 16 patches with stride 10, 4 s inputs)::

    python examples/recipe_asvspoof2021.py --root /data/ASVspoof2019 \\
        --la21-root /data/ASVspoof2021_LA --df21-root /data/ASVspoof2021_DF \\
        --device cuda --model-size base --pretrained SSAST-Base-Patch-400.pth \\
        --stride 10 10 --target-length 400 --epochs 10 --lr 1e-5 \\
        --out-dir runs/ssastcl_base

``--root`` holds ``LA/ASVspoof2019_LA_{train,dev}`` and
``LA/ASVspoof2019_LA_cm_protocols``; ``--la21-root`` holds the key
(``keys/LA/CM/trial_metadata.txt`` or ``LA-keys-full/keys/...``) and
``ASVspoof2021_LA_eval/flac``; ``--la21-audio-dir`` names the audio folder if it
is elsewhere.

A smoke test that runs in about a minute on a CPU, on the small spoofcorpus-dev
corpus (not ASVspoof data; its 2021-style key describes its 2019-layout eval
audio), with a tiny model and stratified subsets of the clips::

    python examples/recipe_asvspoof2021.py --quick

Its numbers are not results. ``--help`` lists every option.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO.parent / "shared" / "data" / "spoofcorpus-dev"

#: Settings of ``--quick`` (a tiny model on subsets); explicit options win.
QUICK = {
    "model_size": "tiny",
    "embed_dim": 64,
    "depth": 2,
    "num_heads": 2,
    "target_length": 128,
    "epochs": 2,
    "head_epochs": 10,
    "batch_size": 8,
    "lr": 3e-4,
    "max_train": 80,
    "max_dev": 40,
    "max_eval": 80,
}
#: Data settings of the full run; the model is the "paper" recipe
#: (:func:`sklearn_ssastcl.recipe.make_recipe`), options replacing its values.
FULL = {
    "max_train": None,
    "max_dev": None,
    "max_eval": None,
}


def build_parser() -> argparse.ArgumentParser:
    """The command line of this recipe."""
    parser = argparse.ArgumentParser(
        description="Train SSAST-CL on ASVspoof 2019 LA train, select on 2019 LA "
        "dev, score and evaluate ASVspoof 2021 LA (and DF) eval.",
        epilog="Example (GPU): --root /data/ASVspoof2019 --la21-root "
        "/data/ASVspoof2021_LA --device cuda --model-size base --pretrained "
        "SSAST-Base-Patch-400.pth --stride 10 10 --target-length 400. "
        "Smoke test (CPU, about a minute): --quick.",
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--root",
        type=Path,
        default=DEFAULT_ROOT,
        help="ASVspoof 2019 LA root (holding LA/ or the LA folder itself); "
        f"default {DEFAULT_ROOT}",
    )
    data.add_argument(
        "--la21-root",
        type=Path,
        help="ASVspoof 2021 LA eval root: key keys/LA/CM/trial_metadata.txt and "
        "audio ASVspoof2021_LA_eval/flac (default: --root)",
    )
    data.add_argument(
        "--la21-audio-dir",
        type=Path,
        help="folder of the 2021 LA eval audio, if not under --la21-root (--quick "
        "default: <root>/LA/ASVspoof2019_LA_eval/flac)",
    )
    data.add_argument(
        "--df21-root",
        type=Path,
        help="ASVspoof 2021 DF eval root (DF is skipped without it)",
    )
    data.add_argument("--df21-audio-dir", type=Path, help="folder of the DF audio")
    data.add_argument(
        "--asv-dir",
        type=Path,
        help="folder with the 2021 LA ASV key and scores (trial_metadata.txt, "
        "ASVTorch_Kaldi/score.txt); default: searched next to the CM key",
    )
    data.add_argument(
        "--phase",
        choices=["eval", "progress", "hidden", "all"],
        default="eval",
        help="2021 key phase to evaluate on (default eval, the official subset)",
    )
    data.add_argument(
        "--max-train", type=int, help="stratified random subset of the train part"
    )
    data.add_argument("--max-dev", type=int, help="stratified subset of the dev part")
    data.add_argument(
        "--max-eval",
        type=int,
        help="stratified subset of each 2021 trial list (the score files then "
        "miss trials, and the official scripts reject them)",
    )

    model = parser.add_argument_group("model and training")
    model.add_argument("--model-size", choices=["tiny", "small", "base"])
    model.add_argument(
        "--pretrained", help="SSAST checkpoint, e.g. SSAST-Base-Patch-400.pth"
    )
    model.add_argument("--embed-dim", type=int, help="encoder width (no checkpoint)")
    model.add_argument("--depth", type=int, help="encoder blocks (no checkpoint)")
    model.add_argument(
        "--num-heads",
        type=int,
        help="attention heads (needed for widths other than 192, 384 and 768)",
    )
    model.add_argument(
        "--stride",
        type=int,
        nargs=2,
        metavar=("FREQ", "TIME"),
        help="patch stride (default: the kernel, no overlap; SSAST fine-tunes "
        "with 10 10)",
    )
    model.add_argument("--target-length", type=int, help="frames per clip (10 ms)")
    model.add_argument(
        "--loss",
        choices=["contrastive", "supcon", "ntxent", "ce"],
        default="contrastive",
        help="SSAST-CL's stage I loss (margin, SupCon or NT-Xent), or the "
        "cross-entropy baseline",
    )
    model.add_argument("--alpha", type=float, default=1.0, help="CA loss weight")
    model.add_argument("--margin", type=float, default=1.0, help="contrastive margin")
    model.add_argument("--epochs", type=int, help="stage I (or CE) epochs")
    model.add_argument("--head-epochs", type=int, help="stage II epochs")
    model.add_argument("--batch-size", type=int, help="pairs (clips for CE) a batch")
    model.add_argument("--lr", type=float, help="encoder learning rate")
    model.add_argument(
        "--patience", type=int, help="early stopping on dev EER (default: none)"
    )
    model.add_argument(
        "--augment",
        choices=["fir+rawboost", "rawboost", "fir", "none"],
        default="fir+rawboost",
        help="waveform augmentation, drawn afresh each epoch (default fir+rawboost)",
    )
    model.add_argument(
        "--spec-augment", action="store_true", help="SpecAugment masks in training"
    )

    run = parser.add_argument_group("run")
    run.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    run.add_argument(
        "--out-dir",
        type=Path,
        default=Path("ssastcl_asvspoof2021"),
        help="where the model, score files and results.json go",
    )
    run.add_argument(
        "--checkpoint-dir", type=Path, help="save each epoch; rerun to resume"
    )
    run.add_argument(
        "--score-chunk", type=int, default=2000, help="clips scored at a time"
    )
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument(
        "--quick",
        action="store_true",
        help="tiny model and subsets of spoofcorpus-dev (defaults: "
        + ", ".join(f"{k}={v}" for k, v in QUICK.items())
        + "); about a minute on a CPU",
    )
    run.add_argument("--verbose", type=int, default=1, help="1: epoch tables")
    return parser


def resolve(args: argparse.Namespace) -> argparse.Namespace:
    """Fill unset options from the quick or the full preset."""
    preset = QUICK if args.quick else FULL
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.la21_root is None:
        args.la21_root = args.root
    if args.quick and args.la21_audio_dir is None:
        for base in (args.root / "LA", args.root):
            if (base / "ASVspoof2019_LA_eval" / "flac").is_dir():
                args.la21_audio_dir = base / "ASVspoof2019_LA_eval" / "flac"
                break
    return args


def subsample(frame: pd.DataFrame, n: int | None, seed: int) -> pd.DataFrame:
    """A stratified (by label when known), seeded subset of ``n`` rows."""
    if n is None or n >= len(frame):
        return frame.reset_index(drop=True)
    from sklearn.model_selection import train_test_split

    stratify = frame["label"] if "label" in frame else None
    part, _ = train_test_split(
        frame, train_size=n, stratify=stratify, random_state=seed
    )
    return part.sort_index().reset_index(drop=True)


def describe(name: str, frame: pd.DataFrame) -> str:
    if "label" not in frame:
        return f"{name}: {len(frame)} trials (no labels)"
    n_bona = int((frame["label"] == "bonafide").sum())
    return f"{name}: {len(frame)} clips, {n_bona} bona fide"


def build_classifier(args: argparse.Namespace):
    """The "paper" recipe, with the options given on the command line replacing it."""
    from sklearn_ssastcl.augment import SpecAugment
    from sklearn_ssastcl.recipe import PRESETS, make_recipe

    target_length = args.target_length or PRESETS["paper"]["frontend"]["target_length"]
    spec_augment = None
    if args.spec_augment:  # 24 bins, 48 frames for 400 frames (SSAST)
        spec_augment = SpecAugment(
            freq_mask=24, time_mask=max(1, 48 * target_length // 400)
        )
    overrides = {
        "model_size": args.model_size,
        "embed_dim": args.embed_dim,
        "depth": args.depth,
        "num_heads": args.num_heads,
        "stride": None if args.stride is None else tuple(args.stride),
        "pretrained": args.pretrained,
        "loss": args.loss,
        "alpha": args.alpha,
        "margin": args.margin,
        "max_epochs": args.epochs,
        "head_epochs": args.head_epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "patience": args.patience,
        "checkpoint_dir": args.checkpoint_dir,
    }
    return make_recipe(
        "paper",
        augment=args.augment,
        frontend={"target_length": target_length},
        spec_augment=spec_augment,
        device=args.device,
        random_state=args.seed,
        verbose=args.verbose,
        **{k: v for k, v in overrides.items() if v is not None},
    )


def score_in_chunks(clf, paths: list[str], chunk: int) -> np.ndarray:
    """Score clips a chunk at a time, so the audio of one chunk is in memory."""
    out = []
    start = time.perf_counter()
    for i in range(0, len(paths), chunk):
        out.append(clf.decision_function(paths[i : i + chunk]))
        done = min(i + chunk, len(paths))
        if len(paths) > chunk:
            rate = done / (time.perf_counter() - start)
            print(f"  scored {done}/{len(paths)} ({rate:.0f} clips/s)", flush=True)
    return np.concatenate(out)


def find_asv(args: argparse.Namespace) -> tuple[Path, Path] | None:
    """The 2021 LA ASV key and score file, or None."""
    root = args.la21_root
    candidates = (
        [args.asv_dir]
        if args.asv_dir is not None
        else [
            root / "keys" / "LA" / "ASV",
            root / "LA-keys-full" / "keys" / "LA" / "ASV",
            root / "LA" / "ASV",
            root / "ASV",
        ]
    )
    for folder in candidates:
        key = folder / "trial_metadata.txt"
        scores = folder / "ASVTorch_Kaldi" / "score.txt"
        if key.is_file() and scores.is_file():
            return key, scores
    return None


def tdcf_2021(frame: pd.DataFrame, asv: tuple[Path, Path], phase: str) -> float:
    """2021 LA min t-DCF of the CM scores in ``frame`` with the organisers' ASV."""
    from sklearn_ssastcl.metrics import min_tdcf

    key = pd.read_csv(asv[0], sep=r"\s+", header=None, dtype=str)
    scores = pd.read_csv(asv[1], sep=r"\s+", header=None)
    if len(key) != len(scores):
        raise ValueError(
            f"{asv[0]} has {len(key)} lines but {asv[1]} has {len(scores)}; they "
            "should be line-aligned (the 2021 LA keys package)."
        )
    keep = np.ones(len(key), dtype=bool) if phase == "all" else key[7] == phase
    is_bona = frame["label"].to_numpy() == "bonafide"
    s = frame["score"].to_numpy()
    return min_tdcf(
        s[is_bona],
        s[~is_bona],
        asv_scores=scores[2][keep].to_numpy(dtype=float),
        asv_labels=key[5][keep].to_numpy(),
        version="2021",
    )


def evaluate(name: str, frame: pd.DataFrame, args, asv=None) -> dict:
    """Print and return EER (overall, per attack, per codec) and min t-DCF."""
    from sklearn_ssastcl.metrics import eer_by_attack, eer_by_group, eer_score

    if "phase" in frame and args.phase != "all":
        frame = frame[frame["phase"] == args.phase]
    if frame.empty or frame["label"].nunique() < 2:
        print(f"{name}: no bona fide and spoof trials of phase {args.phase}.")
        return {}
    y, s = frame["label"].to_numpy(), frame["score"].to_numpy()
    result = {"n_trials": len(frame), "eer": eer_score(y, s)}
    print(
        f"\n{name} ({args.phase} phase, {len(frame)} trials): "
        f"EER {100 * result['eer']:.2f} %"
    )
    attacks = eer_by_attack(y, s, frame["attack"].to_numpy())
    print(
        attacks.assign(eer=100 * attacks["eer"])
        .rename(columns={"eer": "eer_%"})
        .to_string(float_format=lambda v: f"{v:.2f}")
    )
    result["eer_by_attack"] = attacks["eer"].to_dict()
    if "codec" in frame:
        try:
            codecs = eer_by_group(y, s, frame["codec"].to_numpy())
        except ValueError as exc:  # a codec without both classes in a subset
            print(f"per-codec EER skipped: {exc}")
        else:
            print(
                codecs.assign(eer=100 * codecs["eer"])
                .rename(columns={"eer": "eer_%"})
                .to_string(float_format=lambda v: f"{v:.2f}")
            )
            result["eer_by_codec"] = codecs["eer"].to_dict()
    if asv is not None:
        result["min_tdcf"] = tdcf_2021(frame, asv, args.phase)
        print(f"min t-DCF (2021): {result['min_tdcf']:.4f}")
    elif name == "LA":
        print(
            "min t-DCF: skipped (no ASV key and scores next to the CM key; "
            "see --asv-dir)"
        )
    return result


def main(argv: list[str] | None = None) -> int:
    args = resolve(build_parser().parse_args(argv))
    import torch

    import sklearn_ssastcl
    from sklearn_ssastcl.datasets import load_asvspoof, write_scores
    from sklearn_ssastcl.metrics import eer_score

    if not args.root.is_dir():
        print(f"error: --root {args.root} does not exist.", file=sys.stderr)
        return 2
    timings = {}
    start = time.perf_counter()
    train = subsample(load_asvspoof(args.root, part="train"), args.max_train, args.seed)
    dev = subsample(load_asvspoof(args.root, part="dev"), args.max_dev, args.seed)
    print(describe("2019 LA train", train))
    print(describe("2019 LA dev", dev))

    clf = build_classifier(args)
    clf.fit(
        train["path"].tolist(),
        train["label"].to_numpy(),
        X_val=dev["path"].tolist(),
        y_val=dev["label"].to_numpy(),
        attacks=train["attack"].to_numpy(),
    )
    timings["fit_s"] = time.perf_counter() - start
    args.out_dir.mkdir(parents=True, exist_ok=True)
    clf.save_weights(args.out_dir / "model")
    dev_scores = score_in_chunks(clf, dev["path"].tolist(), args.score_chunk)
    dev_eer = eer_score(dev["label"].to_numpy(), dev_scores)
    print(
        f"Trained in {timings['fit_s']:.1f} s on {clf.device_}; "
        f"2019 LA dev EER {100 * dev_eer:.2f} %"
    )
    results = {"dev_2019_eer": dev_eer}

    tracks = [("LA", args.la21_root, args.la21_audio_dir)]
    if args.df21_root is not None:
        tracks.append(("DF", args.df21_root, args.df21_audio_dir))
    else:
        print("2021 DF: skipped (no --df21-root).")
    for track, root, audio_dir in tracks:
        trials = load_asvspoof(
            root, part="eval", year=2021, track=track, audio_dir=audio_dir
        )
        trials = subsample(trials, args.max_eval, args.seed)
        print(describe(f"2021 {track} eval", trials))
        t0 = time.perf_counter()
        trials["score"] = score_in_chunks(
            clf, trials["path"].tolist(), args.score_chunk
        )
        timings[f"score_{track}_s"] = time.perf_counter() - t0
        out = write_scores(
            args.out_dir / f"scores_{track}.txt",
            trials["utterance_id"],
            trials["score"],
            format="2021",
        )
        print(f"Wrote {len(trials)} scores to {out}")
        if "label" in trials:
            asv = find_asv(args) if track == "LA" else None
            results[f"{track}_2021"] = evaluate(track, trials, args, asv)
        else:
            print(f"2021 {track}: no key found, so no evaluation (scores written).")

    record = {
        "settings": {
            k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
        },
        "command": " ".join(sys.argv),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "sklearn_ssastcl": sklearn_ssastcl.__version__,
        },
        "timings": timings,
        "results": results,
    }
    (args.out_dir / "results.json").write_text(json.dumps(record, indent=2))
    print(f"Results in {args.out_dir / 'results.json'}")
    if args.quick:
        print("(--quick: a tiny model on a few clips of spoofcorpus-dev; not a result)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
