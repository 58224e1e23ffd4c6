"""What every ``ssastcl`` command shares: the user-error type and path checks."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

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
