"""Checks of the waveform input shared by the classic countermeasures."""

from __future__ import annotations

import os

import numpy as np

from sklearn_ssastcl._clips import (
    check_waveform,
    check_waveform_array,
    forget_input_features,
    is_clip_sequence,
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
    X, y = check_waveform_array(
        estimator, X, name, window=window, sample_rate=sample_rate, reset=reset, y=y
    )
    return list(X), y


def _check_sequence(name, items: list, window: int, sample_rate: int) -> list:
    if not items:
        raise ValueError(f"{name} got an empty list; pass at least one waveform.")
    return [
        check_waveform(item, name, f"clip {i}", window=window, sample_rate=sample_rate)
        for i, item in enumerate(items)
    ]


def _check_y(name: str, y, n_clips: int) -> np.ndarray:
    from sklearn.utils.validation import column_or_1d

    y = column_or_1d(y, warn=True)
    if len(y) != n_clips:
        raise ValueError(f"{name} got {n_clips} clips but {len(y)} labels in y.")
    return y
