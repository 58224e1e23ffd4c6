"""Shared fixtures for the datasets tests: where the real dev corpus lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def corpus_path() -> Path:
    """``$SPOOFCORPUS_DEV``, else ``<repo root>/../shared/data/spoofcorpus-dev``."""
    env = os.environ.get("SPOOFCORPUS_DEV")
    if env:
        return Path(env)
    return (REPO_ROOT / ".." / "shared" / "data" / "spoofcorpus-dev").resolve()


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_path()
    if not (path / "LA").is_dir():
        pytest.skip(
            f"spoofcorpus-dev not found at {path}; set SPOOFCORPUS_DEV to its folder "
            "to run the real-corpus tests."
        )
    return path
