"""The ``ssastcl`` command line (also ``python -m sklearn_ssastcl``).

The commands only parse arguments and call the library; all logic lives there.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sklearn_ssastcl._cli_common import CLIError, _existing_dir, _existing_file
from sklearn_ssastcl._cli_demo import cmd_demo
from sklearn_ssastcl._cli_models import cmd_train
from sklearn_ssastcl._cli_score import cmd_score, parse_aggregate
from sklearn_ssastcl._cli_scores import cmd_calibrate, cmd_evaluate, cmd_fuse
from sklearn_ssastcl.recipe import AUGMENTATIONS


def build_parser() -> argparse.ArgumentParser:
    """The ``ssastcl`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="ssastcl",
        description="SSAST-CL spoofed-speech detection: train, score and evaluate "
        "countermeasures on corpora in the ASVspoof layout.",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of a user error instead of one line",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help=cmd_demo.__doc__, description=cmd_demo.__doc__)
    demo.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="stage I epochs (default: the recipe's, 6)",
    )
    demo.add_argument(
        "--det-png",
        default="ssastcl-demo-det.png",
        help="where to write the DET plot (default ssastcl-demo-det.png; '' for none)",
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
        "--out",
        type=Path,
        required=True,
        help="model folder to write (weights.pt and config.json; no pickle)",
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
        "--model",
        type=Path,
        required=True,
        help="model folder written by train (pickle and joblib files are refused)",
    )
    score.add_argument("--protocol", type=_existing_file, help="protocol or trial list")
    score.add_argument("--audio-dir", type=_existing_dir, help="folder of its audio")
    score.add_argument(
        "inputs",
        nargs="*",
        help="audio files (any format libsndfile reads, any rate and channel "
        "count), folders searched recursively, or .txt/.lst lists of paths "
        "(instead of --protocol)",
    )
    score.add_argument(
        "--out", type=Path, help="score file of the scored files (default: print)"
    )
    score.add_argument(
        "--format",
        choices=["2019", "2021"],
        default="2021",
        help="2019: 'UTT ATTACK KEY SCORE'; 2021: 'UTT SCORE' (default)",
    )
    score.add_argument(
        "--window",
        type=float,
        metavar="SECONDS",
        help="window length (default: the span the model looks at, 3.015 s in the "
        "recipe; longer is refused)",
    )
    score.add_argument(
        "--hop",
        type=float,
        metavar="SECONDS",
        help="seconds between window starts, at most --window (default: half a window)",
    )
    score.add_argument(
        "--aggregate",
        type=parse_aggregate,
        default="mean",
        metavar="{mean,median,min,max,qNN}",
        help="window scores to file score: mean (default), median, min, max, or "
        "qNN, the NN-th percentile (q10: judged by its most spoof-like tenth)",
    )
    score.add_argument(
        "--min-duration",
        type=float,
        metavar="SECONDS",
        help="shorter files are reported as too short (default: a tenth of the "
        "model's span)",
    )
    score.add_argument(
        "--csv", type=Path, help="also write one row per file (score, status, error)"
    )
    score.add_argument(
        "--windows-csv", type=Path, help="also write one row per window (its score)"
    )
    score.add_argument(
        "--json",
        metavar="PATH",
        help="also write files, statuses and window scores as JSON; '-' prints "
        "only the JSON",
    )
    score.add_argument(
        "--timeline", type=Path, metavar="PNG", help="draw score over time to PNG"
    )
    score.add_argument(
        "--explain",
        type=Path,
        metavar="DIR",
        help="write a saliency map (gradient x input over the spectrogram of the "
        "first window, positive = evidence for spoof) of each scored file to "
        "DIR/<file>.png",
    )
    score.add_argument(
        "--no-progress", action="store_true", help="no progress bar on a terminal"
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


def _user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean bad input (a file, a path, an option), not a bug."""
    errors = [
        CLIError,
        OSError,  # missing, unreadable or unwritable files and folders
        ValueError,  # also: a model file that is a pickle, or was modified
    ]
    try:
        import soundfile

        errors.append(soundfile.LibsndfileError)
    except (ImportError, AttributeError):  # pragma: no cover
        pass
    return tuple(errors)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    A user error (bad file, path or option) prints one line and returns 2; pass
    ``--debug`` to see its traceback. Anything else is a bug and raises.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    from sklearn_ssastcl.datasets._audio import MultiChannelAudioError

    try:
        return args.func(args)
    except MultiChannelAudioError as exc:
        if args.debug:
            raise
        print(
            f"ssastcl {args.command}: error: {exc.path} has {exc.n_channels} "
            "channels; ssastcl reads mono audio. Mix it down first, e.g. "
            "`sox in.wav out.wav remix -`.",
            file=sys.stderr,
        )
        return 2
    except _user_errors() as exc:
        if args.debug:
            raise
        ours = isinstance(exc, (CLIError, ValueError))  # messages written to be read
        name = "" if ours else f"{type(exc).__name__}: "
        print(f"ssastcl {args.command}: error: {name}{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
