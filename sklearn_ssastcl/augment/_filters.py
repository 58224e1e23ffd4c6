"""Channel simulations: random linear-phase FIR filters and a telephone channel."""

from __future__ import annotations

from math import gcd
from numbers import Integral, Real

import numpy as np
from scipy import signal
from sklearn.utils._param_validation import Interval

from sklearn_ssastcl.augment._base import (
    WaveformAugmenter,
    _check_below_nyquist,
    _pair,
    _peak_normalise,
)

_FIR_KINDS = ("lowpass", "bandpass", "highpass")
_COMPANDING = ("mulaw", "alaw", "none")


def _aligned_fir(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Filter with an odd-length linear-phase FIR, shifted back by its group delay.

    ``oaconvolve(..., mode="same")`` keeps samples ``(M - 1) / 2`` onwards of the
    full convolution, which removes the delay of a symmetric ``M``-tap filter.
    """
    return signal.oaconvolve(x, taps, mode="same")


def _check_numtaps(numtaps, owner: str) -> tuple[int, int]:
    if isinstance(numtaps, Integral) and not isinstance(numtaps, bool):
        low = high = int(numtaps)
    else:
        try:
            low, high = numtaps
        except (TypeError, ValueError):
            raise ValueError(
                f"{owner}: numtaps must be an odd int or a (low, high) pair of odd "
                f"ints; got {numtaps!r}."
            ) from None
        if not all(
            isinstance(v, Integral) and not isinstance(v, bool) for v in (low, high)
        ):
            raise ValueError(
                f"{owner}: numtaps must hold integers; got {numtaps!r}. "
                "Use e.g. (31, 101)."
            )
        low, high = int(low), int(high)
    for v in (low, high):
        if v < 3 or v % 2 == 0:
            raise ValueError(
                f"{owner}: numtaps must be odd and at least 3 (a linear-phase "
                f"high-pass or band-pass FIR filter needs an odd length); got "
                f"{numtaps!r}. Use {max(3, v + 1)} instead of {v}."
            )
    if low > high:
        raise ValueError(
            f"{owner}: numtaps must be a (low, high) pair with low <= high; got "
            f"{numtaps!r}. Swap the two values."
        )
    return low, high


def _check_choices(value, allowed: tuple, name: str, owner: str) -> tuple:
    if isinstance(value, str):
        value = (value,)
    try:
        value = tuple(value)
    except TypeError:
        value = None
    if not value or any(v not in allowed for v in value):
        raise ValueError(
            f"{owner}: {name} must be a non-empty tuple drawn from {allowed}; "
            f"got {value!r}."
        )
    return value


class FIRFilter(WaveformAugmenter):
    """Random linear-phase FIR filter: codec / band-limit simulation.

    With probability ``p``, picks one filter kind uniformly from ``kinds``, designs
    it with ``scipy.signal.firwin`` (Hamming window, odd ``numtaps`` drawn uniformly
    from the odd integers in ``numtaps``), filters with delay compensation so the
    output stays aligned with the input, and divides by the peak if it exceeds 1
    (as the reference RawBoost code).

    Parameters
    ----------
    p : float, default=0.5
        Probability of filtering a clip.
    numtaps : int or tuple of (int, int), default=(31, 101)
        Odd filter length, or the range of odd lengths to draw from.
    kinds : tuple of str, default=("lowpass", "bandpass", "highpass")
        Filter kinds to choose from.
    lowpass_cutoff : tuple of (float, float), default=(3400, 7500)
        Range of the low-pass cutoff in Hz.
    bandpass_low : tuple of (float, float), default=(50, 300)
        Range of the band-pass lower edge in Hz.
    bandpass_high : tuple of (float, float), default=(3400, 4000)
        Range of the band-pass upper edge in Hz (narrow-band telephony).
    highpass_cutoff : tuple of (float, float), default=(50, 300)
        Range of the high-pass cutoff in Hz.

    See Also
    --------
    TelephoneChannel : Band-pass, 8 kHz resampling and companding.
    RawBoost : Applied after this filter in the default pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ssastcl.augment import FIRFilter
    >>> rng = np.random.default_rng(0)
    >>> x = (0.1 * rng.standard_normal(16000)).astype(np.float32)
    >>> FIRFilter(p=1.0, kinds=("lowpass",))(x, rng).shape
    (16000,)
    """

    _parameter_constraints: dict = {
        "p": [Interval(Real, 0, 1, closed="both")],
        "numtaps": [Integral, tuple, list],
        "kinds": [tuple, list, str],
        "lowpass_cutoff": [tuple, list],
        "bandpass_low": [tuple, list],
        "bandpass_high": [tuple, list],
        "highpass_cutoff": [tuple, list],
    }

    def __init__(
        self,
        *,
        p=0.5,
        numtaps=(31, 101),
        kinds=_FIR_KINDS,
        lowpass_cutoff=(3400, 7500),
        bandpass_low=(50, 300),
        bandpass_high=(3400, 4000),
        highpass_cutoff=(50, 300),
    ):
        self.p = p
        self.numtaps = numtaps
        self.kinds = kinds
        self.lowpass_cutoff = lowpass_cutoff
        self.bandpass_low = bandpass_low
        self.bandpass_high = bandpass_high
        self.highpass_cutoff = highpass_cutoff

    def _check_params(self, sample_rate: int) -> tuple:
        self._validate_params()
        owner = type(self).__name__
        numtaps = _check_numtaps(self.numtaps, owner)
        kinds = _check_choices(self.kinds, _FIR_KINDS, "kinds", owner)
        ranges = {}
        for kind, names in (
            ("lowpass", ("lowpass_cutoff",)),
            ("bandpass", ("bandpass_low", "bandpass_high")),
            ("highpass", ("highpass_cutoff",)),
        ):
            if kind not in kinds:
                continue
            pairs = []
            for name in names:
                low, high = _pair(getattr(self, name), name, owner)
                if low <= 0:
                    raise ValueError(
                        f"{owner}: {name} must hold frequencies above 0 Hz; got "
                        f"{getattr(self, name)!r}."
                    )
                _check_below_nyquist(f"the top of {name}", high, sample_rate, owner)
                pairs.append((low, high))
            if kind == "bandpass" and pairs[0][1] >= pairs[1][0]:
                raise ValueError(
                    f"{owner}: every band-pass lower edge must be below every upper "
                    f"edge; got bandpass_low={self.bandpass_low!r} and "
                    f"bandpass_high={self.bandpass_high!r}. Make "
                    "bandpass_low[1] < bandpass_high[0]."
                )
            ranges[kind] = pairs
        return numtaps, kinds, ranges

    def _apply(self, x, rng, sample_rate, checked):
        (low_taps, high_taps), kinds, ranges = checked
        kind = kinds[int(rng.integers(len(kinds)))]
        numtaps = low_taps + 2 * int(rng.integers((high_taps - low_taps) // 2 + 1))
        cutoff = [rng.uniform(low, high) for low, high in ranges[kind]]
        taps = signal.firwin(numtaps, cutoff, pass_zero=kind, fs=sample_rate)
        return _peak_normalise(_aligned_fir(x, taps)).astype(np.float32)


def _compand_quantise(x: np.ndarray, law: str, bits: int) -> np.ndarray:
    """Compress, quantise to ``2 ** bits`` uniform levels, and expand; ``|x| <= 1``.

    mu-law uses ``mu = 2 ** bits - 1`` and the rounding of
    ``torchaudio.functional.mu_law_encoding``; A-law uses ``A = 87.6`` with the
    same uniform grid on the compressed value (an approximation of G.711).
    """
    levels = 2**bits - 1
    mag, sign = np.abs(x), np.sign(x)
    if law == "mulaw":
        compressed = sign * np.log1p(levels * mag) / np.log1p(levels)
    else:
        a = 87.6
        denom = 1 + np.log(a)
        small = mag < 1 / a
        compressed = sign * np.where(
            small, a * mag / denom, (1 + np.log(np.maximum(a * mag, 1))) / denom
        )
    code = np.floor((compressed + 1) / 2 * levels + 0.5)
    y = code / levels * 2 - 1
    mag_y, sign_y = np.abs(y), np.sign(y)
    if law == "mulaw":
        return sign_y * np.expm1(mag_y * np.log1p(levels)) / levels
    small = mag_y < 1 / denom
    return sign_y * np.where(small, mag_y * denom / a, np.exp(mag_y * denom - 1) / a)


class TelephoneChannel(WaveformAugmenter):
    """Telephone channel simulation: resampling, companding and a speech band-pass.

    With probability ``p``: downsample to ``resample_rate`` (skipped when that is
    ``None`` or not below the clip's rate), quantise with a codec drawn uniformly
    from ``companding`` after clipping to [-1, 1], upsample back, band-pass
    ``band`` with a delay-compensated ``numtaps``-tap FIR filter, and divide by the
    peak if it exceeds 1. The band-pass comes last, so quantisation noise outside
    the band is removed, as a receiver's filter would.

    Parameters
    ----------
    p : float, default=0.5
        Probability of applying the channel to a clip.
    band : tuple of (float, float), default=(300, 3400)
        Pass band in Hz.
    numtaps : int, default=101
        Odd length of the band-pass FIR filter.
    resample_rate : int or None, default=8000
        Intermediate sample rate in Hz; ``None`` keeps the clip's rate.
    companding : tuple of str, default=("mulaw", "alaw", "none")
        Codecs to choose from: ``"mulaw"``, ``"alaw"`` or ``"none"``.
    bits : int, default=8
        Codec word length.

    See Also
    --------
    FIRFilter : Random low-, band- or high-pass filters.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ssastcl.augment import TelephoneChannel
    >>> rng = np.random.default_rng(0)
    >>> x = (0.1 * rng.standard_normal(16000)).astype(np.float32)
    >>> TelephoneChannel(p=1.0)(x, rng).shape
    (16000,)
    """

    _parameter_constraints: dict = {
        "p": [Interval(Real, 0, 1, closed="both")],
        "band": [tuple, list],
        "numtaps": [Interval(Integral, 3, None, closed="left")],
        "resample_rate": [Interval(Integral, 1, None, closed="left"), None],
        "companding": [tuple, list, str],
        "bits": [Interval(Integral, 2, 16, closed="both")],
    }

    def __init__(
        self,
        *,
        p=0.5,
        band=(300, 3400),
        numtaps=101,
        resample_rate=8000,
        companding=_COMPANDING,
        bits=8,
    ):
        self.p = p
        self.band = band
        self.numtaps = numtaps
        self.resample_rate = resample_rate
        self.companding = companding
        self.bits = bits

    def _check_params(self, sample_rate: int) -> tuple:
        owner = type(self).__name__
        self._validate_params()
        if self.numtaps % 2 == 0:
            raise ValueError(
                f"{owner}: numtaps must be odd for a linear-phase band-pass filter; "
                f"got {self.numtaps}. Use {self.numtaps + 1}."
            )
        companding = _check_choices(self.companding, _COMPANDING, "companding", owner)
        low, high = _pair(self.band, "band", owner)
        if low <= 0:
            raise ValueError(
                f"{owner}: band must be above 0 Hz; got {self.band!r}. Use e.g. "
                "(300, 3400)."
            )
        if low == high:
            raise ValueError(
                f"{owner}: band needs two different edges; got {self.band!r}."
            )
        rate = self.resample_rate
        if rate is not None and rate >= sample_rate:
            rate = None
        _check_below_nyquist("the top of band", high, rate or sample_rate, owner)

        return companding, low, high, rate

    def _apply(self, x, rng, sample_rate, checked):
        companding, low, high, rate = checked
        law = companding[int(rng.integers(len(companding)))]
        y = x
        if rate is not None:
            g = gcd(rate, sample_rate)
            y = signal.resample_poly(y, rate // g, sample_rate // g)
        if law != "none":
            y = _compand_quantise(np.clip(y, -1.0, 1.0), law, self.bits)
        if rate is not None:
            y = signal.resample_poly(y, sample_rate // g, rate // g)
            y = np.pad(y[: len(x)], (0, max(0, len(x) - len(y))))
        taps = signal.firwin(
            self.numtaps, [low, high], pass_zero="bandpass", fs=sample_rate
        )
        return _peak_normalise(_aligned_fir(y, taps)).astype(np.float32)
