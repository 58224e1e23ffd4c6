"""Shared fixtures of the test suite.

Data fixtures are function-scoped and rebuilt for every test (they cost
microseconds), so no test can change another test's data. Fitted estimators are
session-scoped: tests may call their read-only methods (``decision_function``,
``predict``, ``score``, ``save_weights``, pickling), never ``fit``,
``set_params`` or anything else that changes them.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from tests._tiny import (  # noqa: F401  (one_torch_thread: autouse everywhere)
    TINY,
    make_spectrograms,
    make_waves,
    one_torch_thread,
    tiny_logmel,
    write_audio,
)


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread_for_the_session():
    """One torch thread before any fixture runs, module- and session-scoped ones
    included: fits compared bit for bit must run on the same number of threads
    (float sums are reduced in another order on two)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture
def tiny():
    """A fresh copy of the tiny classifier parameters :data:`tests._tiny.TINY`."""
    return dict(TINY)


@pytest.fixture
def spectrograms():
    """80 separable spectrograms ``(80, 16, 8)`` and string labels (training set)."""
    return make_spectrograms(80, seed=0)


@pytest.fixture
def test_spectrograms():
    """40 other spectrograms from the same distribution (a held-out set)."""
    return make_spectrograms(40, seed=1)


@pytest.fixture
def waveforms():
    """24 clips of 0.25 s (a list of float32 arrays) and alternating labels."""
    return make_waves(24)


@pytest.fixture(scope="session")
def fitted_classifier():
    """SSASTCLClassifier fitted on :func:`spectrograms` (3 + 20 epochs). Read only."""
    from sklearn_ssastcl import SSASTCLClassifier

    X, y = make_spectrograms(80, seed=0)
    return SSASTCLClassifier(**{**TINY, "max_epochs": 3, "head_epochs": 20}).fit(X, y)


@pytest.fixture(scope="session")
def fitted_frontend_classifier():
    """SSASTCLClassifier + LogMel frontend fitted on :func:`waveforms`. Read only."""
    from sklearn_ssastcl import SSASTCLClassifier

    clips, y = make_waves(24)
    clf = SSASTCLClassifier(**TINY, frontend=tiny_logmel(), pairs_per_epoch=16)
    return clf.fit(clips, y)


@pytest.fixture(scope="session")
def spoof_sample():
    """The shipped sample, ``load_spoof_sample()`` (a Bunch). Read only."""
    from sklearn_ssastcl.datasets import load_spoof_sample

    return load_spoof_sample()


@pytest.fixture(scope="session")
def audio_files(tmp_path_factory):
    """24 FLAC clips of 0.2 s written with soundfile; spoof clips carry a 6 kHz tone.

    Returns ``(paths, waves, labels)``: paths as str, ``waves`` as read back from
    the files (float32), labels alternating ``bonafide``, ``spoof``. Read only.
    """
    rng = np.random.default_rng(0)
    t = np.arange(3200) / 16000
    labels = np.array(["bonafide", "spoof"] * 12)
    waves = []
    for label in labels:
        wave = 0.1 * rng.normal(size=t.size)
        if label == "spoof":
            wave += 0.2 * np.sin(2 * np.pi * 6000 * t)
        waves.append(wave)
    folder = tmp_path_factory.mktemp("clips")
    paths = [str(p) for p in write_audio(folder, waves, ext="flac")]
    read_back = [sf.read(p, dtype="float32")[0] for p in paths]  # what the file holds
    return paths, read_back, labels
