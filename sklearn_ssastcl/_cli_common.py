"""What every ``ssastcl`` command shares: the user-error type and path checks."""

from __future__ import annotations

import argparse
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
