"""SSAST-CL audio spoof detection as scikit-learn estimators.

The estimators are imported lazily, so ``import sklearn_ssastcl`` stays cheap.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0.dev0"

_LAZY = {
    "LFCCGMMClassifier": "sklearn_ssastcl.classic",
    "LogMel": "sklearn_ssastcl._logmel",
    "load_model": "sklearn_ssastcl.model_files",
    "ScoreCalibrator": "sklearn_ssastcl.calibration",
    "ScoreFusion": "sklearn_ssastcl.fusion",
    "SpectralStatsClassifier": "sklearn_ssastcl.classic",
    "SSASTCEClassifier": "sklearn_ssastcl._ce_classifier",
    "SSASTCLClassifier": "sklearn_ssastcl._classifier",
    "SSASTPretrainer": "sklearn_ssastcl._pretrainer",
    "save_model": "sklearn_ssastcl.model_files",
    "score_files": "sklearn_ssastcl.scoring",
    "show_versions": "sklearn_ssastcl._utils",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sklearn_ssastcl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
