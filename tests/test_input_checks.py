"""Waveform inputs: integer PCM refused everywhere, short clips named, advice fits."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from sklearn_ssastcl import LogMel, SSASTCLClassifier
from sklearn_ssastcl.classic import LFCCGMMClassifier, SpectralStatsClassifier
from sklearn_ssastcl.nn._frontend import KaldiFbank
from tests._tiny import TINY, make_waves, tiny_logmel, write_audio

SR = 16000
PCM = r"int16 .*integer or boolean samples.*/ 32768"


def _int16(clips):
    return [np.round(c * 32767).astype(np.int16) for c in clips]


# ------------------------------------------------------------- integer PCM
@pytest.mark.parametrize("as_array", [False, True])
def test_logmel_refuses_integer_pcm(as_array):
    clips, _ = make_waves(4)
    X = _int16(clips)
    if as_array:
        X = np.stack(X)
    with pytest.raises(TypeError, match=PCM):
        tiny_logmel().transform(X)
    with pytest.raises(TypeError, match=PCM):
        tiny_logmel(normalize="fit").fit(X)


@pytest.mark.parametrize(
    "dtype, advice",
    [
        (np.int32, r"/ 2147483648"),
        (np.uint8, r"- 128\) / 128"),
        (bool, "integer or boolean"),
    ],
)
def test_the_advice_names_the_full_scale_of_the_dtype(dtype, advice):
    with pytest.raises(TypeError, match=advice):
        tiny_logmel().transform([np.ones(4000, dtype=dtype)])


def test_classifier_with_frontend_refuses_integer_pcm(
    fitted_frontend_classifier, waveforms
):
    clf, (clips, y) = fitted_frontend_classifier, waveforms
    bad = list(clips)
    bad[3] = _int16([clips[3]])[0]
    with pytest.raises(TypeError, match=r"clip 3 of dtype " + PCM):
        SSASTCLClassifier(**TINY, frontend=tiny_logmel(), pairs_per_epoch=16).fit(
            bad, y
        )
    with pytest.raises(TypeError, match=r"clip 3 of dtype " + PCM):
        clf.predict(bad)
    with pytest.raises(TypeError, match=PCM):
        clf.decision_function(np.stack(_int16(clips)))


@pytest.mark.parametrize(
    "estimator",
    [
        LFCCGMMClassifier(n_components=1, random_state=0),
        SpectralStatsClassifier(random_state=0),
    ],
)
def test_classic_estimators_refuse_integer_pcm_with_the_same_advice(estimator):
    clips, y = make_waves(8)
    with pytest.raises(TypeError, match=PCM):
        estimator.fit(_int16(clips), y)
    with pytest.raises(TypeError, match=PCM):
        estimator.fit(np.stack(_int16(clips)), y)


def test_kaldi_fbank_refuses_integer_tensors():
    with pytest.raises(TypeError, match=r"torch\.int16 .*/ 32768"):
        KaldiFbank()(torch.zeros(2, 4000, dtype=torch.int16))


def test_scaled_pcm_gives_the_float_features():
    clips, _ = make_waves(2)
    scaled = [c.astype(np.float32) / 32768 for c in _int16(clips)]
    as_floats = [np.round(c * 32767) / 32768 for c in clips]
    np.testing.assert_allclose(
        tiny_logmel().transform(scaled), tiny_logmel().transform(as_floats), atol=1e-5
    )


# ------------------------------------------------------------- short clips
def test_short_clips_are_named_before_padding():
    clips, _ = make_waves(4, seconds=1.0)
    clips[2] = clips[2][:800]  # 0.05 s, 3 frames of the 300
    lm = LogMel(n_mels=8, target_length=300, pad_mode="repeat")
    with pytest.warns(UserWarning, match=r"1 clip\(s\) shorter .*clip 2 \(0\.050 s\)"):
        lm.transform(clips)
    with pytest.warns(UserWarning, match=r"clip 2 .*zero-padded"):
        LogMel(n_mels=8, target_length=300).fit_transform(clips)


def test_short_files_are_named_by_path(tmp_path):
    clips, _ = make_waves(2, seconds=1.0)
    paths = write_audio(tmp_path, [clips[0], clips[1][:800]], subtype="FLOAT")
    with pytest.warns(UserWarning, match=r"clip01\.wav' \(0\.050 s\)"):
        LogMel(n_mels=8, target_length=300).transform([str(p) for p in paths])


def test_clips_filling_a_tenth_of_target_length_do_not_warn():
    clips, _ = make_waves(2, seconds=1.0)
    # 30 frames of 300 need 400 + 29 * 160 samples
    clips[1] = clips[1][: 400 + 29 * 160]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogMel(n_mels=8, target_length=300).transform(clips)
    clips[1] = clips[1][:-1]
    with pytest.warns(UserWarning, match="clip 1"):
        LogMel(n_mels=8, target_length=300).transform(clips)


def test_classifier_with_frontend_warns_about_short_clips(
    fitted_frontend_classifier, waveforms
):
    clf, (clips, _) = fitted_frontend_classifier, waveforms
    short = list(clips[:4])
    short[1] = short[1][:400]  # one frame of N_FRAMES=16
    with pytest.warns(UserWarning, match=r"clip 1 \(0\.025 s\)"):
        clf.decision_function(short)


# ------------------------------------------------------- advice that fits
def test_silent_clip_advice_fits_fit_and_predict(fitted_frontend_classifier, waveforms):
    clf, (clips, y) = fitted_frontend_classifier, waveforms
    silent = list(clips)
    silent[2] = np.zeros_like(silent[2])
    new = SSASTCLClassifier(**TINY, frontend=tiny_logmel(), pairs_per_epoch=16)
    with pytest.raises(ValueError, match="Clip 2 is silent.*before fit"):
        new.fit(silent, y)
    with pytest.raises(ValueError, match="Clip 2 is silent") as info:
        clf.predict(silent)
    assert "before fit" not in str(info.value)
    assert "drop it from X before predicting" in str(info.value)
