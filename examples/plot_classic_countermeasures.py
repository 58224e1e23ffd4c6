"""
=========================================
Classic countermeasures: LFCC-GMM and LR
=========================================

Train the two classic spoofing countermeasures of
:mod:`sklearn_ssastcl.classic` on raw waveforms and compare them with DET curves:

* :class:`~sklearn_ssastcl.classic.LFCCGMMClassifier`, the ASVspoof 2019 LFCC-GMM
  baseline: 20 linear-frequency cepstral coefficients with deltas and double
  deltas per 20 ms frame, one diagonal-covariance Gaussian mixture per class,
  and a clip score equal to the mean per-frame log-likelihood ratio;
* :class:`~sklearn_ssastcl.classic.SpectralStatsClassifier`, the mean and
  standard deviation over time of each of the 257 bins of the log power
  spectrum, standardised, then a logistic regression.

Both take lists of 1-D float waveforms of any length and score higher for bona
fide speech, so their ``decision_function`` can be fused with other detectors
directly. The data is the small sample shipped with the package (40 training
and 32 evaluation clips); the mixtures have 8 components instead of the
baseline's 512, so the example runs in seconds. The error rates say little about
the methods on a full corpus.
"""

# %%
# Train both on the training part
# -------------------------------
import matplotlib.pyplot as plt

from sklearn_ssastcl.classic import LFCCGMMClassifier, SpectralStatsClassifier
from sklearn_ssastcl.datasets import load_spoof_sample
from sklearn_ssastcl.metrics import eer_score
from sklearn_ssastcl.plotting import plot_det_curve

RANDOM_STATE = 42

sample = load_spoof_sample()
train = sample.subset == "train"
X_train = [w for w, t in zip(sample.waveforms, train) if t]
X_eval = [w for w, t in zip(sample.waveforms, train) if not t]
y_train, y_eval = sample.labels[train], sample.labels[~train]

models = {
    "LFCC-GMM (8 components)": LFCCGMMClassifier(
        n_components=8, random_state=RANDOM_STATE
    ),
    "log-spectrum stats + LR": SpectralStatsClassifier(
        C=1.0, random_state=RANDOM_STATE
    ),
}
for model in models.values():
    model.fit(X_train, y_train)

# %%
# Scores and equal error rates
# ----------------------------
# ``decision_function`` is higher for bona fide whatever the label names, so
# the scores go to :func:`~sklearn_ssastcl.metrics.eer_score` as they are.
# ``score`` gives ``1 - EER``, the same number seen from the other side.
scores = {name: model.decision_function(X_eval) for name, model in models.items()}
for name, model in models.items():
    eer = eer_score(y_eval, scores[name])
    print(
        f"{name:25s} EER {100 * eer:6.2f} %   score() {model.score(X_eval, y_eval):.3f}"
    )

# %%
# DET curves
# ----------
# The false rejection rate (bona fide called spoof) against the false acceptance
# rate (spoof called bona fide) as the threshold moves; the dot marks the EER.
# The detector with the higher EER is drawn last, so the axes span its curve too.
fig, ax = plt.subplots(figsize=(5, 4.5))
for name, s in sorted(scores.items(), key=lambda item: eer_score(y_eval, item[1])):
    plot_det_curve(y_eval, s, ax=ax, label=name)
ax.legend(loc="lower left", fontsize="small")
ax.set_title("Classic countermeasures, evaluation clips")
fig.tight_layout()
plt.show()
