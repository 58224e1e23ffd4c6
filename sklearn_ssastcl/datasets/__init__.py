"""Audio loading, ASVspoof protocols and score files, and a small real sample.

The readers follow the ASVspoof 2019 LA and 2021 LA/DF file formats; the shipped
sample (:func:`load_spoof_sample`) comes from the spoofcorpus-dev corpus.
"""

from __future__ import annotations

from sklearn_ssastcl.datasets._audio import load_audio
from sklearn_ssastcl.datasets._join import join_scores
from sklearn_ssastcl.datasets._protocol import load_asvspoof, read_protocol
from sklearn_ssastcl.datasets._sample import load_spoof_sample
from sklearn_ssastcl.datasets._scores import read_scores, write_scores

__all__ = [
    "join_scores",
    "load_asvspoof",
    "load_audio",
    "load_spoof_sample",
    "read_protocol",
    "read_scores",
    "write_scores",
]
