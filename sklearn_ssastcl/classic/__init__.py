"""Classic spoofing countermeasures as scikit-learn estimators.

:class:`LFCCGMMClassifier` is the ASVspoof 2019 LFCC-GMM baseline;
:class:`SpectralStatsClassifier` is a logistic regression on long-term
log-spectrum statistics. Both take waveforms, score higher for bona fide and
can be fused with :class:`~sklearn_ssastcl.SSASTCLClassifier`.
"""

from sklearn_ssastcl.classic._features import lfcc, log_spectrum, spectral_statistics
from sklearn_ssastcl.classic._lfcc_gmm import LFCCGMMClassifier
from sklearn_ssastcl.classic._spectral_stats import SpectralStatsClassifier

__all__ = [
    "LFCCGMMClassifier",
    "SpectralStatsClassifier",
    "lfcc",
    "log_spectrum",
    "spectral_statistics",
]
