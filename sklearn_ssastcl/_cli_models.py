"""``ssastcl train``: the recipe trained on a corpus and saved as a model folder."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from sklearn_ssastcl._cli_common import CLIError, check_output_folder


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


def cmd_train(args: argparse.Namespace) -> int:
    """Train the recipe on a corpus in the ASVspoof layout and save the model folder."""
    from sklearn_ssastcl.model_files import save_model

    check_output_folder(args.out)
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
    save_model(clf, args.out)
    print(
        f"Trained in {time.perf_counter() - start:.1f} s; model saved to the folder "
        f"{args.out} (weights.pt and config.json; score with "
        f"`ssastcl score --model {args.out} ...`)."
    )
    return 0
