"""SSASTCEClassifier: the cross-entropy baseline as its own estimator."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ssastcl import SSASTCEClassifier, SSASTCLClassifier
from sklearn_ssastcl.recipe import make_recipe
from tests._tiny import TINY, make_spectrograms, one_torch_thread  # noqa: F401
from tests.test_common import COMMON, XFAIL

#: The parameters of SSASTCLClassifier that belong to its contrastive stages.
CONTRASTIVE_ONLY = {
    "cross_attention",
    "ca_blocks",
    "ca_symmetric",
    "loss",
    "alpha",
    "margin",
    "distance",
    "temperature",
    "pair_mix",
    "pairs_per_epoch",
    "head_epochs",
    "head_batch_size",
    "freeze_encoder",
    "standardize_embeddings",
    "head_views",
}


def _ce_params(params: dict) -> dict:
    return {k: v for k, v in params.items() if k not in CONTRASTIVE_ONLY}


@parametrize_with_checks(
    [SSASTCEClassifier(**_ce_params(COMMON))],
    expected_failed_checks=lambda est: XFAIL,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_parameters_are_the_shared_ones():
    ce = set(SSASTCEClassifier().get_params())
    cl = set(SSASTCLClassifier().get_params())
    assert ce == cl - CONTRASTIVE_ONLY


def test_deprecated_loss_ce_warns_and_gives_the_same_scores():
    X, y = make_spectrograms(48)
    with pytest.warns(FutureWarning, match="use SSASTCEClassifier"):
        old = SSASTCLClassifier(loss="ce", **TINY).fit(X, y)
    new = SSASTCEClassifier(**_ce_params(TINY)).fit(X, y)
    np.testing.assert_array_equal(old.decision_function(X), new.decision_function(X))
    assert old.threshold_ == new.threshold_
    assert old.encoder_net_ is None and not hasattr(new, "encoder_net_")


def test_trains_encoder_and_linear_head_end_to_end():
    X, y = make_spectrograms(48)
    params = {**_ce_params(TINY), "max_epochs": 3, "validation_split": None}
    clf = SSASTCEClassifier(**params).fit(X, y)  # no best-epoch restore
    module = clf.head_net_.module_
    assert type(module.head).__name__ == "LinearHead"
    assert module.encoder is clf.encoder_
    assert len(clf.history_) == 3
    # max_epochs means the CE training epochs: one more epoch, other weights.
    more = clone(clf).set_params(max_epochs=4).fit(X, y)
    assert len(more.history_) == 4
    assert not np.array_equal(more.decision_function(X), clf.decision_function(X))


def test_head_lr_is_the_linear_heads_learning_rate():
    X, y = make_spectrograms(48)
    params = _ce_params(TINY)
    a = SSASTCEClassifier(**params).fit(X, y)
    optimizer = a.head_net_.optimizer_
    lrs = sorted(group["lr"] for group in optimizer.param_groups)
    assert lrs == sorted([params.get("lr", 1e-4), 1e-3])
    b = SSASTCEClassifier(**params, head_lr=1e-2).fit(X, y)
    assert not np.array_equal(a.decision_function(X), b.decision_function(X))


def test_fit_takes_no_pair_metadata():
    X, y = make_spectrograms(16)
    with pytest.raises(TypeError, match="attacks"):
        SSASTCEClassifier(**_ce_params(TINY)).fit(X, y, attacks=y)


def test_save_and_load_weights_round_trip(tmp_path):
    X, y = make_spectrograms(48)
    clf = SSASTCEClassifier(**_ce_params(TINY), calibrate=True).fit(X, y)
    clf.save_weights(tmp_path / "model")
    back = SSASTCEClassifier.load_weights(tmp_path / "model")
    assert isinstance(back, SSASTCEClassifier)
    np.testing.assert_array_equal(back.decision_function(X), clf.decision_function(X))
    assert back.threshold_ == clf.threshold_


def test_make_recipe_builds_the_baseline_with_the_shared_settings():
    cl = make_recipe(random_state=3)
    ce = make_recipe(loss="ce", random_state=3, head_epochs=5, pairs_per_epoch=10)
    assert isinstance(ce, SSASTCEClassifier)
    shared = ce.get_params(deep=False)
    for name, value in cl.get_params(deep=False).items():
        if name in shared and name not in ("augment", "spec_augment", "frontend"):
            assert shared[name] == value, name
    assert ce.frontend.get_params() == cl.frontend.get_params()


def test_load_model_rebuilds_the_baseline_class(tmp_path):
    from sklearn_ssastcl import load_model

    X, y = make_spectrograms(48)
    clf = SSASTCEClassifier(**_ce_params(TINY)).fit(X, y)
    clf.save_weights(tmp_path / "model")
    back = load_model(tmp_path / "model")
    assert type(back) is SSASTCEClassifier
    np.testing.assert_array_equal(back.decision_function(X), clf.decision_function(X))
    with pytest.raises(ValueError, match="SSASTCEClassifier"):
        SSASTCLClassifier.load_weights(tmp_path / "model")
