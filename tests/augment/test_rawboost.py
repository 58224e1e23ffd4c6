"""RawBoost against a plain re-implementation of the reference code, and properties."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import signal

from sklearn_ssastcl.augment import RawBoost
from sklearn_ssastcl.augment._rawboost import (
    _bandstop_taps,
    _filter_fir,
    _gen_notch_coeffs,
    _isd,
    _lnl,
    _ssi,
)

FS = 16000
NOTCH = {
    "n_bands": 5,
    "min_f": 20,
    "max_f": 8000,
    "min_bw": 100,
    "max_bw": 1000,
    "min_coeff": 10,
    "max_coeff": 100,
    "min_g": 0,
    "max_g": 0,
}


def _clip(seed=0, n=4000, scale=0.3):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FS
    x = scale * np.sin(2 * np.pi * 220 * t) + 0.1 * scale * rng.standard_normal(n)
    return x.astype(np.float32)


# ---- a slow, literal version of the reference RawBoost.py (scipy firwin/freqz/lfilter)
def _u(rng, a, b):
    return a + (b - a) * rng.random()


def _ref_notch(rng, n_bands, min_f, max_f, min_bw, max_bw, min_coeff, max_coeff,
               min_g, max_g):  # fmt: skip
    b = np.array([1.0])
    for _ in range(n_bands):
        fc, bw = _u(rng, min_f, max_f), _u(rng, min_bw, max_bw)
        c = int(_u(rng, min_coeff, max_coeff))
        c += c % 2 == 0
        f1 = min(max(fc - bw / 2, 1e-3), FS / 2 - 1e-3)
        f2 = min(max(fc + bw / 2, 1e-3), FS / 2 - 1e-3)
        b = np.convolve(signal.firwin(c, [f1, f2], window="hamming", fs=FS), b)
    g = _u(rng, min_g, max_g)
    _, h = signal.freqz(b, 1, fs=FS)
    return 10 ** (g / 20) * b / np.max(np.abs(h))


def _ref_fir(x, b):
    n = len(b) + 1
    y = signal.lfilter(b, 1, np.pad(x, (0, n)))
    return y[int(n / 2) : int(len(y) - n / 2)]


def _ref_norm(x, always):
    return x / np.max(np.abs(x)) if always or np.max(np.abs(x)) > 1 else x


def _ref_lnl(x, rng):
    y = np.zeros(len(x))
    kw = dict(NOTCH)
    for i in range(5):
        if i == 1:
            kw["min_g"], kw["max_g"] = kw["min_g"] - 5, kw["max_g"] - 20
        y = y + _ref_fir(x ** (i + 1), _ref_notch(rng, **kw))
    return _ref_norm(y - y.mean(), False)


def _ref_isd(x, rng):
    n = int(len(x) * _u(rng, 0, 10) / 100)
    p = rng.choice(len(x), size=n, replace=False)
    f_r = (2 * rng.random(n) - 1) * (2 * rng.random(n) - 1)
    y = x.copy()
    y[p] = x[p] + 2 * x[p] * f_r
    return _ref_norm(y, False)


def _ref_ssi(x, rng):
    noise = rng.standard_normal(len(x))
    noise = _ref_norm(_ref_fir(noise, _ref_notch(rng, **NOTCH)), True)
    snr = _u(rng, 10, 40)
    return x + noise / np.linalg.norm(noise) * np.linalg.norm(x) / 10 ** (snr / 20)


_REF_ALGOS = {
    1: lambda x, r: _ref_lnl(x, r),
    2: lambda x, r: _ref_isd(x, r),
    3: lambda x, r: _ref_ssi(x, r),
    4: lambda x, r: _ref_ssi(_ref_isd(_ref_lnl(x, r), r), r),
    5: lambda x, r: _ref_isd(_ref_lnl(x, r), r),
    6: lambda x, r: _ref_ssi(_ref_lnl(x, r), r),
    7: lambda x, r: _ref_ssi(_ref_isd(x, r), r),
    8: lambda x, r: _ref_norm(_ref_lnl(x, r) + _ref_isd(x, r), False),
}


@pytest.mark.parametrize("algo", range(1, 9))
def test_each_algo_matches_literal_reference(algo):
    x = _clip(algo)
    got = RawBoost(algo=algo, p=1.0)(x, np.random.default_rng(algo))
    rng = np.random.default_rng(algo)
    rng.random()  # the application coin
    expected = _REF_ALGOS[algo](x.astype(np.float64), rng)
    assert got.dtype == np.float32 and got.shape == x.shape
    assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(got, x)


@pytest.mark.parametrize(
    ("algo", "parts"),
    [(4, "lnl isd ssi"), (5, "lnl isd"), (6, "lnl ssi"), (7, "isd ssi")],
)
def test_series_is_composition_of_parts(algo, parts):
    x = _clip(1).astype(np.float64)
    rng = np.random.default_rng(5)
    rng.random()
    lnl_kw = dict(NOTCH, n_f=5, min_bias_lin_nonlin=5, max_bias_lin_nonlin=20)
    funcs = {
        "lnl": lambda v: _lnl(v, rng, sample_rate=FS, **lnl_kw),
        "isd": lambda v: _isd(v, rng, p_isd=10, g_sd=2),
        "ssi": lambda v: _ssi(v, rng, snr_min=10, snr_max=40, sample_rate=FS, **NOTCH),
    }
    y = x
    for name in parts.split():
        y = funcs[name](y)
    got = RawBoost(algo=algo, p=1.0)(x, np.random.default_rng(5))
    assert_allclose(got, y.astype(np.float32))


def test_parallel_algo_8_is_normalised_sum():
    x = _clip(2).astype(np.float64)
    rng = np.random.default_rng(8)
    rng.random()
    lnl = _lnl(x, rng, n_f=5, min_bias_lin_nonlin=5, max_bias_lin_nonlin=20,
               sample_rate=FS, **NOTCH)  # fmt: skip
    isd = _isd(x, rng, p_isd=10, g_sd=2)
    total = lnl + isd
    expected = total / max(1.0, np.abs(total).max())
    got = RawBoost(algo=8, p=1.0)(x, np.random.default_rng(8))
    assert_allclose(got, expected.astype(np.float32))


def test_algo_0_is_identity():
    x = _clip()
    assert_allclose(RawBoost(algo=0, p=1.0)(x, np.random.default_rng(0)), x)


@pytest.mark.parametrize(
    ("numtaps", "f1", "f2"),
    [
        (11, 100.0, 300.0),
        (101, 3000.0, 3900.0),
        (51, 1e-3, 500.0),
        (99, 7000, 7999.999),
    ],
)
def test_bandstop_taps_equal_scipy_firwin(numtaps, f1, f2):
    expected = signal.firwin(numtaps, [f1, f2], window="hamming", fs=FS)
    assert_allclose(_bandstop_taps(numtaps, f1, f2, FS), expected, atol=1e-12)


def test_filter_fir_equals_padded_lfilter():
    rng = np.random.default_rng(0)
    x, b = rng.standard_normal(1000), rng.standard_normal(51)
    assert_allclose(_filter_fir(x, b), _ref_fir(x, b), atol=1e-10)
    # RawBoost's delay compensation: an impulse comes out at (len(b) - 1) / 2 - 1
    impulse = np.zeros(200)
    impulse[100] = 1.0
    sym = signal.firwin(51, 0.3)
    assert np.argmax(_filter_fir(impulse, sym)) == 99


def test_notch_filter_has_unit_peak_gain_at_zero_db():
    for seed in range(10):
        b = _gen_notch_coeffs(np.random.default_rng(seed), sample_rate=FS, **NOTCH)
        _, h = signal.freqz(b, 1, worN=512, fs=FS)
        assert_allclose(np.max(np.abs(h)), 1.0, rtol=1e-12)
        _, h_fine = signal.freqz(b, 1, worN=8192, fs=FS)
        assert 20 * np.log10(np.max(np.abs(h_fine))) < 0.01  # 512-point grid ~ peak


def test_notch_filter_gain_range_in_db():
    kw = dict(NOTCH, min_g=-20, max_g=-5)
    for seed in range(10):
        b = _gen_notch_coeffs(np.random.default_rng(seed), sample_rate=FS, **kw)
        peak_db = 20 * np.log10(np.max(np.abs(signal.freqz(b, 1, fs=FS)[1])))
        assert -20 - 1e-9 <= peak_db <= -5 + 1e-9


def test_ssi_adds_noise_at_requested_snr():
    x = _clip(3)
    snrs = []
    for seed in range(20):
        y = RawBoost(algo=3, p=1.0)(x, np.random.default_rng(seed))
        noise = y.astype(np.float64) - x
        snrs.append(20 * np.log10(np.linalg.norm(x) / np.linalg.norm(noise)))
    snrs = np.array(snrs)
    assert np.all((snrs > 10 - 0.01) & (snrs < 40 + 0.01))
    assert snrs.max() - snrs.min() > 10  # really drawn over the range


def test_custom_snr_range_is_respected():
    x = _clip(4)
    y = RawBoost(algo=3, p=1.0, snr_min=20, snr_max=20)(x, np.random.default_rng(0))
    snr = 20 * np.log10(np.linalg.norm(x) / np.linalg.norm(y.astype(np.float64) - x))
    assert snr == pytest.approx(20, abs=0.01)


@pytest.mark.parametrize("p_isd", [10, 50])
def test_isd_changes_at_most_p_percent_of_samples(p_isd):
    x = _clip(5, scale=0.1)  # g_sd = 2 keeps |y| < 1, so no renormalisation
    for seed in range(10):
        y = RawBoost(algo=2, p=1.0, p_isd=p_isd)(x, np.random.default_rng(seed))
        changed = np.count_nonzero(y != x)
        assert changed <= p_isd / 100 * len(x)
        assert np.all(np.abs(y - x) <= 2 * np.abs(x) + 1e-7)  # |g_sd * x * f_r|


def test_lnl_output_is_centred_and_bounded():
    x = _clip(6, scale=0.9)
    y = RawBoost(algo=1, p=1.0)(x, np.random.default_rng(0))
    assert abs(float(np.mean(y))) < 1e-5
    assert np.max(np.abs(y)) <= 1 + 1e-6


def test_rawboost_on_silence_stays_finite():
    for algo in range(9):
        y = RawBoost(algo=algo, p=1.0)(np.zeros(800), np.random.default_rng(0))
        assert np.all(np.isfinite(y))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"algo": 9}, "'algo' parameter"),
        ({"algo": -1}, "'algo' parameter"),
        ({"p": 1.5}, "'p' parameter"),
        ({"min_f": 500, "max_f": 100}, r"\(min_f, max_f\).*low <= high.*\(500, 100\)"),
        ({"min_coeff": 50, "max_coeff": 20}, r"\(min_coeff, max_coeff\)"),
        ({"snr_min": 40, "snr_max": 10}, r"\(snr_min, snr_max\).*Swap"),
        ({"min_bw": 0}, "'min_bw' parameter"),
        ({"p_isd": 120}, "'p_isd' parameter"),
        ({"n_f": 0}, "'n_f' parameter"),
    ],
)
def test_bad_parameters_raise_at_call_time(params, match):
    aug = RawBoost(**params)  # storing is always fine
    assert aug.get_params()[next(iter(params))] == next(iter(params.values()))
    with pytest.raises(ValueError, match=match):
        aug(_clip(), np.random.default_rng(0))


def test_max_f_above_nyquist_names_the_sample_rate():
    with pytest.raises(
        ValueError, match=r"max_f=8000.*Nyquist.*4000.*sample_rate=8000"
    ):
        RawBoost()(_clip(), np.random.default_rng(0), sample_rate=8000)
    y = RawBoost(max_f=4000, p=1.0)(_clip(), np.random.default_rng(0), 8000)
    assert y.shape == (4000,)
