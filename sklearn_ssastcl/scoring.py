"""Score whole recordings of any length, rate and channel count, window by window.

A detector judges a fixed span of audio: its ``LogMel`` front end keeps the first
``target_length`` frames of whatever it gets (3.015 s in the ``"small"`` recipe).
:func:`score_files` instead slides a window of that span along each file (a hop of
half a window by default), scores every window with ``decision_function`` and
aggregates the window scores per file. Files are read in blocks, so memory does not
grow with their length. A file that cannot be scored (missing, empty, unreadable,
too short, silent, NaN samples) gets a row saying why, and the others go on.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path

import numpy as np

from sklearn_ssastcl._audio_stream import SILENT_PTP, AudioProblem, WindowReader

__all__ = ["FileScore", "iter_scores", "score_files"]

_AGGREGATES = ("mean", "median", "min", "max")
FILE_COLUMNS = ["utterance_id", "path", "score", "status", "error", "duration",
                "n_windows"]  # fmt: skip
WINDOW_COLUMNS = ["utterance_id", "path", "window", "start", "end", "score", "silent"]


@dataclass
class FileScore:
    """The scores of one file: its aggregate, its windows, or why it has none.

    ``status`` is ``"ok"`` or one of ``"missing"``, ``"empty"``, ``"unreadable"``,
    ``"non_finite"``, ``"too_short"``, ``"silent"``; ``error`` then says what to
    do, and ``score`` is NaN. ``starts``/``ends`` are in seconds; silent windows
    are not scored (NaN) and do not enter the aggregate.
    """

    path: str
    score: float = math.nan
    status: str = "ok"
    error: str = ""
    duration: float = math.nan
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ends: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    silent: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def utterance_id(self) -> str:
        """The file name without its extension."""
        return Path(self.path).stem

    @property
    def n_windows(self) -> int:
        """How many windows were cut from the file."""
        return int(self.starts.shape[0])

    def row(self) -> dict:
        """The file's row of :func:`score_files`."""
        return {name: getattr(self, name) for name in FILE_COLUMNS}

    def window_rows(self) -> list[dict]:
        """The rows of its windows (``return_windows=True``)."""
        return [
            {"utterance_id": self.utterance_id, "path": self.path, "window": i,
             "start": float(s), "end": float(e), "score": float(v),
             "silent": bool(q)}
            for i, (s, e, v, q) in enumerate(
                zip(self.starts, self.ends, self.scores, self.silent)
            )
        ]  # fmt: skip


def waveform_frontend(model):
    """The ``LogMel`` that turns waveforms into the model's input, or raise."""
    from sklearn_ssastcl._logmel import LogMel

    frontend = getattr(model, "frontend", None)
    steps = getattr(model, "steps", None)
    if frontend is None and steps:
        frontend = steps[0][1]
    if not isinstance(frontend, LogMel):
        raise ValueError(
            f"{type(model).__name__} does not take waveforms through a LogMel front "
            "end, so it cannot score audio files; fit it with frontend=LogMel(...) "
            "(as `ssastcl train` does) or in a Pipeline that starts with LogMel."
        )
    return frontend


def window_sizes(model, window=None, hop=None, min_duration=None):
    """``(rate, window, hop, minimum)`` in samples at the model's rate, checked."""
    from sklearn_ssastcl._clips import min_samples
    from sklearn_ssastcl._logmel_batch import _frame_sizes

    frontend = waveform_frontend(model)
    rate = int(frontend.sample_rate)
    frame, step = _frame_sizes(rate)
    span = frame + (frontend.target_length - 1) * step
    for name, value in (
        ("window", window),
        ("hop", hop),
        ("min_duration", min_duration),
    ):
        if value is not None and (
            not isinstance(value, Real) or isinstance(value, bool) or not value > 0
            or not math.isfinite(value)
        ):  # fmt: skip
            raise ValueError(
                f"{name} must be a positive number of seconds; got {value!r}."
            )
    size = span if window is None else int(round(window * rate))
    if size > span:
        raise ValueError(
            f"window={window} s is longer than the {span / rate:.3f} s the model "
            f"looks at (target_length={frontend.target_length} frames): it would "
            f"judge only the start of each window. Use window <= {span / rate:.3f}."
        )
    if size < frame:
        raise ValueError(
            f"window={window} s is shorter than one {frame / rate:.3f} s analysis "
            "frame; use a longer window."
        )
    step_size = max(1, size // 2) if hop is None else int(round(hop * rate))
    if not 1 <= step_size <= size:
        raise ValueError(
            f"hop={hop} s must be at most the window ({size / rate:.3f} s), so "
            "that every part of a recording is in some window."
        )
    minimum = min(size, min_samples(frame, step, frontend.target_length))
    if min_duration is not None:
        minimum = max(frame, int(round(min_duration * rate)))
    return rate, size, step_size, minimum


def _aggregate(scores: np.ndarray, how) -> float:
    if isinstance(how, str):
        return float(getattr(np, how)(scores))
    return float(np.quantile(scores, how))


def _check_aggregate(how):
    ok = how in _AGGREGATES if isinstance(how, str) else (
        isinstance(how, Real) and not isinstance(how, bool) and 0 <= how <= 1
    )  # fmt: skip
    if not ok:
        raise ValueError(
            f"aggregate must be one of {list(_AGGREGATES)} or a quantile in [0, 1]; "
            f"got {how!r}."
        )


def _score_one(model, path, sizes, aggregate, batch_size, tick) -> FileScore:
    """Score the windows of one file; an :class:`AudioProblem` becomes its row."""
    rate, size, hop, minimum = sizes
    reader = WindowReader(path, rate, size, hop, minimum)
    result = FileScore(path=os.fspath(path))
    starts, ends, scores, silent = [], [], [], []
    batch, where = [], []

    def flush():
        if batch:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="LogMel got")
                values = np.asarray(model.decision_function(batch), dtype=float)
            for i, value in zip(where, values):
                scores[i] = value
            tick(ends[-1])
            batch.clear()
            where.clear()

    try:
        for start, samples in reader:
            starts.append(start / rate)
            ends.append((start + samples.shape[0]) / rate)
            quiet = bool(np.ptp(samples) <= SILENT_PTP)
            silent.append(quiet)
            scores.append(math.nan)
            if not quiet:
                batch.append(samples)
                where.append(len(scores) - 1)
            if len(batch) >= batch_size:
                flush()
        flush()
    except AudioProblem as problem:
        result.status, result.error = problem.status, str(problem)
        return result
    result.duration = reader.n_samples / rate
    result.starts, result.ends = np.array(starts), np.array(ends)
    result.scores, result.silent = np.array(scores), np.array(silent, dtype=bool)
    if result.silent.all():
        result.status = "silent"
        result.error = (
            f"{result.path} is silent (every sample is the same value): there is "
            "nothing to judge. Check the recording, or the channel it was taken from."
        )
    else:
        result.score = _aggregate(result.scores[~result.silent], aggregate)
    return result


def iter_scores(
    model,
    paths: Iterable[str | os.PathLike],
    *,
    window: float | None = None,
    hop: float | None = None,
    aggregate: str | float = "mean",
    min_duration: float | None = None,
    batch_size: int = 32,
    progress: bool | None = False,
) -> Iterator[FileScore]:
    """Score files one by one, as :func:`score_files`, yielding a :class:`FileScore`
    as soon as each is done (so a caller can write it out at once).

    Parameters are those of :func:`score_files`; ``progress=None`` shows the bar
    only on a terminal.
    """
    if isinstance(model, (str, os.PathLike)):
        from sklearn_ssastcl.model_files import load_model

        model = load_model(model)
    _check_aggregate(aggregate)
    sizes = window_sizes(model, window, hop, min_duration)
    paths = [os.fspath(p) for p in paths]
    bar = None
    if progress is None or progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=round(sum(_duration(p) for p in paths), 1), unit="s",
            desc="scoring", disable=None if progress is None else False,
        )  # fmt: skip
    try:
        for path in paths:
            last = [0.0]

            def tick(seconds, last=last):
                if bar is not None:
                    bar.update(round(seconds - last[0], 3))
                    last[0] = seconds

            result = _score_one(model, path, sizes, aggregate, batch_size, tick)
            if bar is not None:
                bar.update(round(max(0.0, _duration(path) - last[0]), 3))
            yield result
    finally:
        if bar is not None:
            bar.close()


def _duration(path: str) -> float:
    """The length of a file in seconds from its header (0 when unreadable)."""
    import soundfile as sf

    try:
        return float(sf.info(path).duration)
    except Exception:  # noqa: BLE001 -- reported when the file is scored
        return 0.0


def score_files(
    model,
    paths: Sequence[str | os.PathLike],
    *,
    window: float | None = None,
    hop: float | None = None,
    aggregate: str | float = "mean",
    min_duration: float | None = None,
    batch_size: int = 32,
    return_windows: bool = False,
    progress: bool | None = False,
):
    """Score whole audio files in sliding windows; one row per file.

    Each file is read in blocks (flat memory at any length), mixed down to mono
    (mean of the channels), resampled to the model's rate, and cut into windows of
    ``window`` seconds every ``hop`` seconds; a last window ends at the end of the
    file, and a file shorter than a window is one shorter window. Every window is
    scored with ``model.decision_function`` (higher = bona fide); windows of digital
    silence are not scored. The window scores make the file's score.

    Parameters
    ----------
    model : estimator or str or path-like
        A fitted detector with a ``LogMel`` front end (e.g. from
        :func:`~sklearn_ssastcl.load_model`, or a Pipeline starting with LogMel), or
        the model folder to load.
    paths : sequence of str or path-like
        Audio files, in any format libsndfile reads.
    window : float, default=None
        Window length in seconds; None is the span the model looks at
        (``target_length`` frames: 3.015 s in the ``"small"`` recipe). Longer
        windows are refused: the model would only see their start.
    hop : float, default=None
        Seconds between window starts, at most ``window``; None is half a window.
    aggregate : {"mean", "median", "min", "max"} or float, default="mean"
        How window scores make the file's score; a float in [0, 1] is that
        quantile (e.g. 0.1: a file is as bona fide as its most spoof-like tenth).
    min_duration : float, default=None
        Files shorter than this (seconds) are reported ``"too_short"``; None is a
        tenth of the model's span (0.3 s in the ``"small"`` recipe).
    batch_size : int, default=32
        Windows scored together.
    return_windows : bool, default=False
        Also return the per-window scores.
    progress : bool or None, default=False
        Show a tqdm progress bar (seconds of audio); None shows it only on a
        terminal.

    Returns
    -------
    files : pandas.DataFrame
        One row per path, in order: ``utterance_id``, ``path``, ``score``,
        ``status`` (``"ok"`` or why the file has no score), ``error`` (the message:
        what is wrong and what to do), ``duration`` (s) and ``n_windows``.
    windows : pandas.DataFrame
        Only with ``return_windows``: ``utterance_id``, ``path``, ``window``,
        ``start``, ``end`` (s), ``score`` and ``silent``.

    Examples
    --------
    >>> from sklearn_ssastcl import score_files
    >>> files = score_files("model", ["call.wav"], aggregate=0.1)  # doctest: +SKIP
    """
    import pandas as pd

    rows, window_rows = [], []
    for result in iter_scores(
        model, paths, window=window, hop=hop, aggregate=aggregate,
        min_duration=min_duration, batch_size=batch_size, progress=progress,
    ):  # fmt: skip
        rows.append(result.row())
        if return_windows:
            window_rows.extend(result.window_rows())
    files = pd.DataFrame(rows, columns=FILE_COLUMNS)
    if not return_windows:
        return files
    return files, pd.DataFrame(window_rows, columns=WINDOW_COLUMNS)
