"""``ssastcl evaluate``, ``calibrate`` and ``fuse``: work on score files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sklearn_ssastcl._cli_common import CLIError, check_output_file


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


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit a score-to-LLR calibration on development scores and apply it to a
    score file: the output holds natural-log likelihood ratios."""
    from sklearn_ssastcl.datasets import read_scores

    check_output_file(args.out)
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

    check_output_file(args.out)
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
