"""``ssastcl demo``, ``train`` and ``score``: detectors trained and applied."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from sklearn_ssastcl._cli_common import (
    AUDIO_EXTENSIONS,
    CLIError,
    check_output_file,
)


def _check_audio_files(frame, protocol: Path, audio_dir: Path) -> None:
    """Raise a CLIError unless every utterance of ``frame`` has its audio file."""
    missing = [p for p in frame["path"] if not Path(p).is_file()]
    if missing:
        raise CLIError(
            f"{len(missing)} of {len(frame)} utterances of {protocol} have no audio "
            f"file in {audio_dir} (first: {missing[0]}). Check that --audio-dir is the "
            "folder holding this protocol's audio (e.g. ASVspoof2019_LA_train/flac)."
        )


def _labelled_set(protocol: Path, audio_dir: Path, max_clips: int | None, seed: int):
    """Read a protocol and check that every listed utterance has its audio file."""
    from sklearn_ssastcl.datasets import read_protocol

    frame = read_protocol(protocol, audio_dir=audio_dir)
    _check_audio_files(frame, protocol, audio_dir)
    if "label" not in frame or frame["label"].isna().any():
        raise CLIError(f"{protocol} has no bonafide/spoof labels; training needs them.")
    if max_clips is not None and len(frame) > max_clips:
        import pandas as pd

        share = max_clips / len(frame)  # stratified: the same share of each label
        frame = pd.concat(
            group.sample(n=max(1, round(share * len(group))), random_state=seed)
            for _, group in frame.groupby("label", sort=True)
        )
    return frame.reset_index(drop=True)


def _build_classifier(args: argparse.Namespace):
    """The "small" recipe (:func:`sklearn_ssastcl.recipe.make_recipe`), with a JSON
    config file's parameters and then the command-line options replacing its own."""
    from sklearn_ssastcl.recipe import make_recipe

    params, frontend_params = {}, {}
    if args.config is not None:
        config = json.loads(Path(args.config).read_text())
        frontend_params.update(config.pop("frontend", {}))
        params.update(config)
    overrides = {
        "model_size": args.model_size,
        "pretrained": args.pretrained,
        "loss": args.loss,
        "alpha": args.alpha,
        "max_epochs": args.epochs,
        "head_epochs": args.head_epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "device": args.device,
        "random_state": args.seed,
    }
    params.update({k: v for k, v in overrides.items() if v is not None})
    if args.no_cross_attention:
        params["cross_attention"] = False
    if args.calibrate:
        params["calibrate"] = True
    if args.target_length is not None:
        frontend_params["target_length"] = args.target_length
    params["verbose"] = 0 if args.quiet else 1
    return make_recipe(augment=args.augment, frontend=frontend_params, **params)


def cmd_demo(args: argparse.Namespace) -> int:
    """Train a small SSAST-CL pipeline on the shipped sample and print its EER."""
    import numpy as np
    from sklearn.pipeline import Pipeline

    from sklearn_ssastcl import LogMel, SSASTCLClassifier
    from sklearn_ssastcl.datasets import load_spoof_sample
    from sklearn_ssastcl.metrics import eer_by_attack, eer_score

    sample = load_spoof_sample()
    train = sample.subset == "train"
    waves = sample.waveforms
    X_train = [w for w, t in zip(waves, train) if t]
    X_eval = [w for w, t in zip(waves, train) if not t]
    y_train, y_eval = sample.labels[train], sample.labels[~train]
    print(
        f"Shipped sample: {len(X_train)} training clips, {len(X_eval)} evaluation "
        f"clips ({int(np.sum(y_eval == 'bonafide'))} bona fide) "
        f"at {sample.sample_rate} Hz."
    )
    pipe = Pipeline(
        [
            ("spec", LogMel(target_length=args.target_length, pad_mode="repeat")),
            (
                "clf",
                SSASTCLClassifier(
                    model_size="tiny",
                    depth=2,
                    max_epochs=args.epochs,
                    head_epochs=20,
                    batch_size=8,
                    lr=3e-4,
                    random_state=args.seed,
                    verbose=0 if args.quiet else 1,
                ),
            ),
        ]
    )
    start = time.perf_counter()
    pipe.fit(X_train, y_train)
    scores = pipe.decision_function(X_eval)
    eer = eer_score(y_eval, scores)
    print(f"Trained in {time.perf_counter() - start:.1f} s.")
    print(f"EER on the sample's evaluation clips: {100 * eer:.2f} %")
    table = eer_by_attack(y_eval, scores, sample.attacks[~train])
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    print(
        "(A tiny model on a few dozen clips: this shows the pipeline runs; it is not a "
        "result. See README for the benchmark on the full dev corpus.)"
    )
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train the recipe on a corpus in the ASVspoof layout and save the model."""
    import joblib

    check_output_file(args.out, create_folder=True)
    train = _labelled_set(args.protocol, args.audio_dir, args.max_clips, args.seed or 0)
    fit_params = {}
    if "attack" in train:
        fit_params["attacks"] = train["attack"].to_numpy()
    if args.speaker_pairs:
        if "speaker" not in train:
            raise CLIError(
                "--speaker-pairs needs a protocol with a speaker column (the "
                "ASVspoof CM protocol's first column)."
            )
        fit_params["groups"] = train["speaker"].to_numpy()
    if args.dev_protocol is not None:
        if args.dev_audio_dir is None:
            raise CLIError("--dev-protocol needs --dev-audio-dir too.")
        dev = _labelled_set(
            args.dev_protocol, args.dev_audio_dir, args.max_clips, args.seed or 0
        )
        fit_params["X_val"] = dev["path"].tolist()
        fit_params["y_val"] = dev["label"].to_numpy()
    clf = _build_classifier(args)
    print(
        f"Training on {len(train)} clips "
        f"({int((train['label'] == 'bonafide').sum())} bona fide) from {args.protocol}."
    )
    start = time.perf_counter()
    clf.fit(train["path"].tolist(), train["label"].to_numpy(), **fit_params)
    joblib.dump(clf, args.out)
    print(f"Trained in {time.perf_counter() - start:.1f} s; model saved to {args.out}.")
    return 0


def _score_inputs(args: argparse.Namespace):
    """Return ``(utterance_ids, paths, frame or None)`` for the score command."""
    from sklearn_ssastcl.datasets import read_protocol

    if args.protocol is not None:
        if args.audio_dir is None:
            raise CLIError(
                "--protocol needs --audio-dir (the folder of the audio files)."
            )
        frame = read_protocol(args.protocol, audio_dir=args.audio_dir)
        _check_audio_files(frame, args.protocol, args.audio_dir)
        return frame["utterance_id"].tolist(), frame["path"].tolist(), frame
    paths: list[Path] = []
    for item in args.inputs:
        item = Path(item)
        if item.is_dir():
            found = sorted(p for p in item.rglob("*") if p.suffix in AUDIO_EXTENSIONS)
            if not found:
                raise CLIError(
                    f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) in {item}"
                )
            paths.extend(found)
        elif item.suffix == ".txt" or item.suffix == ".lst":
            for line in item.read_text().split():
                if not Path(line).is_file():
                    raise CLIError(f"{item} lists {line}, which is not a file.")
                paths.append(Path(line))
        elif item.is_file():
            paths.append(item)
        else:
            raise CLIError(f"no such file or folder: {item}")
    if not paths:
        raise CLIError(
            "give --protocol and --audio-dir, or audio files / folders to score."
        )
    return [p.stem for p in paths], [str(p) for p in paths], None


def cmd_score(args: argparse.Namespace) -> int:
    """Score audio with a trained model and write a score file (higher = bona fide)."""
    import joblib

    from sklearn_ssastcl.datasets import write_scores

    try:
        model = joblib.load(args.model)
    except Exception as exc:  # any unpickling failure means: not a model file
        raise CLIError(
            f"{args.model} is not a model file written by 'ssastcl train' (it could "
            f"not be loaded: {type(exc).__name__}: {exc})."
        ) from exc
    if not hasattr(model, "decision_function"):
        raise CLIError(
            f"{args.model} holds a {type(model).__name__}, not a detector with "
            "decision_function; give a model file written by 'ssastcl train'."
        )
    if args.out is not None:
        check_output_file(args.out)
    ids, paths, frame = _score_inputs(args)
    if (
        args.format == "2019"
        and frame is not None
        and not {"attack", "label"} <= set(frame.columns)
    ):
        raise CLIError(
            f"--format 2019 writes 'UTT ATTACK KEY SCORE', but {args.protocol} has no "
            "attack and key columns (a trial list?); use --format 2021."
        )
    scores = model.decision_function(paths)
    extra = {}
    if args.format == "2019" and frame is not None:
        extra = {"attacks": frame["attack"].tolist(), "labels": frame["label"].tolist()}
    elif args.format == "2019":
        extra = {"attacks": ["-"] * len(ids), "labels": ["-"] * len(ids)}
    if args.out is None:
        for utt, score in zip(ids, scores):
            print(f"{utt} {float(score)!r}")
    else:
        write_scores(args.out, ids, scores, format=args.format, **extra)
        print(f"Wrote {len(ids)} scores to {args.out}.")
    return 0
