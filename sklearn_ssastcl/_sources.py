"""Clip sources for training: features in memory, or clips streamed from disk.

:class:`FeatureSource` holds spectrograms in memory (recomputed from augmented
waveforms each epoch when an augmenter is set); :class:`ClipStream` reads, checks,
augments and featurises one clip at a time, so memory stays flat. Both give the
same features for the same ``(seed, epoch, clip)``.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from torch.utils.data import Dataset

from sklearn_ssastcl._clips import check_waveform
from sklearn_ssastcl.datasets import load_audio

_MIN_SAMPLES = 400  # one 25 ms analysis window at 16 kHz


def clip_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The augmentation Generator of clip ``index`` in ``epoch``.

    It depends on ``(seed, epoch, index)`` only, so in-memory and streamed
    training, with any number of DataLoader workers, draw the same augmentation.
    """
    return np.random.default_rng([int(seed), int(epoch), 1, int(index)])


class FeatureSource:
    """Spectrograms of the training clips for a given epoch.

    Either fixed spectrograms, or waveforms passed through ``augment`` (a fresh,
    seeded draw each epoch) and ``frontend``. Without ``augment`` the features
    are computed once and cached.
    """

    def __init__(
        self,
        spectrograms=None,
        *,
        waveforms=None,
        frontend=None,
        augment=None,
        sample_rate: int = 16000,
        seed: int = 0,
    ) -> None:
        self.spectrograms = spectrograms
        self.waveforms = waveforms
        self.frontend = frontend
        self.augment = augment
        self.sample_rate = sample_rate
        self.seed = seed
        self._cache = None

    def __len__(self) -> int:
        data = self.spectrograms if self.waveforms is None else self.waveforms
        return len(data)

    def features(self, epoch: int) -> np.ndarray:
        """Float32 spectrograms ``(n_samples, T, F)`` for ``epoch``."""
        if self.waveforms is None:
            return self.spectrograms
        if self.augment is None:
            if self._cache is None:
                self._cache = (
                    None,
                    _as_float32(self.frontend.transform(self.waveforms)),
                )
            return self._cache[1]
        if self._cache is not None and self._cache[0] == epoch:
            return self._cache[1]
        augmented = [
            np.asarray(
                self.augment(
                    w, clip_rng(self.seed, epoch, i), sample_rate=self.sample_rate
                ),
                dtype=np.float32,
            )
            for i, w in enumerate(self.waveforms)
        ]
        features = _as_float32(self.frontend.transform(augmented))
        self._cache = (epoch, features)
        return features


def _as_float32(x) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x, dtype=np.float32))


_SILENT_ADVICE = {
    "fit": "Remove silent clips (and their labels) from X or X_val before fit.",
    "predict": (
        "It has no signal to score: drop it from X before predicting, and give it "
        "a decision of your own (e.g. treat it as spoof) if your protocol needs one."
    ),
}


def check_clip(clip, where: str, sample_rate: int, stage: str = "fit") -> np.ndarray:
    """Return ``clip`` as a checked 1-D float32 waveform (``where`` names it).

    The checks of :func:`sklearn_ssastcl._clips.check_waveform` (integer PCM
    refused, never cast; 1-D, finite, at least one analysis window), then
    silence. ``stage`` (``"fit"`` or ``"predict"``) picks the advice.
    """
    clip = check_waveform(
        clip, "The frontend", where, window=_MIN_SAMPLES, sample_rate=sample_rate
    )
    clip = np.asarray(clip, dtype=np.float32)
    if not np.any(clip):
        what = where[:1].upper() + where[1:]
        raise ValueError(f"{what} is silent (all zeros). {_SILENT_ADVICE[stage]}")
    return clip


def read_clip(item, index: int, sample_rate: int, stage: str = "fit") -> np.ndarray:
    """Load ``item`` (a path or a waveform) as a checked float32 waveform."""
    if isinstance(item, (str, os.PathLike)):
        return check_clip(
            load_audio(item, sample_rate),
            f"clip {index} ({os.fspath(item)!r})",
            sample_rate,
            stage,
        )
    return check_clip(item, f"clip {index}", sample_rate, stage)


def _plain_features(frontend, path: str, size: int, mtime_ns: int, sample_rate: int):
    """Un-augmented features of one file (``size``/``mtime_ns`` key the cache)."""
    clip = read_clip(path, 0, sample_rate)
    return _as_float32(frontend.transform([clip]))[0]


class ClipStream(Dataset):
    """Features of clips computed one at a time, for a streaming DataLoader.

    Each item is read (when a path), augmented with ``clip_rng(seed, epoch, i)``
    and passed through ``frontend``; nothing is kept between items, so memory
    does not grow with the number of clips.

    Parameters
    ----------
    items : list of str or of 1-D arrays
        Audio file paths or waveforms.
    frontend : transformer
        Maps a list of waveforms to ``(n, T, F)`` features (e.g. ``LogMel``).
    augment : callable or None, default=None
        ``augment(waveform, rng, sample_rate=...)``.
    sample_rate : int, default=16000
        Rate files are read at.
    seed : int, default=0
        Seed of the augmentation draws.
    memory : joblib.Memory or None, default=None
        Caches the un-augmented features of files, keyed by path, size,
        modification time and the frontend (its parameters and fitted state).
    """

    streaming = True

    def __init__(
        self,
        items,
        frontend,
        *,
        augment=None,
        sample_rate: int = 16000,
        seed: int = 0,
        memory=None,
        stage: str = "fit",
    ) -> None:
        self.items = items
        self.frontend = frontend
        self.augment = augment
        self.sample_rate = int(sample_rate)
        self.seed = seed
        self.memory = memory
        self.stage = stage
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Augment with this epoch's draws."""
        self.epoch = int(epoch)

    def take(self, indices, *, augment: bool = True) -> ClipStream:
        """A stream of the clips at ``indices`` (numbered from 0 for the seeds)."""
        sub = ClipStream(
            [self.items[int(i)] for i in np.asarray(indices, dtype=np.int64)],
            self.frontend,
            augment=self.augment if augment else None,
            sample_rate=self.sample_rate,
            seed=self.seed,
            memory=self.memory,
            stage=self.stage,
        )
        sub.epoch = self.epoch
        return sub

    def __len__(self) -> int:
        return len(self.items)

    def _cached(self, i: int):
        """Features of clip ``i`` from the cache, or None when it does not apply."""
        item = self.items[i]
        if (
            self.augment is not None
            or self.memory is None
            or not isinstance(item, (str, os.PathLike))
        ):
            return None
        path = os.fspath(item)
        stat = os.stat(path)
        compute = self.memory.cache(_plain_features)
        return compute(
            self.frontend, path, stat.st_size, stat.st_mtime_ns, self.sample_rate
        )

    def _clip(self, i: int) -> np.ndarray:
        clip = read_clip(self.items[i], i, self.sample_rate, self.stage)
        if self.augment is not None:
            rng = clip_rng(self.seed, self.epoch, i)
            clip = np.asarray(
                self.augment(clip, rng, sample_rate=self.sample_rate), dtype=np.float32
            )
        return clip

    def features(self, i: int) -> np.ndarray:
        """Float32 features ``(T, F)`` of clip ``i`` for the current epoch."""
        return self.features_of([i])[0]

    def features_of(self, indices) -> list[np.ndarray]:
        """Features of several clips; one ``frontend.transform`` call for them all."""
        indices = [int(i) for i in indices]
        out = [self._cached(i) for i in indices]
        todo = [k for k, f in enumerate(out) if f is None]
        if todo:
            clips = [self._clip(indices[k]) for k in todo]
            computed = _as_float32(self.frontend.transform(clips))
            for k, f in zip(todo, computed):
                out[k] = f
        return out

    def __getitems__(self, indices) -> list[torch.Tensor]:
        # the DataLoader fetches a whole batch at once: one frontend call
        return [torch.from_numpy(f) for f in self.features_of(indices)]

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.from_numpy(self.features(i))
