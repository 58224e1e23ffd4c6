"""Reading audio files into mono float32 arrays with soundfile."""

from __future__ import annotations

import os
import warnings
from numbers import Integral
from pathlib import Path

import numpy as np
import soundfile as sf

_MONO_OPTIONS = ("raise", "mean", "first")


class MultiChannelAudioError(ValueError):
    """An audio file with several channels where a mono one is expected."""

    def __init__(self, message: str, *, path: str, n_channels: int):
        super().__init__(message)
        self.path = path
        self.n_channels = n_channels


def load_audio(
    path: str | os.PathLike,
    sample_rate: int = 16000,
    *,
    mono: str = "raise",
) -> np.ndarray:
    """Read an audio file as a mono float32 waveform at ``sample_rate``.

    The file is read with soundfile (any format libsndfile knows: FLAC, WAV, OGG,
    ...). Samples are scaled to ``[-1, 1)``. A file at another rate is resampled
    with :func:`torchaudio.functional.resample` and a ``UserWarning`` says so.

    Parameters
    ----------
    path : str or path-like
        The audio file.
    sample_rate : int, default=16000
        The rate of the returned waveform, in Hz.
    mono : {"raise", "mean", "first"}, default="raise"
        What to do with a file of more than one channel: ``"raise"`` raises a
        ``ValueError``, ``"mean"`` averages the channels, ``"first"`` keeps the
        first one.

    Returns
    -------
    waveform : ndarray of shape (n_times,), dtype float32
        The mono waveform.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist or is not a file.
    ValueError
        If the file cannot be decoded, holds no samples, or has several
        channels while ``mono="raise"``.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> from sklearn_ssastcl.datasets import load_audio
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.flac")
    >>> sf.write(path, np.zeros(1600, dtype=np.float32), 16000)
    >>> load_audio(path).shape
    (1600,)
    """
    if not isinstance(sample_rate, Integral) or isinstance(sample_rate, bool):
        raise TypeError(
            f"sample_rate must be a positive int (in Hz); got {sample_rate!r} "
            f"of type {type(sample_rate).__name__}."
        )
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive int (Hz); got {sample_rate}.")
    if mono not in _MONO_OPTIONS:
        raise ValueError(f"mono must be one of {_MONO_OPTIONS}; got {mono!r} instead.")

    path = Path(path)
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "does not exist"
        raise FileNotFoundError(f"Audio file {str(path)!r} {what}.")
    try:
        data, file_rate = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise ValueError(
            f"Could not decode {str(path)!r} as audio ({exc}). The file is corrupt or "
            "not in a format libsndfile reads (FLAC, WAV, OGG, ...); convert it, "
            "e.g. with sox or ffmpeg."
        ) from exc

    n_times, n_channels = data.shape
    if n_times == 0:
        raise ValueError(f"Audio file {str(path)!r} holds no samples (it is empty).")
    if n_channels > 1:
        if mono == "raise":
            raise MultiChannelAudioError(
                f"Audio file {str(path)!r} has {n_channels} channels; a mono file is "
                "expected. Pass mono='mean' to average the channels or mono='first' "
                "to keep the first one, or downmix it beforehand "
                "(e.g. `sox in.wav out.wav remix -`).",
                path=str(path),
                n_channels=n_channels,
            )
        data = data.mean(axis=1) if mono == "mean" else data[:, 0]
    else:
        data = data[:, 0]
    waveform = np.ascontiguousarray(data, dtype=np.float32)

    if file_rate != sample_rate:
        warnings.warn(
            f"{str(path)!r} is sampled at {file_rate} Hz; resampled it to "
            f"{sample_rate} Hz.",
            UserWarning,
            stacklevel=2,
        )
        waveform = _resample(waveform, int(file_rate), int(sample_rate))
    return waveform


def _resample(waveform: np.ndarray, orig_freq: int, new_freq: int) -> np.ndarray:
    """Resample a 1-D float32 array with torchaudio's windowed-sinc filter."""
    import torch
    import torchaudio.functional as F

    out = F.resample(torch.from_numpy(waveform), orig_freq, new_freq)
    return out.numpy().astype(np.float32, copy=False)
