"""
============================================
Calibration, fusion and the Bayes error plot
============================================

A detector's raw score orders the trials but has no fixed meaning: its
threshold depends on the detector and the data. This example turns the scores of
two classic countermeasures into natural-log likelihood ratios (LLRs) with
:class:`~sklearn_ssastcl.calibration.ScoreCalibrator`, fuses the two detectors
into one LLR with :class:`~sklearn_ssastcl.fusion.ScoreFusion`, and compares raw,
calibrated and fused scores with the ASVspoof 5 metrics: EER, minDCF, actDCF
and Cllr (:mod:`sklearn_ssastcl.metrics`), a Bayes error plot
(:func:`~sklearn_ssastcl.plotting.plot_bayes_error`) and DET curves.

The training part of the sample shipped with the package (40 clips) is split in
two halves: one trains the detectors, the other (held out) fits the calibration
and the fusion. The evaluation part (32 clips) measures them. With so few clips
the numbers are noisy: they illustrate the API, not the methods.
"""

# %%
# Train two detectors on one half of the training part
# -----------------------------------------------------
# The split is stratified by attack (bona fide clips carry the attack ``"-"``), so
# both halves hold 8 bona fide clips and 3 clips of each training attack.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split

from sklearn_ssastcl.calibration import ScoreCalibrator
from sklearn_ssastcl.classic import LFCCGMMClassifier, SpectralStatsClassifier
from sklearn_ssastcl.datasets import load_spoof_sample
from sklearn_ssastcl.fusion import ScoreFusion
from sklearn_ssastcl.metrics import act_dcf, cllr, eer_score, min_dcf
from sklearn_ssastcl.plotting import plot_bayes_error, plot_det_curve

RANDOM_STATE = 42

sample = load_spoof_sample()
train = np.flatnonzero(sample.subset == "train")
evaluation = np.flatnonzero(sample.subset == "eval")
fit_idx, cal_idx = train_test_split(
    train, test_size=0.5, stratify=sample.attacks[train], random_state=RANDOM_STATE
)


def clips(idx):
    return [sample.waveforms[i] for i in idx]


X_fit, y_fit = clips(fit_idx), sample.labels[fit_idx]
X_cal, y_cal = clips(cal_idx), sample.labels[cal_idx]
X_eval, y_eval = clips(evaluation), sample.labels[evaluation]

detectors = {
    "spectral stats": SpectralStatsClassifier(random_state=RANDOM_STATE),
    "LFCC-GMM": LFCCGMMClassifier(n_components=4, random_state=RANDOM_STATE),
}
for detector in detectors.values():
    detector.fit(X_fit, y_fit)

# %%
# Calibrate each detector on the held-out half
# --------------------------------------------
# ``ScoreCalibrator`` fits ``llr = a * score + b`` by prior-weighted logistic
# regression on held-out scores. Wrapping the fitted detector in
# :class:`~sklearn.frozen.FrozenEstimator` keeps it fitted through ``clone``;
# the calibrator then takes waveforms, like the detector. With ``a > 0`` the map
# is increasing, so the EER and minDCF do not change; actDCF and Cllr do.
calibrated = {
    name: ScoreCalibrator(FrozenEstimator(detector)).fit(X_cal, y_cal)
    for name, detector in detectors.items()
}
for name, calibrator in calibrated.items():
    a, b = calibrator.coef_[0], calibrator.intercept_
    print(f"{name}: llr = {a:.3g} * score {b:+.3g}")

# %%
# Fuse both detectors on the same held-out half
# ---------------------------------------------
# ``ScoreFusion`` fits ``llr = w_1 * s_1 + w_2 * s_2 + b`` the same way. With 20
# held-out clips the weights are shaky; a smaller ``C`` (stronger L2 penalty on
# the standardised scores) keeps them from growing when the held-out scores
# separate the classes.
fusion = ScoreFusion(
    [(name, FrozenEstimator(detector)) for name, detector in detectors.items()],
    C=1.0,
).fit(X_cal, y_cal)
terms = " + ".join(f"{w:.3g} * [{n}]" for n, w in zip(detectors, fusion.coef_))
print(f"fusion: llr = {terms} {fusion.intercept_:+.3g}")

# %%
# Metrics on the evaluation part
# ------------------------------
# EER and minDCF (Pspoof 0.05, Cmiss 1, Cfa 10, the ASVspoof 5 defaults) only
# need the order of the scores. actDCF (the DCF at the Bayes threshold) and Cllr
# read the scores as natural-log LLRs, so on raw scores they measure how far
# the raw scale is from an LLR. Rates are in %, Cllr in bits.
scores = {}
for name in detectors:
    scores[f"{name}, raw"] = detectors[name].decision_function(X_eval)
for name in calibrated:
    scores[f"{name}, calibrated"] = calibrated[name].decision_function(X_eval)
scores["fusion"] = fusion.decision_function(X_eval)

table = pd.DataFrame(
    {
        name: {
            "EER (%)": 100 * eer_score(y_eval, s),
            "minDCF": min_dcf(y_eval, s),
            "actDCF": act_dcf(y_eval, s),
            "Cllr (bits)": cllr(y_eval, s),
        }
        for name, s in scores.items()
    }
).T
print(table.round(3).to_string())

# %%
# Calibration leaves the EER and minDCF of each detector as they were: the map
# is increasing. It changes actDCF and Cllr, for better or, when the 20 held-out
# clips do not resemble the evaluation clips, for worse: a Cllr above 1 bit is
# worse than a detector that always outputs LLR 0. The fusion is calibrated on
# the same 20 clips. On a full corpus the held-out part would be the development
# part, with hundreds of trials or more.

# %%
# Bayes error plot and DET curves
# -------------------------------
# The Bayes error plot draws, for each prior log-odds, the normalised DCF at the
# Bayes threshold of the LLRs (solid) and at the best threshold (dashed); the
# gap is the calibration loss, and 1 is the cost of always deciding the same.
# The vertical line marks the ASVspoof 5 operating point. With 32 clips the
# curves are jagged, and the actual curves leave the plot where the LLRs are
# badly calibrated. The DET curves show discrimination only: an increasing
# calibration does not move them.
shown = ["spectral stats, calibrated", "LFCC-GMM, calibrated", "fusion"]
fig, (ax_bayes, ax_det) = plt.subplots(1, 2, figsize=(11, 4.8))
for name in shown:
    plot_bayes_error(y_eval, scores[name], ax=ax_bayes, label=name)
ax_bayes.set_title("Bayes error, evaluation clips")
for name in shown:
    plot_det_curve(y_eval, scores[name], ax=ax_det, label=name)
ax_det.legend(loc="lower left", fontsize="small")
ax_det.set_title("DET curves, evaluation clips")
fig.tight_layout()
plt.show()
