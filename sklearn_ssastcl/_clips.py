"""Checks shared by every place waveforms enter the library.

Integer PCM: waveforms are floats in [-1, 1] (what ``soundfile`` and
:func:`~sklearn_ssastcl.datasets.load_audio` give). Integer or boolean arrays are
refused everywhere with the same advice, never cast silently: an int16 array
taken as float is 32768 times too loud and gives other features and scores.

Short clips: a frontend that pads or tiles clips to ``target_length`` frames
warns about clips that fill less than :data:`MIN_FILL` of them (a tenth: 0.4 s at
``LogMel``'s defaults), naming them, since their features are mostly padding or
copies of a few frames.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

#: Fraction of ``target_length`` frames a clip must fill before a warning.
MIN_FILL: float = 0.1

INT_HINT = (
    "Waveforms must be floats in [-1, 1]; integer PCM needs scaling by its full "
    "scale, e.g. x.astype(np.float32) / 32768 for int16 "
    "(sklearn_ssastcl.datasets.load_audio returns floats)."
)


def pcm_hint(dtype) -> str:
    """The advice for integer samples of ``dtype`` (its own full scale named)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "i" and dtype.itemsize != 2:
        full = 2 ** (8 * dtype.itemsize - 1)
        return f"{INT_HINT} For {dtype}: x.astype(np.float64) / {full}."
    if dtype.kind == "u":
        mid = 2 ** (8 * dtype.itemsize - 1)
        return f"{INT_HINT} For {dtype}: (x.astype(np.float64) - {mid}) / {mid}."
    return INT_HINT


def _kind(dtype) -> str:
    """The NumPy kind of a NumPy, pandas or torch dtype ("" when unknown)."""
    kind = getattr(dtype, "kind", None)
    if isinstance(kind, str):
        return kind
    is_float = getattr(dtype, "is_floating_point", None)  # a torch dtype
    if isinstance(is_float, bool):
        if is_float or getattr(dtype, "is_complex", False):
            return "f" if is_float else "c"
        return "b" if str(dtype) == "torch.bool" else "i"
    try:
        return np.dtype(dtype).kind
    except TypeError:
        return ""


def is_integer_dtype(dtype) -> bool:
    """Whether ``dtype`` holds integer or boolean samples (refused as waveforms)."""
    return _kind(dtype) in ("i", "u", "b")


def check_float_samples(dtype, who: str, what: str) -> None:
    """Raise ``TypeError`` when ``dtype`` holds integer or boolean samples.

    ``who`` names the caller (``"LogMel"``), ``what`` the input (``"clip 3"``).
    """
    if is_integer_dtype(dtype):
        try:
            hint = pcm_hint(dtype)
        except TypeError:  # a pandas or torch dtype
            hint = INT_HINT
        raise TypeError(
            f"{who} got {what} of dtype {dtype} (integer or boolean samples); they "
            f"are not scaled silently. {hint}"
        )


def min_samples(window: int, hop: int, target_length: int) -> int:
    """Fewest samples a clip needs to fill ``MIN_FILL`` of ``target_length`` frames."""
    frames = max(1, math.ceil(MIN_FILL * target_length))
    return window + (frames - 1) * hop


def warn_short(
    who: str,
    lengths,
    names: list,
    *,
    minimum: int,
    sample_rate: float,
    target_length: int,
    pad_mode: str,
    stacklevel: int = 2,
) -> None:
    """Warn about clips of fewer than ``minimum`` samples, naming the first ones.

    ``lengths`` gives each clip's samples, ``names`` how to name it (an index or a
    path).
    """
    lengths = np.asarray(lengths)
    short = np.flatnonzero(lengths < minimum)
    if not short.size:
        return
    shown = ", ".join(
        f"{names[i]!r} ({lengths[i] / sample_rate:.3f} s)"
        if isinstance(names[i], str)
        else f"clip {names[i]} ({lengths[i] / sample_rate:.3f} s)"
        for i in short[:5]
    )
    more = f" and {short.size - 5} more" if short.size > 5 else ""
    how = "tiled (pad_mode='repeat')" if pad_mode == "repeat" else "zero-padded"
    warnings.warn(
        f"{who} got {short.size} clip(s) shorter than {minimum / sample_rate:.3f} s "
        f"({minimum} samples: {MIN_FILL:.0%} of target_length={target_length} frames): "
        f"{shown}{more}. They are {how} to {target_length} frames, so their features "
        "are mostly padding; check them, or drop clips that are too short.",
        UserWarning,
        stacklevel=stacklevel + 1,
    )


def is_clip_sequence(X, kinds: str = "O") -> bool:
    """Whether ``X`` is a list/tuple of clips, or a 1-D array of dtype ``kinds``."""
    dtype = getattr(X, "dtype", None)
    return isinstance(X, (list, tuple)) or (
        getattr(X, "ndim", None) == 1
        and isinstance(dtype, np.dtype)
        and dtype.kind in kinds
    )


def forget_input_features(estimator) -> None:
    """Drop ``n_features_in_`` and ``feature_names_in_`` (clips have no fixed width)."""
    for attr in ("n_features_in_", "feature_names_in_"):
        if hasattr(estimator, attr):
            delattr(estimator, attr)
