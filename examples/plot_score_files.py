"""
===========================================
Scoring audio files and writing score files
===========================================

Score audio files on disk with a fitted :class:`~sklearn_ssastcl.SSASTCLClassifier`
and write the scores in the ASVspoof 2019 and 2021 score-file formats with
:func:`~sklearn_ssastcl.datasets.write_scores`. A classifier given a
``frontend=LogMel(...)`` takes raw waveforms or file paths directly, so the
fitted model can be saved and later pointed at a folder of FLAC or WAV files,
which is what the ``ssastcl score`` command does.

The model is tiny and trained on the small sample shipped with the package: the
scores below show the file formats, not a useful detector.
"""

# %%
# Train a classifier that reads audio itself
# ------------------------------------------
# With ``frontend``, ``X`` is a list of waveforms (or paths) and the classifier
# computes the log-mel features in ``fit`` and in every prediction method.
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import soundfile as sf

from sklearn_ssastcl import LogMel, SSASTCLClassifier, load_model, save_model
from sklearn_ssastcl.cli import main as ssastcl
from sklearn_ssastcl.datasets import load_spoof_sample, read_scores, write_scores
from sklearn_ssastcl.metrics import eer_score

RANDOM_STATE = 42

sample = load_spoof_sample()
train = sample.subset == "train"
clf = SSASTCLClassifier(
    frontend=LogMel(target_length=128, pad_mode="repeat"),
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
)
clf.fit([w for w, t in zip(sample.waveforms, train) if t], sample.labels[train])

# %%
# Some audio files
# ----------------
# Write eight clips of the evaluation subset to a temporary folder as 16-bit FLAC
# files named after their utterance IDs, as in the ASVspoof databases.
folder = Path(tempfile.mkdtemp(prefix="ssastcl_audio_"))
picked = np.flatnonzero(~train)[::4]
paths = []
for i in picked:
    path = folder / f"{sample.utterance_ids[i]}.flac"
    sf.write(path, sample.waveforms[i], sample.sample_rate, subtype="PCM_16")
    paths.append(str(path))
ids = sample.utterance_ids[picked]
labels, attacks = sample.labels[picked], sample.attacks[picked]
print(f"{len(paths)} files in {folder}")

# %%
# Score the files
# ---------------
# ``decision_function`` loads each file (resampling it to the front end's rate if
# needed) and returns ``logit_bona - logit_spoof``: higher means more bona fide.
# ``predict`` applies ``threshold_``, the EER threshold on the validation clips.
scores = clf.decision_function(paths)
for utt, score, label, decision in zip(ids, scores, labels, clf.predict(paths)):
    print(f"{utt}  {score:+.4f}  predicted {decision:8s}  (true {label})")
print(f"EER over these {len(paths)} files: {100 * eer_score(labels, scores):.2f} %")

# %%
# Score files
# -----------
# The 2019 layout (``UTT ATTACK KEY SCORE``, the AASIST convention) needs the
# attack IDs and keys; the 2021 layout (``UTT SCORE``) is what the official 2021
# evaluation scripts read, one line per trial. Scores are written with full
# precision and read back exactly with :func:`~sklearn_ssastcl.datasets.read_scores`.
out_2019 = write_scores(
    folder / "scores_2019.txt",
    ids,
    scores,
    format="2019",
    attacks=attacks,
    labels=labels,
)
out_2021 = write_scores(folder / "scores_2021.txt", ids, scores, format="2021")
print(out_2019.read_text())
print(out_2021.read_text())
assert np.array_equal(read_scores(out_2021)["score"].to_numpy(), scores)

# %%
# Save the model, score from the command line
# -------------------------------------------
# :func:`~sklearn_ssastcl.save_model` writes a model folder of weights-only tensors
# and JSON (no pickle: loading it runs no code); ``ssastcl score`` and
# :func:`~sklearn_ssastcl.load_model` read only such folders. Here the command is
# called in-process on the audio folder and writes a 2021-format score file.
# The command scores whole recordings: a clip longer than the model's window
# (``target_length=128`` frames, 1.3 s here) is scored in sliding windows and the
# mean of its window scores is written, so these scores differ from
# ``decision_function``, which sees the first 1.3 s of each clip only.
save_model(clf, folder / "model")
cli_scores = folder / "cli_scores.txt"
model_dir = str(folder / "model")
audio = [str(p) for p in paths]
ssastcl(
    ["score", "--model", model_dir, "--out", str(cli_scores), "--no-progress", *audio]
)
print(cli_scores.read_text())

reloaded = load_model(folder / "model")
print(
    "same scores after load_model:",
    np.allclose(reloaded.decision_function(paths), scores),
)

# %%
# The scores against the decision threshold:
bona = labels == "bonafide"
fig, ax = plt.subplots(figsize=(5.5, 3.2))
rows = np.arange(len(ids))
ax.scatter(scores[bona], rows[bona], color="tab:green", label="bona fide")
ax.scatter(scores[~bona], rows[~bona], color="tab:red", marker="s", label="spoof")
ax.set_yticks(rows, [f"{u} ({a})" for u, a in zip(ids, attacks)])
ax.axvline(clf.threshold_, color="k", linestyle="--", label="threshold_")
ax.set_xlabel("score (higher = more bona fide)")
ax.legend(loc="best", fontsize="small")
fig.tight_layout()
plt.show()

# %%
# Remove the temporary folder.
shutil.rmtree(folder, ignore_errors=True)
