"""``score_files``: whole recordings in sliding windows; bad files reported."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import soundfile as sf
import torch
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_ssastcl import LogMel, SSASTCLClassifier, score_files
from sklearn_ssastcl.datasets import load_audio
from tests._tiny import N_FRAMES, TINY, one_torch_thread  # noqa: F401

SR = 16000
WIN = 400 + (N_FRAMES - 1) * 160  # the samples N_FRAMES frames span: 0.175 s


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    t = np.arange(int(0.25 * SR)) / SR
    clips, y = [], np.array(["bonafide", "spoof"] * 8)
    for label in y:
        w = 0.3 * np.sin(2 * np.pi * rng.uniform(150, 300) * t)
        if label == "spoof":
            w = w + 0.2 * np.sin(2 * np.pi * 6000 * t)
        clips.append((w + 0.01 * rng.normal(size=t.size)).astype(np.float32))
    frontend = LogMel(n_mels=TINY["n_mels"], target_length=N_FRAMES)
    return SSASTCLClassifier(**TINY, frontend=frontend, pairs_per_epoch=16).fit(
        clips, y
    )


def _noise(seconds, *, seed=0, rate=SR, channels=1):
    rng = np.random.default_rng(seed)
    shape = (int(seconds * rate),) if channels == 1 else (int(seconds * rate), channels)
    return (0.1 * rng.normal(size=shape)).astype(np.float32)


def _hand_windows(wave, window, hop):
    """Windows cut by hand: every ``hop`` samples, plus one ending at the end."""
    starts = list(range(0, len(wave) - window + 1, hop))
    if starts[-1] + window < len(wave):
        starts.append(len(wave) - window)
    return starts, [wave[s : s + window] for s in starts]


def test_window_scores_equal_decision_function_on_hand_cut_windows(model, tmp_path):
    wave = _noise(2.3)
    path = tmp_path / "a.wav"
    sf.write(path, wave, SR, subtype="FLOAT")
    files, windows = score_files(model, [path], hop=0.1, return_windows=True)
    starts, cut = _hand_windows(wave, WIN, 1600)
    assert len(windows) == len(starts) == files["n_windows"][0] == 23
    assert_allclose(windows["start"], np.array(starts) / SR)
    assert windows["end"].iloc[-1] == pytest.approx(2.3)
    expected = model.decision_function(cut)
    assert_allclose(windows["score"], expected, rtol=1e-5, atol=1e-6)
    assert files["status"][0] == "ok" and files["error"][0] == ""
    assert files["score"][0] == pytest.approx(expected.mean(), rel=1e-5)
    assert files["duration"][0] == pytest.approx(2.3)


@pytest.mark.parametrize("aggregate", ["max", "min", "median", 0.1])
def test_aggregates(model, tmp_path, aggregate):
    path = tmp_path / "a.wav"
    sf.write(path, _noise(1.5, seed=3), SR)
    files, windows = score_files(
        model, [path], hop=0.05, aggregate=aggregate, return_windows=True
    )
    scores = windows["score"].to_numpy()
    expected = (
        np.quantile(scores, aggregate)
        if isinstance(aggregate, float)
        else getattr(np, aggregate)(scores)
    )
    assert files["score"][0] == pytest.approx(expected)
    assert scores.std() > 0  # the aggregates differ
    with pytest.raises(ValueError, match="aggregate must be one of"):
        score_files(model, [path], aggregate="q10")


@pytest.mark.parametrize("rate, channels", [(44100, 2), (8000, 1), (22050, 3)])
def test_other_rates_and_channels_are_resampled_and_mixed_down(
    model, tmp_path, rate, channels
):
    path = tmp_path / "x.wav"
    sf.write(path, _noise(1.2, rate=rate, channels=channels), rate, subtype="FLOAT")
    files, windows = score_files(model, [path], return_windows=True)
    with pytest.warns(UserWarning, match="resampled"):
        mono = load_audio(path, SR, mono="mean")
    starts, cut = _hand_windows(mono, WIN, WIN // 2)
    assert len(windows) == len(starts)
    assert_allclose(
        windows["score"], model.decision_function(cut), rtol=1e-4, atol=1e-5
    )
    assert files["duration"][0] == pytest.approx(len(mono) / SR)


def test_a_ten_minute_file_is_read_in_blocks(model, tmp_path):
    path = tmp_path / "call.wav"
    n = 600 * SR
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", SR, 1, subtype="PCM_16") as handle:
        for _ in range(60):  # ten seconds at a time
            handle.write((0.1 * rng.normal(size=10 * SR)).astype(np.float32))
    tracemalloc.start()
    try:
        files, windows = score_files(
            model, [str(path)], hop=WIN / SR, batch_size=256, return_windows=True
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8e6, peak  # the whole file is 38 MB as float32
    regular = (n - WIN) // WIN + 1  # back to back, then one ending at the end
    assert len(windows) == files["n_windows"][0] == regular + 1 == 3429
    assert windows["end"].iloc[-1] == pytest.approx(600.0)
    assert files["duration"][0] == pytest.approx(600.0)
    picks = [0, 1, 1700, 3427, 3428]
    hand = []
    for start in (windows["start"].to_numpy()[picks] * SR).round().astype(int):
        hand.append(sf.read(path, start=start, frames=WIN, dtype="float32")[0])
    assert_allclose(
        windows["score"].to_numpy()[picks],
        model.decision_function(hand),
        rtol=1e-5,
        atol=1e-6,
    )


def test_bad_files_are_reported_one_by_one(model, tmp_path):
    good = tmp_path / "good.wav"
    sf.write(good, _noise(1.0, seed=1), SR)
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(SR, dtype=np.float32), SR)
    short = tmp_path / "short.wav"
    sf.write(short, _noise(0.05), SR)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.flac"
    corrupt.write_bytes(b"fLaC" + bytes(range(256)) * 4)
    nan = tmp_path / "nan.wav"
    wave = _noise(1.0)
    wave[8000] = np.nan
    sf.write(nan, wave, SR, subtype="FLOAT")
    no_samples = tmp_path / "no_samples.wav"
    sf.write(no_samples, np.zeros(0, dtype=np.float32), SR)
    paths = [good, tmp_path / "missing.wav", silent, short, empty, corrupt, nan,
             no_samples, good]  # fmt: skip
    files = score_files(model, paths, min_duration=0.1)
    assert list(files["path"]) == [str(p) for p in paths]
    assert list(files["status"]) == [
        "ok", "missing", "silent", "too_short", "empty", "unreadable",
        "non_finite", "empty", "ok",
    ]  # fmt: skip
    errors = dict(zip(files["status"], files["error"]))
    assert "missing.wav does not exist; check the path" in errors["missing"]
    assert "silent.wav is silent" in errors["silent"]
    assert (
        "short.wav lasts 0.050 s; the model needs at least 0.100 s"
        in (errors["too_short"])
    )
    assert "corrupt.flac cannot be decoded as audio" in errors["unreadable"]
    assert "convert it" in errors["unreadable"]
    assert (
        "nan.wav holds NaN or infinite samples (first at 0.500 s)"
        in (errors["non_finite"])
    )
    assert "empty.wav is empty (0 bytes)" in files["error"][4]
    assert "no_samples.wav holds no samples" in files["error"][7]
    bad = files["status"] != "ok"
    assert files["score"][bad].isna().all()
    alone = score_files(model, [good])["score"][0]
    assert files["score"][0] == files["score"][8] == pytest.approx(alone)


def test_silent_windows_are_not_scored(model, tmp_path):
    wave = _noise(1.0)
    wave[: SR // 2] = 0.0
    path = tmp_path / "half.wav"
    sf.write(path, wave, SR, subtype="FLOAT")
    files, windows = score_files(model, [path], hop=0.1, return_windows=True)
    quiet = windows["silent"].to_numpy()
    assert_array_equal(quiet, (windows["end"] <= 0.5).to_numpy())
    assert quiet.sum() == 4 and windows["score"][quiet].isna().all()
    assert files["score"][0] == pytest.approx(windows["score"][~quiet].mean())


def test_window_and_hop_are_checked(model, tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, _noise(1.0), SR)
    with pytest.raises(ValueError, match=r"longer than the 0\.175 s the model"):
        score_files(model, [path], window=1.0)
    with pytest.raises(ValueError, match="hop=0.2 s must be at most the window"):
        score_files(model, [path], window=0.1, hop=0.2)
    with pytest.raises(ValueError, match="window must be a positive number"):
        score_files(model, [path], window=-1)
    files = score_files(model, [path], window=0.1, hop=0.1)
    assert files["n_windows"][0] == 10


def test_a_model_without_logmel_is_refused(tmp_path):
    from tests._tiny import make_spectrograms

    X, y = make_spectrograms(16)
    spec_model = SSASTCLClassifier(**TINY).fit(X, y)
    with pytest.raises(ValueError, match="does not take waveforms through a LogMel"):
        score_files(spec_model, [tmp_path / "a.wav"])


def test_model_folder_and_timeline_plot(model, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_ssastcl.plotting import plot_score_timeline

    model.save_weights(tmp_path / "m")
    paths = [tmp_path / "a.wav", tmp_path / "b.wav"]
    for i, p in enumerate(paths):
        sf.write(p, _noise(0.5 + i, seed=i), SR)
    files, windows = score_files(tmp_path / "m", paths, return_windows=True)
    direct = score_files(model, paths)
    assert_allclose(files["score"], direct["score"], rtol=1e-6)
    ax = plot_score_timeline(windows, threshold=model.threshold_)
    assert [line.get_label() for line in ax.get_lines()[:2]] == ["a", "b"]
    assert len(ax.get_lines()[1].get_xdata()) == files["n_windows"][1]
    (line,) = [x for x in ax.get_lines() if x.get_gid() == "threshold"]
    assert line.get_ydata()[0] == pytest.approx(model.threshold_)
    plt.close("all")


def test_stream_resampler_matches_whole_signal():
    import torchaudio.functional as F

    from sklearn_ssastcl._audio_stream import StreamResampler

    x = np.random.default_rng(0).normal(size=123457).astype(np.float32)
    for orig, new in [(44100, 16000), (8000, 16000), (48000, 16000)]:
        whole = F.resample(torch.from_numpy(x), orig, new).numpy()
        resampler = StreamResampler(orig, new)
        blocks = np.array_split(x, 7)
        parts = [resampler.push(b, final=i == 6) for i, b in enumerate(blocks)]
        got = np.concatenate(parts)
        assert got.shape == whole.shape
        assert_allclose(got, whole, atol=1e-6)
