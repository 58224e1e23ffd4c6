"""
=========================================
Tuning SSAST-CL with Optuna, with pruning
=========================================

Tune the learning rate and the cross-attention weight ``alpha`` of
:class:`~sklearn_ssastcl.SSASTCLClassifier` with an `Optuna <https://optuna.org>`_
study that stops unpromising trials early (pruning) on the validation EER, then
run the same search through ``optuna_integration.OptunaSearchCV``, Optuna's
drop-in replacement for scikit-learn's search classes.

As everywhere in this gallery, the model is tiny and the data is the small sample
shipped with the package, so the search runs in seconds: it shows how to wire
Optuna to the estimator, and the values it finds mean nothing beyond this sample.
"""

# %%
# Spectrograms and a validation split
# -----------------------------------
# The log-mel features are computed once with :class:`~sklearn_ssastcl.LogMel`;
# the classifier then takes the 3-D spectrogram array directly. A stratified,
# seeded 30 % of the training clips is held out as the validation set that the
# trials are judged on; the ``"eval"`` subset stays untouched until the end.
import shutil
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import optuna
from sklearn.model_selection import StratifiedKFold, train_test_split

from sklearn_ssastcl import LogMel, SSASTCLClassifier
from sklearn_ssastcl.datasets import load_spoof_sample
from sklearn_ssastcl.metrics import eer_score, eer_scorer

RANDOM_STATE = 42
N_EPOCHS = 3

sample = load_spoof_sample()
spec = LogMel(target_length=200, pad_mode="repeat").transform(sample.waveforms)
train = sample.subset == "train"
X_eval, y_eval = spec[~train], sample.labels[~train]
X_fit, X_val, y_fit, y_val = train_test_split(
    spec[train],
    sample.labels[train],
    test_size=0.3,
    stratify=sample.labels[train],
    random_state=RANDOM_STATE,
)
print(f"fit: {len(X_fit)} clips, validation: {len(X_val)}, evaluation: {len(X_eval)}")


def tiny_classifier(**params):
    """The tiny configuration used throughout this example."""
    return SSASTCLClassifier(
        model_size="tiny",
        embed_dim=64,
        depth=2,
        num_heads=2,
        head_epochs=10,
        batch_size=8,
        random_state=RANDOM_STATE,
        **params,
    )


# %%
# An objective that trains epoch by epoch
# ---------------------------------------
# To prune, Optuna needs a validation score after every epoch, and the trial must
# be able to stop there. The classifier builds its skorch nets inside ``fit``, so
# a skorch callback such as ``optuna_integration.SkorchPruningCallback`` cannot be
# attached to them. Instead, each trial trains one stage I epoch at a time: with a
# ``checkpoint_dir``, ``fit`` with ``max_epochs=k`` resumes from the weights,
# optimizer state and history saved after epoch ``k - 1`` and trains one more
# epoch, so the trial costs the same as a single ``fit`` with ``max_epochs=3``
# (plus a few seconds of stage II head training per step). After each epoch the
# trial reports the last ``valid_eer`` of ``history_`` (the stage I validation EER
# on ``X_val``) and asks the pruner whether to go on. A pruned trial trains no
# further epochs.
#
# Stage II (the MLP head) must be retrained on the encoder of each step, so its
# checkpoint folder is removed before every ``fit``: otherwise ``fit`` would
# resume the head finished at the previous step, trained on the embeddings of an
# older encoder.
#
# The trial's value, which the study minimises, is the validation EER of the
# whole classifier (encoder and head) after the last epoch.
checkpoints = Path(tempfile.mkdtemp(prefix="ssastcl_optuna_"))
models = {}


def objective(trial):
    clf = tiny_classifier(
        lr=trial.suggest_float("lr", 1e-4, 3e-3, log=True),
        alpha=trial.suggest_float("alpha", 0.0, 1.0),
        checkpoint_dir=checkpoints / f"trial_{trial.number}",
    )
    for epoch in range(1, N_EPOCHS + 1):
        shutil.rmtree(
            checkpoints / f"trial_{trial.number}" / "head", ignore_errors=True
        )
        clf.set_params(max_epochs=epoch).fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
        trial.report(clf.history_[-1, "valid_eer"], step=epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    models[trial.number] = clf
    return eer_score(y_val, clf.decision_function(X_val))


# %%
# The study
# ---------
# An in-memory study with a seeded TPE sampler, so the run is reproducible. The
# median pruner stops a trial when its best validation EER so far is worse than
# the median of the completed trials at the same epoch. With 4 trials of 3
# epochs it may judge after the first complete trial and from the first epoch;
# in a real search, let it wait for more trials and a few epochs
# (``n_startup_trials``, ``n_warmup_steps``), since early epochs are noisy. On a
# validation set of 12 clips the EER takes only a handful of values, so which
# trials get pruned here is largely chance.
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(
    direction="minimize",
    sampler=optuna.samplers.TPESampler(seed=RANDOM_STATE),
    pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0),
)
study.optimize(objective, n_trials=4)

print(study.trials_dataframe(attrs=("number", "value", "params", "state")))
print("Best trial:", study.best_trial.number, study.best_params)

# %%
# The validation EER each trial reported, epoch by epoch (a cross marks where
# the pruner stopped a trial).
fig, ax = plt.subplots(figsize=(5, 3.2))
for t in study.trials:
    steps = sorted(t.intermediate_values)
    values = [t.intermediate_values[s] for s in steps]
    pruned = t.state == optuna.trial.TrialState.PRUNED
    (line,) = ax.plot(
        steps, values, "o-", label=f"trial {t.number}" + (" (pruned)" if pruned else "")
    )
    if pruned:
        ax.plot(steps[-1], values[-1], "x", color=line.get_color(), markersize=12)
ax.set_xlabel("stage I epoch")
ax.set_xticks(range(1, N_EPOCHS + 1))
ax.set_ylabel("validation EER (stage I)")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# The best trial's model on the held-out evaluation clips:
best = models[study.best_trial.number]
eer = eer_score(y_eval, best.decision_function(X_eval))
print(f"Best trial, EER on the evaluation clips: {100 * eer:.2f} %")
shutil.rmtree(checkpoints, ignore_errors=True)

# %%
# The same search with OptunaSearchCV
# -----------------------------------
# ``OptunaSearchCV`` samples parameters from Optuna distributions and scores
# each trial by cross-validation, like ``RandomizedSearchCV``; ``eer_scorer``
# returns ``1 - EER`` (higher is better). Its own pruning (``enable_pruning``)
# needs an estimator with ``partial_fit``, which ``SSASTCLClassifier`` does not
# have, so it is left off. The class is marked experimental in Optuna, and it
# uses a module that Optuna deprecates; both warnings are silenced here.
from optuna.distributions import FloatDistribution
from optuna_integration import OptunaSearchCV

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", message=".*optuna.terminator", category=FutureWarning)
search = OptunaSearchCV(
    tiny_classifier(max_epochs=2),
    {
        "lr": FloatDistribution(1e-4, 3e-3, log=True),
        "alpha": FloatDistribution(0.0, 1.0),
    },
    cv=StratifiedKFold(n_splits=2, shuffle=True, random_state=RANDOM_STATE),
    scoring=eer_scorer,
    n_trials=3,
    random_state=RANDOM_STATE,
)
search.fit(spec[train], sample.labels[train])
print("OptunaSearchCV best:", search.best_params_)
print(f"cross-validated EER: {100 * (1 - search.best_score_):.2f} %")
eer = eer_score(y_eval, search.decision_function(X_eval))
print(f"EER on the evaluation clips: {100 * eer:.2f} %")
