"""
===================================
Quick start: SSAST-CL in a Pipeline
===================================

Turn waveforms into log-mel spectrograms with :class:`~sklearn_ssastcl.LogMel`,
train :class:`~sklearn_ssastcl.SSASTCLClassifier` on them in a scikit-learn
:class:`~sklearn.pipeline.Pipeline`, and measure the equal error rate (EER) on
held-out clips, overall and per attack.

The data is the small real sample shipped with the package (72 clips of bona fide
and spoofed speech), and the model is tiny (2 transformer blocks of width 64, 3
epochs) so that the example runs in seconds on a CPU. It shows how the pieces fit
together; its error rates say nothing about what SSAST-CL reaches with a full-size
model and a full training set.
"""

# %%
# Load the sample
# ---------------
# :func:`~sklearn_ssastcl.datasets.load_spoof_sample` returns a Bunch of 1-D
# waveforms (16 kHz, of different lengths), ``"bonafide"``/``"spoof"`` labels,
# attack IDs (``"-"`` for bona fide) and a ``subset`` column that splits the clips
# into a training and an evaluation part. A05 and A06 appear in the evaluation
# part only: they are attacks the model never sees in training.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from sklearn_ssastcl import LogMel, SSASTCLClassifier
from sklearn_ssastcl.datasets import load_spoof_sample
from sklearn_ssastcl.metrics import eer_by_attack, eer_score

RANDOM_STATE = 42

sample = load_spoof_sample()
print(
    pd.crosstab(sample.attacks, sample.subset, rownames=["attack"], colnames=["subset"])
)

train = sample.subset == "train"
X_train = [w for w, t in zip(sample.waveforms, train) if t]
X_eval = [w for w, t in zip(sample.waveforms, train) if not t]
y_train, y_eval = sample.labels[train], sample.labels[~train]

# %%
# Build and fit the pipeline
# --------------------------
# ``LogMel`` computes SSAST's Kaldi log-mel filterbank (128 mel bins) and pads or
# cuts every clip to ``target_length`` frames (10 ms each); ``pad_mode="repeat"``
# tiles short clips instead of padding them with silence. The classifier then
# trains in two stages: stage I learns the encoder as a three-branch Siamese
# network with a contrastive loss, stage II trains an MLP head on the frozen
# embeddings. ``model_size="tiny"`` is the smallest preset; ``embed_dim``,
# ``depth`` and ``num_heads`` shrink it further for this example.
pipe = Pipeline(
    [
        ("spec", LogMel(target_length=128, pad_mode="repeat")),
        (
            "clf",
            SSASTCLClassifier(
                model_size="tiny",
                embed_dim=64,
                depth=2,
                num_heads=2,
                max_epochs=3,
                head_epochs=20,
                batch_size=8,
                lr=3e-4,
                validation_split=0.25,
                random_state=RANDOM_STATE,
            ),
        ),
    ]
)
pipe.fit(X_train, y_train)

# %%
# ``history_`` is the skorch History of stage I: one row per epoch with the
# contrastive training loss and ``valid_eer``, the EER of a nearest-centroid probe
# on the embeddings of the held-out ``validation_split`` of the training clips
# (the classifier keeps the weights of the epoch with the lowest one).
clf = pipe.named_steps["clf"]
epochs = clf.history_[:, "epoch"]
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(epochs, clf.history_[:, "train_loss"], "o-", label="train loss")
ax.plot(epochs, clf.history_[:, "valid_eer"], "s--", label="validation EER")
ax.set_xlabel("stage I epoch")
ax.set_xticks(epochs)
ax.legend()
ax.set_title("Stage I of a tiny SSAST-CL model")
fig.tight_layout()
plt.show()

# %%
# Evaluate
# --------
# ``decision_function`` gives one score per clip, higher meaning more bona fide.
# The EER is computed with the official ASVspoof algorithm;
# :func:`~sklearn_ssastcl.metrics.eer_by_attack` scores all bona fide clips
# against the spoofs of each attack in turn. ``predict`` thresholds the scores at
# ``threshold_``, the EER threshold found on the validation clips.
scores = pipe.decision_function(X_eval)
print(f"EER on the evaluation clips: {100 * eer_score(y_eval, scores):.2f} %")
print(eer_by_attack(y_eval, scores, sample.attacks[~train]))
accuracy = np.mean(pipe.predict(X_eval) == y_eval)
print(f"Accuracy at threshold_ = {clf.threshold_:.3f}: {accuracy:.2f}")
