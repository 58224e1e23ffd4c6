"""Audio files read block by block: mixed down, checked, resampled, cut in windows.

Memory stays flat whatever the length of the file: soundfile reads blocks of
``BLOCK_FRAMES`` frames, each block is mixed down to mono (mean of the channels),
checked for NaN and infinite samples, and resampled to the model's rate with
:func:`torchaudio.functional.resample` *in a streaming way* that gives the same
samples as resampling the whole file at once (each block is resampled with enough
left context, and only outputs whose filter support lies in the data read are kept).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

import numpy as np

#: Frames read from the file at a time.
BLOCK_FRAMES = 1 << 16
#: A window whose peak-to-peak amplitude is at most this is digital silence.
SILENT_PTP = 1e-6


class AudioProblem(ValueError):
    """A file that cannot be scored; ``status`` says why in one word."""

    def __init__(self, status: str, path: str, message: str):
        super().__init__(f"{path} {message}")
        self.status = status
        self.path = path


class StreamResampler:
    """Resample consecutive blocks; the output equals resampling them joined.

    torchaudio computes output frame ``m`` (``new`` samples) from the input samples
    ``[m * orig - width, m * orig + width + orig)`` (``orig``, ``new`` divided by
    their gcd), with zeros outside the signal. Each call resamples the pending input
    with at least ``width`` samples of real left context, starting on a multiple of
    ``orig``, and keeps only the frames whose support has been read.
    """

    def __init__(self, orig_freq: int, new_freq: int):
        gcd = math.gcd(int(orig_freq), int(new_freq))
        self.orig_freq, self.new_freq = int(orig_freq), int(new_freq)
        self._o, self._n = self.orig_freq // gcd, self.new_freq // gcd
        # torchaudio's filter half-width (lowpass width 6, rolloff 0.99), doubled
        width = math.ceil(6 * self._o / (min(self._o, self._n) * 0.99))
        self._width = 2 * width + 16
        self._context = math.ceil(self._width / self._o) * self._o
        self._buf = np.zeros(0, dtype=np.float32)
        self._buf_start = 0  # input index of _buf[0], a multiple of _o
        self._next = 0  # next output frame to give
        self._n_in = 0

    def push(self, block: np.ndarray, *, final: bool = False) -> np.ndarray:
        """Resampled samples that ``block`` (and all before it) make certain."""
        if self._o == self._n:
            return block
        import torch
        import torchaudio.functional as F

        self._buf = np.concatenate([self._buf, block])
        self._n_in += block.shape[0]
        end = self._buf_start + self._buf.shape[0]
        if final:
            n_total = -(-self._n * self._n_in // self._o)  # samples in all
            stop = -(-n_total // self._n)  # frames in all
        else:
            stop = max(self._next, (end - self._width - self._o) // self._o + 1)
        if stop <= self._next or self._buf.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        first = self._buf_start // self._o  # frame of output sample 0 below
        out = F.resample(
            torch.from_numpy(self._buf), self.orig_freq, self.new_freq
        ).numpy()
        lo, hi = (self._next - first) * self._n, (stop - first) * self._n
        if final:
            hi = min(hi, n_total - first * self._n)
        kept = np.array(out[lo:hi], dtype=np.float32)
        self._next = stop
        keep_from = max(0, stop * self._o - self._context)
        self._buf = self._buf[keep_from - self._buf_start :]
        self._buf_start = keep_from
        return kept


def read_blocks(path: str) -> Iterator[np.ndarray]:
    """Mono float32 blocks of ``path`` at its own rate (its rate is sent first).

    The first item is ``(sample_rate, channels)``; then come the blocks. Raises
    :class:`AudioProblem` for a missing, empty, unreadable or non-finite file.
    """
    import soundfile as sf

    if not os.path.isfile(path):
        what = "is a folder" if os.path.isdir(path) else "does not exist"
        raise AudioProblem("missing", path, f"{what}; check the path.")
    if os.path.getsize(path) == 0:
        raise AudioProblem(
            "empty", path, "is empty (0 bytes); copy or record it again."
        )
    try:
        handle = sf.SoundFile(path)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioProblem(
            "unreadable",
            path,
            f"cannot be decoded as audio ({exc}). It is corrupt or in a format "
            "libsndfile does not read; convert it (e.g. `ffmpeg -i IN OUT.flac`).",
        ) from exc
    with handle:
        rate, channels = int(handle.samplerate), int(handle.channels)
        yield rate, channels
        done = 0
        while True:
            try:
                block = handle.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as exc:
                raise AudioProblem(
                    "unreadable",
                    path,
                    f"cannot be decoded after {done / rate:.2f} s ({exc}); it is "
                    "truncated or corrupt. Repair or re-export it.",
                ) from exc
            if block.shape[0] == 0:
                break
            mono = block[:, 0] if channels == 1 else block.mean(axis=1)
            bad = ~np.isfinite(mono)
            if bad.any():
                at = (done + int(np.flatnonzero(bad)[0])) / rate
                raise AudioProblem(
                    "non_finite",
                    path,
                    f"holds NaN or infinite samples (first at {at:.3f} s); repair "
                    "the file (e.g. re-export it from the source) or drop it.",
                )
            done += block.shape[0]
            yield np.ascontiguousarray(mono, dtype=np.float32)
    if done == 0:
        raise AudioProblem("empty", path, "holds no samples; copy or record it again.")


class WindowReader:
    """Windows of ``window`` samples every ``hop`` samples of a file at ``rate``.

    Iterating yields ``(start, samples)`` with ``start`` in samples at ``rate``. A
    last window ends at the end of the file when the regular ones stop short of it;
    a file shorter than ``window`` (but of at least ``minimum`` samples) is one
    shorter window. After iteration ``n_samples``, ``file_rate`` and ``channels``
    describe the file.
    """

    def __init__(self, path, rate: int, window: int, hop: int, minimum: int):
        self.path = os.fspath(path)
        self.rate, self.window, self.hop, self.minimum = rate, window, hop, minimum
        self.n_samples = 0
        self.file_rate = self.channels = None

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        blocks = read_blocks(self.path)
        self.file_rate, self.channels = next(blocks)
        resampler = StreamResampler(self.file_rate, self.rate)
        buf = np.zeros(0, dtype=np.float32)
        buf_start = next_start = 0
        last = -1
        for block, final in _with_last(blocks):
            out = resampler.push(block, final=final)
            buf = np.concatenate([buf, out])
            self.n_samples += out.shape[0]
            while next_start + self.window <= buf_start + buf.shape[0]:
                lo = next_start - buf_start
                yield next_start, buf[lo : lo + self.window].copy()
                last, next_start = next_start, next_start + self.hop
            drop = min(next_start, buf_start + buf.shape[0] - self.window)
            if drop > buf_start:
                buf, buf_start = buf[drop - buf_start :], drop
        n = self.n_samples
        if n < self.minimum:
            raise AudioProblem(
                "too_short",
                self.path,
                f"lasts {n / self.rate:.3f} s; the model needs at least "
                f"{self.minimum / self.rate:.3f} s to judge it. Drop it, or give "
                "a longer recording.",
            )
        if last < 0:
            yield 0, buf.copy()
        elif last + self.window < n:
            yield n - self.window, buf[buf.shape[0] - self.window :].copy()


def _with_last(items):
    """``(item, is_last)`` pairs; an empty iterable gives ``(empty, True)``."""
    previous = None
    for item in items:
        if previous is not None:
            yield previous, False
        previous = item
    yield (np.zeros(0, dtype=np.float32) if previous is None else previous), True
