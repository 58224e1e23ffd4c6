"""checkpoint_dir is tied to one fit: stale checkpoints are refused before training."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklearn_ssastcl import SSASTCLClassifier
from tests._tiny import TINY, make_spectrograms


def test_same_fit_resumes_and_other_data_is_refused(tmp_path):
    X, y = make_spectrograms(40, seed=0)
    first = SSASTCLClassifier(**TINY, checkpoint_dir=tmp_path).fit(X, y)
    assert (tmp_path / "fingerprint.json").is_file()
    again = SSASTCLClassifier(**TINY, checkpoint_dir=tmp_path).fit(X, y)
    assert_array_equal(again.decision_function(X), first.decision_function(X))

    X2, y2 = make_spectrograms(40, seed=1)  # other clips
    with pytest.raises(ValueError, match="holds the checkpoints of a different fit"):
        SSASTCLClassifier(**TINY, checkpoint_dir=tmp_path).fit(X2, y2)
    with pytest.raises(ValueError, match="different fit"):  # other labels
        SSASTCLClassifier(**TINY, checkpoint_dir=tmp_path).fit(X, y[::-1].copy())
    with pytest.raises(ValueError, match="different fit"):  # other parameters
        SSASTCLClassifier(**{**TINY, "lr": 3e-4}, checkpoint_dir=tmp_path).fit(X, y)


def test_raising_max_epochs_resumes(tmp_path):
    X, y = make_spectrograms(40, seed=0)
    SSASTCLClassifier(**{**TINY, "max_epochs": 1}, checkpoint_dir=tmp_path).fit(X, y)
    longer = SSASTCLClassifier(**{**TINY, "max_epochs": 2}, checkpoint_dir=tmp_path)
    longer.fit(X, y)
    assert len(longer.history_) == 2


def test_a_non_empty_folder_without_fingerprint_is_refused(tmp_path):
    X, y = make_spectrograms(20, seed=0)
    (tmp_path / "encoder").mkdir()
    (tmp_path / "encoder" / "params.pt").write_bytes(b"old")
    clf = SSASTCLClassifier(**TINY, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="holds no fingerprint.json"):
        clf.fit(X, y)
    assert not hasattr(clf, "encoder_")
    assert np.array_equal(
        sorted(p.name for p in tmp_path.rglob("*")), ["encoder", "params.pt"]
    )
