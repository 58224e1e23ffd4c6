"""Check that a refactor leaves the recipe's scores unchanged, bit for bit.

Trains the small recipe (shortened: 2 stage I epochs of 64 pairs, 5 head
epochs) on the shipped sample's train subset with ``random_state=0`` and one
torch thread, for SSAST-CL, the cross-entropy baseline and ``calibrate=True``,
and scores the eval subset.

    python scripts/same_scores.py --write scripts/reference_scores.npz   # before
    python scripts/same_scores.py --check scripts/reference_scores.npz   # after
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

from sklearn_ssastcl.datasets import load_spoof_sample
from sklearn_ssastcl.recipe import make_recipe

SHORT = {"random_state": 0, "max_epochs": 2, "pairs_per_epoch": 64, "head_epochs": 5}


def _ce(**kw):
    try:
        from sklearn_ssastcl import SSASTCEClassifier
    except ImportError:
        return make_recipe(loss="ce", **SHORT, **kw)
    params = make_recipe(loss="ce", **SHORT, **kw).get_params(deep=False)
    names = SSASTCEClassifier().get_params(deep=False)
    return SSASTCEClassifier(**{k: v for k, v in params.items() if k in names})


CONFIGS = {
    "recipe": lambda: make_recipe(**SHORT),
    "ce": _ce,
    "calibrate": lambda: make_recipe(calibrate=True, **SHORT),
}


def scores() -> dict[str, np.ndarray]:
    torch.set_num_threads(1)
    data = load_spoof_sample()
    train = data.subset == "train"
    X = [w for w, t in zip(data.waveforms, train) if t]
    Xe = [w for w, t in zip(data.waveforms, train) if not t]
    out = {}
    for name, make in CONFIGS.items():
        clf = make()
        extra = {"attacks": data.attacks[train]} if hasattr(clf, "pair_mix") else {}
        clf.fit(X, data.labels[train], **extra)
        out[name] = clf.decision_function(Xe)
        out[name + "_threshold"] = np.array([clf.threshold_])
        print(name, type(clf).__name__, out[name][:3], clf.threshold_, flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", metavar="NPZ")
    group.add_argument("--check", metavar="NPZ")
    args = parser.parse_args()
    new = scores()
    if args.write:
        np.savez(args.write, **new)
        return 0
    ref = np.load(args.check)
    bad = [k for k in ref.files if not np.array_equal(ref[k], new[k])]
    for k in bad:
        print(f"DIFFERENT {k}: max |diff| {np.max(np.abs(ref[k] - new[k])):.3g}")
    print("same scores, bit for bit" if not bad else f"{len(bad)} arrays differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
