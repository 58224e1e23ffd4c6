"""Train-time data augmentation.

Waveform augmenters (:class:`RawBoost`, :class:`FIRFilter`,
:class:`TelephoneChannel`, :class:`Codec`, :class:`Compose`) are called as
``augment(waveform, rng, sample_rate)`` with a ``numpy.random.Generator``;
:class:`SpecAugment` is called as ``augment(spec, generator)`` with a
``torch.Generator``. None of them touches a global random state.
"""

from __future__ import annotations

from sklearn_ssastcl.augment._codec import Codec
from sklearn_ssastcl.augment._compose import Compose, augment_waveforms
from sklearn_ssastcl.augment._filters import FIRFilter, TelephoneChannel
from sklearn_ssastcl.augment._rawboost import RawBoost
from sklearn_ssastcl.augment._specaugment import SpecAugment

__all__ = [
    "Codec",
    "Compose",
    "FIRFilter",
    "RawBoost",
    "SpecAugment",
    "TelephoneChannel",
    "augment_waveforms",
]
