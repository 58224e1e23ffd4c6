"""Online pair sampling for stage I and the torch datasets that serve it.

Pairs follow our defaults (the paper does not give them): per epoch a fixed share of
bona fide-bona fide, spoof-spoof and bona fide-spoof pairs, spoof clips drawn
uniformly over attacks (then over clips), never the same clip twice in a pair.
With groups (e.g. speaker IDs, [OURS]) a bona fide-spoof pair shares a group and
a same-class pair spans two groups, so the group does not tell the pair types
apart.
"""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import Dataset

from sklearn_ssastcl._clips import check_float_samples
from sklearn_ssastcl.datasets import load_audio

_MIN_SAMPLES = 400  # one 25 ms analysis window at 16 kHz


def per_clip(values, name: str, n: int) -> np.ndarray | None:
    """``values`` as an array of one entry per clip (None stays None)."""
    if values is None:
        return None
    values = np.asarray(values)
    if values.shape != (n,):
        raise ValueError(
            f"{name} has shape {values.shape}; it needs one entry per clip, "
            f"shape ({n},)."
        )
    return values


def epoch_rng(seed: int, epoch: int, stream: int = 0) -> np.random.Generator:
    """A numpy Generator for ``(seed, epoch, stream)``: same inputs, same draws."""
    return np.random.default_rng([int(seed), int(epoch), int(stream)])


def clip_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The augmentation Generator of clip ``index`` in ``epoch``.

    It depends on ``(seed, epoch, index)`` only, so in-memory and streamed
    training, with any number of DataLoader workers, draw the same augmentation.
    """
    return np.random.default_rng([int(seed), int(epoch), 1, int(index)])


class PairSampler:
    """Draw index pairs ``(a, b)`` and same-class flags from binary labels.

    Parameters
    ----------
    is_bonafide : array-like of bool of shape (n_samples,)
        True for bona fide clips.
    attacks : array-like of shape (n_samples,) or None, default=None
        Attack ID of each clip (ignored for bona fide). With it, a spoof clip is
        drawn by first drawing an attack uniformly, then a clip of that attack.
    pair_mix : tuple of 3 floats, default=(0.25, 0.25, 0.5)
        Shares of bona fide-bona fide, spoof-spoof and bona fide-spoof pairs.
    groups : array-like of shape (n_samples,) or None, default=None
        Group (e.g. speaker) of each clip. With it, the spoof clip of a bona
        fide-spoof pair is drawn first (uniformly over attacks) and its bona fide
        partner from the same group, and same-class partners come from another
        group. Where no such partner exists (a group without bona fide clips, a
        class held by one group) the partner is drawn without the group rule.

    Examples
    --------
    >>> sampler = PairSampler([True, True, False, False, False])
    >>> a, b, same = sampler.sample(8, np.random.default_rng(0))
    >>> int(same.sum())
    4
    """

    def __init__(
        self,
        is_bonafide: npt.ArrayLike,
        attacks: npt.ArrayLike | None = None,
        pair_mix: tuple[float, float, float] = (0.25, 0.25, 0.5),
        groups: npt.ArrayLike | None = None,
    ) -> None:
        is_bonafide = np.asarray(is_bonafide, dtype=bool)
        self.bona = np.flatnonzero(is_bonafide)
        self.spoof = np.flatnonzero(~is_bonafide)
        mix = np.asarray(pair_mix, dtype=np.float64)
        if mix.shape != (3,) or np.any(mix < 0) or mix.sum() <= 0:
            raise ValueError(
                "pair_mix must be 3 non-negative shares (bona-bona, spoof-spoof, "
                f"bona-spoof) with a positive sum; got {pair_mix!r}."
            )
        self.mix = mix / mix.sum()
        if self.mix[0] > 0 and self.bona.size < 2:
            raise ValueError(
                f"Bona fide-bona fide pairs need at least 2 bona fide clips; got "
                f"{self.bona.size}. Add clips or set pair_mix[0] to 0."
            )
        if self.mix[1] > 0 and self.spoof.size < 2:
            raise ValueError(
                f"Spoof-spoof pairs need at least 2 spoof clips; got "
                f"{self.spoof.size}. Add clips or set pair_mix[1] to 0."
            )
        if self.mix[2] > 0 and (self.bona.size < 1 or self.spoof.size < 1):
            raise ValueError("Bona fide-spoof pairs need clips of both classes.")
        self.spoof_groups = None
        attacks = per_clip(attacks, "attacks", is_bonafide.size)
        groups = per_clip(groups, "groups", is_bonafide.size)
        if attacks is not None:
            spoof_attacks = attacks[self.spoof]
            self.spoof_groups = [
                self.spoof[spoof_attacks == value] for value in np.unique(spoof_attacks)
            ]
        self.groups = None
        if groups is not None:
            _, self.groups = np.unique(groups, return_inverse=True)
            self._bona_of_group = {
                g: self.bona[self.groups[self.bona] == g]
                for g in np.unique(self.groups[self.bona])
            }

    def counts(self, n_pairs: int) -> np.ndarray:
        """How many pairs of each type for ``n_pairs`` (largest remainders)."""
        raw = self.mix * n_pairs
        counts = np.floor(raw).astype(int)
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[: n_pairs - counts.sum()]] += 1
        return counts

    def _draw_spoof(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.spoof_groups is None:
            return rng.choice(self.spoof, size=n)
        groups = rng.integers(len(self.spoof_groups), size=n)
        return np.array(
            [rng.choice(self.spoof_groups[g]) for g in groups], dtype=np.int64
        )

    def _draw_distinct(self, draw, n: int, rng: np.random.Generator):
        a, b = draw(n, rng), draw(n, rng)
        clash = self._clashes(a, b, strict=True)
        tries = 0
        while clash.any():  # redraw clashing partners
            b[clash] = draw(int(clash.sum()), rng)
            tries += 1
            # after 100 tries a partner of the same group is allowed (one group
            # holds the whole class); a self pair never is
            clash = self._clashes(a, b, strict=tries <= 100)
        return a, b

    def _clashes(self, a, b, *, strict: bool) -> np.ndarray:
        clash = a == b
        if strict and self.groups is not None:
            clash |= self.groups[a] == self.groups[b]
        return clash

    def _bona_partners(self, spoof: np.ndarray, rng: np.random.Generator):
        """A bona fide clip of each spoof clip's group (any group if it has none)."""
        bona = rng.choice(self.bona, size=spoof.size)
        if self.groups is None:
            return bona
        for k, g in enumerate(self.groups[spoof]):
            own = self._bona_of_group.get(g)
            if own is not None:
                bona[k] = rng.choice(own)
        return bona

    def sample(
        self, n_pairs: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw ``n_pairs`` pairs in shuffled order.

        Returns
        -------
        a, b : ndarray of int64 of shape (n_pairs,)
            Clip indices of the two sides.
        same : ndarray of float32 of shape (n_pairs,)
            1 for same-class pairs, 0 for bona fide-spoof pairs.
        """
        n_bb, n_ss, n_bs = self.counts(int(n_pairs))

        def draw_bona(n, r):
            return r.choice(self.bona, size=n)

        bb = self._draw_distinct(draw_bona, n_bb, rng)
        ss = self._draw_distinct(self._draw_spoof, n_ss, rng)
        if self.groups is None:
            bs_b, bs_s = draw_bona(n_bs, rng), self._draw_spoof(n_bs, rng)
        else:
            bs_s = self._draw_spoof(n_bs, rng)
            bs_b = self._bona_partners(bs_s, rng)
        flip = rng.random(n_bs) < 0.5  # either side may hold the bona fide clip
        bs = (np.where(flip, bs_s, bs_b), np.where(flip, bs_b, bs_s))
        a = np.concatenate([bb[0], ss[0], bs[0]]).astype(np.int64)
        b = np.concatenate([bb[1], ss[1], bs[1]]).astype(np.int64)
        same = np.concatenate([np.ones(n_bb + n_ss), np.zeros(n_bs)])
        order = rng.permutation(a.size)
        return a[order], b[order], same[order].astype(np.float32)


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

    Integer or boolean samples (PCM) are refused, never cast: see
    :mod:`sklearn_ssastcl._clips`. ``stage`` (``"fit"`` or ``"predict"``) picks the
    advice of the errors.
    """
    clip = np.asarray(clip)
    check_float_samples(clip.dtype, "SSASTCLClassifier", where[:1].lower() + where[1:])
    clip = np.asarray(clip, dtype=np.float32)
    if clip.ndim != 1:
        raise ValueError(
            f"{where} has shape {clip.shape}; with a frontend each clip must be a "
            "1-D waveform (or X a 2-D array of equal-length clips)."
        )
    if not np.all(np.isfinite(clip)):
        raise ValueError(f"{where} holds NaN or infinite samples.")
    if clip.size < _MIN_SAMPLES:
        raise ValueError(
            f"{where} has {clip.size} samples ({clip.size / sample_rate:.3f} s at "
            f"{sample_rate} Hz); the frontend needs at least {_MIN_SAMPLES}. Drop or "
            "pad the short clips."
        )
    if not np.any(clip):
        raise ValueError(f"{where} is silent (all zeros). {_SILENT_ADVICE[stage]}")
    return clip


def read_clip(item, index: int, sample_rate: int, stage: str = "fit") -> np.ndarray:
    """Load ``item`` (a path or a waveform) as a checked float32 waveform."""
    if isinstance(item, (str, os.PathLike)):
        return check_clip(
            load_audio(item, sample_rate),
            f"Clip {index} ({os.fspath(item)!r})",
            sample_rate,
            stage,
        )
    return check_clip(item, f"Clip {index}", sample_rate, stage)


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


class EpochPairDataset(Dataset):
    """Pairs ``({"x_a": ..., "x_b": ...}, same)`` redrawn by :meth:`set_epoch`."""

    def __init__(
        self, source: FeatureSource, sampler: PairSampler, n_pairs: int, seed: int = 0
    ) -> None:
        self.source = source
        self.sampler = sampler
        self.n_pairs = int(n_pairs)
        self.seed = seed
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        """Draw this epoch's pairs (and augmented features)."""
        if getattr(self.source, "streaming", False):
            self.source.set_epoch(epoch)
            self.features = self.source
        else:
            self.features = torch.from_numpy(self.source.features(epoch))
        rng = epoch_rng(self.seed, epoch, stream=0)
        self.a, self.b, self.same = self.sampler.sample(self.n_pairs, rng)

    def __len__(self) -> int:
        return self.n_pairs

    def __getitem__(self, i: int):
        x = {"x_a": self.features[int(self.a[i])], "x_b": self.features[int(self.b[i])]}
        return x, self.same[i]

    def __getitems__(self, indices) -> list:
        if not isinstance(self.features, ClipStream):
            return [self[i] for i in indices]
        indices = np.asarray(indices, dtype=np.int64)
        n = len(indices)
        feats = self.features.features_of(np.r_[self.a[indices], self.b[indices]])
        return [
            (
                {
                    "x_a": torch.from_numpy(feats[k]),
                    "x_b": torch.from_numpy(feats[n + k]),
                },
                self.same[i],
            )
            for k, i in enumerate(indices)
        ]


class EpochClipDataset(Dataset):
    """Single clips ``(spectrogram, label)`` whose features follow :meth:`set_epoch`."""

    def __init__(self, source: FeatureSource, y: np.ndarray) -> None:
        self.source = source
        self.y = np.asarray(y, dtype=np.int64)
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        """Use this epoch's (augmented) features."""
        if getattr(self.source, "streaming", False):
            self.source.set_epoch(epoch)
            self.features = self.source
        else:
            self.features = torch.from_numpy(self.source.features(epoch))

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return self.features[i], self.y[i]

    def __getitems__(self, indices) -> list:
        if not isinstance(self.features, ClipStream):
            return [self[i] for i in indices]
        feats = self.features.__getitems__(indices)
        return [(f, self.y[i]) for f, i in zip(feats, indices)]
