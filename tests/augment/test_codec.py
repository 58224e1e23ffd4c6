"""Codec augmentation: libsndfile round trips checked against hand-made references."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from numpy.testing import assert_allclose, assert_array_equal
from scipy import signal

from sklearn_ssastcl.augment import Codec, Compose, RawBoost
from sklearn_ssastcl.augment._codec import codec_round_trip

SR = 16000


def _speechlike(seconds=1.0, seed=0):
    """A gliding, amplitude-modulated tone with a little noise (peak < 0.5)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    x = 0.3 * np.sin(2 * np.pi * 200 * t * (1 + t)) * (1 + 0.5 * np.sin(6 * np.pi * t))
    return (x + 0.005 * rng.standard_normal(t.size)).astype(np.float32)


def _snr_db(reference, estimate):
    return 10 * np.log10(np.sum(reference**2) / np.sum((reference - estimate) ** 2))


@pytest.mark.parametrize(
    ("codec", "subtype"), [("gsm", "GSM610"), ("mulaw", "ULAW"), ("alaw", "ALAW")]
)
def test_8khz_codecs_equal_a_hand_made_round_trip(codec, subtype):
    x = _speechlike()
    # by hand: 16 -> 8 kHz, encode, decode, 8 -> 16 kHz
    x8 = np.clip(signal.resample_poly(x.astype(np.float64), 1, 2), -1, 1)
    buffer = io.BytesIO()
    sf.write(buffer, x8, 8000, format="WAV", subtype=subtype)
    buffer.seek(0)
    decoded, rate = sf.read(buffer, dtype="float64")
    expected = signal.resample_poly(decoded, 2, 1)[: x.size]
    assert rate == 8000
    got = Codec(p=1.0, codecs=(codec,))(x, np.random.default_rng(0))
    assert got.dtype == np.float32 and got.shape == x.shape
    assert_allclose(got, expected, atol=1e-6)


def test_codec_quality_matches_the_codecs():
    """G.711 is near-transparent below 4 kHz; GSM and 12 kbit/s Opus are lossy."""
    x = _speechlike()
    band_limited = signal.resample_poly(signal.resample_poly(x, 1, 2), 2, 1)
    snr = {
        c: _snr_db(band_limited, codec_round_trip(x, SR, c))
        for c in ("mulaw", "alaw", "gsm")
    }
    assert snr["mulaw"] > 25 and snr["alaw"] > 25  # 8-bit log PCM: about 35 dB
    assert snr["gsm"] < snr["mulaw"] - 10  # GSM 06.10 is a vocoder-like codec
    opus = codec_round_trip(x, SR, "opus")
    assert opus.shape == x.shape
    assert np.corrcoef(opus, x)[0, 1] > 0.8  # aligned (no codec delay left)
    # Opus: a lower compression level is a higher bit rate, so closer to the input
    fine = codec_round_trip(x, SR, "opus", opus_compression=0.5)
    assert _snr_db(x, fine) > _snr_db(x, opus)


def test_codec_draws_are_seeded_and_uniform():
    x = _speechlike(0.3)
    aug = Codec(p=1.0)
    a = aug(x, np.random.default_rng(3))
    assert_array_equal(a, aug(x, np.random.default_rng(3)))
    outputs = {aug(x, np.random.default_rng(s)).tobytes() for s in range(40)}
    assert len(outputs) == 4  # each of the 4 codecs is drawn; each is deterministic


def test_codec_at_8khz_input_and_in_compose():
    x = signal.resample_poly(_speechlike(), 1, 2).astype(np.float32)
    y = Codec(p=1.0, codecs="gsm")(x, np.random.default_rng(0), sample_rate=8000)
    assert y.shape == x.shape and np.corrcoef(x, y)[0, 1] > 0.5
    chain = Compose([Codec(p=1.0), RawBoost(algo=2, p=1.0)])
    assert chain(_speechlike(), np.random.default_rng(0)).shape == (SR,)


def test_codec_errors():
    x = _speechlike(0.1)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"codecs must be a non-empty tuple drawn"):
        Codec(codecs=("amr",))(x, rng)
    with pytest.raises(ValueError, match="codecs"):
        Codec(codecs=())(x, rng)
    with pytest.raises(ValueError, match="opus_compression"):
        Codec(opus_compression=2.0)(x, rng)
