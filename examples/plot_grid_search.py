"""
=========================================
Tuning SSAST-CL with GridSearchCV and EER
=========================================

Search over :class:`~sklearn_ssastcl.SSASTCLClassifier` settings with scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV`, scoring each candidate with
:data:`~sklearn_ssastcl.metrics.eer_scorer` (``1 - EER``, so higher is better).
The pipeline caches its :class:`~sklearn_ssastcl.LogMel` step with
:class:`joblib.Memory`, so the spectrograms of each cross-validation fold are
computed once and reused by every candidate.

The grid compares SSAST-CL with and without its cross-attention loss
(``alpha=0`` is the ablation of the paper) and the cross-entropy baseline
(:class:`~sklearn_ssastcl.SSASTCEClassifier`, swapped in as the pipeline's
``clf`` step). With a tiny model, a few dozen clips and 3 folds the differences
are noise (on a fold of 13 clips the EER takes only a few values, so ties are
common): the example shows the mechanics of the search, not which variant wins.
"""

# %%
# Data and a cached pipeline
# --------------------------
import shutil
import tempfile

import joblib
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from sklearn_ssastcl import LogMel, SSASTCEClassifier, SSASTCLClassifier
from sklearn_ssastcl.datasets import load_spoof_sample
from sklearn_ssastcl.metrics import eer_score, eer_scorer

RANDOM_STATE = 42

sample = load_spoof_sample()
train = sample.subset == "train"
X_train = [w for w, t in zip(sample.waveforms, train) if t]
X_eval = [w for w, t in zip(sample.waveforms, train) if not t]
y_train, y_eval = sample.labels[train], sample.labels[~train]

shared = {
    "model_size": "tiny",
    "embed_dim": 64,
    "depth": 2,
    "num_heads": 2,
    "max_epochs": 2,
    "batch_size": 8,
    "lr": 3e-4,
    "validation_split": 0.25,
    "random_state": RANDOM_STATE,
}
cache_dir = tempfile.mkdtemp(prefix="ssastcl_cache_")
pipe = Pipeline(
    [
        ("spec", LogMel(target_length=128, pad_mode="repeat")),
        ("clf", SSASTCLClassifier(head_epochs=20, **shared)),
    ],
    memory=joblib.Memory(cache_dir, verbose=0),
)

# %%
# The search
# ----------
# A list of grids keeps ``alpha`` out of the cross-entropy candidate, which has no
# such parameter: its grid replaces the whole ``clf`` step. ``eer_scorer`` takes the
# scores from ``decision_function`` (higher = more bona fide) and finds the bona
# fide class from the classifier's ``pos_label``. The folds are stratified and
# seeded, so every candidate sees the same splits.
param_grid = [
    {"clf__alpha": [0.0, 1.0]},
    {"clf": [SSASTCEClassifier(**shared)]},
]
search = GridSearchCV(
    pipe,
    param_grid,
    scoring=eer_scorer,
    cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=RANDOM_STATE),
)
search.fit(X_train, y_train)

columns = ["params", "mean_test_score", "std_test_score", "rank_test_score"]
results = pd.DataFrame(search.cv_results_)[columns + ["mean_fit_time"]]
results["mean_cv_eer_%"] = 100 * (1 - results["mean_test_score"])
with pd.option_context("display.max_colwidth", 60, "display.width", 120):
    print(results.round(3).to_string(index=False))
print("Best:", search.best_params_)

# %%
# Candidates side by side (error bars: standard deviation over the folds).
labels = [
    "CE" if "clf" in p else f"CL, alpha={p['clf__alpha']:g}"
    for p in search.cv_results_["params"]
]
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.bar(
    labels,
    results["mean_cv_eer_%"],
    yerr=100 * results["std_test_score"],
    capsize=4,
    color="tab:blue",
)
ax.set_ylabel("cross-validated EER (%)")
ax.set_title("GridSearchCV on the shipped sample")
fig.tight_layout()
plt.show()

# %%
# The refitted best pipeline on the held-out clips
# ------------------------------------------------
# ``refit=True`` (the default) retrains the best candidate on all training clips;
# its ``LogMel`` features come from the cache as well.
scores = search.decision_function(X_eval)
eer = eer_score(y_eval, scores)
print(f"Best candidate, EER on the evaluation clips: {100 * eer:.2f} %")

# %%
# Remove the cache folder.
shutil.rmtree(cache_dir, ignore_errors=True)
