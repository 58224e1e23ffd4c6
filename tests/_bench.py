"""Importing the scripts of ``benchmarks/`` from the tests."""

from __future__ import annotations

import contextlib
import importlib
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@contextlib.contextmanager
def benchmark_module(name: str | None = None):
    """Put ``benchmarks/`` on ``sys.path`` for the block; yield module ``name``."""
    sys.path.insert(0, str(BENCH))
    try:
        yield None if name is None else importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH))
