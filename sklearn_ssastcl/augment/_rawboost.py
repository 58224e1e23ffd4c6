"""RawBoost data augmentation (Tak et al., ICASSP 2022), written for numpy Generators.

The algorithm follows the reference RawBoost code
(TakHemlata/SSL_Anti-spoofing ``RawBoost.py``). All randomness comes from the
``numpy.random.Generator`` passed in, never from numpy's global state.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy import signal
from sklearn.utils._param_validation import Interval

from sklearn_ssastcl.augment._base import (
    WaveformAugmenter,
    _check_range,
    _peak_normalise,
)

_NOTCH_KEYS = (
    "n_bands",
    "min_f",
    "max_f",
    "min_bw",
    "max_bw",
    "min_coeff",
    "max_coeff",
    "min_g",
    "max_g",
)


def _uniform(rng: np.random.Generator, low: float, high: float) -> float:
    """``U(low, high)``; like the reference, ``low > high`` is allowed."""
    return low + (high - low) * rng.random()


def _norm_wav(x: np.ndarray, always: bool) -> np.ndarray:
    """RawBoost ``normWav``: divide by the peak if ``always``, else if it is > 1."""
    return _peak_normalise(x, always=always)


def _bandstop_taps(numtaps: int, f1: float, f2: float, sample_rate: int) -> np.ndarray:
    """Hamming-window band-stop FIR filter with unit gain at DC.

    The same design as ``scipy.signal.firwin(numtaps, [f1, f2], window="hamming",
    fs=sample_rate)`` (pass bands ``[0, f1]`` and ``[f2, fs / 2]``), in plain numpy
    because firwin's per-call overhead dominated RawBoost's run time.
    """
    nyquist = sample_rate / 2
    lo, hi = f1 / nyquist, f2 / nyquist
    m = np.arange(numtaps) - (numtaps - 1) / 2
    h = np.sinc(m) - hi * np.sinc(hi * m) + lo * np.sinc(lo * m)
    h *= np.hamming(numtaps)
    return h / h.sum()


def _peak_response(b: np.ndarray, n_freqs: int = 512) -> float:
    """``max |freqz(b, 1, worN=n_freqs)|`` via one FFT of the time-aliased taps."""
    n_fft = 2 * n_freqs
    n_blocks = -(-len(b) // n_fft)
    folded = np.pad(b, (0, n_blocks * n_fft - len(b))).reshape(n_blocks, n_fft)
    return float(np.max(np.abs(np.fft.rfft(folded.sum(axis=0))[:n_freqs])))


def _gen_notch_coeffs(
    rng: np.random.Generator,
    *,
    n_bands: int,
    min_f: float,
    max_f: float,
    min_bw: float,
    max_bw: float,
    min_coeff: int,
    max_coeff: int,
    min_g: float,
    max_g: float,
    sample_rate: int,
) -> np.ndarray:
    """RawBoost ``genNotchCoeffs``: ``n_bands`` cascaded random band-stop filters.

    The cascade is scaled so that its peak gain on freqz's 512-point grid is
    ``10 ** (G / 20)`` with ``G ~ U(min_g, max_g)`` dB.
    """
    nyquist = sample_rate / 2
    b = np.ones(1)
    for _ in range(n_bands):
        fc = _uniform(rng, min_f, max_f)
        bw = _uniform(rng, min_bw, max_bw)
        c = int(_uniform(rng, min_coeff, max_coeff))
        if c % 2 == 0:
            c += 1  # a band-stop FIR filter needs an odd number of taps
        f1 = min(max(fc - bw / 2, 1e-3), nyquist - 1e-3)
        f2 = min(max(fc + bw / 2, 1e-3), nyquist - 1e-3)
        b = np.convolve(_bandstop_taps(c, f1, f2, sample_rate), b)
    gain_db = _uniform(rng, min_g, max_g)
    return 10 ** (gain_db / 20) * b / _peak_response(b)


def _fir_sum(signals: list[np.ndarray], filters: list[np.ndarray]) -> np.ndarray:
    """``sum(_filter_fir(x, b) for x, b in zip(signals, filters))``.

    Uses overlap-add convolution (``scipy.signal.oaconvolve``), which measured
    faster here than one long FFT per term or a batched convolution.
    """
    n = len(signals[0])
    y = np.zeros(n)
    for x, b in zip(signals, filters):
        start = (len(b) + 1) // 2  # int(N / 2) with N = len(b) + 1
        full = signal.oaconvolve(x, b) if len(b) > 1 else x * b[0]
        seg = full[start : start + n]  # the reference's end padding is zeros
        y[: len(seg)] += seg
    return y


def _filter_fir(x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """RawBoost ``filterFIR``: FIR filtering with the reference delay compensation.

    Equal to ``lfilter(b, 1, pad(x, (0, N)))[N // 2 : N // 2 + len(x)]`` with
    ``N = len(b) + 1``. For the odd-length filters RawBoost builds, this shift is
    one sample more than the group delay ``(len(b) - 1) / 2``; we keep it to match
    the reference.
    """
    return _fir_sum([x], [b])


def _lnl(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    n_f: int,
    min_bias_lin_nonlin: float,
    max_bias_lin_nonlin: float,
    sample_rate: int,
    **notch,
) -> np.ndarray:
    """Algorithm 1: linear and non-linear convolutive noise."""
    min_g, max_g = notch.pop("min_g"), notch.pop("max_g")
    powers, filters = [], []
    power = np.ones(len(x))
    for i in range(n_f):
        if i == 1:  # higher-order terms are attenuated by the bias
            min_g = min_g - min_bias_lin_nonlin
            max_g = max_g - max_bias_lin_nonlin
        filters.append(
            _gen_notch_coeffs(
                rng, min_g=min_g, max_g=max_g, sample_rate=sample_rate, **notch
            )
        )
        power = power * x  # x ** (i + 1)
        powers.append(power)
    y = _fir_sum(powers, filters)
    y -= np.mean(y)
    return _norm_wav(y, False)


def _isd(
    x: np.ndarray, rng: np.random.Generator, *, p_isd: float, g_sd: float
) -> np.ndarray:
    """Algorithm 2: impulsive signal-dependent noise on up to ``p_isd`` % of samples."""
    beta = _uniform(rng, 0, p_isd)
    n = int(len(x) * (beta / 100))
    pos = rng.choice(len(x), size=n, replace=False)
    f_r = (2 * rng.random(n) - 1) * (2 * rng.random(n) - 1)
    y = x.copy()
    y[pos] = x[pos] + g_sd * x[pos] * f_r
    return _norm_wav(y, False)


def _ssi(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    snr_min: float,
    snr_max: float,
    sample_rate: int,
    **notch,
) -> np.ndarray:
    """Algorithm 3: stationary signal-independent (coloured) noise at a random SNR."""
    noise = rng.standard_normal(len(x))
    b = _gen_notch_coeffs(rng, sample_rate=sample_rate, **notch)
    noise = _norm_wav(_filter_fir(noise, b), True)
    snr = _uniform(rng, snr_min, snr_max)
    # sqrt(sum(v**2)) rather than np.linalg.norm: BLAS dot was slow on a busy CPU
    noise_norm = np.sqrt(np.sum(np.square(noise)))
    if noise_norm > 0:
        x_norm = np.sqrt(np.sum(np.square(x)))
        noise = noise / noise_norm * x_norm / 10.0 ** (0.05 * snr)
    return x + noise


class RawBoost(WaveformAugmenter):
    """RawBoost waveform augmentation, applied with probability ``p``.

    Follows the reference RawBoost code (``RawBoost.py``). The
    defaults are the reference argparse defaults; ``algo=5`` (LnL then ISD) is the
    reference choice for ASVspoof LA.

    Parameters
    ----------
    algo : int, default=5
        0 none; 1 LnL (linear and non-linear convolutive noise); 2 ISD (impulsive
        signal-dependent noise); 3 SSI (stationary signal-independent noise);
        4 series 1+2+3; 5 series 1+2; 6 series 1+3; 7 series 2+3; 8 parallel 1 and
        2, i.e. ``normWav(LnL(x) + ISD(x), 0)``.
    p : float, default=0.7
        Probability of augmenting a clip.
    n_bands : int, default=5
        Number of cascaded notch (band-stop) filters per random filter.
    min_f, max_f : float, default=20, 8000
        Range of the notch centre frequencies in Hz; ``max_f`` must not exceed
        ``sample_rate / 2``.
    min_bw, max_bw : float, default=100, 1000
        Range of the notch bandwidths in Hz.
    min_coeff, max_coeff : int, default=10, 100
        Range of the number of taps of each notch filter (made odd).
    min_g, max_g : float, default=0, 0
        Range of the filter gain in dB.
    min_bias_lin_nonlin, max_bias_lin_nonlin : float, default=5, 20
        Gain reduction in dB of the non-linear (order >= 2) LnL terms.
    n_f : int, default=5
        Order of the LnL non-linearity.
    p_isd : float, default=10
        Maximum percentage of samples hit by ISD noise.
    g_sd : float, default=2
        ISD noise gain.
    snr_min, snr_max : float, default=10, 40
        Range of the SSI signal-to-noise ratio in dB.

    See Also
    --------
    FIRFilter : Codec / band-limit simulation, applied before RawBoost.
    Compose : Chain several augmenters.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ssastcl.augment import RawBoost
    >>> rng = np.random.default_rng(0)
    >>> x = (0.1 * rng.standard_normal(16000)).astype(np.float32)
    >>> y = RawBoost(algo=5, p=1.0)(x, rng)
    >>> y.shape, y.dtype
    ((16000,), dtype('float32'))
    """

    _parameter_constraints: dict = {
        "algo": [Interval(Integral, 0, 8, closed="both")],
        "p": [Interval(Real, 0, 1, closed="both")],
        "n_bands": [Interval(Integral, 0, None, closed="left")],
        "min_f": [Interval(Real, 0, None, closed="left")],
        "max_f": [Interval(Real, 0, None, closed="left")],
        "min_bw": [Interval(Real, 0, None, closed="neither")],
        "max_bw": [Interval(Real, 0, None, closed="neither")],
        "min_coeff": [Interval(Integral, 1, None, closed="left")],
        "max_coeff": [Interval(Integral, 1, None, closed="left")],
        "min_g": [Real],
        "max_g": [Real],
        "min_bias_lin_nonlin": [Real],
        "max_bias_lin_nonlin": [Real],
        "n_f": [Interval(Integral, 1, None, closed="left")],
        "p_isd": [Interval(Real, 0, 100, closed="both")],
        "g_sd": [Interval(Real, 0, None, closed="left")],
        "snr_min": [Real],
        "snr_max": [Real],
    }

    def __init__(
        self,
        *,
        algo=5,
        p=0.7,
        n_bands=5,
        min_f=20,
        max_f=8000,
        min_bw=100,
        max_bw=1000,
        min_coeff=10,
        max_coeff=100,
        min_g=0,
        max_g=0,
        min_bias_lin_nonlin=5,
        max_bias_lin_nonlin=20,
        n_f=5,
        p_isd=10,
        g_sd=2,
        snr_min=10,
        snr_max=40,
    ):
        self.algo = algo
        self.p = p
        self.n_bands = n_bands
        self.min_f = min_f
        self.max_f = max_f
        self.min_bw = min_bw
        self.max_bw = max_bw
        self.min_coeff = min_coeff
        self.max_coeff = max_coeff
        self.min_g = min_g
        self.max_g = max_g
        self.min_bias_lin_nonlin = min_bias_lin_nonlin
        self.max_bias_lin_nonlin = max_bias_lin_nonlin
        self.n_f = n_f
        self.p_isd = p_isd
        self.g_sd = g_sd
        self.snr_min = snr_min
        self.snr_max = snr_max

    def _check_params(self, sample_rate: int) -> None:
        self._validate_params()
        owner = type(self).__name__
        for low, high in (
            ("min_f", "max_f"),
            ("min_bw", "max_bw"),
            ("min_coeff", "max_coeff"),
            ("min_g", "max_g"),
            ("min_bias_lin_nonlin", "max_bias_lin_nonlin"),
            ("snr_min", "snr_max"),
        ):
            _check_range(
                f"({low}, {high})", getattr(self, low), getattr(self, high), owner
            )
        if self.max_f > sample_rate / 2:
            raise ValueError(
                f"{owner}: max_f={self.max_f!r} Hz is above the Nyquist frequency "
                f"{sample_rate / 2:g} Hz of sample_rate={sample_rate}. Set "
                f"max_f <= {sample_rate / 2:g} or pass the clip's true sample_rate."
            )

    def _is_identity(self) -> bool:
        return self.algo == 0

    def _apply(self, x, rng, sample_rate, checked):
        notch = {key: getattr(self, key) for key in _NOTCH_KEYS}

        def lnl(v):
            return _lnl(
                v,
                rng,
                n_f=self.n_f,
                min_bias_lin_nonlin=self.min_bias_lin_nonlin,
                max_bias_lin_nonlin=self.max_bias_lin_nonlin,
                sample_rate=sample_rate,
                **notch,
            )

        def isd(v):
            return _isd(v, rng, p_isd=self.p_isd, g_sd=self.g_sd)

        def ssi(v):
            return _ssi(
                v,
                rng,
                snr_min=self.snr_min,
                snr_max=self.snr_max,
                sample_rate=sample_rate,
                **notch,
            )

        if self.algo == 8:
            y = _norm_wav(lnl(x) + isd(x), False)
        else:
            series = {
                1: (lnl,),
                2: (isd,),
                3: (ssi,),
                4: (lnl, isd, ssi),
                5: (lnl, isd),
                6: (lnl, ssi),
                7: (isd, ssi),
            }[self.algo]
            y = x
            for step in series:
                y = step(y)
        return y.astype(np.float32)
