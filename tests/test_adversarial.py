"""White-box FGSM / PGD on the waveform (sklearn_ssastcl.adversarial)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_ssastcl import SSASTCEClassifier, SSASTCLClassifier  # noqa: E402
from sklearn_ssastcl._diff_scores import DiffScorer  # noqa: E402
from sklearn_ssastcl.adversarial import (  # noqa: E402
    adversarial_curve,
    fgsm,
    perturbation_snr,
    pgd,
)
from sklearn_ssastcl.classic import SpectralStatsClassifier  # noqa: E402
from sklearn_ssastcl.metrics import eer_score  # noqa: E402
from sklearn_ssastcl.plotting import plot_adversarial_curve  # noqa: E402
from tests._tiny import TINY, make_waves, tiny_logmel  # noqa: E402

CE_PARAMS = {k: v for k, v in TINY.items() if k != "head_epochs"}


@pytest.fixture(scope="module")
def train():
    return make_waves(24, seconds=0.25, seed=0)


@pytest.fixture(scope="module")
def test_set():
    return make_waves(16, seconds=0.25, seed=5)


@pytest.fixture(scope="module")
def cl_model(train):
    clf = SSASTCLClassifier(
        **{**TINY, "head_epochs": 20}, frontend=tiny_logmel(), pairs_per_epoch=16
    )
    return clf.fit(*train)


@pytest.fixture(scope="module")
def ce_model(train):
    # repeat padding and calibration: both must be reproduced by the torch path
    clf = SSASTCEClassifier(
        **CE_PARAMS,
        frontend=tiny_logmel(pad_mode="repeat"),
        calibrate=True,
        validation_split=0.3,
    )
    return clf.fit(*train)


@pytest.fixture(scope="module")
def pipeline_model(train):
    clf = SSASTCLClassifier(**TINY, pairs_per_epoch=16)
    return make_pipeline(tiny_logmel(), clf).fit(*train)


@pytest.mark.parametrize("name", ["cl_model", "ce_model", "pipeline_model"])
def test_torch_path_equals_decision_function(name, request, test_set):
    est = request.getfixturevalue(name)
    clips, _ = test_set
    # a short clip (padding / tiling) and a long one (cut) among them
    clips = [*clips, clips[0][:3000], np.concatenate([clips[1], clips[2]])]
    grads, scores = DiffScorer(est).gradient(clips, np.ones(len(clips)))
    np.testing.assert_allclose(scores, est.decision_function(clips), atol=1e-4)
    for g, c in zip(grads, clips):
        assert np.isfinite(g).all() and g.shape == c.shape


def test_fgsm_linf_and_snr(cl_model, test_set):
    clips, y = test_set
    eps = 1e-3
    adv = fgsm(cl_model, clips, y, eps)
    for x, z in zip(clips, adv):
        assert z.dtype == np.float32 and z.shape == x.shape
        assert np.abs(z.astype(np.float64) - x).max() == pytest.approx(eps, abs=1e-6)
    hand = [
        10 * np.log10(np.sum(np.float64(x) ** 2) / np.sum((np.float64(z) - x) ** 2))
        for x, z in zip(clips, adv)
    ]
    np.testing.assert_allclose(perturbation_snr(clips, adv), hand, rtol=1e-12)
    curve = adversarial_curve(cl_model, clips, y, [eps], attack="fgsm")
    assert curve["snr_db"].iloc[0] == pytest.approx(np.mean(hand), abs=1e-9)
    # every sample the detector sees moves by epsilon; 16 frames need 2800 samples
    assert np.all(np.abs(adv[0][:2800] - clips[0][:2800]) > 0.5 * eps)


def test_fgsm_pushes_scores_the_right_way(ce_model, test_set):
    clips, y = test_set
    spoof = y == "spoof"
    before = ce_model.decision_function(clips)
    after = ce_model.decision_function(fgsm(ce_model, clips, y, 1e-3))
    assert np.mean(after[spoof] - before[spoof]) > 0
    assert np.mean(after[~spoof] - before[~spoof]) < 0


def _shift(est, clips, y, adv):
    d = np.where(y == "spoof", 1.0, -1.0)
    return np.mean(d * (est.decision_function(adv) - est.decision_function(clips)))


def test_pgd_at_least_as_strong_as_fgsm(cl_model, test_set):
    clips, y = test_set
    eps = 3e-4
    shift_fgsm = _shift(cl_model, clips, y, fgsm(cl_model, clips, y, eps))
    shift_pgd = _shift(
        cl_model, clips, y, pgd(cl_model, clips, y, eps, steps=10, random_state=0)
    )
    assert shift_fgsm > 0
    assert shift_pgd >= shift_fgsm - 1e-6
    curve = {
        a: adversarial_curve(cl_model, clips, y, [eps], attack=a)["eer"].iloc[0]
        for a in ("fgsm", "pgd")
    }
    assert curve["pgd"] >= curve["fgsm"] - 1 / 8  # one spoof/bona pair of slack


def test_pgd_stays_in_the_ball_and_is_deterministic(cl_model, test_set):
    clips, y = test_set
    eps = 2e-3
    a = pgd(cl_model, clips, y, eps, steps=3, random_state=7)
    b = pgd(cl_model, clips, y, eps, steps=3, random_state=7)
    c = pgd(cl_model, clips, y, eps, steps=3, random_state=8)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not all(np.array_equal(u, v) for u, v in zip(a, c))
    for x, z in zip(clips, a):
        assert np.abs(z.astype(np.float64) - x).max() <= eps + 1e-6
        assert np.abs(z).max() <= 1
    again = zip(fgsm(cl_model, clips, y, eps), fgsm(cl_model, clips, y, eps))
    assert all(np.array_equal(u, v) for u, v in again)


def test_epsilon_zero_gives_the_clean_eer(ce_model, test_set):
    clips, y = test_set
    curve = adversarial_curve(ce_model, clips, y, [0, 1e-3], random_state=0)
    assert list(curve.columns[:3]) == ["epsilon", "attack", "eer"]
    clean = ce_model.decision_function(clips)
    assert curve["eer"].iloc[0] == eer_score(y, clean)
    assert curve["spoof_miss_rate"].iloc[0] == np.mean(
        clean[y == "spoof"] >= ce_model.threshold_
    )
    assert curve["snr_db"].iloc[0] == np.inf
    assert curve["eer"].iloc[1] >= curve["eer"].iloc[0]


def test_target_spoof_leaves_bona_fide_alone(cl_model, test_set):
    clips, y = test_set
    X = np.stack(clips)  # a 2-D array in, a 2-D array out
    adv = pgd(cl_model, X, y, 1e-3, steps=2, random_state=0, target="spoof")
    assert isinstance(adv, np.ndarray) and adv.shape == X.shape
    bona = y == "bonafide"
    assert np.array_equal(adv[bona], X[bona])
    assert not np.array_equal(adv[~bona], X[~bona])


@pytest.mark.parametrize("eps", [0, 0.0, -1e-3, float("nan"), float("inf"), "1", True])
def test_bad_epsilon(cl_model, test_set, eps):
    clips, y = test_set
    for attack in (fgsm, pgd):
        with pytest.raises(ValueError, match="epsilon must be a finite number > 0"):
            attack(cl_model, clips, y, eps)


def test_bad_curve_arguments(cl_model, test_set):
    clips, y = test_set
    with pytest.raises(ValueError, match="each epsilon must be a finite number >= 0"):
        adversarial_curve(cl_model, clips, y, [0, -1e-3])
    with pytest.raises(ValueError, match="each epsilon"):
        adversarial_curve(cl_model, clips, y, [float("nan")])
    with pytest.raises(ValueError, match="attack must be one of"):
        adversarial_curve(cl_model, clips, y, [0], attack="cw")
    with pytest.raises(ValueError, match="target must be one of"):
        fgsm(cl_model, clips, y, 1e-3, target="all")
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        pgd(cl_model, clips, y, 1e-3, steps=0)
    with pytest.raises(ValueError, match="16 labels"):
        fgsm(cl_model, clips[:5], y, 1e-3)


def test_unfitted_and_classic_detectors_are_refused(train):
    clips, y = train
    with pytest.raises(NotFittedError, match="not fitted"):
        fgsm(SSASTCLClassifier(frontend=tiny_logmel()), clips, y, 1e-3)
    classic = SpectralStatsClassifier().fit(clips, y)
    msg = "White-box attacks need a differentiable detector"
    with pytest.raises(TypeError, match=msg):
        pgd(classic, clips, y, 1e-3)
    with pytest.raises(TypeError, match=msg):
        adversarial_curve(classic, clips, y, [0, 1e-3])
    with pytest.raises(TypeError, match="takes spectrograms"):
        fgsm(SSASTCLClassifier(), clips, y, 1e-3)


def test_plot_adversarial_curve(cl_model, ce_model, test_set):
    clips, y = test_set
    frames = []
    for name, est in (("SSAST-CL", cl_model), ("CE", ce_model)):
        curve = adversarial_curve(est, clips, y, [0, 1e-4, 1e-3], attack="fgsm")
        frames.append(curve.assign(system=name))
    ax = plot_adversarial_curve(pd.concat(frames))
    labels = [line.get_label() for line in ax.lines]
    assert "SSAST-CL: EER" in labels and "CE: spoof miss rate" in labels
    assert ax.get_xscale() == "symlog"
    with pytest.raises(ValueError, match="missing"):
        plot_adversarial_curve(pd.DataFrame({"epsilon": [0]}))
