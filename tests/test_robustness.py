"""Condition robustness report (sklearn_ssastcl.robustness)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import soundfile as sf  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_ssastcl import SSASTCLClassifier  # noqa: E402
from sklearn_ssastcl.augment import Codec  # noqa: E402
from sklearn_ssastcl.classic import SpectralStatsClassifier  # noqa: E402
from sklearn_ssastcl.metrics import eer_score, min_dcf  # noqa: E402
from sklearn_ssastcl.plotting import plot_condition_report  # noqa: E402
from sklearn_ssastcl.robustness import (  # noqa: E402
    CONDITIONS,
    _opus_level,
    add_noise,
    condition_report,
    degrade,
)
from tests._tiny import SR, TINY, make_waves, tiny_logmel  # noqa: E402


def _varied(n=16, seed=3):
    """Clips of 0.3 to 2.5 s, so truncation cuts some and keeps others whole."""
    clips, y = make_waves(n, seconds=2.5, seed=seed)
    lengths = np.linspace(0.3, 2.5, n)[np.random.default_rng(seed).permutation(n)]
    return [c[: int(s * SR)] for c, s in zip(clips, lengths)], y


@pytest.fixture(scope="module")
def classic():
    clips, y = make_waves(24, seconds=0.5, seed=0)
    return SpectralStatsClassifier().fit(clips, y)


@pytest.fixture(scope="module")
def ssast():
    clips, y = make_waves(24, seconds=0.25, seed=0)
    clf = SSASTCLClassifier(**TINY, frontend=tiny_logmel(), pairs_per_epoch=16)
    return clf.fit(clips, y)


def test_truncation_rows_equal_a_hand_computation(classic):
    clips, y = _varied()
    names = ["trunc_0.5s", "trunc_1s", "trunc_2s", "trunc_4s"]
    report = condition_report(classic, clips, y, conditions=["truncation"])
    assert report["condition"].tolist() == names
    for name, seconds in zip(names, (0.5, 1, 2, 4)):
        cut = [c[: int(seconds * SR)] for c in clips]
        scores = classic.decision_function(cut)
        row = report.set_index("condition").loc[name]
        assert row["eer"] == eer_score(y, scores)
        assert row["min_dcf"] == min_dcf(y, scores)
        assert row["family"] == "truncation" and row["parameter"] == seconds
        assert row["n_clips"] == len(clips)
    # 4 s keeps every clip whole: the clean EER
    clean = condition_report(classic, clips, y, conditions=["clean"])
    assert report["eer"].iloc[-1] == clean["eer"].iloc[0]


@pytest.mark.parametrize("snr", [30, 20, 10, 5])
def test_noise_has_the_requested_snr(snr):
    clips, _ = make_waves(6, seconds=0.5, seed=1)
    for i, x in enumerate(clips):
        noisy = degrade(x, f"noise_{snr}db", np.random.default_rng(i))
        noise = noisy.astype(np.float64) - x
        measured = 10 * np.log10(np.sum(np.float64(x) ** 2) / np.sum(noise**2))
        assert measured == pytest.approx(snr, abs=0.1)
        assert abs(np.mean(noise)) < 0.1 * np.std(noise)  # zero-mean white noise
    a = add_noise(clips[0], 10, np.random.default_rng(0))
    assert np.array_equal(a, add_noise(clips[0], 10, np.random.default_rng(0)))


def test_codecs_are_the_library_augmenter():
    x = make_waves(2, seconds=0.5, seed=2)[0][0]
    for name in ("alaw", "mulaw", "gsm"):
        got = degrade(x, name, np.random.default_rng(0))
        want = Codec(p=1.0, codecs=(name,))(x, np.random.default_rng(0))
        assert np.array_equal(got, want) and got.shape == x.shape
    # libsndfile's Opus level for 8 and 16 kbit/s; the coded size agrees
    assert _opus_level(8000) == pytest.approx(0.992)
    assert _opus_level(16000) == pytest.approx(0.96)
    speech = np.tile(x, 8)
    for name, kbps in (("opus_8k", 8), ("opus_16k", 16)):
        buf = io.BytesIO()
        level = _opus_level(kbps * 1000)
        sf.write(buf, speech, SR, format="OGG", subtype="OPUS", compression_level=level)
        measured = len(buf.getvalue()) * 8 / (speech.size / SR) / 1000
        assert kbps * 0.7 < measured < kbps * 1.6
        got = degrade(x, name, np.random.default_rng(0))
        codec = Codec(p=1.0, codecs=("opus",), opus_compression=level)
        assert np.array_equal(got, codec(x, np.random.default_rng(0)))


def test_full_report_and_subsets_agree(classic):
    clips, y = make_waves(12, seconds=0.5, seed=4)
    full = condition_report(classic, clips, y, random_state=3)
    assert full["condition"].tolist() == list(CONDITIONS)
    assert set(full["family"]) == {"clean", "codec", "noise", "truncation"}
    assert full.loc[0, "eer"] == eer_score(y, classic.decision_function(clips))
    part = condition_report(
        classic, clips, y, conditions=["noise_10db", "gsm"], random_state=3
    )
    indexed = full.set_index("condition")
    for _, row in part.iterrows():
        assert row["eer"] == indexed.loc[row["condition"], "eer"]
    other = condition_report(classic, clips, y, conditions=["noise"], random_state=4)
    assert len(other) == 4


def test_ssast_and_pipeline_detectors(ssast):
    clips, y = make_waves(8, seconds=0.3, seed=6)
    report = condition_report(ssast, clips, y, conditions=["clean", "noise_5db"])
    assert report.loc[0, "eer"] == eer_score(y, ssast.decision_function(clips))
    train, y_train = make_waves(24, seconds=0.25, seed=0)
    pipe = make_pipeline(tiny_logmel(), SSASTCLClassifier(**TINY, pairs_per_epoch=16))
    pipe.fit(train, y_train)
    report = condition_report(pipe, clips, y, conditions=["mulaw"])
    assert report["n_clips"].tolist() == [8]
    # several detectors: the same degraded clips, one row per (condition, system)
    both = condition_report(
        {"ssast": ssast, "pipe": pipe}, clips, y, conditions=["mulaw", "noise_5db"]
    )
    assert both["system"].tolist() == ["ssast", "pipe", "ssast", "pipe"]
    alone = condition_report(pipe, clips, y, conditions=["noise_5db"])
    assert both["eer"].iloc[3] == alone["eer"].iloc[0]


def test_bad_inputs_fail_before_any_work(classic):
    clips, y = make_waves(4, seconds=0.5)
    with pytest.raises(ValueError, match=r"Unknown condition 'opus_32k'.*'opus_8k'"):
        condition_report(classic, clips, y, conditions=["gsm", "opus_32k"])
    with pytest.raises(ValueError, match="Unknown condition 'g729'. Valid conditions"):
        condition_report(SpectralStatsClassifier(), clips, y, conditions=["g729"])
    with pytest.raises(ValueError, match="Unknown condition"):
        degrade(clips[0], "codec", np.random.default_rng(0))
    with pytest.raises(NotFittedError, match="not fitted"):
        condition_report(SpectralStatsClassifier(), clips, y)
    with pytest.raises(TypeError, match="fitted on spectrograms"):
        condition_report(SSASTCLClassifier(), clips, y)
    with pytest.raises(ValueError, match="differs from the detector's 16000 Hz"):
        condition_report(classic, clips, y, sample_rate=8000)
    with pytest.raises(ValueError, match="4 clips but y 3 labels"):
        condition_report(classic, clips, y[:3])
    with pytest.raises(ValueError, match="conditions is empty"):
        condition_report(classic, clips, y, conditions=[])


def test_plot_condition_report(classic):
    clips, y = make_waves(8, seconds=0.5, seed=5)
    report = condition_report(classic, clips, y, conditions=["clean", "gsm", "noise"])
    ax = plot_condition_report(report)
    assert len(ax.patches) == len(report) == 6
    both = pd.concat([report.assign(system="a"), report.assign(system="b")])
    ax = plot_condition_report(both)
    assert len(ax.patches) == 12
    assert [t.get_text() for t in ax.get_xticklabels()] == report["condition"].tolist()
    with pytest.raises(ValueError, match="missing"):
        plot_condition_report(pd.DataFrame({"eer": [0.1]}))
