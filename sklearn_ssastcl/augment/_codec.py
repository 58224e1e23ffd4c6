"""Lossy speech codecs as augmentation, encoded and decoded with libsndfile."""

from __future__ import annotations

import io
from math import gcd
from numbers import Real

import numpy as np
import soundfile as sf
from scipy import signal
from sklearn.utils._param_validation import Interval

from sklearn_ssastcl.augment._base import WaveformAugmenter, _peak_normalise
from sklearn_ssastcl.augment._filters import _check_choices

#: codec name -> (libsndfile format, subtype, codec sample rate in Hz)
_CODECS = {
    "gsm": ("WAV", "GSM610", 8000),
    "mulaw": ("WAV", "ULAW", 8000),
    "alaw": ("WAV", "ALAW", 8000),
    "opus": ("OGG", "OPUS", 16000),
}
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


def _resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    if rate_in == rate_out:
        return x
    g = gcd(rate_in, rate_out)
    return signal.resample_poly(x, rate_out // g, rate_in // g)


def codec_round_trip(
    x: np.ndarray, sample_rate: int, codec: str, *, opus_compression: float = 1.0
) -> np.ndarray:
    """Encode and decode one clip with ``codec``, in memory; same length and rate.

    GSM 06.10 and G.711 (mu-law, a-law) run at 8 kHz, so the clip is resampled to
    8 kHz and back; Opus runs at ``sample_rate`` when Opus supports it (else at
    16 kHz). Samples are clipped to [-1, 1] before encoding.
    """
    fmt, subtype, rate = _CODECS[codec]
    if codec == "opus" and sample_rate in _OPUS_RATES:
        rate = sample_rate
    y = np.clip(_resample(np.asarray(x, dtype=np.float64), sample_rate, rate), -1, 1)
    buffer = io.BytesIO()
    extra = {"compression_level": float(opus_compression)} if codec == "opus" else {}
    sf.write(buffer, y, rate, format=fmt, subtype=subtype, **extra)
    buffer.seek(0)
    decoded, _ = sf.read(buffer, dtype="float64")
    decoded = _resample(decoded, rate, sample_rate)[: len(x)]
    return np.pad(decoded, (0, len(x) - len(decoded)))


class Codec(WaveformAugmenter):
    """Pass a clip through a lossy speech codec: GSM, G.711 or Opus.

    With probability ``p``, a codec drawn uniformly from ``codecs`` encodes and
    decodes the clip in memory with libsndfile (through ``soundfile``): GSM 06.10
    full rate (13 kbit/s) and G.711 mu-law / a-law (64 kbit/s) at 8 kHz (the clip
    is resampled to 8 kHz and back, which also band-limits it to 4 kHz), and Opus
    at the clip's rate. The ASVspoof 2021 LA eval transmits its trials through
    such codecs; this simulates them at training time. The result is divided by
    its peak if that exceeds 1.

    Parameters
    ----------
    p : float, default=0.5
        Probability of applying a codec to a clip.
    codecs : tuple of str, default=("gsm", "opus", "mulaw", "alaw")
        Codecs to draw from.
    opus_compression : float, default=1.0
        libsndfile's Opus compression level in [0, 1]; 1.0 is its lowest bit rate
        (about 12 kbit/s for 16 kHz speech), 0.8 about 60 kbit/s.

    See Also
    --------
    TelephoneChannel : 8 kHz companding with a 300-3400 Hz band-pass.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ssastcl.augment import Codec
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(16000) / 16000
    >>> x = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    >>> y = Codec(p=1.0, codecs=("gsm",))(x, rng)
    >>> y.shape, y.dtype
    ((16000,), dtype('float32'))
    """

    _parameter_constraints: dict = {
        "p": [Interval(Real, 0, 1, closed="both")],
        "codecs": [tuple, list, str],
        "opus_compression": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, *, p=0.5, codecs=tuple(_CODECS), opus_compression=1.0):
        self.p = p
        self.codecs = codecs
        self.opus_compression = opus_compression

    def _check_params(self, sample_rate: int) -> tuple:
        self._validate_params()
        owner = type(self).__name__
        return _check_choices(self.codecs, tuple(_CODECS), "codecs", owner)

    def _apply(self, x, rng, sample_rate, checked):
        codec = checked[int(rng.integers(len(checked)))]
        y = codec_round_trip(
            x, sample_rate, codec, opus_compression=self.opus_compression
        )
        return _peak_normalise(y).astype(np.float32)
