"""The ``ssastcl`` command line (also ``python -m sklearn_ssastcl``).

The commands only parse arguments and call the library; all logic lives there.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sklearn_ssastcl.recipe import AUGMENTATIONS

AUDIO_EXTENSIONS = (".flac", ".wav", ".ogg", ".mp3")


class CLIError(Exception):
    """A user error: printed without a traceback, exit status 2."""


def _existing_file(value: str) -> Path:
    path = Path(value)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {value}")
    return path


def _existing_dir(value: str) -> Path:
    path = Path(value)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {value}")
    return path


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
    args.out.parent.mkdir(parents=True, exist_ok=True)
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

    model = joblib.load(args.model)
    ids, paths, frame = _score_inputs(args)
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


def _read_asv_scores(path: Path):
    """Read an ASVspoof 2019 ASV score file: ``SOURCE KEY SCORE`` per line."""
    import pandas as pd

    table = pd.read_csv(path, sep=r"\s+", header=None, dtype=str)
    if table.shape[1] != 3:
        raise CLIError(
            f"{path} has {table.shape[1]} columns; an ASV score file has 3 "
            "(SOURCE KEY SCORE, e.g. ASVspoof2019.LA.asv.eval.gi.trl.scores.txt)."
        )
    table.columns = ["source", "key", "score"]
    bad = sorted(set(table["key"]) - {"target", "nontarget", "spoof"})
    if bad:
        raise CLIError(
            f"{path}: unknown ASV keys {bad}; expected target/nontarget/spoof."
        )
    table["score"] = table["score"].astype(float)
    return table


def _joined(key, tables: dict, *, missing: str):
    """``join_scores`` with its warnings printed as CLI warnings."""
    import warnings

    from sklearn_ssastcl.datasets import join_scores

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = join_scores(key, tables, missing=missing)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    return out


def _labelled_scores(path: Path, protocol: Path | None):
    """Scores of ``path`` with their labels, from ``protocol`` or the file itself."""
    from sklearn_ssastcl.datasets import read_protocol, read_scores

    scores = read_scores(path)
    if protocol is not None:
        return _joined(read_protocol(protocol), {"score": scores}, missing="error")
    if "label" not in scores.columns:
        raise CLIError(
            f"{path} has no labels (2 columns, 'UTT SCORE'); give its protocol "
            "or key file too, or use a 4-column 'UTT ATTACK KEY SCORE' file."
        )
    if scores["utterance_id"].duplicated().any():
        dup = scores.loc[scores["utterance_id"].duplicated(), "utterance_id"].iloc[0]
        raise CLIError(f"{path} lists utterance {dup!r} more than once.")
    return scores


def _fit_calibrator(path: Path, protocol: Path | None, prior: float):
    from sklearn_ssastcl.calibration import ScoreCalibrator

    dev = _labelled_scores(path, protocol)
    cal = ScoreCalibrator(prior=prior).fit(dev["score"].to_numpy(), dev["label"])
    print(
        f"Calibration fitted on {len(dev)} trials of {path}: "
        f"llr = {cal.coef_[0]:.6g} * score + {cal.intercept_:.6g}",
        file=sys.stderr,
    )
    return cal


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Print EER (with a bootstrap interval), minDCF, actDCF and Cllr: overall, per
    attack, per codec and transmission when the key has them, and attack x codec."""
    from sklearn_ssastcl.datasets import read_protocol, read_scores
    from sklearn_ssastcl.metrics import min_tdcf
    from sklearn_ssastcl.reports import evaluate_scores

    llr = args.llr or args.calibrate_on is not None
    if args.bayes_png is not None and not llr:
        raise CLIError(
            "--bayes-png plots how well LLRs are calibrated: pass --llr if the "
            "scores are natural-log LLRs, or --calibrate-on DEV_SCORES."
        )
    if args.calibration_protocol is not None and args.calibrate_on is None:
        raise CLIError("--calibration-protocol goes with --calibrate-on DEV_SCORES.")
    key = read_protocol(args.protocol)
    table = _joined(key, {"score": read_scores(args.scores)}, missing="drop")
    y, s = table["label"].to_numpy(), table["score"].to_numpy()
    if args.calibrate_on is not None:
        cal = _fit_calibrator(args.calibrate_on, args.calibration_protocol, 0.5)
        s = cal.decision_function(s)
    conditions = {
        c: table[c].to_numpy()
        for c in ("codec", "transmission")
        if c in table.columns and table[c].nunique() > 1
    }
    if args.by_speaker and "speaker" not in table.columns:
        raise CLIError(
            f"--by-speaker needs a speaker column; {args.protocol} has none."
        )
    report = evaluate_scores(
        y,
        s,
        attacks=table["attack"].to_numpy() if "attack" in table.columns else None,
        conditions=conditions or None,
        groups=table["speaker"].to_numpy() if args.by_speaker else None,
        llr=llr,
        n_bootstrap=args.bootstrap,
        random_state=args.seed,
    )
    record = report.to_dict()
    if args.asv_scores is not None:
        asv = _read_asv_scores(args.asv_scores)
        tdcf = min_tdcf(
            s[y == "bonafide"],
            s[y != "bonafide"],
            asv_scores=asv["score"].to_numpy(),
            asv_labels=asv["key"].to_numpy(),
            version=args.tdcf_version,
        )
        record["min_tdcf"] = {"version": args.tdcf_version, "value": tdcf}
    if args.json == "-":
        print(json.dumps(record, indent=1))
    else:
        print(f"{len(table)} trials of {args.scores}")
        print(report.to_text())
        if "min_tdcf" in record:
            print(f"min t-DCF ({args.tdcf_version}): {record['min_tdcf']['value']:.4f}")
        if args.json is not None:
            Path(args.json).write_text(json.dumps(record, indent=1))
            print(f"JSON report written to {args.json}.")
    if args.det_png is not None or args.bayes_png is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from sklearn_ssastcl.plotting import plot_bayes_error, plot_det_curve

        for png, plot in (
            (args.det_png, plot_det_curve),
            (args.bayes_png, plot_bayes_error),
        ):
            if png is None:
                continue
            fig, ax = plt.subplots(figsize=(5, 5))
            plot(y, s, ax=ax, label=Path(args.scores).name)
            fig.savefig(png, dpi=120, bbox_inches="tight")
            plt.close(fig)
            print(f"Plot written to {png}.", file=sys.stderr)
    return 0


def _write_like(path: Path, source, scores) -> None:
    """Write ``scores`` in the layout of the score table ``source``."""
    from sklearn_ssastcl.datasets import write_scores

    if "label" in source.columns:
        write_scores(
            path,
            source["utterance_id"],
            scores,
            format="2019",
            attacks=source["attack"],
            labels=source["label"],
        )
    else:
        write_scores(path, source["utterance_id"], scores, format="2021")


def _check_out(path: Path) -> None:
    if path.is_dir():
        raise CLIError(f"--out {path} is a folder; give a file name.")
    if not path.parent.is_dir():
        raise CLIError(f"--out {path}: folder {path.parent} does not exist.")


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit a score-to-LLR calibration on development scores and apply it to a
    score file: the output holds natural-log likelihood ratios."""
    from sklearn_ssastcl.datasets import read_scores

    _check_out(args.out)
    target = read_scores(args.scores)
    cal = _fit_calibrator(args.dev_scores, args.dev_protocol, args.prior)
    _write_like(args.out, target, cal.decision_function(target["score"].to_numpy()))
    print(f"Wrote {len(target)} calibrated LLRs to {args.out}.")
    if args.save_params is not None:
        params = {
            "coef": float(cal.coef_[0]),
            "intercept": float(cal.intercept_),
            "prior": args.prior,
            "dev_scores": str(args.dev_scores),
        }
        Path(args.save_params).write_text(json.dumps(params, indent=1))
    return 0


def cmd_fuse(args: argparse.Namespace) -> int:
    """Fuse several systems' scores into one LLR per trial: weights fitted on
    their development scores (prior-weighted logistic regression), applied to
    their evaluation scores. Files are matched by utterance ID, in any order."""
    import pandas as pd

    from sklearn_ssastcl.datasets import read_protocol, read_scores
    from sklearn_ssastcl.fusion import ScoreFusion

    _check_out(args.out)
    if len(args.dev_scores) != len(args.scores):
        raise CLIError(
            f"Got {len(args.dev_scores)} --dev-scores files but {len(args.scores)} "
            "--scores files; give one of each per system, in the same order."
        )
    if len(args.scores) < 2:
        raise CLIError(
            "Fusion needs at least two systems; to calibrate one, use "
            "'ssastcl calibrate'."
        )
    names = args.names or [f"system{i + 1}" for i in range(len(args.scores))]
    if len(names) != len(args.scores):
        raise CLIError(
            f"--names has {len(names)} names for {len(args.scores)} systems."
        )
    dev_tables = {n: read_scores(p) for n, p in zip(names, args.dev_scores)}
    eval_tables = {n: read_scores(p) for n, p in zip(names, args.scores)}
    if args.dev_protocol is not None:
        dev_key = read_protocol(args.dev_protocol)
    else:
        first = dev_tables[names[0]]
        if "label" not in first.columns:
            raise CLIError(
                "The development scores have no labels; give --dev-protocol, or "
                "4-column 'UTT ATTACK KEY SCORE' files."
            )
        dev_key = first[["utterance_id", "label"]]
    dev = _joined(dev_key, dev_tables, missing="error")
    first = eval_tables[names[0]]
    evaluation = _joined(first.drop(columns="score"), eval_tables, missing="error")
    fusion = ScoreFusion(prior=args.prior, C=args.C).fit(
        dev[names], dev["label"].to_numpy()
    )
    fused = fusion.decision_function(evaluation[names])
    _write_like(args.out, evaluation, fused)
    weights = pd.Series(fusion.coef_, index=names)
    print(
        f"Fusion fitted on {len(dev)} development trials: llr = "
        + " + ".join(f"{w:.4g} * {n}" for n, w in weights.items())
        + f" + {fusion.intercept_:.4g}"
    )
    print(f"Wrote {len(fused)} fused LLRs to {args.out}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``ssastcl`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="ssastcl",
        description="SSAST-CL spoofed-speech detection: train, score and evaluate "
        "countermeasures on corpora in the ASVspoof layout.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help=cmd_demo.__doc__, description=cmd_demo.__doc__)
    demo.add_argument(
        "--epochs", type=int, default=3, help="stage I epochs (default 3)"
    )
    demo.add_argument(
        "--target-length", type=int, default=200, help="frames per clip (default 200)"
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--quiet", action="store_true", help="no epoch table")
    demo.set_defaults(func=cmd_demo)

    train = sub.add_parser(
        "train", help=cmd_train.__doc__, description=cmd_train.__doc__
    )
    train.add_argument(
        "--protocol", type=_existing_file, required=True, help="training protocol file"
    )
    train.add_argument(
        "--audio-dir", type=_existing_dir, required=True, help="folder of its audio"
    )
    train.add_argument(
        "--dev-protocol",
        type=_existing_file,
        help="development protocol, for early stopping and the decision threshold "
        "(default: a stratified 10 %% split of the training set)",
    )
    train.add_argument(
        "--dev-audio-dir", type=_existing_dir, help="folder of its audio"
    )
    train.add_argument(
        "--out", type=Path, required=True, help="where to save the model (joblib)"
    )
    train.add_argument(
        "--config",
        type=_existing_file,
        help="JSON file of SSASTCLClassifier parameters (and a 'frontend' dict of "
        "LogMel parameters) that replace the recipe's; options below override it",
    )
    train.add_argument(
        "--model-size", choices=["tiny", "small", "base"], help="encoder size"
    )
    train.add_argument("--pretrained", help="SSAST checkpoint (released format)")
    train.add_argument(
        "--loss", choices=["contrastive", "ce"], help="SSAST-CL or the CE baseline"
    )
    train.add_argument("--alpha", type=float, help="weight of the cross-attention loss")
    train.add_argument(
        "--no-cross-attention", action="store_true", help="the SA-only ablation"
    )
    train.add_argument("--epochs", type=int, help="stage I epochs")
    train.add_argument("--head-epochs", type=int, help="stage II (MLP head) epochs")
    train.add_argument("--batch-size", type=int, help="pairs per stage I batch")
    train.add_argument("--lr", type=float, help="stage I learning rate")
    train.add_argument("--target-length", type=int, help="frames per clip")
    train.add_argument(
        "--augment",
        choices=list(AUGMENTATIONS),
        default="fir+rawboost",
        help="waveform augmentation, a fresh draw each epoch, plus SpecAugment "
        "unless 'none'; 'codec' passes half the clips through GSM, Opus or G.711 "
        "(default fir+rawboost)",
    )
    train.add_argument(
        "--max-clips", type=int, help="use a stratified random subset of this size"
    )
    train.add_argument(
        "--speaker-pairs",
        action="store_true",
        help="stage I: bona fide-spoof pairs within a speaker, same-class pairs "
        "across speakers",
    )
    train.add_argument(
        "--calibrate",
        action="store_true",
        help="calibrate on the dev set (or the validation split): the model then "
        "scores natural-log likelihood ratios (evaluate them with --llr)",
    )
    train.add_argument("--device", help="cpu, cuda, cuda:N or auto (default cpu)")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--quiet", action="store_true", help="no epoch table")
    train.set_defaults(func=cmd_train)

    score = sub.add_parser(
        "score", help=cmd_score.__doc__, description=cmd_score.__doc__
    )
    score.add_argument(
        "--model", type=_existing_file, required=True, help="model saved by train"
    )
    score.add_argument("--protocol", type=_existing_file, help="protocol or trial list")
    score.add_argument("--audio-dir", type=_existing_dir, help="folder of its audio")
    score.add_argument(
        "inputs",
        nargs="*",
        help="audio files, folders of audio, or .txt/.lst lists of paths "
        "(instead of --protocol)",
    )
    score.add_argument("--out", type=Path, help="score file (default: print)")
    score.add_argument(
        "--format",
        choices=["2019", "2021"],
        default="2021",
        help="2019: 'UTT ATTACK KEY SCORE'; 2021: 'UTT SCORE' (default)",
    )
    score.set_defaults(func=cmd_score)

    evaluate = sub.add_parser(
        "evaluate", help=cmd_evaluate.__doc__, description=cmd_evaluate.__doc__
    )
    evaluate.add_argument(
        "--scores", type=_existing_file, required=True, help="score file (2019 or 2021)"
    )
    evaluate.add_argument(
        "--protocol",
        type=_existing_file,
        required=True,
        help="protocol or key file (a 2021 key adds codec and transmission tables)",
    )
    evaluate.add_argument(
        "--llr",
        action="store_true",
        help="the scores are natural-log LLRs: also report actDCF and Cllr",
    )
    evaluate.add_argument(
        "--calibrate-on",
        type=_existing_file,
        metavar="DEV_SCORES",
        help="fit a calibration on these development scores (4-column file, or "
        "give --calibration-protocol) and evaluate the calibrated LLRs",
    )
    evaluate.add_argument(
        "--calibration-protocol",
        type=_existing_file,
        help="protocol or key of the --calibrate-on scores",
    )
    evaluate.add_argument(
        "--by-speaker",
        action="store_true",
        help="bootstrap the EER interval by speaker instead of by trial",
    )
    evaluate.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        help="bootstrap draws for the 95%% EER interval (default 1000)",
    )
    evaluate.add_argument(
        "--seed", type=int, default=0, help="bootstrap seed (default 0)"
    )
    evaluate.add_argument(
        "--json",
        metavar="PATH",
        help="also write the report as JSON to PATH; '-' prints only the JSON",
    )
    evaluate.add_argument(
        "--asv-scores", type=_existing_file, help="ASV score file, for min t-DCF"
    )
    evaluate.add_argument(
        "--tdcf-version",
        choices=["2019", "2021"],
        default="2021",
        help="t-DCF definition (default 2021)",
    )
    evaluate.add_argument("--det-png", type=Path, help="draw the DET curve to this PNG")
    evaluate.add_argument(
        "--bayes-png",
        type=Path,
        help="draw the Bayes error plot (actual and minimum DCF against the prior "
        "log-odds) to this PNG; needs LLRs",
    )
    evaluate.set_defaults(func=cmd_evaluate)

    calibrate = sub.add_parser(
        "calibrate", help=cmd_calibrate.__doc__, description=cmd_calibrate.__doc__
    )
    calibrate.add_argument(
        "--dev-scores",
        type=_existing_file,
        required=True,
        help="development scores to fit the calibration on",
    )
    calibrate.add_argument(
        "--dev-protocol",
        type=_existing_file,
        help="their protocol or key (not needed for 4-column score files)",
    )
    calibrate.add_argument(
        "--scores", type=_existing_file, required=True, help="score file to calibrate"
    )
    calibrate.add_argument(
        "--out", type=Path, required=True, help="where to write the LLRs"
    )
    calibrate.add_argument(
        "--prior",
        type=float,
        default=0.5,
        help="bona fide prior of the logistic regression (default 0.5)",
    )
    calibrate.add_argument(
        "--save-params", type=Path, help="also write the map's coefficients as JSON"
    )
    calibrate.set_defaults(func=cmd_calibrate)

    fuse = sub.add_parser("fuse", help=cmd_fuse.__doc__, description=cmd_fuse.__doc__)
    fuse.add_argument(
        "--dev-scores",
        type=_existing_file,
        nargs="+",
        required=True,
        help="development score files, one per system",
    )
    fuse.add_argument(
        "--dev-protocol",
        type=_existing_file,
        help="their protocol or key (not needed for 4-column score files)",
    )
    fuse.add_argument(
        "--scores",
        type=_existing_file,
        nargs="+",
        required=True,
        help="score files to fuse, one per system, in the --dev-scores order",
    )
    fuse.add_argument("--names", nargs="+", help="system names, for the printout")
    fuse.add_argument(
        "--out", type=Path, required=True, help="where to write the fused LLRs"
    )
    fuse.add_argument(
        "--prior",
        type=float,
        default=0.5,
        help="bona fide prior of the logistic regression (default 0.5)",
    )
    fuse.add_argument(
        "--C",
        type=float,
        default=1e4,
        help="inverse L2 strength on the standardised scores (default 1e4)",
    )
    fuse.set_defaults(func=cmd_fuse)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (CLIError, FileNotFoundError, ValueError) as exc:
        print(f"ssastcl {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
