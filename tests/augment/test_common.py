"""Behaviour shared by every waveform augmenter, Compose and augment_waveforms."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone

from sklearn_ssastcl.augment import (
    Codec,
    Compose,
    FIRFilter,
    RawBoost,
    SpecAugment,
    TelephoneChannel,
    augment_waveforms,
)


def _clip(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(n)
    return x.astype(np.float32)


AUGMENTERS = {
    "RawBoost": lambda p: RawBoost(p=p),
    "RawBoost-algo3": lambda p: RawBoost(algo=3, p=p),
    "FIRFilter": lambda p: FIRFilter(p=p),
    "TelephoneChannel": lambda p: TelephoneChannel(p=p),
    "Codec": lambda p: Codec(p=p),
    "Compose": lambda p: Compose([FIRFilter(p=p), RawBoost(p=p)]),
}
NAMES = list(AUGMENTERS)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype_preserved(name, dtype):
    x = _clip(3001).astype(dtype)
    y = AUGMENTERS[name](1.0)(x, np.random.default_rng(0))
    assert y.shape == x.shape and y.dtype == np.float32
    assert np.all(np.isfinite(y))


@pytest.mark.parametrize("name", NAMES)
def test_p_zero_is_identity_and_p_one_changes(name):
    x = _clip()
    for seed in range(5):
        assert_array_equal(AUGMENTERS[name](0.0)(x, np.random.default_rng(seed)), x)
        y = AUGMENTERS[name](1.0)(x, np.random.default_rng(seed))
        assert not np.allclose(y, x, atol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_output_other_seed_differs(name):
    x = _clip()
    aug = AUGMENTERS[name](1.0)
    a = aug(x, np.random.default_rng(11))
    b = aug(x, np.random.default_rng(11))
    assert_array_equal(a, b)
    # TelephoneChannel only draws its codec, so look at a few seeds.
    others = [aug(x, np.random.default_rng(seed)) for seed in range(12, 16)]
    assert any(not np.array_equal(a, c) for c in others)


@pytest.mark.parametrize("name", NAMES)
def test_probability_is_respected(name):
    x = _clip(1000)
    rng = np.random.default_rng(0)
    aug = AUGMENTERS[name](0.3) if name != "Compose" else RawBoost(p=0.3)
    applied = np.mean([not np.array_equal(aug(x, rng), x) for _ in range(200)])
    assert 0.2 < applied < 0.4


@pytest.mark.parametrize("name", NAMES)
def test_input_and_global_numpy_rng_untouched(name):
    x = _clip()
    x_copy = x.copy()
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    AUGMENTERS[name](1.0)(x, np.random.default_rng(0))
    assert_array_equal(np.random.get_state()[1], state)
    assert_array_equal(x, x_copy)


@pytest.mark.parametrize(
    "aug",
    [
        RawBoost(algo=4, p=0.9, snr_min=5, snr_max=15),
        FIRFilter(numtaps=(51, 61), kinds=("lowpass",)),
        TelephoneChannel(companding=("alaw",), resample_rate=None),
        SpecAugment(freq_mask=4, time_mask=7, fill=-1.0),
        Compose([FIRFilter(p=1.0), RawBoost(algo=2)]),
    ],
    ids=lambda a: type(a).__name__,
)
def test_clone_get_params_and_pickle_round_trip(aug):
    params = aug.get_params(deep=False)
    twin = clone(aug)
    assert type(twin) is type(aug) and twin is not aug
    for key, value in params.items():
        if key == "steps":
            assert [s.get_params() for s in twin.steps] == [
                s.get_params() for s in value
            ]
            assert all(a is not b for a, b in zip(twin.steps, value))
        else:
            assert twin.get_params(deep=False)[key] == value
    if isinstance(aug, SpecAugment):
        return
    restored = pickle.loads(pickle.dumps(aug))
    x = _clip()
    assert_array_equal(
        restored(x, np.random.default_rng(3)), aug(x, np.random.default_rng(3))
    )


def test_set_params_reaches_compose_steps():
    comp = Compose([FIRFilter(), RawBoost()])
    assert comp.get_params()["steps"][1].algo == 5
    comp.set_params(steps=[RawBoost(algo=2)])
    assert comp.steps[0].algo == 2


def test_compose_applies_steps_in_order_with_one_stream():
    x = _clip()
    fir, rb = FIRFilter(p=1.0), RawBoost(p=1.0)
    rng = np.random.default_rng(5)
    expected = rb(fir(x, rng), rng)
    assert_array_equal(Compose([fir, rb])(x, np.random.default_rng(5)), expected)


def test_augment_waveforms_handles_lists_of_clips():
    clips = [_clip(800, 0), _clip(1600, 1).astype(np.float64), _clip(400, 2)]
    aug = Compose([FIRFilter(p=1.0), RawBoost(p=1.0)])
    out = augment_waveforms(clips, aug, np.random.default_rng(0))
    assert [c.shape for c in out] == [(800,), (1600,), (400,)]
    rng = np.random.default_rng(0)
    for got, clip in zip(out, clips):
        assert_array_equal(got, aug(clip, rng))
    same = augment_waveforms(clips, None, np.random.default_rng(0))
    assert all(
        np.array_equal(a, b) and a.dtype == np.float32 for a, b in zip(same, clips)
    )


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("waveform", "rng", "sample_rate", "exc", "match"),
    [
        (np.zeros((2, 100)), np.random.default_rng(0), 16000, ValueError,
         r"shape \(2, 100\).*augment_waveforms"),
        (np.zeros(0), np.random.default_rng(0), 16000, ValueError, "empty"),
        (np.array([0.0, np.nan]), np.random.default_rng(0), 16000, ValueError, "NaN"),
        (np.array(["a", "b"]), np.random.default_rng(0), 16000, TypeError, "dtype"),
        (np.zeros(100), np.random.RandomState(0), 16000, TypeError,
         r"got RandomState.*default_rng"),
        (np.zeros(100), None, 16000, TypeError, "numpy Generator"),
        (np.zeros(100), np.random.default_rng(0), 0, ValueError, "sample_rate.*got 0"),
    ],
)  # fmt: skip
def test_bad_inputs(name, waveform, rng, sample_rate, exc, match):
    with pytest.raises(exc, match=match):
        AUGMENTERS[name](1.0)(waveform, rng, sample_rate)


def test_compose_errors():
    with pytest.raises(TypeError, match="steps must be a list of callables"):
        Compose([FIRFilter(), "rawboost"])(_clip(), np.random.default_rng(0))
    with pytest.raises(TypeError, match="steps must be a list"):
        Compose(FIRFilter())(_clip(), np.random.default_rng(0))

    def crop(x, rng, sample_rate):
        return x[:-1]

    with pytest.raises(ValueError, match=r"returned shape \(3999,\).*keep the length"):
        Compose([crop])(_clip(), np.random.default_rng(0))
    with pytest.raises(TypeError, match="callable augmenter or None"):
        augment_waveforms([_clip()], "rawboost", np.random.default_rng(0))
    with pytest.raises(TypeError, match="default_rng"):
        augment_waveforms([_clip()], RawBoost(), 0)
