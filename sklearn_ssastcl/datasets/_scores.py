"""Writing and reading ASVspoof CM score files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

_FORMATS = ("2019", "2021")
_LABELS = ("bonafide", "spoof")


def _as_str_list(values: npt.ArrayLike, name: str, n: int) -> list[str]:
    values = [str(v) for v in np.asarray(values, dtype=object).ravel()]
    if len(values) != n:
        raise ValueError(
            f"{name} has {len(values)} entries but there are {n} utterance IDs; "
            "pass one per utterance."
        )
    for i, value in enumerate(values):
        if not value or value != value.strip() or len(value.split()) != 1:
            raise ValueError(
                f"{name}[{i}] is {value!r}; entries must be non-empty and hold no "
                "white space, as score files are space separated."
            )
    return values


def write_scores(
    path: str | os.PathLike,
    utterance_ids: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    format: str = "2019",
    attacks: npt.ArrayLike | None = None,
    labels: npt.ArrayLike | None = None,
) -> Path:
    """Write a CM score file, one line per utterance.

    ``format="2019"`` writes ``UTT ATTACK KEY SCORE`` (the AASIST convention for
    2019 LA); ``format="2021"`` writes ``UTT SCORE``, the file the official 2021
    evaluation scripts read. Scores are written with ``repr(float(score))``, so
    they read back exactly. A higher score means more bona fide.

    Parameters
    ----------
    path : str or path-like
        The file to write (overwritten if it exists).
    utterance_ids : array-like of str of shape (n_samples,)
        The utterance (trial) IDs.
    scores : array-like of float of shape (n_samples,)
        The scores; must be finite.
    format : {"2019", "2021"}, default="2019"
        The file layout.
    attacks : array-like of str of shape (n_samples,), default=None
        Attack IDs (``"-"`` for bona fide); required for ``format="2019"``.
    labels : array-like of str of shape (n_samples,), default=None
        ``"bonafide"`` or ``"spoof"``; required for ``format="2019"``.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_ssastcl.datasets import read_scores, write_scores
    >>> path = os.path.join(tempfile.mkdtemp(), "scores.txt")
    >>> _ = write_scores(path, ["LA_E_1", "LA_E_2"], [1.5, -0.25], format="2021")
    >>> print(open(path).read())
    LA_E_1 1.5
    LA_E_2 -0.25
    <BLANKLINE>
    >>> read_scores(path)
      utterance_id  score
    0       LA_E_1   1.50
    1       LA_E_2  -0.25
    """
    if format not in _FORMATS:
        raise ValueError(f"format must be one of {_FORMATS}; got {format!r} instead.")
    ids = [str(u) for u in np.asarray(utterance_ids, dtype=object).ravel()]
    n = len(ids)
    if n == 0:
        raise ValueError("utterance_ids is empty; there is nothing to write.")
    ids = _as_str_list(ids, "utterance_ids", n)
    dup = pd.Series(ids).duplicated()
    if dup.any():
        raise ValueError(
            f"utterance_ids holds {ids[int(dup.to_numpy().argmax())]!r} more than "
            "once; a score file has one line per utterance."
        )
    try:
        values = np.asarray(scores, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"scores must be numbers; could not convert them ({exc})."
        ) from exc
    if len(values) != n:
        raise ValueError(
            f"Got {len(values)} scores for {n} utterance IDs; pass one score per "
            "utterance."
        )
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(bad.argmax())
        raise ValueError(
            f"{int(bad.sum())} score(s) NaN or infinite (first: scores[{i}] = "
            f"{values[i]} for {ids[i]!r}); the evaluation scripts cannot rank them. "
            "Check the model's output."
        )

    if format == "2019":
        if attacks is None or labels is None:
            raise ValueError(
                "format='2019' writes 'UTT ATTACK KEY SCORE' and needs both attacks= "
                "and labels=; pass them or use format='2021' ('UTT SCORE')."
            )
        attack_list = _as_str_list(attacks, "attacks", n)
        label_list = _as_str_list(labels, "labels", n)
        for i, label in enumerate(label_list):
            if label not in _LABELS:
                raise ValueError(
                    f"labels[{i}] is {label!r}; labels must be 'bonafide' or 'spoof'."
                )
        lines = [
            f"{u} {a} {k} {float(s)!r}\n"
            for u, a, k, s in zip(ids, attack_list, label_list, values)
        ]
    else:
        lines = [f"{u} {float(s)!r}\n" for u, s in zip(ids, values)]

    path = Path(path)
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(lines)
    return path


def read_scores(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CM score file written by :func:`write_scores` or a challenge tool.

    Parameters
    ----------
    path : str or path-like
        A file of ``UTT SCORE`` (2021) or ``UTT ATTACK KEY SCORE`` (2019) lines.

    Returns
    -------
    frame : pandas.DataFrame
        Columns ``utterance_id`` and ``score`` (float64), with ``attack`` and
        ``label`` between them for 4-column files, in file order.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is empty, has a line with another number of columns than
        the first (or neither 2 nor 4), or a score that is not a finite number.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Score file {str(path)!r} does not exist.")
    rows: list[list[str]] = []
    scores: list[float] = []
    width = None
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            if width is None:
                if len(fields) not in (2, 4):
                    raise ValueError(
                        f"Line {number} of {str(path)!r} has {len(fields)} columns: "
                        f"{line.rstrip()!r}. A score file has 2 (UTT SCORE) or 4 "
                        "(UTT ATTACK KEY SCORE) columns."
                    )
                width = len(fields)
            if len(fields) != width:
                raise ValueError(
                    f"Line {number} of {str(path)!r} has {len(fields)} columns, "
                    f"expected {width} like the first line: {line.rstrip()!r}."
                )
            try:
                score = float(fields[-1])
            except ValueError:
                score = float("nan")
            if not np.isfinite(score):
                raise ValueError(
                    f"Line {number} of {str(path)!r} has score {fields[-1]!r}, which "
                    f"is not a finite number: {line.rstrip()!r}."
                )
            rows.append(fields[:-1])
            scores.append(score)
    if not rows:
        raise ValueError(f"Score file {str(path)!r} is empty.")
    names = ["utterance_id"] if width == 2 else ["utterance_id", "attack", "label"]
    frame = pd.DataFrame(rows, columns=names)
    frame["score"] = np.asarray(scores, dtype=np.float64)
    return frame
