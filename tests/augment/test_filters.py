"""FIRFilter and TelephoneChannel: spectra, alignment, codecs and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchaudio.functional as AF
from numpy.testing import assert_allclose
from scipy import signal

from sklearn_ssastcl.augment import FIRFilter, TelephoneChannel
from sklearn_ssastcl.augment._filters import _compand_quantise

FS = 16000


def _noise(n=32000, seed=0, scale=0.1):
    return (scale * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def _band_db(y, above, below):
    """Mean PSD at frequencies > ``above`` relative to (500, ``below``) Hz, in dB."""
    f, p = signal.welch(y, fs=FS, nperseg=1024)
    ref = p[(f > 500) & (f < below)].mean()
    return 10 * np.log10(p[f > above].mean() / ref)


def test_lowpass_attenuates_above_cutoff():
    aug = FIRFilter(p=1.0, kinds=("lowpass",), lowpass_cutoff=(4000, 4000), numtaps=101)
    y = aug(_noise(), np.random.default_rng(0))
    assert _band_db(y, above=5000, below=3000) < -40
    assert _band_db(_noise(), above=5000, below=3000) > -1  # white input


def test_highpass_attenuates_below_cutoff():
    aug = FIRFilter(p=1.0, kinds=("highpass",), highpass_cutoff=(1000, 1000))
    y = aug(_noise(), np.random.default_rng(0))
    f, p = signal.welch(y, fs=FS, nperseg=1024)
    low, high = p[(f > 0) & (f < 300)].mean(), p[(f > 2000) & (f < 7000)].mean()
    assert 10 * np.log10(low / high) < -25


def test_bandpass_attenuates_outside_band():
    aug = FIRFilter(p=1.0, kinds=("bandpass",), numtaps=101)
    y = aug(_noise(), np.random.default_rng(0))
    assert _band_db(y, above=5000, below=3000) < -40


def test_output_is_delay_compensated_and_matches_lfilter():
    t = np.arange(8000) / FS
    x = (0.5 * np.sin(2 * np.pi * 150 * t)).astype(np.float32)
    for seed in range(6):
        y = FIRFilter(p=1.0)(x, np.random.default_rng(seed))
        lags = signal.correlation_lags(len(y), len(x))
        corr = signal.correlate(y, x)
        window = np.abs(lags) < 60  # within half a period of 150 Hz
        assert lags[window][np.argmax(corr[window])] == 0
        # Independent computation: same draws, scipy lfilter, shift by (M - 1) / 2.
        rng = np.random.default_rng(seed)
        rng.random()
        kinds = ("lowpass", "bandpass", "highpass")
        kind = kinds[int(rng.integers(3))]
        numtaps = 31 + 2 * int(rng.integers(36))
        ranges = {
            "lowpass": [(3400, 7500)],
            "bandpass": [(50, 300), (3400, 4000)],
            "highpass": [(50, 300)],
        }[kind]
        cutoff = [rng.uniform(lo, hi) for lo, hi in ranges]
        taps = signal.firwin(numtaps, cutoff, pass_zero=kind, fs=FS)
        d = (numtaps - 1) // 2
        ref = signal.lfilter(taps, 1, np.pad(x.astype(np.float64), (0, d)))[d:]
        assert_allclose(y, ref, atol=1e-6)


def test_numtaps_are_odd_and_in_range(monkeypatch):
    seen = []
    firwin = signal.firwin

    def spy(numtaps, *args, **kwargs):
        seen.append(numtaps)
        return firwin(numtaps, *args, **kwargs)

    monkeypatch.setattr(signal, "firwin", spy)
    rng = np.random.default_rng(0)
    x = _noise(500)
    for _ in range(300):
        FIRFilter(p=1.0)(x, rng)
    assert all(n % 2 == 1 and 31 <= n <= 101 for n in seen)
    assert min(seen) == 31 and max(seen) == 101


def test_loud_output_is_peak_normalised():
    x = np.sign(np.sin(2 * np.pi * 100 * np.arange(8000) / FS)).astype(np.float32)
    y = FIRFilter(p=1.0, kinds=("lowpass",))(x, np.random.default_rng(0))
    assert np.max(np.abs(y)) == pytest.approx(1.0)  # Gibbs overshoot removed


@pytest.mark.parametrize("companding", ["mulaw", "alaw", "none"])
@pytest.mark.parametrize("resample_rate", [8000, None])
def test_telephone_channel_removes_energy_above_3400_hz(companding, resample_rate):
    aug = TelephoneChannel(p=1.0, companding=(companding,), resample_rate=resample_rate)
    y = aug(_noise(), np.random.default_rng(0))
    assert y.shape == (32000,) and y.dtype == np.float32
    assert _band_db(y, above=4200, below=3000) < -40


def test_mulaw_matches_torchaudio():
    x = np.random.default_rng(0).uniform(-1, 1, 5000)
    t = torch.from_numpy(x)
    expected = AF.mu_law_decoding(AF.mu_law_encoding(t, 256), 256).numpy()
    assert_allclose(_compand_quantise(x, "mulaw", 8), expected, atol=1e-6)


def test_alaw_hand_values_and_resolution():
    a = 87.6
    # 0 and the full-scale values are exact grid points of the compressed domain.
    assert_allclose(_compand_quantise(np.array([1.0, -1.0]), "alaw", 8), [1, -1])
    x = np.random.default_rng(0).uniform(-1, 1, 5000)
    err = np.abs(_compand_quantise(x, "alaw", 8) - x)
    # Half a step of 1/255 in the compressed domain: a relative error of at most
    # exp(h) - 1 in the log segment and an absolute one of h / A in the linear one.
    h = (1 + np.log(a)) / 255
    assert np.all(err <= np.maximum(np.abs(x), 1 / a) * np.expm1(h) + 1e-12)
    assert err.max() > 0.5 * np.expm1(h) * np.abs(x).max()  # really 8-bit coarse
    assert np.all(np.abs(_compand_quantise(x, "alaw", 12) - x) < err.max())


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"numtaps": (30, 101)}, r"numtaps must be odd.*Use 31 instead of 30"),
        ({"numtaps": 1}, r"at least 3.*Use 3"),
        ({"numtaps": (101, 31)}, r"low <= high.*\(101, 31\)"),
        ({"numtaps": (31.0, 101)}, "must hold integers"),
        ({"kinds": ("lowpass", "notch")}, r"kinds must be.*'notch'"),
        ({"kinds": ()}, "non-empty"),
        ({"lowpass_cutoff": (7000, 3000)}, r"lowpass_cutoff.*Swap"),
        ({"bandpass_low": (50, 3500)}, r"bandpass_low\[1\] < bandpass_high\[0\]"),
        ({"highpass_cutoff": (0, 300)}, "above 0 Hz"),
        ({"p": -0.1}, "'p' parameter"),
    ],
)
def test_fir_filter_errors(params, match):
    with pytest.raises(ValueError, match=match):
        FIRFilter(**params)(_noise(100), np.random.default_rng(0))


def test_fir_cutoff_above_nyquist_says_what_to_do():
    with pytest.raises(ValueError, match=r"lowpass_cutoff is 7500.*Nyquist.*4000"):
        FIRFilter()(_noise(100), np.random.default_rng(0), sample_rate=8000)
    # Without the low-pass kind the defaults fit 8 kHz audio.
    y = FIRFilter(p=1.0, kinds=("highpass",))(
        _noise(100), np.random.default_rng(0), 8000
    )
    assert y.shape == (100,)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"numtaps": 100}, r"numtaps must be odd.*Use 101"),
        ({"band": (300, 4500)}, r"top of band is 4500.*Nyquist frequency 4000"),
        ({"band": (3400, 300)}, "Swap"),
        ({"band": (0, 3400)}, "above 0 Hz"),
        ({"companding": ("gsm",)}, "companding must be"),
        ({"bits": 1}, "'bits' parameter"),
    ],
)
def test_telephone_channel_errors(params, match):
    with pytest.raises(ValueError, match=match):
        TelephoneChannel(**params)(_noise(100), np.random.default_rng(0))


def test_telephone_channel_at_8khz_skips_resampling():
    x = _noise(4000)
    y = TelephoneChannel(p=1.0, companding=("none",))(x, np.random.default_rng(0), 8000)
    taps = signal.firwin(101, [300, 3400], pass_zero="bandpass", fs=8000)
    assert_allclose(y, np.convolve(x.astype(np.float64), taps, "same"), atol=1e-6)
