"""Checks of the waveform input shared by the classic countermeasures."""

from __future__ import annotations

import os

import numpy as np
from sklearn.utils.validation import validate_data

from sklearn_ssastcl._clips import (
    check_float_samples,
    forget_input_features,
    is_clip_sequence,
)


def _short(name: str, n_times: int, window: int, sample_rate: int, where: str) -> str:
    return (
        f"{name} got clips of {n_times} samples ({where}{n_times / sample_rate:.4f} s "
        f"at {sample_rate} Hz); the analysis window needs at least {window}. Pad the "
        f"clips to at least {window} samples (e.g. with np.pad) or drop them."
    )


def check_waveforms(
    estimator, X, *, window: int, sample_rate: int, reset: bool, y=None
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Return ``X`` as a list of finite 1-D float arrays (and ``y`` checked).

    ``X`` is a list (or 1-D object array) of 1-D float waveforms of any lengths,
    or a 2-D float array ``(n_samples, n_times)`` of equal-length waveforms. As in
    :class:`~sklearn_ssastcl.LogMel`, ``n_features_in_`` (and
    ``feature_names_in_``) are set from a 2-D array and removed by a list when
    ``reset``.
    """
    name = type(estimator).__name__
    if isinstance(X, (str, os.PathLike)) or (
        isinstance(X, (list, tuple))
        and X
        and any(isinstance(x, (str, os.PathLike)) for x in X)
    ):
        raise TypeError(
            f"{name} takes waveforms, not file paths; read the files first, e.g. "
            "[sklearn_ssastcl.datasets.load_audio(p) for p in paths]."
        )
    if is_clip_sequence(X, "O"):
        if reset:
            forget_input_features(estimator)
        clips = _check_sequence(name, list(X), window, sample_rate)
        if y is not None:
            y = _check_y(name, y, len(clips))
        return clips, y
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        X = np.asarray(X)
        ndim = X.ndim
    if ndim == 1:
        raise ValueError(
            f"{name} got a 1-D array of shape {X.shape}. Reshape your data: "
            "X[np.newaxis] or [x] for one clip, a 2-D array (n_samples, n_times) for "
            "equal-length clips, or a list of 1-D waveforms."
        )
    if ndim != 2:
        raise ValueError(
            f"{name} got a {ndim}-D array of shape {tuple(X.shape)}; it expects "
            "waveforms: a 2-D array (n_samples, n_times) or a list of 1-D arrays. "
            "Mix multichannel audio down to mono first."
        )
    dtypes = getattr(X, "dtypes", None)  # a DataFrame: one dtype per column
    dtypes = list(dtypes) if dtypes is not None else [X.dtype]
    for dtype in dtypes:
        check_float_samples(dtype, name, "an array")
    kinds = [getattr(d, "kind", "") for d in dtypes]
    if any(k == "c" for k in kinds):
        raise ValueError(
            f"Complex data not supported: {name} takes real waveforms; pass e.g. "
            "np.real(X) if the imaginary part is spurious."
        )
    kwargs = {"reset": reset, "dtype": [np.float64, np.float32]}
    if y is None:
        X = validate_data(estimator, X, ensure_all_finite=False, **kwargs)
    else:
        X, y = validate_data(estimator, X, y, ensure_all_finite=False, **kwargs)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{name} got NaN or infinite samples in {bad.sum()} clip(s), e.g. rows "
            f"{np.flatnonzero(bad)[:5].tolist()}; replace them (e.g. with "
            "np.nan_to_num) or drop those clips."
        )
    if X.shape[1] < window:
        raise ValueError(
            _short(name, X.shape[1], window, sample_rate, f"n_features={X.shape[1]}, ")
        )
    return list(X), y


def _check_sequence(name, items: list, window: int, sample_rate: int) -> list:
    if not items:
        raise ValueError(f"{name} got an empty list; pass at least one waveform.")
    clips = []
    for i, item in enumerate(items):
        clip = np.asarray(item)
        check_float_samples(clip.dtype, name, f"clip {i}")
        if clip.dtype.kind != "f":
            raise TypeError(
                f"{name} got clip {i} of dtype {clip.dtype}; waveforms must be real "
                "floats in [-1, 1]."
            )
        if clip.ndim != 1:
            raise ValueError(
                f"{name} got clip {i} of shape {clip.shape}; each clip must be a 1-D "
                "waveform. Squeeze it or mix the channels down to mono first."
            )
        if clip.shape[0] == 0:
            raise ValueError(f"{name} got an empty clip (index {i}); drop it.")
        if not np.isfinite(clip).all():
            raise ValueError(
                f"{name} got NaN or infinite samples in clip {i}; replace them "
                "(e.g. with np.nan_to_num) or drop the clip."
            )
        if clip.shape[0] < window:
            raise ValueError(
                _short(name, clip.shape[0], window, sample_rate, f"clip {i}, ")
            )
        clips.append(clip)
    return clips


def _check_y(name: str, y, n_clips: int) -> np.ndarray:
    from sklearn.utils.validation import column_or_1d

    y = column_or_1d(y, warn=True)
    if len(y) != n_clips:
        raise ValueError(f"{name} got {n_clips} clips but {len(y)} labels in y.")
    return y
