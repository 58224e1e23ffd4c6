from __future__ import annotations

from pathlib import Path

import pytest

from sklearn_ssastcl.datasets import load_asvspoof, read_protocol

P2019 = """\
LA_0079 LA_T_1138215 - - bonafide
LA_0079 LA_T_1271820 - A01 spoof

LA_0080 LA_T_1000137 - A06 spoof
"""
P2021_LA = """\
LA_0009 LA_E_9332881 alaw ita_tx A07 spoof notrim eval
LA_0020 LA_E_7294490 g722 loc_tx bonafide bonafide notrim progress
"""
P2021_DF = (
    "LA_0023 DF_E_2000011 nocodec asvspoof A14 spoof notrim progress"
    " traditional_vocoder - - - -\n"
    "VCC2TM2 DF_E_2000013 mp3m4a vcc2018 - bonafide notrim eval bonafide - - - -\n"
)
TRIALS = "LA_E_9332881\nLA_E_7294490\n"


def _write(tmp_path: Path, text: str, name: str = "p.txt") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("kind", ["auto", "2019"])
def test_2019(tmp_path, kind):
    frame = read_protocol(_write(tmp_path, P2019), kind=kind)
    assert list(frame.columns) == ["speaker", "utterance_id", "attack", "label"]
    assert frame["utterance_id"].tolist() == [
        "LA_T_1138215",
        "LA_T_1271820",
        "LA_T_1000137",
    ]
    assert frame["attack"].tolist() == ["-", "A01", "A06"]
    assert frame["label"].tolist() == ["bonafide", "spoof", "spoof"]
    assert frame["speaker"].tolist() == ["LA_0079", "LA_0079", "LA_0080"]


def test_2021_la_bonafide_attack_becomes_dash(tmp_path):
    frame = read_protocol(_write(tmp_path, P2021_LA))
    assert list(frame.columns) == [
        "speaker",
        "utterance_id",
        "codec",
        "transmission",
        "attack",
        "label",
        "trim",
        "phase",
    ]
    assert frame["attack"].tolist() == ["A07", "-"]
    assert frame["codec"].tolist() == ["alaw", "g722"]
    assert frame["phase"].tolist() == ["eval", "progress"]


def test_2021_df(tmp_path):
    frame = read_protocol(_write(tmp_path, P2021_DF), kind="2021-DF")
    assert list(frame.columns) == [
        "speaker",
        "utterance_id",
        "codec",
        "source",
        "attack",
        "label",
        "trim",
        "phase",
        "vocoder",
    ]
    assert frame.loc[1].tolist() == [
        "VCC2TM2",
        "DF_E_2000013",
        "mp3m4a",
        "vcc2018",
        "-",
        "bonafide",
        "notrim",
        "eval",
        "bonafide",
    ]


def test_trials_with_paths(tmp_path):
    frame = read_protocol(
        _write(tmp_path, TRIALS), audio_dir=tmp_path / "a", ext=".wav"
    )
    assert list(frame.columns) == ["utterance_id", "path"]
    assert frame["path"].tolist() == [
        str(tmp_path / "a" / "LA_E_9332881.wav"),
        str(tmp_path / "a" / "LA_E_7294490.wav"),
    ]


def test_path_column_default_ext(tmp_path):
    frame = read_protocol(_write(tmp_path, P2019), audio_dir="audio")
    assert frame["path"].iloc[0] == str(Path("audio") / "LA_T_1138215.flac")


def test_wrong_column_count_names_line(tmp_path):
    text = P2019 + "LA_0080 LA_T_9 - A01\n"
    with pytest.raises(ValueError, match=r"Line 5 .* 4 columns, expected 5.*LA_T_9"):
        read_protocol(_write(tmp_path, text))


def test_explicit_kind_mismatch(tmp_path):
    with pytest.raises(ValueError, match=r"Line 1 .* 5 columns, expected 8"):
        read_protocol(_write(tmp_path, P2019), kind="2021-LA")


@pytest.mark.parametrize(
    "text, match",
    [
        ("a b c\n", "first line .* has 3 columns; expected one of 5 \\(2019\\)"),
        ("LA_E_1 0.5\n", "looks like a score file"),
    ],
)
def test_auto_unknown_width(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        read_protocol(_write(tmp_path, text))


def test_unknown_key(tmp_path):
    text = "LA_0079 LA_T_1 - - bonafide\nLA_0079 LA_T_2 - A01 fake\n"
    with pytest.raises(ValueError, match="Line 2 .* key 'fake'"):
        read_protocol(_write(tmp_path, text))


def test_duplicate_ids(tmp_path):
    text = "LA_0079 LA_T_1 - - bonafide\nLA_0079 LA_T_1 - A01 spoof\n"
    with pytest.raises(ValueError, match=r"'LA_T_1' appears more than once .*\[1, 2\]"):
        read_protocol(_write(tmp_path, text))


def test_empty_missing_and_bad_kind(tmp_path):
    with pytest.raises(ValueError, match="is empty"):
        read_protocol(_write(tmp_path, "\n\n"))
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        read_protocol(tmp_path / "nope.txt")
    with pytest.raises(ValueError, match="kind must be one of"):
        read_protocol(_write(tmp_path, P2019), kind="2020")


# --- load_asvspoof on small fake layouts ------------------------------------


def _touch_audio(folder: Path, frame_text: str, col: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for line in frame_text.splitlines():
        if line.strip():
            (folder / f"{line.split()[col]}.flac").write_bytes(b"")


def _fake_2019(root: Path) -> None:
    la = root / "LA"
    _write(la, P2019, "ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.train.trn.txt")
    _touch_audio(la / "ASVspoof2019_LA_train" / "flac", P2019, 1)


def test_load_2019_from_root_and_la_folder(tmp_path):
    _fake_2019(tmp_path)
    for root in (tmp_path, tmp_path / "LA"):
        frame = load_asvspoof(root, part="train")
        assert len(frame) == 3
        assert frame["path"].iloc[1] == str(
            tmp_path / "LA" / "ASVspoof2019_LA_train" / "flac" / "LA_T_1271820.flac"
        )


def test_load_2019_missing_protocol_lists_paths(tmp_path):
    _fake_2019(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"(?s)Tried:.*cm\.dev\.trl\.txt"):
        load_asvspoof(tmp_path, part="dev")


def test_load_missing_audio_files(tmp_path):
    _fake_2019(tmp_path)
    (tmp_path / "LA/ASVspoof2019_LA_train/flac/LA_T_1271820.flac").unlink()
    with pytest.raises(
        FileNotFoundError, match=r"(?s)1 of 3 audio files .*LA_T_1271820"
    ):
        load_asvspoof(tmp_path)
    assert len(load_asvspoof(tmp_path, check_files=False)) == 3


def test_load_missing_audio_dir(tmp_path):
    _write(
        tmp_path,
        P2019,
        "LA/ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.train.trn.txt",
    )
    with pytest.raises(
        FileNotFoundError, match=r"(?s)audio folder.*Tried:.*audio_dir="
    ):
        load_asvspoof(tmp_path)
    frame = load_asvspoof(tmp_path, check_files=False)
    assert "ASVspoof2019_LA_train" in frame["path"].iloc[0]


@pytest.mark.parametrize("track, text", [("LA", P2021_LA), ("DF", P2021_DF)])
def test_load_2021(tmp_path, track, text):
    _write(tmp_path, text, f"keys/{track}/CM/trial_metadata.txt")
    _touch_audio(tmp_path / f"ASVspoof2021_{track}_eval" / "flac", text, 1)
    frame = load_asvspoof(tmp_path, year=2021, track=track, part="eval")
    assert frame["label"].tolist() == ["spoof", "bonafide"]
    assert frame["attack"].iloc[1] == "-"
    # root may also be the keys/<track> folder, with audio_dir given
    frame2 = load_asvspoof(
        tmp_path / "keys" / track,
        year=2021,
        track=track,
        part="eval",
        audio_dir=tmp_path / f"ASVspoof2021_{track}_eval" / "flac",
    )
    assert frame2.equals(frame)


def test_load_2021_trial_list_fallback_warns(tmp_path):
    _write(tmp_path, TRIALS, "ASVspoof2021_LA_eval/ASVspoof2021.LA.cm.eval.trl.txt")
    _touch_audio(tmp_path / "ASVspoof2021_LA_eval" / "flac", TRIALS, 0)
    with pytest.warns(UserWarning, match="no labels"):
        frame = load_asvspoof(tmp_path, year=2021, part="eval")
    assert list(frame.columns) == ["utterance_id", "path"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"year": 2020}, "year must be 2019 or 2021"),
        ({"track": "DF"}, "track must be one of \\('LA',\\) for year=2019"),
        ({"part": "test"}, "part must be one of"),
        ({"year": 2021, "part": "train"}, "2021 has no train or dev part"),
    ],
)
def test_load_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_asvspoof(tmp_path, **kwargs)


def test_load_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match="root folder .*nope"):
        load_asvspoof(tmp_path / "nope")
