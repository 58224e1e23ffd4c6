"""The classic front ends against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchaudio
from numpy.testing import assert_allclose

from sklearn_ssastcl.classic import lfcc, log_spectrum, spectral_statistics
from sklearn_ssastcl.classic._features import lfcc_sizes, spectrum_sizes


def _wave(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    return (0.1 * np.sin(2 * np.pi * 440 * t) + 0.01 * rng.normal(size=n)).astype(
        np.float32
    )


def numpy_log_spectrum(wave, n_fft=512, win=400, hop=160):
    """Kaldi-style frames, periodic Hann window, numpy's rfft, log power."""
    n_frames = 1 + (len(wave) - win) // hop
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)
    frames = np.stack([wave[i * hop : i * hop + win] for i in range(n_frames)])
    power = np.abs(np.fft.rfft(frames.astype(np.float64) * window, n=n_fft)) ** 2
    return np.log(power + 1e-10)


def test_frame_sizes_at_16k():
    assert lfcc_sizes(16000) == (320, 160, 512)
    assert spectrum_sizes(16000) == (400, 160)


@pytest.mark.parametrize("n", [400, 401, 4000, 4321])
def test_log_spectrum_matches_numpy(n):
    wave = _wave(n)
    spec = log_spectrum(wave)
    assert spec.shape == (1 + (n - 400) // 160, 257)
    assert spec.dtype == np.float64
    assert_allclose(spec, numpy_log_spectrum(wave), rtol=1e-9, atol=1e-9)


def test_spectral_statistics_match_numpy():
    wave = _wave(5000, seed=3)
    ref = numpy_log_spectrum(wave)
    feats = spectral_statistics(wave)
    assert feats.shape == (514,)
    assert_allclose(feats[:257], ref.mean(axis=0), rtol=1e-9, atol=1e-9)
    assert_allclose(feats[257:], ref.std(axis=0), rtol=1e-9, atol=1e-9)
    std_first = spectral_statistics(wave, statistics=("std", "mean"))
    assert_allclose(std_first, np.concatenate([feats[257:], feats[:257]]))
    small = spectral_statistics(wave, n_fft=1024, statistics=("mean",))
    assert_allclose(small, numpy_log_spectrum(wave, n_fft=1024).mean(axis=0))


def test_lfcc_matches_torchaudio():
    wave = _wave(4000, seed=1)
    transform = torchaudio.transforms.LFCC(
        sample_rate=16000,
        n_filter=20,
        n_lfcc=20,
        log_lf=True,
        speckwargs={
            "n_fft": 512,
            "win_length": 320,
            "hop_length": 160,
            "window_fn": torch.hamming_window,
        },
    )
    c = transform(torch.from_numpy(wave))
    d = torchaudio.functional.compute_deltas(c)
    dd = torchaudio.functional.compute_deltas(d)
    expected = torch.cat([c, d, dd]).T.numpy()
    feats = lfcc(wave)
    assert feats.shape == (1 + 4000 // 160, 60)
    assert feats.dtype == np.float64
    assert_allclose(feats, expected, rtol=1e-6, atol=1e-6)
    assert lfcc(wave, n_lfcc=13, n_filter=30).shape == (26, 39)
