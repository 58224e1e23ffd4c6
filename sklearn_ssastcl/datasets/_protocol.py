"""Readers for ASVspoof 2019/2021 CM protocols, keys and trial lists."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pandas as pd

# Column names per file kind; ``None`` marks a column that is read and dropped
# (the unused third column of 2019 LA, the four placeholders of the DF key).
_COLUMNS: dict[str, list[str | None]] = {
    "2019": ["speaker", "utterance_id", None, "attack", "label"],
    "2021-LA": [
        "speaker",
        "utterance_id",
        "codec",
        "transmission",
        "attack",
        "label",
        "trim",
        "phase",
    ],
    "2021-DF": [
        "speaker",
        "utterance_id",
        "codec",
        "source",
        "attack",
        "label",
        "trim",
        "phase",
        "vocoder",
        None,
        None,
        None,
        None,
    ],
    "trials": ["utterance_id"],
}
_KIND_BY_WIDTH = {len(cols): kind for kind, cols in _COLUMNS.items()}
_KINDS = ("auto", *_COLUMNS)
_LABELS = ("bonafide", "spoof")


def _describe_widths() -> str:
    return ", ".join(f"{n} ({kind})" for n, kind in _KIND_BY_WIDTH.items())


def read_protocol(
    path: str | os.PathLike,
    *,
    kind: str = "auto",
    audio_dir: str | os.PathLike | None = None,
    ext: str = "flac",
) -> pd.DataFrame:
    """Read an ASVspoof CM protocol, key or trial list into a DataFrame.

    Supported files (space separated, one trial per line):

    - ``"2019"``: 2019 LA CM protocol, ``SPEAKER UTT - ATTACK KEY``;
    - ``"2021-LA"``: 2021 LA key, ``SPEAKER TRIAL CODEC TRANSMISSION ATTACK KEY
      TRIM PHASE``;
    - ``"2021-DF"``: 2021 DF key, ``SPEAKER TRIAL CODEC SOURCE ATTACK KEY TRIM
      PHASE VOCODER - - - -``;
    - ``"trials"``: a trial list, one utterance ID per line.

    Parameters
    ----------
    path : str or path-like
        The protocol file.
    kind : {"auto", "2019", "2021-LA", "2021-DF", "trials"}, default="auto"
        The file's format; ``"auto"`` picks it from the number of columns of
        the first line (5, 8, 13 or 1).
    audio_dir : str or path-like, default=None
        If given, a ``path`` column ``audio_dir / f"{utterance_id}.{ext}"`` is
        added (the files are not checked here).
    ext : str, default="flac"
        The audio file extension used for ``path``.

    Returns
    -------
    frame : pandas.DataFrame
        One row per trial, in file order, with the columns ``speaker``,
        ``utterance_id``, ``attack``, ``label`` and, where the file has them,
        ``codec``, ``transmission``, ``source``, ``trim``, ``phase``, ``vocoder``
        (a trial list gives ``utterance_id`` only), then ``path``. ``label`` is
        ``"bonafide"`` or ``"spoof"``; ``attack`` is ``"-"`` for every bona fide
        trial, as in the 2019 files (the 2021 LA key writes ``bonafide`` there).
        Placeholder columns (2019 column 3, DF columns 10-13) are dropped.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is empty, a line has the wrong number of columns, a key is
        not ``bonafide``/``spoof``, or an utterance ID appears twice.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_ssastcl.datasets import read_protocol
    >>> path = os.path.join(tempfile.mkdtemp(), "cm.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("LA_0079 LA_T_1138215 - - bonafide\\n"
    ...                 "LA_0079 LA_T_1271820 - A01 spoof\\n")
    >>> read_protocol(path)
       speaker  utterance_id attack     label
    0  LA_0079  LA_T_1138215      -  bonafide
    1  LA_0079  LA_T_1271820    A01     spoof
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}; got {kind!r} instead.")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Protocol file {str(path)!r} does not exist.")

    rows: list[list[str]] = []
    line_numbers: list[int] = []
    width = None if kind == "auto" else len(_COLUMNS[kind])
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            if width is None:
                if len(fields) not in _KIND_BY_WIDTH:
                    hint = (
                        " It looks like a score file; read it with read_scores."
                        if len(fields) in (2, 4)
                        else ""
                    )
                    raise ValueError(
                        f"Cannot tell the protocol kind of {str(path)!r}: its first "
                        f"line ({number}: {line.rstrip()!r}) has {len(fields)} "
                        f"columns; expected one of {_describe_widths()}.{hint}"
                    )
                kind = _KIND_BY_WIDTH[len(fields)]
                width = len(fields)
            if len(fields) != width:
                raise ValueError(
                    f"Line {number} of {str(path)!r} has {len(fields)} columns, "
                    f"expected {width} for a {kind!r} file: {line.rstrip()!r}."
                )
            rows.append(fields)
            line_numbers.append(number)
    if not rows:
        raise ValueError(f"Protocol file {str(path)!r} is empty.")

    names = _COLUMNS[kind]
    keep = [i for i, name in enumerate(names) if name is not None]
    columns = list(zip(*rows))
    frame = pd.DataFrame({names[i]: columns[i] for i in keep})

    if "label" in frame:
        bad = ~frame["label"].isin(_LABELS)
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise ValueError(
                f"Line {line_numbers[i]} of {str(path)!r} has key "
                f"{frame['label'].iloc[i]!r}; the key column must be 'bonafide' or "
                f"'spoof'. Is kind={kind!r} right for this file?"
            )
        frame.loc[frame["label"] == "bonafide", "attack"] = "-"

    dup = frame["utterance_id"].duplicated(keep=False)
    if dup.any():
        first = frame["utterance_id"][dup].iloc[0]
        where = [line_numbers[i] for i in dup.to_numpy().nonzero()[0]][:5]
        raise ValueError(
            f"Utterance ID {first!r} appears more than once in {str(path)!r} "
            f"(lines {where}); {int(dup.sum())} lines share an ID with another."
        )

    if audio_dir is not None:
        frame["path"] = _audio_paths(frame["utterance_id"].tolist(), audio_dir, ext)
    return frame


def _audio_paths(ids: list[str], audio_dir: str | os.PathLike, ext: str) -> list[str]:
    suffix = "." + ext.lstrip(".")
    prefix = str(Path(audio_dir) / "_")[:-1]  # the folder with its separator
    return [f"{prefix}{utt}{suffix}" for utt in ids]


def _first_existing(candidates: list[Path], what: str, hint: str) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    tried = "\n  ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"Could not find the {what}. Tried:\n  {tried}\n{hint}")


def _layout_2019(root: Path, track: str, part: str) -> tuple[list[Path], list[Path]]:
    suffix = {"train": "train.trn", "dev": "dev.trl", "eval": "eval.trl"}[part]
    name = f"ASVspoof2019.{track}.cm.{suffix}.txt"
    proto_dir = f"ASVspoof2019_{track}_cm_protocols"
    audio = f"ASVspoof2019_{track}_{part}"
    bases = [root / track, root]  # root holds LA/, or root is LA/ itself
    protocols = [b / proto_dir / name for b in bases] + [root / name]
    audio_dirs = [b / audio / "flac" for b in bases] + [b / audio for b in bases]
    return protocols, audio_dirs


def _layout_2021(root: Path, track: str) -> tuple[list[Path], list[Path]]:
    key = Path("CM") / "trial_metadata.txt"
    protocols = [
        root / "keys" / track / key,
        root / f"{track}-keys-full" / "keys" / track / key,
        root / track / key,
        root / key,
        root / "trial_metadata.txt",
    ]
    audio = f"ASVspoof2021_{track}_eval"
    trial_list = f"ASVspoof2021.{track}.cm.eval.trl.txt"
    bases = [root, root / track]
    protocols += [b / audio / trial_list for b in bases] + [root / trial_list]
    audio_dirs = [b / audio / "flac" for b in bases] + [b / audio for b in bases]
    return protocols, audio_dirs


def load_asvspoof(
    root: str | os.PathLike,
    *,
    part: str = "train",
    track: str = "LA",
    year: int = 2019,
    audio_dir: str | os.PathLike | None = None,
    ext: str = "flac",
    check_files: bool = True,
) -> pd.DataFrame:
    """Load the protocol of one part of an ASVspoof database, with audio paths.

    Looks for the standard layouts: for 2019 LA,
    ``root/LA/ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.{train.trn,dev.trl,
    eval.trl}.txt`` with audio in ``root/LA/ASVspoof2019_LA_{part}/flac/``; for
    2021 LA/DF, the key ``root/keys/{LA,DF}/CM/trial_metadata.txt`` with audio in
    ``root/ASVspoof2021_{LA,DF}_eval/flac/``. ``root`` may also be the ``LA``
    folder itself (2019) or the ``keys/{LA,DF}`` folder (2021). For 2021, when no
    key is found the trial list ``ASVspoof2021_{track}_eval/ASVspoof2021.{track}.
    cm.eval.trl.txt`` is read instead, which has no labels (a ``UserWarning``
    says so).

    Parameters
    ----------
    root : str or path-like
        The database folder.
    part : {"train", "dev", "eval"}, default="train"
        The part to load; 2021 has only ``"eval"``.
    track : {"LA", "DF"}, default="LA"
        ``"DF"`` exists for ``year=2021`` only.
    year : {2019, 2021}, default=2019
        The challenge edition.
    audio_dir : str or path-like, default=None
        Folder of the audio files, overriding the search (e.g. a 2021-style key
        describing audio stored in a 2019-style folder).
    ext : str, default="flac"
        The audio file extension.
    check_files : bool, default=True
        Check that every audio file exists and raise if any is missing.

    Returns
    -------
    frame : pandas.DataFrame
        The protocol as returned by :func:`read_protocol`, with a ``path``
        column.

    Raises
    ------
    FileNotFoundError
        If no protocol or audio folder is found (the message lists the paths
        tried), or, with ``check_files=True``, if audio files are missing.
    ValueError
        For an unknown ``part``, ``track`` or ``year``, or a malformed protocol.
    """
    if year not in (2019, 2021):
        raise ValueError(f"year must be 2019 or 2021; got {year!r} instead.")
    tracks = ("LA",) if year == 2019 else ("LA", "DF")
    if track not in tracks:
        raise ValueError(
            f"track must be one of {tracks} for year={year}; got {track!r} instead."
        )
    parts = ("train", "dev", "eval") if year == 2019 else ("eval",)
    if part not in parts:
        extra = (
            " ASVspoof 2021 has no train or dev part; train on 2019 LA (year=2019)."
            if year == 2021
            else ""
        )
        raise ValueError(
            f"part must be one of {parts} for year={year}; got {part!r} instead.{extra}"
        )
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"ASVspoof root folder {str(root)!r} does not exist.")

    if year == 2019:
        protocols, audio_dirs = _layout_2019(root, track, part)
    else:
        protocols, audio_dirs = _layout_2021(root, track)
    protocol = _first_existing(
        protocols,
        f"ASVspoof {year} {track} {part} protocol under {str(root)!r}",
        "Point `root` at the folder that holds the database.",
    )
    if audio_dir is None:
        if check_files:
            audio_dir = _first_existing(
                audio_dirs,
                f"ASVspoof {year} {track} {part} audio folder under {str(root)!r}",
                "Pass audio_dir= to name it, or check_files=False to skip the check.",
            )
        else:
            audio_dir = next((d for d in audio_dirs if d.is_dir()), audio_dirs[0])

    if year == 2019:
        kind = "2019"
    else:
        kind = f"2021-{track}" if protocol.name == "trial_metadata.txt" else "trials"
    frame = read_protocol(protocol, kind=kind, audio_dir=audio_dir, ext=ext)
    if "label" not in frame:
        warnings.warn(
            f"No key found for ASVspoof {year} {track}; read the trial list "
            f"{str(protocol)!r}, which has no labels.",
            UserWarning,
            stacklevel=2,
        )
    if check_files:
        missing = [p for p in frame["path"] if not os.path.isfile(p)]
        if missing:
            shown = "\n  ".join(missing[:5])
            raise FileNotFoundError(
                f"{len(missing)} of {len(frame)} audio files listed in "
                f"{str(protocol)!r} are missing from {str(audio_dir)!r}, e.g.:\n"
                f"  {shown}\nPass audio_dir= to point at the audio, or "
                "check_files=False to skip this check."
            )
    return frame
