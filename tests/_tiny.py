"""Tiny shared configuration and data for the SSASTCLClassifier tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

#: A classifier config that fits in well under a second on one CPU thread.
TINY = {
    "embed_dim": 16,
    "depth": 1,
    "num_heads": 2,
    "n_mels": 8,
    "kernel_size": (4, 4),
    "max_epochs": 2,
    "head_epochs": 2,
    "batch_size": 8,
    "random_state": 0,
}

N_FRAMES = 16


def make_spectrograms(n=60, *, seed=0, shift=1.5, labels=("bonafide", "spoof")):
    """Separable synthetic spectrograms: spoof clips carry extra high-band energy."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FRAMES, TINY["n_mels"])).astype(np.float32)
    y = np.array([labels[i % 2] for i in range(n)], dtype=object)
    X[y == labels[1], :, 5:] += shift
    if all(isinstance(lab, (int, np.integer)) for lab in labels):
        y = y.astype(np.int64)
    else:
        y = y.astype(str)
    return X, y


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Run torch on one thread: the test machine's cores are shared."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
