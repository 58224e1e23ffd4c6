"""Chaining waveform augmenters."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from sklearn_ssastcl.augment._base import _check_rng, _check_waveform


class Compose(BaseEstimator):
    """Apply waveform augmenters one after the other.

    Parameters
    ----------
    steps : list of callables
        Each is called as ``step(waveform, rng, sample_rate)`` and returns a
        waveform of the same length, e.g. ``[FIRFilter(), RawBoost()]`` (the
        order of the SSAST-CL recipe, see :mod:`sklearn_ssastcl.recipe`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ssastcl.augment import Compose, FIRFilter, RawBoost
    >>> rng = np.random.default_rng(0)
    >>> x = (0.1 * rng.standard_normal(16000)).astype(np.float32)
    >>> Compose([FIRFilter(), RawBoost()])(x, rng).shape
    (16000,)
    """

    def __init__(self, steps):
        self.steps = steps

    def __call__(
        self,
        waveform: np.ndarray,
        rng: np.random.Generator,
        sample_rate: int = 16000,
    ) -> np.ndarray:
        """Augment one clip with every step in turn.

        Parameters
        ----------
        waveform : ndarray of shape (n_times,)
            The clip.
        rng : numpy.random.Generator
            Passed to every step.
        sample_rate : int, default=16000
            Sample rate of the clip in Hz.

        Returns
        -------
        ndarray of shape (n_times,), dtype float32
            The augmented clip.
        """
        owner = type(self).__name__
        if not isinstance(self.steps, (list, tuple)) or not all(
            callable(step) for step in self.steps
        ):
            raise TypeError(
                f"{owner}: steps must be a list of callables such as "
                f"[FIRFilter(), RawBoost()]; got {self.steps!r}."
            )
        x = _check_waveform(waveform, owner).astype(np.float32)
        rng = _check_rng(rng, owner)
        for step in self.steps:
            y = np.asarray(step(x, rng, sample_rate))
            if y.shape != x.shape:
                raise ValueError(
                    f"{owner}: step {step!r} returned shape {y.shape} for an input "
                    f"of shape {x.shape}; every step must keep the length."
                )
            x = y.astype(np.float32, copy=False)
        return x


def augment_waveforms(
    waveforms: Sequence[np.ndarray],
    augment: Callable | None,
    rng: np.random.Generator,
    sample_rate: int = 16000,
) -> list[np.ndarray]:
    """Apply ``augment`` to each clip of a list, drawing from one ``rng`` in order.

    Parameters
    ----------
    waveforms : sequence of ndarray of shape (n_times,)
        Clips, possibly of different lengths.
    augment : callable or None
        A waveform augmenter, e.g. ``Compose([FIRFilter(), RawBoost()])``;
        ``None`` returns float32 copies.
    rng : numpy.random.Generator
        The only source of randomness.
    sample_rate : int, default=16000
        Sample rate of the clips in Hz.

    Returns
    -------
    list of ndarray
        The augmented float32 clips, in the input order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ssastcl.augment import RawBoost, augment_waveforms
    >>> rng = np.random.default_rng(0)
    >>> clips = [np.zeros(800, np.float32), np.ones(1600, np.float32) / 2]
    >>> [c.shape for c in augment_waveforms(clips, RawBoost(algo=2), rng)]
    [(800,), (1600,)]
    """
    rng = _check_rng(rng, "augment_waveforms")
    if augment is not None and not callable(augment):
        raise TypeError(
            "augment_waveforms: augment must be a callable augmenter or None; got "
            f"{augment!r}."
        )
    if augment is None:
        return [
            _check_waveform(w, "augment_waveforms").astype(np.float32)
            for w in waveforms
        ]
    return [augment(w, rng, sample_rate) for w in waveforms]
