"""Online pair sampling for stage I and the torch datasets that serve it.

Pairs follow METHOD.md section 3.4 (our defaults): per epoch a fixed share of
bona fide-bona fide, spoof-spoof and bona fide-spoof pairs, spoof clips drawn
uniformly over attacks (then over clips), never the same clip twice in a pair.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import Dataset


def epoch_rng(seed: int, epoch: int, stream: int = 0) -> np.random.Generator:
    """A numpy Generator for ``(seed, epoch, stream)``: same inputs, same draws."""
    return np.random.default_rng([int(seed), int(epoch), int(stream)])


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
        if attacks is not None:
            attacks = np.asarray(attacks)
            if attacks.shape != is_bonafide.shape:
                raise ValueError(
                    f"attacks has shape {attacks.shape}; it needs one entry per "
                    f"clip, shape {is_bonafide.shape}."
                )
            spoof_attacks = attacks[self.spoof]
            self.spoof_groups = [
                self.spoof[spoof_attacks == value] for value in np.unique(spoof_attacks)
            ]

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
        clash = a == b
        while clash.any():  # redraw the partner of any self pair
            b[clash] = draw(int(clash.sum()), rng)
            clash = a == b
        return a, b

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
        bs_b, bs_s = draw_bona(n_bs, rng), self._draw_spoof(n_bs, rng)
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
        rng = epoch_rng(self.seed, epoch, stream=1)
        augmented = [
            np.asarray(
                self.augment(w, rng, sample_rate=self.sample_rate), dtype=np.float32
            )
            for w in self.waveforms
        ]
        features = _as_float32(self.frontend.transform(augmented))
        self._cache = (epoch, features)
        return features


def _as_float32(x) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x, dtype=np.float32))


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
        self.features = torch.from_numpy(self.source.features(epoch))
        rng = epoch_rng(self.seed, epoch, stream=0)
        self.a, self.b, self.same = self.sampler.sample(self.n_pairs, rng)

    def __len__(self) -> int:
        return self.n_pairs

    def __getitem__(self, i: int):
        x = {"x_a": self.features[self.a[i]], "x_b": self.features[self.b[i]]}
        return x, self.same[i]


class EpochClipDataset(Dataset):
    """Single clips ``(spectrogram, label)`` whose features follow :meth:`set_epoch`."""

    def __init__(self, source: FeatureSource, y: np.ndarray) -> None:
        self.source = source
        self.y = np.asarray(y, dtype=np.int64)
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        """Use this epoch's (augmented) features."""
        self.features = torch.from_numpy(self.source.features(epoch))

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return self.features[i], self.y[i]
