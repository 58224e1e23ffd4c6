"""``ssastcl score``: whole recordings scored in sliding windows from a model folder.

Each file's result is written (and flushed) as soon as it is scored, so a run that
stops keeps everything scored before. A file that cannot be scored gets a message
on standard error and a row in ``--csv`` / ``--json``, and the run goes on.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections import Counter
from pathlib import Path

from sklearn_ssastcl._cli_common import AUDIO_EXTENSIONS, CLIError, check_output_file


def parse_aggregate(value: str):
    """``mean``, ``median``, ``min``, ``max``, ``qNN`` (a percentile) or a float."""
    if value in ("mean", "median", "min", "max"):
        return value
    try:
        q = float(value[1:]) / 100 if value.startswith("q") else float(value)
    except ValueError:
        q = math.nan
    if not 0 <= q <= 1:
        raise argparse.ArgumentTypeError(
            f"{value!r}: give mean, median, min, max, qNN (the NN-th percentile, "
            "e.g. q10) or a quantile in [0, 1]"
        )
    return q


def _score_inputs(args: argparse.Namespace):
    """``(utterance_ids, paths, frame or None, notes)`` for the score command.

    ``notes`` names inputs that hold nothing to score (a folder without audio).
    Missing files are kept: scoring reports them, file by file.
    """
    from sklearn_ssastcl.datasets import read_protocol

    if args.protocol is not None:
        if args.audio_dir is None:
            raise CLIError(
                "--protocol needs --audio-dir (the folder of the audio files)."
            )
        if args.inputs:
            raise CLIError("give either --protocol or audio files / folders, not both.")
        frame = read_protocol(args.protocol, audio_dir=args.audio_dir)
        return frame["utterance_id"].tolist(), frame["path"].tolist(), frame, []
    paths: list[Path] = []
    notes = []
    for item in map(Path, args.inputs):
        if item.is_dir():
            found = sorted(
                p for p in item.rglob("*")
                if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file()
            )  # fmt: skip
            if not found:
                notes.append(
                    f"{item} holds no audio files ({', '.join(AUDIO_EXTENSIONS[:4])}, "
                    "...); check the folder."
                )
            paths.extend(found)
        elif item.suffix.lower() in (".txt", ".lst") and item.is_file():
            paths.extend(Path(line) for line in item.read_text().split())
        else:
            paths.append(item)  # a file, or a missing one (reported when scored)
    if not paths and not notes:
        raise CLIError(
            "give --protocol and --audio-dir, or audio files / folders to score."
        )
    return [p.stem for p in paths], [str(p) for p in paths], None, notes


def _number(value: float):
    """A float for JSON: None for NaN."""
    return None if value is None or math.isnan(value) else float(value)


def _open_csv(path, columns):
    if path is None:
        return None, None
    handle = open(path, "w", newline="")
    writer = csv.writer(handle)
    writer.writerow(columns)
    handle.flush()
    return handle, writer


def _check_outputs(args: argparse.Namespace) -> None:
    for option in ("out", "csv", "windows_csv", "timeline"):
        path = getattr(args, option)
        if path is not None:
            check_output_file(path)
    if args.json not in (None, "-"):
        check_output_file(Path(args.json))


def cmd_score(args: argparse.Namespace) -> int:
    """Score whole recordings in sliding windows with a model folder written by
    'train' (higher = bona fide); one aggregate score per file."""
    from tqdm.auto import tqdm

    from sklearn_ssastcl.model_files import load_model
    from sklearn_ssastcl.scoring import (
        FILE_COLUMNS,
        WINDOW_COLUMNS,
        iter_scores,
        window_sizes,
    )

    model = load_model(args.model)
    rate, size, hop, _ = window_sizes(model, args.window, args.hop, args.min_duration)
    _check_outputs(args)
    ids, paths, frame, notes = _score_inputs(args)
    if (
        args.format == "2019"
        and frame is not None
        and not {"attack", "label"} <= set(frame.columns)
    ):
        raise CLIError(
            f"--format 2019 writes 'UTT ATTACK KEY SCORE', but {args.protocol} has no "
            "attack and key columns (a trial list?); use --format 2021."
        )
    for note in notes:
        print(f"ssastcl score: {note}", file=sys.stderr)
    to_stdout = args.out is None and args.json != "-"
    out = open(args.out, "w") if args.out is not None else None
    files_csv, files_writer = _open_csv(args.csv, FILE_COLUMNS)
    windows_csv, windows_writer = _open_csv(args.windows_csv, WINDOW_COLUMNS)
    keep_windows = args.timeline is not None or args.json is not None
    report, window_rows, failed, scored = [], [], Counter(), []
    results = iter_scores(
        model, paths, window=size / rate, hop=hop / rate, aggregate=args.aggregate,
        min_duration=args.min_duration, progress=False if args.no_progress else None,
    )  # fmt: skip
    try:
        for k, (utt, result) in enumerate(zip(ids, results)):
            row = {**result.row(), "utterance_id": utt}
            rows = [{**w, "utterance_id": utt} for w in result.window_rows()]
            if result.status != "ok":
                failed[result.status] += 1
                tqdm.write(f"ssastcl score: {result.error}", file=sys.stderr)
            else:
                scored.append(paths[k])
                line = f"{utt} {float(result.score)!r}"
                if args.format == "2019":
                    attack, key = (
                        (frame["attack"].iloc[k], frame["label"].iloc[k])
                        if frame is not None
                        else ("-", "-")
                    )
                    line = f"{utt} {attack} {key} {float(result.score)!r}"
                if out is not None:
                    out.write(line + "\n")
                    out.flush()
                elif to_stdout:
                    print(line, flush=True)
            if files_writer is not None:
                files_writer.writerow([row[c] for c in FILE_COLUMNS])
                files_csv.flush()
            if windows_writer is not None:
                windows_writer.writerows([w[c] for c in WINDOW_COLUMNS] for w in rows)
                windows_csv.flush()
            if keep_windows:
                window_rows.extend(rows)
            if args.json is not None:
                report.append(
                    {**row, "score": _number(row["score"]),
                     "duration": _number(row["duration"]),
                     "windows": [{**w, "score": _number(w["score"])} for w in rows]}
                )  # fmt: skip
    finally:
        for handle in (out, files_csv, windows_csv):
            if handle is not None:
                handle.close()
    n_bad = sum(failed.values()) + len(notes)
    if args.json is not None:
        text = json.dumps(
            {"model": str(args.model), "window": size / rate, "hop": hop / rate,
             "aggregate": args.aggregate, "n_files": len(paths),
             "n_failed": sum(failed.values()), "files": report},
            indent=2,
        )  # fmt: skip
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    if args.timeline is not None:
        _draw_timeline(window_rows, model, args.timeline)
    if args.explain is not None and scored:
        from sklearn_ssastcl.saliency import write_saliency_pngs

        pngs = write_saliency_pngs(model, scored, args.explain)
        print(
            f"Saliency maps (gradient x input, first window of each file) of "
            f"{len(pngs)} files in {args.explain}.",
            file=sys.stderr,
        )
    n_ok = len(paths) - sum(failed.values())
    written = f"; scores in {args.out}" if args.out is not None else ""
    summary = f"Scored {n_ok} of {len(paths)} files{written}"
    if n_bad:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(failed.items()))
        kinds = kinds or "none"
        summary += (
            f"; {sum(failed.values())} could not be scored ({kinds})"
            + (f", {len(notes)} input(s) held no audio" if notes else "")
            + ": see the messages above"
        )
    print(summary + ".", file=sys.stderr)
    return 1 if n_bad else 0


def _draw_timeline(window_rows: list, model, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from sklearn_ssastcl.plotting import plot_score_timeline
    from sklearn_ssastcl.scoring import WINDOW_COLUMNS

    fig, ax = plt.subplots(figsize=(8, 3.5))
    plot_score_timeline(
        pd.DataFrame(window_rows, columns=WINDOW_COLUMNS),
        threshold=getattr(model, "threshold_", None),
        ax=ax,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
