"""Online pair sampling for stage I and the torch datasets that serve it.

Pairs follow our defaults (the paper does not give them): per epoch a fixed share of
bona fide-bona fide, spoof-spoof and bona fide-spoof pairs, spoof clips drawn
uniformly over attacks (then over clips), never the same clip twice in a pair.
With groups (e.g. speaker IDs, [OURS]) a bona fide-spoof pair shares a group and
a same-class pair spans two groups, so the group does not tell the pair types
apart.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import Dataset

from sklearn_ssastcl._sources import ClipStream, FeatureSource


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


class EpochPairDataset(Dataset):
    """Pairs ``({"x_a": ..., "x_b": ...}, y)`` redrawn by :meth:`set_epoch`.

    ``y`` is ``same`` (1.0 for a same-class pair), or with ``is_bonafide`` the
    pair's two labels ``[bona_a, bona_b]`` (int64), which the in-batch losses
    need.
    """

    def __init__(
        self,
        source: FeatureSource,
        sampler: PairSampler,
        n_pairs: int,
        seed: int = 0,
        is_bonafide: np.ndarray | None = None,
    ) -> None:
        self.source = source
        self.sampler = sampler
        self.n_pairs = int(n_pairs)
        self.seed = seed
        self.is_bonafide = is_bonafide
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
        self.targets = self.same
        if self.is_bonafide is not None:
            bona = np.asarray(self.is_bonafide, dtype=np.int64)
            self.targets = np.column_stack([bona[self.a], bona[self.b]])

    def __len__(self) -> int:
        return self.n_pairs

    def __getitem__(self, i: int):
        x = {"x_a": self.features[int(self.a[i])], "x_b": self.features[int(self.b[i])]}
        return x, self.targets[i]

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
                self.targets[i],
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
