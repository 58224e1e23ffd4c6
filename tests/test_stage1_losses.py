"""SSASTCLClassifier(loss="supcon" | "ntxent"): in-batch stage I losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ssastcl import SSASTCLClassifier
from sklearn_ssastcl._pairs import EpochPairDataset, PairSampler
from sklearn_ssastcl._sources import FeatureSource
from sklearn_ssastcl._stage1 import stage1_loss
from sklearn_ssastcl.nn import SiameseContrastiveLoss, SiameseInfoNCELoss
from tests._tiny import TINY, make_spectrograms

KW = {**TINY, "pairs_per_epoch": 48, "validation_split": None}


@pytest.fixture(scope="module")
def data():
    return make_spectrograms(48)


def test_each_loss_trains_its_own_encoder(data):
    X, y = data
    fitted = {
        loss: SSASTCLClassifier(**KW, loss=loss).fit(X, y)
        for loss in ("contrastive", "supcon", "ntxent")
    }
    scores = {k: clf.decision_function(X) for k, clf in fitted.items()}
    assert not np.array_equal(scores["supcon"], scores["contrastive"])
    assert not np.array_equal(scores["ntxent"], scores["supcon"])
    for loss in ("supcon", "ntxent"):
        clf = fitted[loss]
        assert isinstance(clf.encoder_net_.criterion_, SiameseInfoNCELoss)
        assert clf.encoder_net_.criterion_.kind == loss
        history = clf.history_
        assert len(history) == TINY["max_epochs"]
        # the recorded total is L_SA + alpha * L_CA, batch by batch
        batch = history[-1]["batches"][0]
        assert batch["train_loss"] == pytest.approx(
            batch["loss_sa"] + batch["loss_ca"], rel=1e-6
        )


def test_temperature_reaches_the_loss(data):
    X, y = data
    a = SSASTCLClassifier(**KW, loss="supcon", temperature=0.1).fit(X, y)
    b = SSASTCLClassifier(**KW, loss="supcon", temperature=0.5).fit(X, y)
    assert b.encoder_net_.criterion_.temperature == 0.5
    assert not np.array_equal(a.decision_function(X), b.decision_function(X))


def test_criterion_per_loss():
    est = SSASTCLClassifier(loss="ntxent", temperature=0.3, alpha=0.5)
    crit = stage1_loss(est)
    assert (crit.kind, crit.temperature, crit.alpha) == ("ntxent", 0.3, 0.5)
    margin = stage1_loss(SSASTCLClassifier(margin=2.0, distance="cosine"))
    assert isinstance(margin, SiameseContrastiveLoss)
    assert (margin.margin, margin.distance) == (2.0, "cosine")


def test_pair_dataset_carries_both_labels():
    X, y = make_spectrograms(20)
    bona = y == "bonafide"
    sampler = PairSampler(bona)
    source = FeatureSource(X, seed=0)
    plain = EpochPairDataset(source, sampler, 30, seed=4)
    labelled = EpochPairDataset(source, sampler, 30, seed=4, is_bonafide=bona)
    np.testing.assert_array_equal(labelled.a, plain.a)
    targets = np.stack([labelled[i][1] for i in range(30)])
    np.testing.assert_array_equal(targets[:, 0], bona[labelled.a])
    np.testing.assert_array_equal(targets[:, 1], bona[labelled.b])
    same = np.array([plain[i][1] for i in range(30)])
    np.testing.assert_array_equal(same, targets[:, 0] == targets[:, 1])


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"loss": "supcon", "temperature": 0.0}, InvalidParameterError, "temperature"),
        ({"loss": "ntxent", "temperature": -1.0}, InvalidParameterError, "temperature"),
        ({"loss": "supcon", "batch_size": 1}, ValueError, "batch_size >= 2"),
        (
            {"loss": "supcon", "pair_mix": (1.0, 0.0, 0.0)},
            ValueError,
            "one class only, with no negatives",
        ),
        (
            {"loss": "ntxent", "pair_mix": (0.0, 0.0, 1.0)},
            ValueError,
            "no same-class pair",
        ),
    ],
)
def test_bad_settings_fail_before_any_work(params, error, match, monkeypatch):
    import sklearn_ssastcl._inputs as inputs

    def no_work(*args, **kwargs):
        raise AssertionError("features were computed before the check")

    monkeypatch.setattr(inputs, "features", no_work)
    X, y = make_spectrograms(8)
    with pytest.raises(error, match=match):
        SSASTCLClassifier(**{**KW, **params}).fit(X, y)


def test_infonce_needs_both_labels():
    from sklearn_ssastcl._steps import SiameseStep

    outputs = tuple(
        torch.nn.functional.normalize(torch.randn(4, 3), dim=1) for _ in range(2)
    )
    with pytest.raises(ValueError, match="labels of both clips"):
        SiameseStep().losses(
            SiameseInfoNCELoss(), outputs, torch.tensor([1.0, 0, 1, 0])
        )
