"""The waveform augmenter base class and the checks the augmenters share."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator


def _check_waveform(waveform: npt.ArrayLike, name: str) -> np.ndarray:
    """Return ``waveform`` as a 1-D float64 array, or raise a clear error."""
    x = np.asarray(waveform)
    if x.dtype.kind not in "fiu":
        raise TypeError(
            f"{name} expects a real-valued waveform; got dtype {x.dtype}. "
            "Pass a 1-D float32 numpy array."
        )
    if x.ndim != 1:
        raise ValueError(
            f"{name} expects one 1-D waveform; got an array of shape {x.shape}. "
            "Pass one clip at a time, or use augment_waveforms for a list of clips."
        )
    if x.size == 0:
        raise ValueError(f"{name} got an empty waveform; pass at least one sample.")
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError(
            f"{name} got a waveform with NaN or infinite values; clean the clip first."
        )
    return x


def _check_rng(rng, name: str) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} needs a numpy Generator as `rng`; got {type(rng).__name__}. "
            "Pass np.random.default_rng(seed)."
        )
    return rng


def _check_sample_rate(sample_rate, name: str) -> int:
    if (
        not isinstance(sample_rate, Integral)
        or isinstance(sample_rate, bool)
        or sample_rate <= 0
    ):
        raise ValueError(
            f"{name} needs a positive integer sample_rate in Hz; got {sample_rate!r}."
        )
    return int(sample_rate)


def _check_range(name: str, low, high, owner: str) -> None:
    if low > high:
        raise ValueError(
            f"{owner}: {name} must be a (low, high) pair with low <= high; "
            f"got ({low!r}, {high!r}). Swap the two values."
        )


def _check_below_nyquist(what: str, freq: float, sample_rate: int, owner: str) -> None:
    nyquist = sample_rate / 2
    if freq >= nyquist:
        raise ValueError(
            f"{owner}: {what} is {freq!r} Hz, at or above the Nyquist frequency "
            f"{nyquist:g} Hz of sample_rate={sample_rate}. Lower it below "
            f"{nyquist:g} Hz or pass the clip's true sample_rate."
        )


def _peak_normalise(x: np.ndarray, always: bool = False) -> np.ndarray:
    """Divide by the peak magnitude if ``always`` or if it exceeds 1 (never by 0)."""
    peak = np.max(np.abs(x))
    if peak > 0 and (always or peak > 1):
        return x / peak
    return x


def _pair(value, name: str, owner: str) -> tuple:
    """Read a ``(low, high)`` pair of reals."""
    try:
        low, high = value
        low, high = float(low), float(high)
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner}: {name} must be a (low, high) pair of numbers; got {value!r}."
        ) from None
    _check_range(name, low, high, owner)
    return low, high


class WaveformAugmenter(BaseEstimator):
    """Base of the waveform augmenters: checks, the ``p`` coin, then ``_apply``.

    Subclasses define ``_check_params(sample_rate)`` (validate, and return what
    ``_apply`` needs) and ``_apply(x, rng, sample_rate, checked)``. The coin is the
    first draw from ``rng``, so the random stream is the same for every subclass.
    """

    def _is_identity(self) -> bool:
        return False

    def __call__(
        self,
        waveform: np.ndarray,
        rng: np.random.Generator,
        sample_rate: int = 16000,
    ) -> np.ndarray:
        """Augment one clip, with probability ``p``.

        Parameters
        ----------
        waveform : ndarray of shape (n_times,)
            The clip; any real dtype.
        rng : numpy.random.Generator
            The only source of randomness.
        sample_rate : int, default=16000
            Sample rate of the clip in Hz.

        Returns
        -------
        ndarray of shape (n_times,), dtype float32
            The augmented clip (a copy of the input when not applied).
        """
        owner = type(self).__name__
        sample_rate = _check_sample_rate(sample_rate, owner)
        checked = self._check_params(sample_rate)
        x = _check_waveform(waveform, owner)
        rng = _check_rng(rng, owner)
        if rng.random() >= self.p or self._is_identity():
            return x.astype(np.float32)
        return np.asarray(self._apply(x, rng, sample_rate, checked), dtype=np.float32)
