"""A fit killed after an epoch and resumed from checkpoint_dir equals the whole fit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_ssastcl import SSASTCLClassifier
from sklearn_ssastcl.augment import SpecAugment
from tests._tiny import TINY, make_spectrograms

REPO = Path(__file__).resolve().parents[1]
# A schedule, SpecAugment masks and batch shuffling: every part resume must restore.
PARAMS = {
    **TINY,
    "max_epochs": 4,
    "head_epochs": 3,
    "lr": 3e-3,
    "lr_schedule": "cosine",
    "warmup_epochs": 1.0,
}

_KILLER = textwrap.dedent(
    """
    import os, sys
    import torch
    torch.set_num_threads(1)
    from skorch.callbacks import Callback
    import sklearn_ssastcl._training as training
    from sklearn_ssastcl import SSASTCLClassifier
    from sklearn_ssastcl.augment import SpecAugment
    from tests._tiny import make_spectrograms
    from tests.test_exact_resume import PARAMS

    stage, after = sys.argv[2], int(sys.argv[3])

    class Kill(Callback):  # SIGKILL-like: no cleanup, right after the checkpoint
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == after:
                os._exit(9)

    original = training.callbacks

    def callbacks(est, name, have_valid, extra=()):
        out = original(est, name, have_valid, extra)
        return out + [("kill", Kill())] if name == stage else out

    training.callbacks = callbacks
    import sklearn_ssastcl._stage1 as s1, sklearn_ssastcl._stage2 as s2
    for module in (s1, s2):
        if hasattr(module, "callbacks"):
            module.callbacks = callbacks
    X, y = make_spectrograms(40, seed=0)
    SSASTCLClassifier(**PARAMS, spec_augment=SpecAugment(freq_mask=2, time_mask=2),
                      checkpoint_dir=sys.argv[1]).fit(X, y)
    """
)


def _fit(checkpoint_dir=None):
    X, y = make_spectrograms(40, seed=0)
    clf = SSASTCLClassifier(
        **PARAMS,
        spec_augment=SpecAugment(freq_mask=2, time_mask=2),
        checkpoint_dir=checkpoint_dir,
    ).fit(X, y)
    return clf.decision_function(X), clf


@pytest.fixture(scope="module")
def uninterrupted():
    return _fit()[0]


@pytest.mark.parametrize(
    ("stage", "after"), [("stage1", 1), ("stage1", 3), ("head", 2)]
)
def test_killed_fit_resumes_exactly(uninterrupted, tmp_path, stage, after):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", _KILLER, str(tmp_path), stage, str(after)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 9, proc.stderr[-2000:]
    assert not (tmp_path / "head" / "params.pt").exists() or stage == "head"
    resumed, clf = _fit(tmp_path)
    assert_allclose(resumed, uninterrupted, rtol=0, atol=1e-6)
    assert len(clf.history_) == PARAMS["max_epochs"]
    assert np.isfinite(resumed).all()
