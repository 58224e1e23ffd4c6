from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import soundfile as sf
from numpy.testing import assert_array_equal

from sklearn_ssastcl.datasets import load_spoof_sample


def test_bunch_contents(spoof_sample):
    s = spoof_sample
    n = 72
    assert len(s.waveforms) == n
    for name in ("labels", "attacks", "speakers", "utterance_ids", "subset", "codecs"):
        assert isinstance(s[name], np.ndarray) and s[name].shape == (n,), name
    assert s.sample_rate == 16000
    assert s.frame is None
    assert all(w.dtype == np.float32 and w.ndim == 1 for w in s.waveforms)
    lengths = np.array([len(w) for w in s.waveforms])
    assert lengths.max() <= 4 * 16000 and lengths.min() >= 16000
    assert all(np.abs(w).max() <= 1.0 and np.abs(w).max() > 0.01 for w in s.waveforms)
    assert len(set(s.utterance_ids)) == n
    assert Counter(s.subset) == {"train": 40, "eval": 32}
    assert set(s.labels) == {"bonafide", "spoof"}
    assert_array_equal(s.labels == "bonafide", s.attacks == "-")
    counts = Counter(zip(s.subset, s.attacks))
    assert counts[("train", "-")] == 16 and counts[("eval", "-")] == 12
    assert {a for (sub, a) in counts if sub == "train"} == {
        "-",
        "A01",
        "A02",
        "A03",
        "A04",
    }
    assert counts[("eval", "A05")] == 4 and counts[("eval", "A06")] == 4
    assert all(c == "none" for c in s.codecs[s.subset == "train"])
    assert (s.codecs[s.subset == "eval"] != "none").sum() >= 10
    assert "Licences" in s.DESCR and "NOT ASVspoof" in s.DESCR


def test_as_frame_and_return_X_y(spoof_sample):
    s = load_spoof_sample(as_frame=True)
    assert isinstance(s.frame, pd.DataFrame)
    assert list(s.frame.columns) == [
        "utterance_id",
        "speaker",
        "attack",
        "label",
        "subset",
        "codec",
        "source",
        "waveform",
    ]
    assert_array_equal(s.frame["label"].to_numpy(), s.labels)
    assert_array_equal(s.frame["waveform"].iloc[5], s.waveforms[5])
    X, y = load_spoof_sample(return_X_y=True)
    assert isinstance(X, list) and len(X) == 72
    assert_array_equal(y, spoof_sample.labels)
    assert all(np.array_equal(a, b) for a, b in zip(X, spoof_sample.waveforms))


def test_matches_corpus_clips(corpus, spoof_sample):
    """Each shipped clip holds the first (up to) 4 s of the corpus clip, unchanged."""
    s = spoof_sample
    meta = {}
    for part, name in [("train", "train.trn"), ("eval", "eval.trl")]:
        proto = corpus / "LA/ASVspoof2019_LA_cm_protocols"
        for line in (proto / f"ASVspoof2019.LA.cm.{name}.txt").read_text().split("\n"):
            if line:
                spk, utt, _, att, key = line.split()
                meta[utt] = (part, spk, att, key)
    for i in (0, 17, 39, 40, 71):
        part, spk, att, key = meta[s.utterance_ids[i]]
        assert (part, spk, att, key) == (
            s.subset[i],
            s.speakers[i],
            s.attacks[i],
            s.labels[i],
        )
        src = corpus / f"LA/ASVspoof2019_LA_{part}/flac/{s.utterance_ids[i]}.flac"
        full, rate = sf.read(src, dtype="int16")
        assert rate == 16000
        expected = full[: 4 * 16000].astype(np.float32) / 32768
        assert_array_equal(s.waveforms[i], expected)
