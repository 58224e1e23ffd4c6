"""Saliency maps: shapes and sign, and the spliced-second test.

The spliced-second test trains a tiny detector on 5 s synthetic recordings where
spoofing is a local artefact (a 5-7 kHz tone over one random second), splices one
second of a spoofed clip into a bona fide recording, and checks that the most
spoof-like 1 s window and the second with the most spoof evidence in the
saliency map fall on the spliced second far more often than chance.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_ssastcl import LogMel, SSASTCEClassifier, SSASTCLClassifier
from sklearn_ssastcl.saliency import saliency_map, write_saliency_pngs
from tests._tiny import make_spectrograms

SR = 16000
SECONDS = 5  # recording length; the model sees all of it (500 frames)


# ----------------------------------------------------------------- basics
@pytest.mark.parametrize("method", ["grad_x_input", "attention_rollout"])
def test_saliency_shape_and_batch_independence(fitted_classifier, method):
    X, _ = make_spectrograms(5, seed=3)
    maps = saliency_map(fitted_classifier, X, method=method, batch_size=2)
    assert maps.shape == X.shape and maps.dtype == np.float32
    assert np.isfinite(maps).all() and np.abs(maps).sum() > 0
    one = saliency_map(fitted_classifier, X[3:4], method=method)
    np.testing.assert_allclose(one[0], maps[3], rtol=1e-4, atol=1e-6)
    if method == "attention_rollout":
        assert (maps >= 0).all()


def test_grad_x_input_is_signed_towards_spoof(fitted_classifier):
    """``sum(saliency)`` is the derivative of ``score((1 - eps) x)`` at eps = 0."""
    X, _ = make_spectrograms(4, seed=5)
    maps, spec = saliency_map(fitted_classifier, X, return_spectrograms=True)
    np.testing.assert_array_equal(spec, X)
    eps = 1e-2
    change = (
        fitted_classifier.decision_function((1 - eps) * X)
        - fitted_classifier.decision_function((1 + eps) * X)
    ) / (2 * eps)
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), change, rtol=0.05, atol=1e-4)


def test_saliency_end_to_end_and_frontend(fitted_frontend_classifier, waveforms):
    clips, _ = waveforms
    est = fitted_frontend_classifier
    maps = saliency_map(est, clips[:3])
    assert maps.shape == (3, est.target_length_, est.n_mels_)
    X, y = make_spectrograms(20, seed=1)
    ce = SSASTCEClassifier(
        embed_dim=16, depth=1, num_heads=2, n_mels=8, kernel_size=(4, 4),
        max_epochs=1, random_state=0,
    )  # fmt: skip
    assert saliency_map(ce.fit(X, y), X[:2]).shape == (2, 16, 8)


def test_saliency_bad_input():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        saliency_map(SSASTCLClassifier(), np.zeros((1, 16, 8)))


def test_saliency_bad_method(fitted_classifier):
    with pytest.raises(ValueError, match="grad_x_input"):
        saliency_map(fitted_classifier, np.zeros((1, 16, 8)), method="lime")


def test_plot_saliency_and_pngs(fitted_classifier, fitted_frontend_classifier,
                                audio_files, tmp_path):  # fmt: skip
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_ssastcl.plotting import plot_saliency

    X, _ = make_spectrograms(1, seed=0)
    maps = saliency_map(fitted_classifier, X)
    ax = plot_saliency(X[0], maps[0], frame_shift=0.01)
    assert [im.get_gid() for im in ax.get_images()] == [None, "saliency"]
    assert ax.get_xlabel() == "Time (s)"
    with pytest.raises(ValueError, match="same shape"):
        plot_saliency(X[0], maps[0][:-1])
    plt.close("all")
    paths = audio_files[0][:3] + audio_files[0][:1]  # a repeated stem
    written = write_saliency_pngs(fitted_frontend_classifier, paths, tmp_path / "x")
    assert [p.name for p in written] == ["clip00.png", "clip01.png", "clip02.png",
                                         "clip00_1.png"]  # fmt: skip
    assert all(p.stat().st_size > 1000 for p in written)


# ------------------------------------------------------- spliced second
def _base(rng, seconds=SECONDS):
    """Bona fide: an amplitude-modulated low tone and a little noise."""
    t = np.arange(seconds * SR) / SR
    tone = np.sin(2 * np.pi * rng.uniform(150, 300) * t)
    envelope = 1 + 0.5 * np.sin(2 * np.pi * rng.uniform(1, 4) * t)
    return 0.3 * tone * envelope + 0.01 * rng.normal(size=t.size)


def _artefact(rng, n):
    """The spoofing artefact: a 5-7 kHz tone."""
    return 0.2 * np.sin(2 * np.pi * rng.uniform(5000, 7000) * np.arange(n) / SR)


def _training_set(rng, n=40):
    """Bona fide recordings and spoofed ones (the artefact over a random second)."""
    clips, labels = [], []
    for i in range(n):
        wave = _base(rng)
        if i % 2:
            start = rng.integers(0, (SECONDS - 1) * SR)
            wave[start : start + SR] += _artefact(rng, SR)
        clips.append(wave.astype(np.float32))
        labels.append("spoof" if i % 2 else "bonafide")
    return clips, np.array(labels)


def _spliced(rng, second):
    """A bona fide recording with 1 s of a spoofed clip spliced in at ``second``."""
    wave = _base(rng)
    spoofed = _base(rng, 1) + _artefact(rng, SR)
    wave[second * SR : (second + 1) * SR] = spoofed
    return wave.astype(np.float32)


def _detector(kind, seed):
    params = {
        "embed_dim": 16, "depth": 1, "num_heads": 2, "n_mels": 8,
        "kernel_size": (8, 4), "batch_size": 8, "lr": 3e-3,
        "validation_split": None, "random_state": seed,
        "frontend": LogMel(n_mels=8, target_length=SECONDS * 100, pad_mode="repeat"),
    }  # fmt: skip
    if kind == "ce":
        return SSASTCEClassifier(**params, max_epochs=30)
    return SSASTCLClassifier(**params, max_epochs=4, head_epochs=30, pairs_per_epoch=40)


def _splice_trials(kind, seeds):
    """Hit rates and chance levels of the window scores and the saliency."""
    rng_chance = np.random.default_rng(123)
    starts = np.arange(0, (SECONDS - 1) * SR + 1, SR // 2)  # 1 s windows, 0.5 s hop
    window_hits, window_chance, sal_hits, random_hits, shares = [], [], [], [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = _detector(kind, seed).fit(*_training_set(rng))
        for second in range(SECONDS):
            wave = _spliced(rng, second)
            overlaps = (starts < (second + 1) * SR) & (starts + SR > second * SR)
            # windows are tiled to the model's 5 s (pad_mode="repeat")
            scores = est.decision_function([wave[s : s + SR] for s in starts])
            window_hits.append(overlaps[np.argmin(scores)])
            window_chance.append(overlaps.mean())
            # spoof evidence per second: the positive part of the signed map
            sal = saliency_map(est, [wave])[0].reshape(SECONDS, 100, -1)
            mass = np.clip(sal, 0, None).sum(axis=(1, 2))
            sal_hits.append(np.argmax(mass) == second)
            shares.append(mass[second] / mass.sum())
            # maps without time information: this one's frames shuffled, 200 times
            frames = np.clip(sal, 0, None).sum(axis=2).ravel()
            shuffled = rng_chance.permuted(np.tile(frames, (200, 1)), axis=1)
            random_mass = shuffled.reshape(200, SECONDS, 100).sum(axis=2)
            random_hits.append(np.mean(np.argmax(random_mass, axis=1) == second))
    return {
        "window": np.mean(window_hits),
        "window_chance": np.mean(window_chance),
        "saliency": np.mean(sal_hits),
        "saliency_chance": 1 / SECONDS,
        "random_saliency": np.mean(random_hits),
        "share": np.mean(shares),
    }


def _check(result):
    # chance: 1/5 for the saliency, ~0.31 for the windows
    assert result["window"] >= result["window_chance"] + 0.4, result
    assert result["saliency"] >= result["saliency_chance"] + 0.4, result
    assert result["share"] > 1 / SECONDS, result  # above the mean share
    # the same statistic on maps with no time information stays near chance
    assert result["random_saliency"] <= result["saliency_chance"] + 0.1, result
    assert result["saliency"] >= result["random_saliency"] + 0.4, result


@pytest.mark.parametrize("kind", ["ce", pytest.param("cl", marks=pytest.mark.slow)])
def test_spliced_second(kind):
    """Averaged over 3 seeds and 5 splice positions each (CE: about 15 s)."""
    _check(_splice_trials(kind, [0, 1, 2]))
