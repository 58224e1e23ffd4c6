"""Batched Kaldi log-mel filterbank, as SSAST computes it (``_wav2fbank``).

``KaldiFbank`` gives the same numbers as ``torchaudio.compliance.kaldi.fbank`` called
clip by clip with SSAST's arguments (``htk_compat=True``, ``use_energy=False``,
``window_type='hanning'``, ``dither=0.0``, ``frame_shift=10``, the other arguments at
their defaults), after SSAST's whole-clip DC removal, but on a whole batch at once.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchaudio.compliance.kaldi import get_mel_banks

#: ``log`` floor of the mel energies, as torchaudio's Kaldi compliance module uses it.
EPSILON: float = torch.finfo(torch.float).eps

_MS = 0.001  # torchaudio's MILLISECONDS_TO_SECONDS, kept to round as it does
_LOW_FREQ = 20.0  # Kaldi's default low cut-off of the mel bins (Hz)
_BLOCK = 16  # mel bins per block of the sparse mel product


def _mel_blocks(fb: Tensor, size: int) -> list[tuple[int, int, int, int]]:
    """``(k0, k1, a, b)``: mel bins ``k0:k1`` only use FFT bins ``a:b`` of ``fb``."""
    blocks = []
    for k0 in range(0, fb.shape[1], size):
        k1 = min(k0 + size, fb.shape[1])
        rows = torch.nonzero(fb[:, k0:k1].any(dim=1)).flatten()
        a, b = (int(rows[0]), int(rows[-1]) + 1) if len(rows) else (0, 1)
        blocks.append((k0, k1, a, b))
    return blocks


def frame_sizes(
    sample_rate: float, frame_length_ms: float = 25.0, frame_shift_ms: float = 10.0
) -> tuple[int, int, int]:
    """Window, hop and FFT sizes in samples, rounded as torchaudio's Kaldi code does.

    Parameters
    ----------
    sample_rate : float
        Sampling rate in Hz.
    frame_length_ms : float, default=25.0
        Window length in milliseconds.
    frame_shift_ms : float, default=10.0
        Hop between frames in milliseconds.

    Returns
    -------
    tuple of int
        ``(window, hop, n_fft)``; ``n_fft`` is the next power of two of ``window``.

    Examples
    --------
    >>> frame_sizes(16000)
    (400, 160, 512)
    """
    window = int(sample_rate * frame_length_ms * _MS)
    hop = int(sample_rate * frame_shift_ms * _MS)
    n_fft = 1 if window == 0 else 2 ** (window - 1).bit_length()
    return window, hop, n_fft


def num_frames(n_times: int | Tensor, window: int, hop: int) -> int | Tensor:
    """Number of frames Kaldi gives with ``snip_edges=True`` (0 when too short).

    Examples
    --------
    >>> num_frames(64600, 400, 160)
    402
    """
    if isinstance(n_times, Tensor):
        return torch.where(
            n_times >= window,
            1 + torch.div(n_times - window, hop, rounding_mode="floor"),
            0,
        )
    return 1 + (n_times - window) // hop if n_times >= window else 0


class KaldiFbank(nn.Module):
    """Waveforms ``(batch, n_times)`` -> Kaldi log-mel ``(batch, n_frames, n_mels)``.

    Each clip first loses its mean (SSAST's ``waveform - waveform.mean()``); then every
    frame loses its own mean, is pre-emphasised (0.97, first sample replicated), Hann
    windowed (symmetric), zero-padded to a power of two, and its power spectrum goes
    through Kaldi's mel bank (20 Hz to ``high_freq``, by default the Nyquist
    frequency); out comes ``log(max(eps, energy))``.
    The mel bank ``fb`` and the ``window`` are buffers, so ``.to(device)`` moves them.
    Results agree with torchaudio's ``fbank`` to float32 rounding (about 1e-6).

    Parameters
    ----------
    sample_rate : float, default=16000
        Sampling rate of the waveforms in Hz.
    n_mels : int, default=128
        Number of mel bins (at least 4).
    frame_length_ms : float, default=25.0
        Window length in milliseconds.
    frame_shift_ms : float, default=10.0
        Hop between frames in milliseconds.
    remove_mean : bool, default=True
        Subtract each clip's mean before framing, as SSAST does. Set it to False when
        the clips are already centred (``LogMel`` centres them before cutting).
    high_freq : float or None, default=None
        Upper edge of the mel bank in Hz (Kaldi's ``high_freq``); None means the
        Nyquist frequency. 4000 keeps the telephone band, so clips that went
        through an 8 kHz codec look like the others.

    Examples
    --------
    >>> import torch
    >>> KaldiFbank(sample_rate=16000, n_mels=128)(torch.zeros(2, 16000)).shape
    torch.Size([2, 98, 128])
    """

    def __init__(
        self,
        sample_rate: float = 16000,
        n_mels: int = 128,
        frame_length_ms: float = 25.0,
        frame_shift_ms: float = 10.0,
        remove_mean: bool = True,
        high_freq: float | None = None,
    ) -> None:
        super().__init__()
        window, hop, n_fft = frame_sizes(sample_rate, frame_length_ms, frame_shift_ms)
        if window < 2 or hop < 1:
            raise ValueError(
                f"A {frame_length_ms} ms window and {frame_shift_ms} ms hop at "
                f"{sample_rate} Hz give {window} and {hop} samples; the window needs "
                "at least 2 samples and the hop at least 1. Raise sample_rate or the "
                "frame lengths."
            )
        if not sample_rate > 2 * _LOW_FREQ:
            raise ValueError(
                f"sample_rate={sample_rate} puts the Nyquist frequency below the "
                f"{_LOW_FREQ:g} Hz low cut-off of the mel bins; use a rate above "
                f"{2 * _LOW_FREQ:g} Hz."
            )
        if n_mels < 4:
            raise ValueError(
                f"n_mels must be at least 4 (Kaldi's limit); got {n_mels}."
            )
        nyquist = sample_rate / 2
        if high_freq is not None and not _LOW_FREQ < high_freq <= nyquist:
            raise ValueError(
                f"high_freq={high_freq} Hz must lie above the {_LOW_FREQ:g} Hz low "
                f"cut-off and at most at the Nyquist frequency ({nyquist:g} Hz); "
                "None means the Nyquist frequency."
            )
        self.sample_rate = sample_rate
        self.n_mels = n_mels
        self.high_freq = high_freq
        self.win_length = window
        self.hop_length = hop
        self.n_fft = n_fft
        self.remove_mean = remove_mean
        fb, _ = get_mel_banks(
            n_mels,
            n_fft,
            float(sample_rate),
            _LOW_FREQ,
            0.0 if high_freq is None else float(high_freq),
            100.0,
            -500.0,
            1.0,
        )
        # Kaldi leaves the Nyquist bin out: a zero row; stored (n_fft // 2 + 1, n_mels).
        fb = torch.nn.functional.pad(fb, (0, 1)).T.contiguous()
        self.register_buffer("fb", fb, persistent=False)
        # The bank is sparse (each FFT bin feeds at most two mel bins): multiply
        # blocks of mel bins by the rows (FFT bins) they use, not the whole matrix.
        self._blocks = _mel_blocks(fb, _BLOCK)
        window_fn = torch.hann_window(window, periodic=False, dtype=torch.float32)
        self.register_buffer("window", window_fn, persistent=False)

    def num_frames(self, n_times: int | Tensor) -> int | Tensor:
        """Number of frames of a clip of ``n_times`` samples (0 when too short)."""
        return num_frames(n_times, self.win_length, self.hop_length)

    def forward(self, waveform: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Compute the log-mel filterbank of a batch.

        Parameters
        ----------
        waveform : Tensor of shape (batch, n_times)
            Equal-length clips, or clips zero-padded at the end with ``lengths`` given.
        lengths : Tensor of shape (batch,), default=None
            Valid samples of each clip. Frames that reach past a clip's end are set
            to 0 and the clip mean uses only its valid samples.

        Returns
        -------
        Tensor of shape (batch, n_frames, n_mels)
            ``n_frames = 1 + (n_times - win_length) // hop_length``.
        """
        if waveform.dim() != 2:
            raise ValueError(
                "KaldiFbank expects waveforms of shape (batch, n_times); got shape "
                f"{tuple(waveform.shape)}."
            )
        if not waveform.is_floating_point():
            from sklearn_ssastcl._clips import check_float_samples

            check_float_samples(waveform.dtype, "KaldiFbank", "waveforms")
        n_times = waveform.shape[-1]
        if n_times < self.win_length:
            raise ValueError(
                f"KaldiFbank got clips of {n_times} samples; the window needs at least "
                f"{self.win_length}. Pad the clips."
            )
        if self.remove_mean:
            # one 1-D mean per clip: the same reduction as SSAST's waveform.mean()
            ends = [n_times] * len(waveform) if lengths is None else lengths.tolist()
            mean = torch.stack([row[:end].mean() for row, end in zip(waveform, ends)])
            waveform = waveform - mean[:, None]
        if lengths is not None:
            lengths = torch.as_tensor(lengths, device=waveform.device)
            past_end = torch.arange(n_times, device=waveform.device) >= lengths[:, None]
            waveform = waveform.masked_fill(past_end, 0.0)
        dtype = waveform.dtype
        strided = waveform.unfold(-1, self.win_length, self.hop_length)  # a view
        out_len = strided.shape[1]
        window = self.window
        if dtype != torch.float32:  # Kaldi computes the window in the input's dtype
            window = torch.hann_window(
                self.win_length, periodic=False, dtype=dtype, device=window.device
            )
        if torch.is_grad_enabled() and waveform.requires_grad:
            # the same arithmetic without the in-place writes, so autograd can follow
            frames = strided - strided.mean(dim=-1, keepdim=True)
            frames = torch.cat((frames[..., :1], frames), dim=-1)
            emphasised = (frames[..., 1:] - 0.97 * frames[..., :-1]) * window
            power = torch.fft.rfft(emphasised, n=self.n_fft).abs().pow(2.0)
            out = self._log_mel(power)
            if lengths is not None:
                out = out.masked_fill(self._past_end(out_len, lengths), 0.0)
            return out
        # Frames of win_length + 1 samples: columns 1: hold the frame minus its mean,
        # column 0 its first sample again (Kaldi's pre-emphasis replicates it), so
        # the pre-emphasis below reads both the frame and its shift from one tensor.
        frames = strided.new_empty(*strided.shape[:-1], self.win_length + 1)
        torch.sub(strided, strided.mean(dim=-1, keepdim=True), out=frames[..., 1:])
        frames[..., 0] = frames[..., 1]
        # pre-emphasis and window written straight into the zero-padded FFT input
        padded = frames.new_empty(*frames.shape[:-1], self.n_fft)
        padded[..., self.win_length :] = 0.0
        emphasised = padded[..., : self.win_length]
        torch.mul(frames[..., :-1], 0.97, out=emphasised)
        torch.sub(frames[..., 1:], emphasised, out=emphasised)
        emphasised.mul_(window)
        spectrum = torch.fft.rfft(padded)
        power = torch.view_as_real(spectrum.mul_(spectrum.conj()))[..., 0].contiguous()
        out = self._log_mel(power, inplace=True)
        if lengths is not None:
            out.masked_fill_(self._past_end(out_len, lengths), 0.0)
        return out

    def _log_mel(self, power: Tensor, inplace: bool = False) -> Tensor:
        """``log(max(eps, power @ fb))``, block by block of the sparse mel bank."""
        fb = self.fb.to(power.dtype)
        parts = [power[..., a:b] @ fb[a:b, k0:k1] for k0, k1, a, b in self._blocks]
        mel = torch.cat(parts, dim=-1)
        if inplace:
            return mel.clamp_min_(EPSILON).log_()
        return mel.clamp_min(EPSILON).log()

    def _past_end(self, n_frames: int, lengths: Tensor) -> Tensor:
        """``(batch, n_frames, 1)`` mask of the frames that reach past a clip's end."""
        frame = torch.arange(n_frames, device=lengths.device)
        return (frame >= self.num_frames(lengths)[:, None])[..., None]
