"""
==============================================
Self-supervised pretraining, then fine-tuning
==============================================

SSAST-CL starts from an SSAST encoder pretrained without labels: patches of the
spectrogram are masked and the encoder learns to tell which patch belongs where
(a contrastive InfoNCE task) and to reconstruct them. Here
:class:`~sklearn_ssastcl.SSASTPretrainer` pretrains a tiny encoder on the audio of
the shipped sample, saves it in the released SSAST checkpoint format, and
:class:`~sklearn_ssastcl.SSASTCLClassifier` fine-tunes from that file with
``pretrained=``, exactly as it would from a released ``SSAST-*.pth`` checkpoint.

Pretraining pays off on thousands of hours of audio; 40 clips and a few epochs
only show the mechanics. Do not read anything into the error rates.
"""

# %%
# Pretrain on unlabeled audio
# ---------------------------
# The pretrainer takes spectrograms, or, with a ``frontend``, waveforms. Only the
# training clips are used, and without their labels. ``mask_patches=0.75`` masks
# three quarters of the 96 patches (8 frequency by 12 time patches of 16 x 16) of
# each clip; ``validation_fraction`` holds out a quarter of the clips to measure
# the masked-patch accuracy on audio the encoder does not train on.
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from sklearn_ssastcl import LogMel, SSASTCLClassifier, SSASTPretrainer
from sklearn_ssastcl.datasets import load_spoof_sample
from sklearn_ssastcl.metrics import eer_score

RANDOM_STATE = 42

sample = load_spoof_sample()
train = sample.subset == "train"
X_train = [w for w, t in zip(sample.waveforms, train) if t]
X_eval = [w for w, t in zip(sample.waveforms, train) if not t]
y_train, y_eval = sample.labels[train], sample.labels[~train]

frontend = LogMel(target_length=200, pad_mode="repeat")
pretrainer = SSASTPretrainer(
    size="tiny",
    embed_dim=64,
    depth=2,
    num_heads=2,
    kernel_size=(16, 16),
    n_mels=128,
    target_length=200,
    mask_patches=0.75,
    max_epochs=8,
    batch_size=8,
    lr=1e-3,
    validation_fraction=0.25,
    frontend=frontend,
    random_state=RANDOM_STATE,
)
pretrainer.fit(X_train)

# %%
# ``history_`` holds one dict per epoch. The accuracy is the share of masked
# patches whose true patch the encoder ranks first among all masked patches of
# the clip; chance is one over the number of masked patches.
history = pretrainer.history_
epochs = [row["epoch"] for row in history]
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(epochs, [row["train_accuracy"] for row in history], "o-", label="train")
ax.plot(epochs, [row["valid_accuracy"] for row in history], "s--", label="held out")
ax.plot(epochs, [row["chance"] for row in history], ":", color="0.5", label="chance")
ax.set_xlabel("pretraining epoch")
ax.set_ylabel("masked-patch accuracy")
ax.legend()
fig.tight_layout()
plt.show()
print(f"pretraining: {sum(row['dur'] for row in history):.1f} s")

# %%
# Save a checkpoint
# -----------------
# ``save_checkpoint`` writes the same ``state_dict`` layout as the released SSAST
# models (``module.v.*`` weights plus the pretraining heads), so anything that
# reads those files reads this one.
folder = Path(tempfile.mkdtemp(prefix="ssastcl_pretrain_"))
checkpoint = pretrainer.save_checkpoint(folder / "ssast-tiny-sample.pth")

# %%
# Fine-tune from the checkpoint
# -----------------------------
# With ``pretrained``, the encoder's width, depth, MLP ratio and patch kernel come
# from the file; ``model_size``, ``embed_dim``, ``depth``, ``mlp_ratio`` and
# ``kernel_size`` are not used. Two things must still match:
#
# * ``num_heads``: a checkpoint does not record it. It is inferred for the
#   released widths (192, 384 and 768); for this 64-wide encoder pass it.
# * the mel bins: the spectrograms must have as many as in pretraining (128
#   here), or ``fit`` raises an error.
#
# The input length may differ from pretraining (and so may ``stride``, e.g.
# ``(10, 10)`` for overlapping patches as SSAST fine-tunes): the positional
# embeddings are cropped or interpolated to the new patch grid.
settings = {
    "num_heads": 2,
    "max_epochs": 3,
    "head_epochs": 20,
    "batch_size": 8,
    "lr": 3e-4,
    "validation_split": 0.25,
    "random_state": RANDOM_STATE,
}
fine_tuned = SSASTCLClassifier(frontend=frontend, pretrained=checkpoint, **settings)
fine_tuned.fit(X_train, y_train)
print(
    "encoder from the checkpoint:",
    f"embed_dim={fine_tuned.encoder_.embed_dim}, depth={fine_tuned.encoder_.depth}",
)

# %%
# The same classifier from random weights, for comparison:
scratch = SSASTCLClassifier(
    frontend=frontend, model_size="tiny", embed_dim=64, depth=2, **settings
).fit(X_train, y_train)
for name, model in [("pretrained", fine_tuned), ("from scratch", scratch)]:
    eer = eer_score(y_eval, model.decision_function(X_eval))
    print(f"{name:13s} EER on the evaluation clips: {100 * eer:.2f} %")

shutil.rmtree(folder, ignore_errors=True)
