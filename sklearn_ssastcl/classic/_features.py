"""Front ends of the classic countermeasures: LFCCs and the log power spectrum."""

from __future__ import annotations

import functools
import math

import numpy as np

#: Floor added to the power spectrum before its logarithm.
LOG_FLOOR: float = 1e-10


def lfcc_sizes(sample_rate: int) -> tuple[int, int, int]:
    """``(win_length, hop_length, n_fft)`` of the LFCC front end.

    A 20 ms window, a 10 ms hop and the next power of two as FFT size: 320, 160
    and 512 samples at 16 kHz, as in the ASVspoof 2019 baseline.
    """
    win = max(1, int(0.020 * sample_rate))
    hop = max(1, int(0.010 * sample_rate))
    return win, hop, 1 << max(0, math.ceil(math.log2(win)))


def spectrum_sizes(sample_rate: int) -> tuple[int, int]:
    """``(win_length, hop_length)`` of the log spectrum: 25 ms and 10 ms."""
    return max(1, int(0.025 * sample_rate)), max(1, int(0.010 * sample_rate))


@functools.lru_cache(maxsize=8)
def _lfcc_module(sample_rate: int, n_filter: int, n_lfcc: int):
    import torch
    import torchaudio

    win, hop, n_fft = lfcc_sizes(sample_rate)
    return torchaudio.transforms.LFCC(
        sample_rate=sample_rate,
        n_filter=n_filter,
        n_lfcc=n_lfcc,
        log_lf=True,
        speckwargs={
            "n_fft": n_fft,
            "win_length": win,
            "hop_length": hop,
            "window_fn": torch.hamming_window,
        },
    )


def lfcc(
    waveform: np.ndarray,
    *,
    sample_rate: int = 16000,
    n_filter: int = 20,
    n_lfcc: int = 20,
) -> np.ndarray:
    """LFCCs with deltas and double deltas of one clip, one row per frame.

    ``torchaudio.transforms.LFCC`` (power spectrum of Hamming-windowed frames,
    ``n_filter`` linear triangular filters, natural log, DCT-II keeping
    ``n_lfcc`` coefficients), then ``torchaudio.functional.compute_deltas``
    twice.

    Parameters
    ----------
    waveform : ndarray of shape (n_times,)
        Float samples in [-1, 1].
    sample_rate : int, default=16000
        Sampling rate in Hz; sets the frame sizes (see :func:`lfcc_sizes`).
    n_filter : int, default=20
        Linear filters.
    n_lfcc : int, default=20
        Cepstral coefficients kept (at most ``n_filter``).

    Returns
    -------
    ndarray of shape (n_frames, 3 * n_lfcc), dtype float64
        ``[c, delta c, delta delta c]`` per frame.
    """
    import torch
    import torchaudio

    module = _lfcc_module(sample_rate, n_filter, n_lfcc)
    wave = torch.as_tensor(np.asarray(waveform, dtype=np.float32))
    with torch.inference_mode():
        c = module(wave)  # (n_lfcc, n_frames)
        d = torchaudio.functional.compute_deltas(c)
        dd = torchaudio.functional.compute_deltas(d)
        return torch.cat([c, d, dd]).T.double().numpy()


def log_spectrum(
    waveform: np.ndarray, *, sample_rate: int = 16000, n_fft: int = 512
) -> np.ndarray:
    """Log power spectrum of one clip, one row per frame.

    Frames of 25 ms every 10 ms without padding (the last partial frame is
    dropped, as in Kaldi), a periodic Hann window, an ``n_fft``-point real FFT
    (the frame is zero-padded to ``n_fft``) and ``log(|X|^2 + 1e-10)``; float64
    throughout.

    Parameters
    ----------
    waveform : ndarray of shape (n_times,)
        Float samples in [-1, 1], at least one window long.
    sample_rate : int, default=16000
        Sampling rate in Hz; sets the frame sizes (see :func:`spectrum_sizes`).
    n_fft : int, default=512
        FFT size, at least the window length (400 at 16 kHz).

    Returns
    -------
    ndarray of shape (n_frames, n_fft // 2 + 1), dtype float64
        Natural-log power per frequency bin.
    """
    import torch

    win, hop = spectrum_sizes(sample_rate)
    wave = torch.as_tensor(np.asarray(waveform, dtype=np.float64))
    with torch.inference_mode():
        frames = wave.unfold(0, win, hop)  # (n_frames, win)
        window = torch.hann_window(win, periodic=True, dtype=torch.float64)
        power = torch.fft.rfft(frames * window, n=n_fft).abs().square()
        return torch.log(power + LOG_FLOOR).numpy()


def spectral_statistics(
    waveform: np.ndarray,
    *,
    sample_rate: int = 16000,
    n_fft: int = 512,
    statistics: tuple[str, ...] = ("mean", "std"),
) -> np.ndarray:
    """Per-bin statistics over frames of :func:`log_spectrum`, concatenated.

    Parameters
    ----------
    waveform : ndarray of shape (n_times,)
        Float samples in [-1, 1].
    sample_rate : int, default=16000
        Sampling rate in Hz.
    n_fft : int, default=512
        FFT size.
    statistics : tuple of {"mean", "std"}, default=("mean", "std")
        Statistics, in this order; ``"std"`` is the population standard
        deviation (``ddof=0``).

    Returns
    -------
    ndarray of shape (len(statistics) * (n_fft // 2 + 1),)
        The clip's feature vector.
    """
    spec = log_spectrum(waveform, sample_rate=sample_rate, n_fft=n_fft)
    funcs = {"mean": np.mean, "std": np.std}
    return np.concatenate([funcs[s](spec, axis=0) for s in statistics])
