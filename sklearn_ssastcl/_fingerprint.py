"""Fingerprints that tie a ``checkpoint_dir`` to the fit that wrote it.

A fit with a ``checkpoint_dir`` writes ``fingerprint.json`` there: a sha256 over the
training and validation data (feature arrays, or audio paths with their sizes and
modification times when streaming), the labels, the per-clip attacks and groups, and
the estimator's parameters (all but ``max_epochs``, so that raising it trains a
finished fit for longer). A later fit resumes from the folder only when its own
fingerprint is the same; otherwise it stops before any training, so a stale
checkpoint is never silently reused.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

#: Left out of the fingerprint: parameters that do not change what is learned, and
#: ``max_epochs``, so that raising it resumes a finished fit to train for longer.
_IGNORED = (
    "checkpoint_dir",
    "verbose",
    "num_workers",
    "device",
    "feature_cache",
    "max_epochs",
)
_FILE = "fingerprint.json"


def _update_with_data(h, X) -> None:
    if X is None:
        h.update(b"none")
    elif isinstance(X, np.ndarray):
        h.update(repr((X.shape, str(X.dtype))).encode())
        h.update(np.ascontiguousarray(X).tobytes())
    elif hasattr(X, "items"):  # a ClipStream: paths (or arrays) read on demand
        for item in X.items:
            if isinstance(item, (str, os.PathLike)):
                stat = Path(item).stat()
                h.update(
                    f"{os.fspath(item)}|{stat.st_size}|{stat.st_mtime_ns}".encode()
                )
            else:
                h.update(np.ascontiguousarray(np.asarray(item)).tobytes())
    else:  # pragma: no cover - every input kind is one of the above
        h.update(repr(X).encode())


def fit_fingerprint(est, X3, y, Xv, y_val, attacks, groups) -> str:
    """sha256 hex digest of a fit's data and parameters."""
    h = hashlib.sha256()
    for part in (X3, Xv):
        _update_with_data(h, part)
    for labels in (y, y_val, attacks, groups):
        h.update(b"|")
        if labels is not None:
            h.update(json.dumps([str(v) for v in np.asarray(labels).ravel()]).encode())
    params = {
        k: repr(v)
        for k, v in sorted(est.get_params(deep=False).items())
        if k not in _IGNORED
    }
    h.update(json.dumps(params, sort_keys=True).encode())
    return h.hexdigest()


def claim_checkpoint_dir(checkpoint_dir, fingerprint: str) -> None:
    """Tie ``checkpoint_dir`` to this fit, or refuse a folder of another fit.

    Raises
    ------
    ValueError
        When the folder holds checkpoints of a different fit (another
        fingerprint, or checkpoints written without one).
    """
    folder = Path(checkpoint_dir)
    marker = folder / _FILE
    if marker.is_file():
        try:
            stored = json.loads(marker.read_text()).get("fingerprint")
        except (json.JSONDecodeError, AttributeError):
            stored = None
        if stored == fingerprint:
            return
        raise ValueError(
            f"checkpoint_dir {folder} holds the checkpoints of a different fit "
            "(other data or parameters), so resuming from it would return that "
            "model. Use a new folder, or delete this one to start fresh."
        )
    if folder.is_dir() and any(folder.iterdir()):
        raise ValueError(
            f"checkpoint_dir {folder} is not empty and holds no {_FILE}, so it cannot "
            "be tied to this fit. Use a new or empty folder, or delete its contents "
            "to start fresh."
        )
    folder.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"fingerprint": fingerprint}, indent=1))
