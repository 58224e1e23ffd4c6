"""Model files that are safe to receive: a folder of tensors and JSON, never a pickle.

A fitted detector (:class:`~sklearn_ssastcl.SSASTCLClassifier` or
:class:`~sklearn_ssastcl.SSASTCEClassifier`) is saved as a folder of two files:

``weights.pt``
    The encoder and head state dicts, tensors only, read back with
    ``torch.load(weights_only=True)`` (which refuses anything but tensors and plain
    containers).
``config.json``
    ``format`` (``"sklearn_ssastcl.SSASTCLClassifier/1"``), ``estimator`` (the class
    name), ``package_version``, ``arch`` (encoder size), ``params`` (the JSON-able
    estimator parameters; never paths), ``frontend`` (the ``LogMel`` parameters,
    normalisation included), ``classes``, ``threshold``, ``calibration``
    (``coef``, ``intercept`` or null), ``target_length``, ``n_mels``,
    ``n_features_in`` and ``sha256``: a hash over ``weights.pt`` and the rest of
    ``config.json``, checked on load.

:func:`save_model` (or the estimator's ``save_weights``, or ``ssastcl train --out``)
writes it; :func:`load_model` (and ``ssastcl score``) read only it. A pickle or joblib
file is refused before a byte of it is unpickled. Pickling an estimator still works
from Python (the scikit-learn convention), but load a pickle only if you made it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["ESTIMATORS", "load_model", "save_model"]

#: Class names :func:`load_model` rebuilds (looked up in ``sklearn_ssastcl``).
ESTIMATORS = ("SSASTCLClassifier", "SSASTCEClassifier")

# First bytes of pickles (protocol 2+), of joblib's compressors and of zip files.
_PICKLE_MAGIC = {
    b"\x80": "a pickle",
    b"\x78\x01": "a zlib-compressed joblib file",
    b"\x78\x5e": "a zlib-compressed joblib file",
    b"\x78\x9c": "a zlib-compressed joblib file",
    b"\x78\xda": "a zlib-compressed joblib file",
    b"\x1f\x8b": "a gzip-compressed joblib file",
    b"BZh": "a bz2-compressed joblib file",
    b"\xfd7zXZ\x00": "an xz-compressed joblib file",
    b"\x5d\x00\x00": "an lzma-compressed joblib file",
    b"\x04\x22\x4d\x18": "an lz4-compressed joblib file",
    b"ZF": "an old joblib file",
    b"PK\x03\x04": "a zip archive (a torch.save file holds a pickle)",
}
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".pck", ".sav", ".pt", ".pth")


def convert_hint(path) -> str:
    """How to turn a trusted pickle or joblib file into a model folder."""
    path = Path(path)
    target = path.with_suffix("") if path.suffix else path.with_name(path.name + "_")
    if target == path:
        target = path.with_name(path.name + "_model")
    return (
        "If you made the file yourself and trust it, convert it once: python -c "
        f"\"import joblib; joblib.load('{path}').save_weights('{target}')\" and "
        f"give {target} instead."
    )


def _pickle_kind(path: Path) -> str | None:
    """What a file's first bytes say it is, when it is a pickle in disguise."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    for magic, kind in _PICKLE_MAGIC.items():
        if head.startswith(magic):
            return kind
    if path.suffix.lower() in _PICKLE_SUFFIXES:
        return f"a {path.suffix} file"
    return None


def check_model_folder(path) -> Path:
    """Return ``path`` as a model folder, or raise naming what is wrong with it.

    Nothing is unpickled: a file (pickle, joblib, zip or anything else) is refused
    by its first bytes and name alone.

    Parameters
    ----------
    path : str or path-like
        What should be a folder written by :func:`save_model`.

    Returns
    -------
    Path
        The folder.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist; give the model folder written by "
            "`ssastcl train --out DIR` or save_weights(DIR)."
        )
    if path.is_file():
        kind = _pickle_kind(path)
        what = f"is {kind}" if kind else "is a file"
        why = (
            " Unpickling a file can run any code it holds, so it is never done. "
            + convert_hint(path)
            if kind
            else ""
        )
        raise ValueError(
            f"{path} {what}, not a model folder: sklearn_ssastcl loads only folders "
            "of weights.pt (tensors) and config.json written by `ssastcl train "
            f"--out DIR` or save_weights(DIR).{why}"
        )
    if not (path / "config.json").is_file():
        pickles = sorted(
            p.name
            for p in path.iterdir()
            if p.is_file() and p.suffix.lower() in _PICKLE_SUFFIXES
        )
        extra = (
            f" It holds {', '.join(pickles)}: pickle files are not loaded. "
            + convert_hint(path / pickles[0])
            if pickles
            else ""
        )
        raise FileNotFoundError(
            f"{path / 'config.json'} does not exist, so {path} is not a model folder "
            "(written by `ssastcl train --out DIR` or save_weights(DIR)); copy the "
            f"whole folder.{extra}"
        )
    return path


def load_model(path: str | os.PathLike, *, device: str = "cpu"):
    """Load a fitted detector from a model folder, without unpickling anything.

    The class is the one named by ``estimator`` in ``config.json`` (one of
    :data:`ESTIMATORS`; files from before that key are ``SSASTCLClassifier``), and
    its ``load_weights`` checks the files: every key present, the ``sha256``
    matching, every weight finite.

    Parameters
    ----------
    path : str or path-like
        Folder written by :func:`save_model`, ``save_weights`` or
        ``ssastcl train --out``.
    device : str, default="cpu"
        Where to put the weights.

    Returns
    -------
    estimator
        The fitted detector.

    Raises
    ------
    FileNotFoundError
        If the folder or one of its files is missing.
    ValueError
        If ``path`` is a file (a pickle, a joblib file...), if the files were
        modified or are corrupt, or if they name an unknown estimator.

    Examples
    --------
    >>> from sklearn_ssastcl import load_model
    >>> model = load_model("model")  # doctest: +SKIP
    """
    import sklearn_ssastcl

    folder = check_model_folder(path)
    config_path = folder / "config.json"
    try:
        config = json.loads(config_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"{config_path} is not valid JSON ({exc}); the model folder is corrupt. "
            "Copy it again or save the model again."
        ) from exc
    if not isinstance(config, dict):
        raise ValueError(
            f"{config_path} does not hold a JSON object; the model folder is "
            "corrupt. Copy it again or save the model again."
        )
    name = config.get("estimator", "SSASTCLClassifier")
    cls = getattr(sklearn_ssastcl, name, None) if name in ESTIMATORS else None
    if cls is None or not hasattr(cls, "load_weights"):
        raise ValueError(
            f"{config_path} names the estimator {name!r}, which this version of "
            f"sklearn_ssastcl ({sklearn_ssastcl.__version__}) cannot load (it loads "
            f"{', '.join(ESTIMATORS)}). Use the version that saved it "
            f"({config.get('package_version', 'unknown')})."
        )
    return cls.load_weights(folder, device=device)


def save_model(estimator, path: str | os.PathLike) -> None:
    """Save a fitted detector as a model folder (``estimator.save_weights(path)``).

    Parameters
    ----------
    estimator : SSASTCLClassifier or SSASTCEClassifier
        Fitted.
    path : str or path-like
        Folder to create (or whose ``weights.pt`` and ``config.json`` to replace).
    """
    if not hasattr(estimator, "save_weights"):
        raise TypeError(
            f"{type(estimator).__name__} has no save_weights; only "
            f"{', '.join(ESTIMATORS)} are saved as model folders. Pickle other "
            "estimators (and load those pickles only if you made them)."
        )
    estimator.save_weights(path)
