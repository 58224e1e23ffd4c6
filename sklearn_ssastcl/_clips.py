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


def short_clip_message(
    who: str, what: str, n_times: int, sample_rate: float, window: int
) -> str:
    """The error for a clip of ``n_times`` samples, shorter than one ``window``."""
    return (
        f"{who} got {what} of {n_times} samples ({n_times / sample_rate:.3f} s at "
        f"{sample_rate:g} Hz); the window needs at least {window}. Pad the clips to "
        f"at least {window} samples (e.g. with np.pad) or drop them."
    )


def check_waveform(
    item, who: str, what: str, *, window: int, sample_rate: float
) -> np.ndarray:
    """Return ``item`` as a checked 1-D real float waveform of >= ``window`` samples.

    Every place a single clip enters the library (``LogMel``, the classic
    detectors, the training and inference sources) uses this check, so a clip
    gets the same error wherever it goes. ``who`` names the caller, ``what`` the
    clip (``"clip 3"``, or a path).
    """
    clip = np.asarray(item)
    check_float_samples(clip.dtype, who, what)
    if clip.dtype.kind != "f":
        raise TypeError(
            f"{who} got {what} of dtype {clip.dtype}; waveforms must be real floats "
            "in [-1, 1]."
        )
    if clip.ndim != 1:
        raise ValueError(
            f"{who} got {what} of shape {clip.shape}; each clip must be a 1-D "
            "waveform. Squeeze it or mix the channels down to mono first."
        )
    if clip.shape[0] == 0:
        raise ValueError(f"{who} got an empty clip ({what}); drop it.")
    if not np.isfinite(clip).all():
        raise ValueError(
            f"{who} got NaN or infinite samples in {what}; replace them (e.g. with "
            "np.nan_to_num) or drop the clip."
        )
    if clip.shape[0] < window:
        raise ValueError(
            short_clip_message(who, what, clip.shape[0], sample_rate, window)
        )
    return clip


def check_waveform_array(
    estimator,
    X,
    who: str,
    *,
    window: int,
    sample_rate: float,
    reset: bool,
    y=None,
    accepts: str = "a 2-D array (n_samples, n_times) or a list of 1-D arrays",
    hint: str = "",
):
    """Check a 2-D array of equal-length waveforms: ``(X, y)`` as validated arrays.

    Sets (``reset=True``) or checks ``n_features_in_`` through
    ``validate_data``. ``accepts`` says what the caller takes, ``hint`` adds a
    sentence to the wrong-dimension error.
    """
    from sklearn.utils.validation import validate_data

    ndim = getattr(X, "ndim", None)
    if ndim is None:
        X = np.asarray(X)
        ndim = X.ndim
    if ndim == 1:
        raise ValueError(
            f"{who} got a 1-D array of shape {X.shape}. Reshape your data: "
            "X[np.newaxis] or [x] for one clip, a 2-D array (n_samples, n_times) for "
            "equal-length clips, or a list of 1-D waveforms."
        )
    if ndim != 2:
        raise ValueError(
            f"{who} got a {ndim}-D array of shape {tuple(X.shape)}; it expects "
            f"waveforms: {accepts}. Mix multichannel audio down to mono first.{hint}"
        )
    dtypes = getattr(X, "dtypes", None)  # a DataFrame: one dtype per column
    dtypes = list(dtypes) if dtypes is not None else [X.dtype]
    for dtype in dtypes:
        check_float_samples(dtype, who, "an array")
    if any(getattr(d, "kind", "") == "c" for d in dtypes):
        raise ValueError(
            f"Complex data not supported: {who} takes real waveforms; pass e.g. "
            "np.real(X) if the imaginary part is spurious."
        )
    kwargs = {"reset": reset, "dtype": [np.float32, np.float64]}
    if y is None:
        X = validate_data(estimator, X, ensure_all_finite=False, **kwargs)
    else:
        X, y = validate_data(estimator, X, y, ensure_all_finite=False, **kwargs)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{who} got NaN or infinite samples in {bad.sum()} clip(s), e.g. rows "
            f"{np.flatnonzero(bad)[:5].tolist()}; replace them (e.g. with "
            "np.nan_to_num) or drop those clips."
        )
    if X.shape[1] < window:
        what = f"clips (n_features={X.shape[1]})"
        raise ValueError(short_clip_message(who, what, X.shape[1], sample_rate, window))
    return X, y
