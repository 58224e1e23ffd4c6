"""Tests of SSASTCLClassifier on tiny synthetic data."""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from sklearn_ssastcl import SSASTCLClassifier
from sklearn_ssastcl._pairs import PairSampler
from sklearn_ssastcl.metrics import eer_score, eer_scorer
from tests._tiny import (
    N_FRAMES,
    SR,
    TINY,
    brute_force_eer,
    make_spectrograms,
    tiny_logmel,
)

# loss="ce" is deprecated in favour of SSASTCEClassifier; its tests here keep the
# deprecated path working until it is removed.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:SSASTCLClassifier\(loss='ce'\) is deprecated:FutureWarning"
)


def test_fit_predict_on_separable_spectrograms(
    fitted_classifier, spectrograms, test_spectrograms
):
    Xt, yt = test_spectrograms
    clf = fitted_classifier
    assert_array_equal(clf.classes_, ["bonafide", "spoof"])
    scores = clf.decision_function(Xt)
    assert scores.dtype == np.float64 and scores.shape == (40,)
    assert eer_score(yt, scores) <= 0.1
    assert_allclose(clf.score(Xt, yt), 1 - eer_score(yt, scores))
    proba = clf.predict_proba(Xt)
    assert_allclose(proba.sum(1), 1, rtol=1e-6)
    # column 0 is "bonafide" (classes_ order); it follows the score
    assert_array_equal(proba[:, 0] > 0.5, scores > 0)
    pred = clf.predict(Xt)
    assert_array_equal(pred == "bonafide", scores >= clf.threshold_)
    assert np.mean(pred == yt) >= 0.85
    assert clf.n_features_in_ == N_FRAMES * TINY["n_mels"]
    assert clf.target_length_ == N_FRAMES and clf.device_ == "cpu"
    assert "valid_eer" in clf.history_[-1] and "valid_eer" in clf.head_net_.history[-1]
    # 2-D input (n, frames * n_mels) gives the same scores
    assert_allclose(clf.decision_function(Xt.reshape(40, -1)), scores)


def test_string_and_integer_labels_give_the_same_scores(spectrograms):
    X, y = spectrograms
    Xt, _ = make_spectrograms(20, seed=2)
    y_int = np.where(y == "bonafide", 1, 0)
    a = SSASTCLClassifier(**TINY).fit(X, y)
    b = SSASTCLClassifier(**TINY, pos_label=1).fit(X, y_int)
    assert_array_equal(b.classes_, [0, 1])
    assert_allclose(a.decision_function(Xt), b.decision_function(Xt))
    # probabilities: bona fide is column 0 for strings, column 1 for integers
    assert_allclose(a.predict_proba(Xt)[:, 0], b.predict_proba(Xt)[:, 1])


def test_determinism_and_caller_rng_untouched(spectrograms):
    X, y = spectrograms
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    s1 = SSASTCLClassifier(**TINY).fit(X, y).decision_function(X)
    after = torch.rand(1)
    s2 = SSASTCLClassifier(**TINY).fit(X, y).decision_function(X)
    assert_array_equal(s1, s2)
    assert_array_equal(before, after)
    s3 = SSASTCLClassifier(**{**TINY, "random_state": 1}).fit(X, y).decision_function(X)
    assert not np.allclose(s1, s3)


def _record_pairs(monkeypatch):
    """Record every ``(a, b, same)`` draw of the stage I pair sampler."""
    draws = []
    sample = PairSampler.sample

    def spy(self, n_pairs, rng):
        out = sample(self, n_pairs, rng)
        draws.append(out)
        return out

    monkeypatch.setattr(PairSampler, "sample", spy)
    return draws


def _validation_set():
    return make_spectrograms(20, seed=3)


def _early_stop_length(valid_eer, patience, max_epochs):
    """Epochs skorch's EarlyStopping (relative threshold 1e-4) runs, by hand."""
    best, misses = np.inf, 0
    for epoch, eer in enumerate(valid_eer, start=1):
        if eer < best * (1 - 1e-4):
            best, misses = eer, 0
        else:
            misses += 1
        if misses >= patience:
            return epoch
    return max_epochs


@pytest.fixture(scope="module")
def reference_fits():
    """TINY fits the variants are compared with, and their epoch-0 pairs."""
    X, y = make_spectrograms(80, seed=0)
    Xv, yv = _validation_set()
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        for name, params, fit_params in [
            ("split", {}, {}),
            ("no_split", {"validation_split": None}, {}),
            ("x_val", {}, {"X_val": Xv, "y_val": yv}),
        ]:
            draws = _record_pairs(mp)
            clf = SSASTCLClassifier(**TINY, **params).fit(X, y, **fit_params)
            out[name] = (clf, clf.decision_function(X), draws[0])
    return out


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "ce"},
        {"alpha": 0.0},
        {"cross_attention": False},
        {"ca_symmetric": True, "ca_blocks": 1, "distance": "cosine", "margin": 0.5},
        {"freeze_encoder": False},
        {"validation_split": None, "class_weight": (0.1, 0.9)},
        {"patience": 1, "attacks": True, "max_epochs": 6, "head_epochs": 6},
        {"groups": True},
    ],
)
def test_variants_run(spectrograms, params, reference_fits, monkeypatch):
    X, y = spectrograms
    params = dict(params)
    spoof = np.flatnonzero(y == "spoof")
    fit_params = {}
    if params.pop("attacks", False):
        # 4 spoof clips of A01, 36 of A02: drawn uniformly over attacks, A01 is
        # about half of the spoof draws; uniformly over clips, about a tenth
        attacks = np.where(y == "spoof", "A02", "-")
        attacks[spoof[:4]] = "A01"
        fit_params["attacks"] = attacks
    if params.pop("groups", False):
        groups = (np.arange(80) // 2) % 4  # every group holds both classes
        fit_params["groups"] = groups
    if fit_params:  # an explicit validation set: the training clips are X, in order
        Xv, yv = _validation_set()
        fit_params.update(X_val=Xv, y_val=yv)
    draws = _record_pairs(monkeypatch)
    clf = SSASTCLClassifier(**{**TINY, **params}).fit(X, y, **fit_params)
    scores = clf.decision_function(X)
    assert scores.shape == (80,) and np.isfinite(scores).all()
    ce = params.get("loss") == "ce"
    assert (clf.encoder_net_ is None) == ce
    assert (draws == []) == ce  # no stage I, no pairs

    if "class_weight" in params:
        # stage I is untouched: the same encoder as the unweighted fit ...
        ref, ref_scores, _ = reference_fits["no_split"]
        for p, q in zip(clf.encoder_.parameters(), ref.encoder_.parameters()):
            assert torch.equal(p, q)
        # ... but a head that favours the heavier class (weights: spoof, bona fide)
        assert np.mean(scores) > np.mean(ref_scores) + 0.2
    elif "attacks" in fit_params:
        # patience=1 stops each stage one epoch after its best validation EER
        assert len(clf.history_) < params["max_epochs"]
        for net, max_epochs in [(clf.encoder_net_, 6), (clf.head_net_, 6)]:
            eers = net.history[:, "valid_eer"]
            assert len(net.history) == _early_stop_length(eers, 1, max_epochs)
        # the epoch-0 pairs draw spoof clips uniformly over attacks
        a01 = fit_params["attacks"] == "A01"

        def a01_share(draw):
            idx = np.concatenate(draw[:2])
            return a01[idx][y[idx] == "spoof"].mean()

        assert a01_share(draws[0]) > 0.35
        assert a01_share(reference_fits["x_val"][2]) < 0.2
    elif "groups" in fit_params:
        # bona fide-spoof pairs share a group, same-class pairs never do
        a, b, same = draws[0]
        same_group = groups[a] == groups[b]
        assert np.all(same_group[same == 0]) and not np.any(same_group[same == 1])
        ref_a, ref_b, ref_same = reference_fits["x_val"][2]
        assert np.mean((groups[ref_a] == groups[ref_b])[ref_same == 0]) < 0.5
        assert not np.allclose(scores, reference_fits["x_val"][1])
    else:
        assert not np.allclose(scores, reference_fits["split"][1])


def test_spec_augment_changes_training(spectrograms):
    from sklearn_ssastcl.augment import SpecAugment

    X, y = spectrograms
    plain = SSASTCLClassifier(**TINY).fit(X, y)
    aug = SSASTCLClassifier(**TINY, spec_augment=SpecAugment(freq_mask=3, time_mask=4))
    aug.fit(X, y)
    assert not np.allclose(plain.decision_function(X), aug.decision_function(X))
    again = clone(aug).fit(X, y)
    assert_array_equal(aug.decision_function(X), again.decision_function(X))


def test_explicit_validation_set(spectrograms):
    X, y = spectrograms
    Xv, yv = make_spectrograms(20, seed=3)
    clf = SSASTCLClassifier(**TINY).fit(X, y, X_val=Xv, y_val=yv)
    scores = clf.decision_function(Xv)
    from sklearn_ssastcl.metrics import eer_threshold

    assert_allclose(clf.threshold_, eer_threshold(yv, scores), rtol=1e-6)


def test_pipeline_with_logmel_on_waveforms(waveforms):
    clips, y = waveforms
    params = {**TINY, "pairs_per_epoch": 32, "head_epochs": 20, "head_lr": 1e-2}
    pipe = Pipeline([("spec", tiny_logmel()), ("clf", SSASTCLClassifier(**params))])
    pipe.fit(clips, y)
    # the same model as the classifier fitted on the features computed apart
    features = tiny_logmel().transform(clips)
    alone = SSASTCLClassifier(**params).fit(features, y)
    scores = pipe.decision_function(clips)
    assert_array_equal(scores, alone.decision_function(features))
    assert_array_equal(pipe.predict_proba(clips), alone.predict_proba(features))
    # score() is 1 - EER, by brute force; and well above chance (0.5)
    expected = 1 - brute_force_eer(scores[y == "bonafide"], scores[y == "spoof"])
    assert_allclose(pipe.score(clips, y), expected)
    assert expected >= 0.8


class _Recorder:
    """Wrap an augmenter and record a fingerprint of every output."""

    def __init__(self, inner):
        self.inner = inner
        self.seen = []

    def __call__(self, waveform, rng, sample_rate=16000):
        out = self.inner(waveform, rng, sample_rate=sample_rate)
        self.seen.append(float(np.sum(out)))
        return out


def test_frontend_with_rawboost_augments_per_epoch(waveforms):
    from sklearn_ssastcl.augment import RawBoost

    clips, y = waveforms
    recorder = _Recorder(RawBoost(algo=3, p=1.0))
    clf = SSASTCLClassifier(
        **TINY, frontend=tiny_logmel(), augment=recorder, pairs_per_epoch=16
    )
    clf.fit(clips, y)
    n_train = len(clips) - 3  # validation_split=0.1 of 24, rounded up
    seen = np.array(recorder.seen)
    assert seen.size == 2 * n_train  # stage I: one fresh draw per clip and epoch
    assert not np.allclose(seen[:n_train], seen[n_train:])
    # prediction runs the frontend without augmentation
    s = clf.decision_function(clips)
    assert recorder.seen == list(seen)
    assert_allclose(s, clf.decision_function(np.stack(clips)))


def test_grid_search_with_eer_scorer(spectrograms):
    from sklearn.model_selection import StratifiedKFold

    X, y = spectrograms
    values = [1e-5, 1e-2]  # a head that barely moves, and one that learns
    grid = GridSearchCV(
        SSASTCLClassifier(**TINY), {"head_lr": values}, scoring=eer_scorer, cv=2
    )
    grid.fit(X, y)
    # every fold score recomputed by hand: refit, then 1 - EER by brute force
    by_hand = np.zeros((len(values), 2))
    for k, (train, test) in enumerate(StratifiedKFold(2).split(X, y)):
        for i, value in enumerate(values):
            clf = SSASTCLClassifier(**TINY, head_lr=value).fit(X[train], y[train])
            s, yt = clf.decision_function(X[test]), y[test]
            by_hand[i, k] = 1 - brute_force_eer(s[yt == "bonafide"], s[yt == "spoof"])
            assert_allclose(grid.cv_results_[f"split{k}_test_score"][i], by_hand[i, k])
    assert_allclose(grid.cv_results_["mean_test_score"], by_hand.mean(axis=1))
    # the two settings differ, and the best one is the best mean score by hand
    assert abs(by_hand[0].mean() - by_hand[1].mean()) > 0.1
    assert grid.best_params_ == {"head_lr": values[int(np.argmax(by_hand.mean(1)))]}


def test_groups_reach_fit_through_metadata_routing(spectrograms, monkeypatch):
    import sklearn
    from sklearn.model_selection import GroupKFold

    X, y = spectrograms
    groups = (np.arange(80) // 2) % 4  # every speaker has both classes
    seen = []
    fit = SSASTCLClassifier.fit

    def spy(self, X, y, **params):
        seen.append(params.get("groups"))
        return fit(self, X, y, **params)

    monkeypatch.setattr(SSASTCLClassifier, "fit", spy)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = SSASTCLClassifier(**TINY).set_fit_request(groups=True)
        grid = GridSearchCV(clf, {"alpha": [1.0]}, scoring=eer_scorer, cv=GroupKFold(2))
        grid.fit(X, y, groups=groups)
    # each fold's fit gets its own speakers; the refit gets them all
    assert [sorted(set(g)) for g in seen] == [[0, 2], [1, 3], [0, 1, 2, 3]]


def test_clone_pickle_joblib_round_trips(fitted_classifier, spectrograms, tmp_path):
    X, _ = spectrograms
    expected = fitted_classifier.decision_function(X)
    clone(fitted_classifier).get_params()  # clone is unfitted
    assert not hasattr(clone(fitted_classifier), "classes_")
    again = pickle.loads(pickle.dumps(fitted_classifier))
    assert_array_equal(again.decision_function(X), expected)
    joblib.dump(fitted_classifier, tmp_path / "clf.joblib")
    again = joblib.load(tmp_path / "clf.joblib")
    assert_array_equal(again.decision_function(X), expected)
    assert_array_equal(again.predict(X), fitted_classifier.predict(X))


@pytest.mark.parametrize("params", [{}, {"loss": "ce"}])
def test_weights_only_save_load(spectrograms, tmp_path, params):
    X, y = spectrograms
    clf = SSASTCLClassifier(**TINY, **params).fit(X, y)
    clf.save_weights(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "config.json",
        "weights.pt",
    ]
    # the weights file loads with the safe unpickler
    torch.load(tmp_path / "model" / "weights.pt", weights_only=True)
    loaded = SSASTCLClassifier.load_weights(tmp_path / "model")
    assert_array_equal(loaded.decision_function(X), clf.decision_function(X))
    assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.threshold_ == clf.threshold_
    assert loaded.get_params()["loss"] == clf.loss


def test_weights_only_save_load_with_frontend(
    fitted_frontend_classifier, waveforms, tmp_path
):
    clips, _ = waveforms
    clf = fitted_frontend_classifier
    clf.save_weights(tmp_path / "m")
    loaded = SSASTCLClassifier.load_weights(tmp_path / "m")
    assert loaded.frontend.get_params() == clf.frontend.get_params()
    assert_array_equal(loaded.decision_function(clips), clf.decision_function(clips))


def test_resume_from_checkpoint_dir(spectrograms, tmp_path):
    X, y = spectrograms
    params = {**TINY, "checkpoint_dir": tmp_path}
    interrupted = SSASTCLClassifier(**{**params, "max_epochs": 1}).fit(X, y)
    assert (tmp_path / "stage1" / "params.pt").exists()
    resumed = SSASTCLClassifier(**params).fit(X, y)  # 1 more stage I epoch
    assert len(resumed.history_) == 2
    assert resumed.history_[0, "train_loss"] == interrupted.history_[0, "train_loss"]
    # everything done: a new fit only reloads, and scores match
    again = SSASTCLClassifier(**params).fit(X, y)
    assert len(again.history_) == 2
    assert_array_equal(again.decision_function(X), resumed.decision_function(X))


def test_pretrained_checkpoint(spectrograms, tmp_path):
    from sklearn_ssastcl.nn import SSASTEncoder, save_ssast_checkpoint

    X, y = spectrograms
    torch.manual_seed(0)
    enc = SSASTEncoder(
        None,
        embed_dim=16,
        depth=1,
        num_heads=2,
        n_mels=8,
        target_length=32,
        kernel_size=(4, 4),
    )
    path = save_ssast_checkpoint(enc, tmp_path / "tiny.pth")
    clf = SSASTCLClassifier(**{**TINY, "pretrained": path, "max_epochs": 0})
    clf.fit(X, y)
    # no stage I epochs: the encoder keeps the checkpoint's block weights
    assert_array_equal(
        clf.encoder_.blocks[0].attn.qkv.weight.detach(),
        enc.blocks[0].attn.qkv.weight.detach(),
    )
    X16 = np.concatenate([X, X[:, :, :8]], axis=2)
    with pytest.raises(ValueError, match="pretrained on 8 mel bins"):
        SSASTCLClassifier(**{**TINY, "pretrained": path, "n_mels": 16}).fit(X16, y)
    with pytest.raises(ValueError, match="embed_dim=32 does not match the checkpoint"):
        SSASTCLClassifier(**{**TINY, "pretrained": path, "embed_dim": 32}).fit(X, y)


def test_verbose_prints_valid_eer(spectrograms, capsys):
    X, y = spectrograms
    SSASTCLClassifier(**{**TINY, "verbose": 1}).fit(X, y)
    out = capsys.readouterr().out
    assert out.count("valid_eer") == 2  # one table per stage


# ---------------------------------------------------------------- errors
def _fit(X, y, **params):
    return SSASTCLClassifier(**{**TINY, **params}).fit(X, y)


def test_errors_on_bad_spectrograms(spectrograms):
    X, y = spectrograms
    with pytest.raises(ValueError, match="3-D"):
        _fit(X[:, None], y)
    with pytest.raises(ValueError, match="not a multiple of n_mels=8"):
        _fit(X.reshape(80, -1)[:, :-3], y)
    with pytest.raises(ValueError, match="7 mel bins, but n_mels=8"):
        _fit(X[:, :, :7], y)
    bad = X.copy()
    bad[3, 2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _fit(bad, y)
    bad[3, 2, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        _fit(bad, y)


def test_errors_on_bad_labels(spectrograms, fitted_classifier):
    X, y = spectrograms
    with pytest.raises(ValueError, match="one class only"):
        _fit(X, np.full(80, "spoof"))
    with pytest.raises(ValueError, match=r"pos_label='bonafide' is not among"):
        _fit(X, np.where(y == "spoof", "fake", "real"))
    with pytest.raises(ValueError, match="Only binary"):
        _fit(X, np.arange(80) % 3, pos_label=1)
    with pytest.raises(ValueError, match=r"labels \['fake'\]"):
        fitted_classifier.score(X, np.where(y == "spoof", "fake", y))
    with pytest.raises(ValueError, match="both X_val and y_val"):
        SSASTCLClassifier(**TINY).fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="validation_split"):
        _fit(X[:3], y[:3])
    for name in ("attacks", "groups"):
        with pytest.raises(ValueError, match=f"{name} has shape \\(79,\\)"):
            SSASTCLClassifier(**TINY).fit(X, y, **{name: np.zeros(79)})


def test_errors_on_params(spectrograms, fitted_classifier):
    from sklearn_ssastcl.augment import RawBoost

    X, y = spectrograms
    with pytest.raises(ValueError, match="needs a frontend"):
        _fit(X, y, augment=RawBoost())
    with pytest.raises(ValueError, match="is not a file"):
        _fit(X, y, pretrained="/nonexistent/ssast.pth")
    with pytest.raises(ValueError, match="loss"):
        _fit(X, y, loss="hinge")
    with pytest.raises(ValueError, match="lr_schedule"):
        _fit(X, y, lr_schedule="step")
    with pytest.raises(ValueError, match="warmup_epochs"):
        _fit(X, y, lr_schedule="cosine", warmup_epochs=-1)
    with pytest.raises(ValueError, match="expecting 128 features"):
        fitted_classifier.decision_function(np.zeros((2, 12, 8), dtype=np.float32))


def test_warmup_cosine_factor_by_hand():
    from sklearn_ssastcl._net import WarmupCosine

    f = WarmupCosine(warmup_steps=4, total_steps=12)
    # warm-up: 1/4 .. 4/4; then 0.5 * (1 + cos(pi * k / 8)) for k = 0..8
    expected = [0.25, 0.5, 0.75, 1.0]
    expected += [0.5 * (1 + np.cos(np.pi * k / 8)) for k in range(9)]
    assert_allclose([f(s) for s in range(13)], expected, atol=1e-12)
    assert f(100) == 0.0
    assert WarmupCosine(0, 5)(0) == 1.0


@pytest.mark.parametrize("loss", ["contrastive", "ce"])
def test_cosine_schedule_steps_per_batch(spectrograms, loss):
    X, y = spectrograms
    lr, n_pairs = 1e-2, 24  # 3 batches of 8 per epoch, 2 epochs
    clf = _fit(
        X,
        y,
        loss=loss,
        lr=lr,
        pairs_per_epoch=n_pairs,
        lr_schedule="cosine",
        warmup_epochs=1,
    )
    net = clf.encoder_net_ if loss == "contrastive" else clf.head_net_
    scheduler = dict(net.callbacks_)["lr_scheduler"].lr_scheduler_
    n_items = n_pairs if loss == "contrastive" else int(0.9 * len(y))
    steps = -(-n_items // 8)
    # after all 2 * steps batches the cosine has reached 0
    assert scheduler.last_epoch == 2 * steps
    for group in net.optimizer_.param_groups:  # encoder (and head) groups
        assert group["lr"] == pytest.approx(0.0, abs=1e-12)
    # the constant schedule leaves lr untouched and adds no callback
    plain = _fit(X, y, loss=loss, lr=lr, pairs_per_epoch=n_pairs)
    plain_net = plain.encoder_net_ if loss == "contrastive" else plain.head_net_
    assert "lr_scheduler" not in dict(plain_net.callbacks_)
    lrs = {group["lr"] for group in plain_net.optimizer_.param_groups}
    assert lrs == ({lr} if loss == "contrastive" else {lr, clf.head_lr})


def test_standardize_embeddings_sets_head_statistics(spectrograms):
    from sklearn_ssastcl._net import embed_batches

    X, y = spectrograms
    clf = _fit(X, y, standardize_embeddings=True, validation_split=None)
    z = embed_batches(clf.encoder_, X)
    head = clf.head_net_.module_
    assert_allclose(head.shift.numpy(), z.mean(axis=0), rtol=1e-4, atol=1e-6)
    assert_allclose(head.scale.numpy(), z.std(axis=0, ddof=1), rtol=1e-4)
    plain = _fit(X, y, validation_split=None).head_net_.module_
    assert_allclose(plain.shift.numpy(), 0.0)
    assert_allclose(plain.scale.numpy(), 1.0)


def test_errors_on_bad_waveforms(waveforms):
    clips, y = waveforms
    kw = {"frontend": tiny_logmel(), "pairs_per_epoch": 16}
    short = list(clips)
    short[5] = short[5][:100]
    with pytest.raises(ValueError, match="clip 5 of 100 samples"):
        _fit(short, y, **kw)
    silent = list(clips)
    silent[2] = np.zeros_like(silent[2])
    with pytest.raises(ValueError, match="Clip 2 is silent"):
        _fit(silent, y, **kw)
    nan = list(clips)
    nan[1] = nan[1].copy()
    nan[1][10] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite samples in clip 1"):
        _fit(nan, y, **kw)


def test_nothing_written_to_disk_by_default(spectrograms, tmp_path, monkeypatch):
    X, y = spectrograms
    monkeypatch.chdir(tmp_path)
    SSASTCLClassifier(**TINY).fit(X, y)
    assert list(tmp_path.iterdir()) == []


def test_tags():
    assert SSASTCLClassifier().__sklearn_tags__().non_deterministic is False
    tags = SSASTCLClassifier(device="cuda").__sklearn_tags__()
    assert tags.non_deterministic is True
    assert tags.classifier_tags.multi_class is False


def test_streaming_and_precision_params_round_trip(spectrograms, tmp_path):
    X, y = spectrograms
    params = SSASTCLClassifier().get_params()
    assert params["stream"] == "auto" and params["num_workers"] == 0
    assert params["feature_cache"] is None and params["precision"] == "fp32"
    clf = SSASTCLClassifier(**TINY, precision="bf16").fit(X, y)
    clf.save_weights(tmp_path / "w")
    loaded = SSASTCLClassifier.load_weights(tmp_path / "w")
    assert loaded.precision == "bf16"
    assert_allclose(loaded.decision_function(X), clf.decision_function(X))


def test_head_views_train_the_head_on_augmented_embeddings(waveforms):
    from sklearn_ssastcl._classifier import _VIEW_EPOCH
    from sklearn_ssastcl._net import embed_batches
    from sklearn_ssastcl._sources import clip_rng
    from sklearn_ssastcl._utils import seed_from
    from sklearn_ssastcl.augment import RawBoost

    clips, y = waveforms
    recorder = _Recorder(RawBoost(algo=3, p=1.0))
    params = dict(
        TINY,
        frontend=tiny_logmel(),
        augment=recorder,
        pairs_per_epoch=16,
        validation_split=None,
        standardize_embeddings=True,
        head_views=2,
    )
    clf = SSASTCLClassifier(**params).fit(clips, y)
    n = len(clips)
    assert len(recorder.seen) == 2 * n + 2 * n  # 2 stage I epochs, then 2 views
    # by hand: clean embeddings, then each view's augmented clips
    seed = seed_from(TINY["random_state"])
    logmel, aug = tiny_logmel(), RawBoost(algo=3, p=1.0)
    z = [embed_batches(clf.encoder_, logmel.transform(clips))]
    for view in range(2):
        rngs = [clip_rng(seed, _VIEW_EPOCH + view, i) for i in range(n)]
        views = [aug(w, r, sample_rate=SR) for w, r in zip(clips, rngs)]
        z.append(embed_batches(clf.encoder_, logmel.transform(views)))
    z = np.concatenate(z)
    head = clf.head_net_.module_
    assert_allclose(head.shift.numpy(), z.mean(axis=0), rtol=1e-4, atol=1e-6)
    assert_allclose(head.scale.numpy(), z.std(axis=0, ddof=1), rtol=1e-4)
    # streaming the same waveforms gives the same model
    streamed = SSASTCLClassifier(**{**params, "augment": aug, "stream": True})
    streamed.fit(clips, y)
    assert_allclose(
        streamed.decision_function(clips), clf.decision_function(clips), rtol=1e-5
    )


def test_head_views_need_an_augmenter(spectrograms):
    X, y = spectrograms
    with pytest.raises(ValueError, match="head_views=2 asks for augmented views"):
        _fit(X, y, head_views=2)
    with pytest.raises(ValueError, match="head_views"):
        _fit(X, y, head_views=-1)
