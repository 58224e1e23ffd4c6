"""What every ``ssastcl`` command shares: the user-error type and path checks."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

#: Suffixes (lower case) of the files taken from folders: what libsndfile reads.
AUDIO_EXTENSIONS = (
    ".flac", ".wav", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".aifc",
    ".au", ".snd", ".caf", ".w64", ".rf64", ".nist", ".sph", ".voc", ".sd2",
    ".htk", ".ircam", ".sf", ".paf", ".pvf", ".wve", ".xi", ".mat", ".avr",
    ".svx", ".8svx", ".sds", ".mpc",
)  # fmt: skip


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


def check_output_file(path: Path, *, create_folder: bool = False) -> None:
    """Fail before any work when ``path`` cannot be written as a file."""
    if path.is_dir():
        raise CLIError(f"--out {path} is a folder; give a file name.")
    folder = path.parent
    if not folder.is_dir():
        if not create_folder:
            raise CLIError(f"--out {path}: folder {folder} does not exist.")
        folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK):
        raise CLIError(f"--out {path}: folder {folder} is not writable.")


def check_output_folder(path: Path) -> None:
    """Fail before any work when ``path`` cannot become a model folder."""
    if path.is_file():
        raise CLIError(
            f"--out {path} is a file; a model is saved as a folder (weights.pt and "
            "config.json). Give a new folder name, e.g. --out model."
        )
    if path.is_dir():
        others = sorted(
            p.name
            for p in path.iterdir()
            if p.name not in ("weights.pt", "config.json")
        )
        if others:
            raise CLIError(
                f"--out {path} is a folder that holds other files ({others[0]}, ...); "
                "give a new or empty folder, or a model folder to replace."
            )
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK):
        raise CLIError(f"--out {path}: folder {parent} is not writable.")
