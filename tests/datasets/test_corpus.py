"""The readers on the real dev corpus (skipped when it is not next to the repo)."""

from __future__ import annotations

import numpy as np
import pytest

from sklearn_ssastcl.datasets import load_asvspoof, load_audio

EXPECTED = {"train": (766, 292), "dev": (417, 178), "eval": (683, 264)}


@pytest.mark.parametrize("part", ["train", "dev", "eval"])
def test_2019_parts(corpus, part):
    frame = load_asvspoof(corpus, part=part)
    n, n_bona = EXPECTED[part]
    assert len(frame) == n
    assert (frame["label"] == "bonafide").sum() == n_bona
    assert ((frame["attack"] == "-") == (frame["label"] == "bonafide")).all()
    letter = part[0].upper()
    assert frame["utterance_id"].str.startswith(f"LA_{letter}_").all()
    attacks = set(frame["attack"]) - {"-"}
    known = {"A01", "A02", "A03", "A04"}
    assert attacks == (known | {"A05", "A06"} if part == "eval" else known)
    # root may also be the LA folder
    assert load_asvspoof(corpus / "LA", part=part).equals(frame)


def test_2021_key_with_audio_dir_override(corpus):
    with pytest.raises(FileNotFoundError, match=r"(?s)Tried:.*ASVspoof2021_LA_eval"):
        load_asvspoof(corpus, year=2021, part="eval")
    key = load_asvspoof(
        corpus,
        year=2021,
        part="eval",
        audio_dir=corpus / "LA" / "ASVspoof2019_LA_eval" / "flac",
    )
    assert len(key) == 683 and (key["label"] == "bonafide").sum() == 264
    assert set(key["codec"]) == {"none", "alaw", "ulaw", "gsm", "opus"}
    assert set(key["phase"]) == {"eval"}
    proto = load_asvspoof(corpus, part="eval")
    merged = key.merge(proto, on="utterance_id", suffixes=("", "_2019"))
    assert len(merged) == 683
    for col in ("speaker", "attack", "label", "path"):
        assert (merged[col] == merged[f"{col}_2019"]).all(), col


def test_load_audio_on_corpus_clip(corpus):
    frame = load_asvspoof(corpus, part="dev")
    wave = load_audio(frame["path"].iloc[0])
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert 1.4 * 16000 < len(wave) < 6.1 * 16000
