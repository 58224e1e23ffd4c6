"""Tiny shared configuration, data and reference helpers for the tests.

The fixtures built on these live in ``tests/conftest.py``; the helpers stay
importable here for the tests that need other sizes or seeds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

#: A classifier config that fits in well under a second on one CPU thread.
TINY = {
    "embed_dim": 16,
    "depth": 1,
    "num_heads": 2,
    "n_mels": 8,
    "kernel_size": (4, 4),
    "max_epochs": 2,
    "head_epochs": 2,
    "batch_size": 8,
    "random_state": 0,
}

N_FRAMES = 16
SR = 16000


def make_spectrograms(n=60, *, seed=0, shift=1.5, labels=("bonafide", "spoof")):
    """Separable synthetic spectrograms: spoof clips carry extra high-band energy."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FRAMES, TINY["n_mels"])).astype(np.float32)
    y = np.array([labels[i % 2] for i in range(n)], dtype=object)
    X[y == labels[1], :, 5:] += shift
    if all(isinstance(lab, (int, np.integer)) for lab in labels):
        y = y.astype(np.int64)
    else:
        y = y.astype(str)
    return X, y


def make_waves(n=24, *, seconds=0.25, seed=0):
    """Bona fide: a low tone; spoof: the same plus a high tone; both with noise.

    Labels alternate ``bonafide``, ``spoof``; clips are float32 at 16 kHz.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = np.array(["bonafide", "spoof"] * (n // 2))
    clips = []
    for label in y:
        w = 0.3 * np.sin(2 * np.pi * rng.uniform(150, 300) * t)
        if label == "spoof":
            w = w + 0.2 * np.sin(2 * np.pi * rng.uniform(5000, 7000) * t)
        clips.append((w + 0.01 * rng.normal(size=t.size)).astype(np.float32))
    return clips, y


def tiny_logmel(**kw):
    """The LogMel frontend that matches :data:`TINY` (8 mel bins, 16 frames)."""
    from sklearn_ssastcl import LogMel

    return LogMel(n_mels=TINY["n_mels"], target_length=N_FRAMES, **kw)


def write_audio(folder, waves, *, ext="wav", subtype=None, sample_rate=SR):
    """Write ``waves`` as ``clip00.<ext>``, ``clip01.<ext>``, ...; return the paths."""
    paths = []
    for i, wave in enumerate(waves):
        path = Path(folder) / f"clip{i:02d}.{ext}"
        sf.write(path, np.asarray(wave, dtype=np.float32), sample_rate, subtype=subtype)
        paths.append(path)
    return paths


def brute_force_eer(tar, non):
    """EER by looping over thresholds (valid when no scores are tied).

    Operating point t rejects every score <= t. Candidates: below all scores,
    then each score in ascending order; first minimiser of |FRR - FAR| wins.
    """
    candidates = [min(min(tar), min(non)) - 1.0] + sorted(list(tar) + list(non))
    best, best_gap = None, np.inf
    for t in candidates:
        frr = sum(1 for x in tar if x <= t) / len(tar)
        far = sum(1 for x in non if x > t) / len(non)
        if abs(frr - far) < best_gap:
            best_gap, best = abs(frr - far), (frr + far) / 2
    return best


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Run torch on one thread: the test machine's cores are shared."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
