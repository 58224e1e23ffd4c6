"""sklearn_ssastcl.recipe: named configurations and their overrides."""

from __future__ import annotations

import pytest

from sklearn_ssastcl import LogMel
from sklearn_ssastcl._cli_models import _build_classifier
from sklearn_ssastcl.augment import Compose, FIRFilter, RawBoost, SpecAugment
from sklearn_ssastcl.cli import build_parser
from sklearn_ssastcl.recipe import PRESETS, make_augment, make_recipe


def _params(clf):
    return {k: repr(v) for k, v in clf.get_params(deep=True).items()}


def test_small_recipe_holds_its_preset():
    clf = make_recipe()
    for key, value in PRESETS["small"]["params"].items():
        assert getattr(clf, key) == value, key
    assert isinstance(clf.frontend, LogMel)
    assert (clf.frontend.target_length, clf.frontend.pad_mode) == (300, "repeat")
    assert isinstance(clf.augment, Compose)
    assert [type(s) for s in clf.augment.steps] == [FIRFilter, RawBoost]
    assert isinstance(clf.spec_augment, SpecAugment)


def test_overrides_win_and_none_drops_augmentation():
    clf = make_recipe(loss="ce", lr=5e-4, augment="none", frontend={"f_max": 4000})
    assert type(clf).__name__ == "SSASTCEClassifier"
    assert (clf.lr, clf.embed_dim, clf.max_epochs) == (5e-4, 64, 6)
    assert not hasattr(clf, "pairs_per_epoch")
    assert clf.augment is None and clf.spec_augment is None
    assert (clf.frontend.f_max, clf.frontend.target_length) == (4000, 300)


def test_pretrained_takes_the_architecture_from_the_checkpoint():
    clf = make_recipe(pretrained="ssast.pth")
    assert clf.model_size == "tiny"
    assert clf.embed_dim is None and clf.kernel_size == (16, 16)


def test_paper_preset():
    clf = make_recipe("paper")
    assert (clf.model_size, clf.lr, clf.max_epochs) == ("base", 1e-5, 10)
    assert clf.frontend.target_length == 400


def test_cli_train_builds_the_small_recipe(tmp_path):
    protocol = tmp_path / "protocol.txt"
    protocol.write_text("")
    args = build_parser().parse_args(
        ["train", "--protocol", str(protocol), "--audio-dir", str(tmp_path),
         "--out", "m", "--quiet"]
    )  # fmt: skip
    assert _params(_build_classifier(args)) == _params(
        make_recipe(random_state=0, verbose=0)
    )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: make_recipe("large"), "Unknown preset 'large'"),
        (lambda: make_augment("amr"), "Unknown augmentation 'amr'"),
    ],
)
def test_unknown_names(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_presets_are_read_only():
    with pytest.raises(TypeError):
        PRESETS["small"]["params"]["lr"] = 1.0
