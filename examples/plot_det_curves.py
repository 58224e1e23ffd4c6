"""
===============================
DET curves and score histograms
===============================

Compare detectors with detection error trade-off (DET) curves drawn by
:func:`~sklearn_ssastcl.plotting.plot_det_curve`, and look at how one detector's
bona fide and spoof scores overlap with
:func:`~sklearn_ssastcl.plotting.plot_score_histogram`.

Three detectors are trained on the same log-mel spectrograms of the sample shipped
with the package: SSAST-CL (contrastive stage I, then an MLP head), the
cross-entropy SSAST baseline (:class:`~sklearn_ssastcl.SSASTCEClassifier`), and a
logistic regression on each clip's per-band mean and standard deviation of the
log-mel energies. The transformers are tiny and the evaluation part has 32 clips, so
the curves are coarse staircases and the ranking of the three means nothing; the
example shows how to draw and read the plots.
"""

# %%
# Features and three detectors
# ----------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_ssastcl import LogMel, SSASTCEClassifier, SSASTCLClassifier
from sklearn_ssastcl.datasets import load_spoof_sample
from sklearn_ssastcl.metrics import eer_score
from sklearn_ssastcl.plotting import plot_det_curve, plot_score_histogram

RANDOM_STATE = 42

sample = load_spoof_sample()
spec = LogMel(target_length=200, pad_mode="repeat").transform(sample.waveforms)
train = sample.subset == "train"
X_train, y_train = spec[train], sample.labels[train]
X_eval, y_eval = spec[~train], sample.labels[~train]

tiny = {
    "model_size": "tiny",
    "embed_dim": 64,
    "depth": 2,
    "num_heads": 2,
    "max_epochs": 3,
    "batch_size": 8,
    "lr": 3e-4,
    "validation_split": 0.25,
    "random_state": RANDOM_STATE,
}
ssast_cl = SSASTCLClassifier(head_epochs=20, **tiny).fit(X_train, y_train)
ssast_ce = SSASTCEClassifier(**tiny).fit(X_train, y_train)


def band_statistics(X):
    """Per-band mean and standard deviation over time: ``(n, 2 * n_mels)``."""
    return np.concatenate([X.mean(axis=1), X.std(axis=1)], axis=1)


baseline = make_pipeline(
    FunctionTransformer(band_statistics),
    StandardScaler(),
    LogisticRegression(C=0.1, max_iter=1000),
).fit(X_train, y_train)

# %%
# Scores, higher = more bona fide
# -------------------------------
# The SSAST detectors' ``decision_function`` already points towards bona fide.
# scikit-learn's ``LogisticRegression.decision_function`` points towards
# ``classes_[1]``, which is ``"spoof"`` here (classes sort alphabetically), so
# its sign is flipped.
assert baseline.classes_[1] == "spoof"
scores = {
    "SSAST-CL": ssast_cl.decision_function(X_eval),
    "SSAST, CE": ssast_ce.decision_function(X_eval),
    "log-mel stats + LR": -baseline.decision_function(X_eval),
}
for name, s in scores.items():
    print(f"{name:20s} EER {100 * eer_score(y_eval, s):6.2f} %")

# %%
# DET curves and a score histogram
# --------------------------------
# A DET curve plots the false rejection rate (bona fide called spoof) against the
# false acceptance rate (spoof called bona fide) as the threshold moves, on
# normal-deviate axes; the dot is the equal error rate. Lower left is better.
# The histogram shows the SSAST-CL scores of both classes and the threshold at
# which the two error rates are equal on these clips.
#
# Each call of ``plot_det_curve`` sets the axis range from its own EER (wider
# when the EER is above 40 %), so the detector with the highest EER is drawn
# last to keep every curve in view.
fig, (ax_det, ax_hist) = plt.subplots(1, 2, figsize=(10, 4.5))
for name, s in sorted(scores.items(), key=lambda item: eer_score(y_eval, item[1])):
    plot_det_curve(y_eval, s, ax=ax_det, label=name)
ax_det.legend(loc="lower left", fontsize="small")
ax_det.set_title("DET curves, evaluation clips")
plot_score_histogram(y_eval, scores["SSAST-CL"], ax=ax_hist, threshold="eer", bins=10)
ax_hist.set_title("SSAST-CL scores")
fig.tight_layout()
plt.show()
