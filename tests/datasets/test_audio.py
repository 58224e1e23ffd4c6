from __future__ import annotations

import warnings

import numpy as np
import pytest
import soundfile as sf
from numpy.testing import assert_allclose, assert_array_equal
from scipy.signal import resample_poly

from sklearn_ssastcl.datasets import load_audio


def _int16_tone(n, rate, freq=440.0, amp=0.5):
    t = np.arange(n) / rate
    return np.round(amp * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


@pytest.mark.parametrize("fmt", ["FLAC", "WAV"])
def test_reads_mono_16bit_exactly(tmp_path, fmt):
    data = _int16_tone(1600, 16000)
    path = tmp_path / f"x.{fmt.lower()}"
    sf.write(path, data, 16000, format=fmt, subtype="PCM_16")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no resampling warning at the native rate
        out = load_audio(path)
    assert out.dtype == np.float32 and out.ndim == 1
    assert_array_equal(out, data.astype(np.float32) / 32768)


def test_float_wav_and_str_path(tmp_path):
    data = np.linspace(-0.9, 0.9, 800, dtype=np.float32)
    path = tmp_path / "f.wav"
    sf.write(path, data, 16000, subtype="FLOAT")
    assert_array_equal(load_audio(str(path)), data)


def test_resamples_8k_with_warning(tmp_path):
    rate, freq, n = 8000, 440.0, 8000
    t = np.arange(n) / rate
    data = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    path = tmp_path / "tone8k.wav"
    sf.write(path, data, rate, subtype="FLOAT")
    with pytest.warns(UserWarning, match="8000 Hz; resampled it to 16000 Hz"):
        out = load_audio(path, 16000)
    assert out.dtype == np.float32 and out.shape == (2 * n,)
    # Independent checks away from the edges: the analytic sine at 16 kHz and
    # scipy's polyphase resampler.
    t16 = np.arange(2 * n) / 16000
    expected = 0.5 * np.sin(2 * np.pi * freq * t16)
    mid = slice(200, -200)
    assert_allclose(out[mid], expected[mid], atol=5e-3)
    assert_allclose(out[mid], resample_poly(data, 2, 1)[mid], atol=5e-3)


def test_downsample_to_other_rate(tmp_path):
    data = _int16_tone(16000, 16000, freq=300.0)
    path = tmp_path / "a.flac"
    sf.write(path, data, 16000)
    with pytest.warns(UserWarning, match="resampled"):
        out = load_audio(path, sample_rate=8000)
    assert out.shape == (8000,)
    expected = resample_poly(data / 32768, 1, 2)
    assert_allclose(out[100:-100], expected[100:-100], atol=5e-3)


def test_stereo_raises_by_default_and_mono_options(tmp_path):
    left = np.full(400, 0.25, dtype=np.float32)
    right = np.full(400, -0.75, dtype=np.float32)
    path = tmp_path / "st.wav"
    sf.write(path, np.stack([left, right], axis=1), 16000, subtype="FLOAT")
    with pytest.raises(ValueError, match="has 2 channels.*mono='mean'"):
        load_audio(path)
    assert_allclose(load_audio(path, mono="mean"), np.full(400, -0.25))
    assert_array_equal(load_audio(path, mono="first"), left)


def test_missing_file_names_path(tmp_path):
    path = tmp_path / "nope.flac"
    with pytest.raises(FileNotFoundError, match="nope.flac.*does not exist"):
        load_audio(path)
    with pytest.raises(FileNotFoundError, match="is a directory"):
        load_audio(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(ValueError, match="holds no samples"):
        load_audio(path)


@pytest.mark.parametrize("content", [b"", b"this is not audio at all" * 10])
def test_garbage_file(tmp_path, content):
    path = tmp_path / "bad.flac"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="Could not decode .*bad.flac"):
        load_audio(path)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"sample_rate": 0}, ValueError, "positive int"),
        ({"sample_rate": 16000.0}, TypeError, "got 16000.0 of type float"),
        ({"sample_rate": True}, TypeError, "positive int"),
        ({"mono": "sum"}, ValueError, "mono must be one of"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, err, match):
    path = tmp_path / "ok.wav"
    sf.write(path, np.zeros(10, dtype=np.float32), 16000)
    with pytest.raises(err, match=match):
        load_audio(path, **kwargs)
