"""The ``ssastcl`` command line on a tiny corpus in the ASVspoof layout."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from numpy.testing import assert_array_equal

from sklearn_ssastcl.cli import build_parser, main
from sklearn_ssastcl.datasets import load_spoof_sample, read_scores
from sklearn_ssastcl.metrics import eer_score

TINY_CONFIG = {
    "model_size": None,
    "embed_dim": 16,
    "depth": 1,
    "num_heads": 2,
    "kernel_size": [16, 16],
    "max_epochs": 1,
    "head_epochs": 3,
    "batch_size": 8,
    "frontend": {"target_length": 48},
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The shipped sample written out as a small ASVspoof 2019 LA corpus."""
    root = tmp_path_factory.mktemp("corpus")
    sample = load_spoof_sample()
    protocols = root / "LA" / "ASVspoof2019_LA_cm_protocols"
    protocols.mkdir(parents=True)
    names = {"train": "train.trn", "eval": "eval.trl"}
    for part in ("train", "eval"):
        audio = root / "LA" / f"ASVspoof2019_LA_{part}" / "flac"
        audio.mkdir(parents=True)
        lines = []
        for i in np.flatnonzero(sample.subset == part):
            utt = sample.utterance_ids[i]
            sf.write(audio / f"{utt}.flac", sample.waveforms[i], sample.sample_rate)
            lines.append(
                f"{sample.speakers[i]} {utt} - {sample.attacks[i]} {sample.labels[i]}"
            )
        (protocols / f"ASVspoof2019.LA.cm.{names[part]}.txt").write_text(
            "\n".join(lines) + "\n"
        )
    config = root / "tiny.json"
    config.write_text(json.dumps(TINY_CONFIG))
    return root


def _paths(root, part):
    name = {"train": "train.trn", "eval": "eval.trl"}[part]
    protocol = (
        root / "LA" / "ASVspoof2019_LA_cm_protocols" / f"ASVspoof2019.LA.cm.{name}.txt"
    )
    return protocol, root / "LA" / f"ASVspoof2019_LA_{part}" / "flac"


@pytest.fixture(scope="module")
def trained(corpus):
    protocol, audio = _paths(corpus, "train")
    model = corpus / "model"
    status = main(
        [
            "train",
            "--protocol",
            str(protocol),
            "--audio-dir",
            str(audio),
            "--config",
            str(corpus / "tiny.json"),
            "--augment",
            "none",
            "--out",
            str(model),
            "--quiet",
        ]
    )
    assert status == 0
    assert sorted(p.name for p in model.iterdir()) == ["config.json", "weights.pt"]
    return model


def test_every_command_documents_its_options(capsys):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == {
        "demo",
        "train",
        "score",
        "evaluate",
        "calibrate",
        "fuse",
    }
    for name, subparser in sub.choices.items():
        text = subparser.format_help()
        for action in subparser._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"{name} {action.option_strings} has no help"
        assert "usage: ssastcl " + name in text


def test_module_entry_point_prints_help():
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_ssastcl", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "train" in out and "score" in out and "evaluate" in out


def test_train_score_evaluate_round_trip(corpus, trained, tmp_path, capsys):
    protocol, audio = _paths(corpus, "eval")
    scores_path = tmp_path / "scores.txt"
    assert (
        main(
            [
                "score",
                "--model",
                str(trained),
                "--protocol",
                str(protocol),
                "--audio-dir",
                str(audio),
                "--out",
                str(scores_path),
                "--format",
                "2019",
            ]
        )
        == 0
    )
    scores = read_scores(scores_path)
    sample = load_spoof_sample()
    keep = sample.subset == "eval"
    assert list(scores["utterance_id"]) == list(sample.utterance_ids[keep])
    assert list(scores["label"]) == list(sample.labels[keep])
    expected = eer_score(scores["label"], scores["score"].to_numpy())

    det = tmp_path / "det.png"
    capsys.readouterr()
    assert (
        main(
            [
                "evaluate",
                "--scores",
                str(scores_path),
                "--protocol",
                str(protocol),
                "--det-png",
                str(det),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"EER: {100 * expected:.2f} %" in out
    assert "Per attack:" in out and "A05" in out and "minDCF" in out
    assert det.stat().st_size > 1000


def test_score_single_files_and_folders_in_2021_format(corpus, trained, tmp_path):
    _, audio = _paths(corpus, "eval")
    files = sorted(audio.glob("*.flac"))
    out_one = tmp_path / "one.txt"
    assert (
        main(["score", "--model", str(trained), str(files[0]), "--out", str(out_one)])
        == 0
    )
    one = out_one.read_text().split()
    assert one[0] == files[0].stem and len(one) == 2
    out_dir = tmp_path / "dir.txt"
    assert (
        main(["score", "--model", str(trained), str(audio), "--out", str(out_dir)]) == 0
    )
    table = read_scores(out_dir)
    assert len(table) == len(files)
    row = table.set_index("utterance_id").loc[files[0].stem, "score"]
    assert row == pytest.approx(float(one[1]))


def test_missing_audio_is_a_clear_error(corpus, tmp_path, capsys):
    protocol, _ = _paths(corpus, "train")
    empty = tmp_path / "empty"
    empty.mkdir()
    status = main(
        [
            "train",
            "--protocol",
            str(protocol),
            "--audio-dir",
            str(empty),
            "--out",
            str(tmp_path / "m.joblib"),
        ]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert "have no audio file" in err and "--audio-dir" in err


def test_unknown_utterance_in_scores_is_a_clear_error(corpus, tmp_path, capsys):
    protocol, _ = _paths(corpus, "eval")
    scores = tmp_path / "bad.txt"
    scores.write_text("LA_E_0000000 0.5\n")
    assert main(["evaluate", "--scores", str(scores), "--protocol", str(protocol)]) == 2
    assert "not in" in capsys.readouterr().err


def test_missing_file_is_rejected_by_the_parser(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(
            [
                "evaluate",
                "--scores",
                str(tmp_path / "nope.txt"),
                "--protocol",
                str(tmp_path / "nope2.txt"),
            ]
        )
    assert info.value.code == 2
    assert "no such file" in capsys.readouterr().err


def test_protocol_without_audio_dir_is_an_error(corpus, trained, capsys):
    protocol, _ = _paths(corpus, "eval")
    assert main(["score", "--model", str(trained), "--protocol", str(protocol)]) == 2
    assert "--audio-dir" in capsys.readouterr().err


def test_augment_choices_build_the_named_chains():
    from sklearn_ssastcl.augment import Codec, Compose, FIRFilter, RawBoost
    from sklearn_ssastcl.recipe import make_augment

    chain = make_augment("fir+codec+rawboost")
    assert isinstance(chain, Compose)
    assert [type(s) for s in chain.steps] == [FIRFilter, Codec, RawBoost]
    assert isinstance(make_augment("codec"), Codec)
    assert make_augment("none") is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--augment", "amr"])


def test_max_clips_keeps_a_stratified_subset(corpus):
    from sklearn_ssastcl._cli_models import _labelled_set
    from sklearn_ssastcl.datasets import read_protocol

    protocol, audio = _paths(corpus, "train")
    full = read_protocol(protocol, audio_dir=audio)
    sub = _labelled_set(protocol, audio, 20, seed=0)
    counts = full["label"].value_counts()
    expected = {k: max(1, round(20 * v / len(full))) for k, v in counts.items()}
    assert sub["label"].value_counts().to_dict() == expected
    assert set(sub["utterance_id"]) <= set(full["utterance_id"])
    again = _labelled_set(protocol, audio, 20, seed=0)
    assert sub["utterance_id"].tolist() == again["utterance_id"].tolist()
    assert len(_labelled_set(protocol, audio, None, seed=0)) == len(full)


def test_speaker_pairs_pass_the_protocol_speakers_as_groups(corpus, monkeypatch):
    from sklearn_ssastcl import SSASTCLClassifier
    from sklearn_ssastcl.datasets import read_protocol

    seen = {}

    class Stop(Exception):
        pass

    def fake_fit(self, X, y, **params):
        seen.update(params)
        raise Stop

    monkeypatch.setattr(SSASTCLClassifier, "fit", fake_fit)
    protocol, audio = _paths(corpus, "train")
    args = ["train", "--protocol", str(protocol), "--audio-dir", str(audio)]
    with pytest.raises(Stop):
        main([*args, "--speaker-pairs", "--out", str(corpus / "unused.joblib")])
    speakers = read_protocol(protocol, audio_dir=audio)["speaker"].to_numpy()
    assert_array_equal(seen["groups"], speakers)
    seen.clear()
    with pytest.raises(Stop):
        main([*args, "--out", str(corpus / "unused.joblib")])
    assert "groups" not in seen


def test_train_calibrate_sets_the_parameter(corpus, monkeypatch):
    from sklearn_ssastcl import SSASTCLClassifier

    seen = {}

    class Stop(Exception):
        pass

    def fake_fit(self, X, y, **params):
        seen["calibrate"] = self.calibrate
        raise Stop

    monkeypatch.setattr(SSASTCLClassifier, "fit", fake_fit)
    protocol, audio = _paths(corpus, "train")
    args = ["train", "--protocol", str(protocol), "--audio-dir", str(audio)]
    for extra, expected in ((["--calibrate"], True), ([], False)):
        with pytest.raises(Stop):
            main([*args, *extra, "--out", str(corpus / "unused.joblib")])
        assert seen["calibrate"] is expected


def test_bad_out_fails_before_training(corpus, monkeypatch, capsys):
    from sklearn_ssastcl import SSASTCLClassifier

    def never(self, *a, **k):
        raise AssertionError("fit must not start")

    monkeypatch.setattr(SSASTCLClassifier, "fit", never)
    protocol, audio = _paths(corpus, "train")
    args = ["train", "--protocol", str(protocol), "--audio-dir", str(audio)]
    assert main([*args, "--out", str(corpus)]) == 2  # a folder of other files
    assert "holds other files" in capsys.readouterr().err
    assert main([*args, "--out", str(corpus / "tiny.json")]) == 2  # a file
    assert "is a file; a model is saved as a folder" in capsys.readouterr().err


def test_score_checks_format_and_out_before_scoring(
    corpus, trained, tmp_path, monkeypatch, capsys
):
    from sklearn_ssastcl import SSASTCLClassifier

    def never(self, *a, **k):
        raise AssertionError("scoring must not start")

    monkeypatch.setattr(SSASTCLClassifier, "decision_function", never)
    protocol, audio = _paths(corpus, "eval")
    trials = tmp_path / "trials.txt"
    ids = [line.split()[1] for line in protocol.read_text().splitlines()]
    trials.write_text("\n".join(ids) + "\n")
    base = ["score", "--model", str(trained), "--audio-dir", str(audio)]
    status = main(
        [*base, "--protocol", str(trials), "--format", "2019",
         "--out", str(tmp_path / "s.txt")]
    )  # fmt: skip
    assert status == 2
    assert "use --format 2021" in capsys.readouterr().err
    status = main(
        [*base, "--protocol", str(protocol), "--out", str(tmp_path / "no" / "s.txt")]
    )
    assert status == 2
    assert "does not exist" in capsys.readouterr().err


def test_stereo_and_other_rates_are_scored(trained, tmp_path, capsys):
    rng = np.random.default_rng(0)
    wave = (0.1 * rng.normal(size=(44100, 2))).astype(np.float32)
    stereo = tmp_path / "stereo.flac"
    sf.write(stereo, wave, 44100)
    mono = tmp_path / "mono.flac"
    sf.write(mono, wave.mean(axis=1), 44100)
    capsys.readouterr()
    assert main(["score", "--model", str(trained), str(stereo), str(mono)]) == 0
    lines = dict(line.split() for line in capsys.readouterr().out.splitlines())
    assert float(lines["stereo"]) == pytest.approx(float(lines["mono"]), abs=1e-4)


def test_bad_files_are_reported_and_the_run_goes_on(corpus, trained, tmp_path, capsys):
    _, audio = _paths(corpus, "eval")
    good = sorted(audio.glob("*.flac"))[:2]
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF" + bytes(100))
    sf.write(tmp_path / "short.wav", np.full(800, 0.1, np.float32), 16000)
    sf.write(tmp_path / "silent.wav", np.zeros(16000, np.float32), 16000)
    nan = np.full(16000, 0.1, np.float32)
    nan[100] = np.nan
    sf.write(tmp_path / "nan.wav", nan, 16000, subtype="FLOAT")
    sf.write(tmp_path / "tel.wav", np.sin(np.arange(16000) / 3).astype("f4"), 8000)
    bad = ["missing.wav", "empty.wav", "corrupt.wav", "short.wav", "silent.wav",
           "nan.wav"]  # fmt: skip
    inputs = [str(good[0]), *(str(tmp_path / b) for b in bad)]
    inputs += [str(tmp_path / "tel.wav"), str(good[1])]
    out, table = tmp_path / "s.txt", tmp_path / "files.csv"
    status = main(
        ["score", "--model", str(trained), *inputs, "--out", str(out),
         "--csv", str(table)]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 1
    assert [line.split()[0] for line in out.read_text().splitlines()] == [
        good[0].stem,
        "tel",
        good[1].stem,
    ]
    for name, what in [
        ("missing.wav", "does not exist"), ("empty.wav", "is empty (0 bytes)"),
        ("corrupt.wav", "cannot be decoded as audio"), ("short.wav", "lasts 0.050 s"),
        ("silent.wav", "is silent"), ("nan.wav", "holds NaN or infinite samples"),
    ]:  # fmt: skip
        assert f"{tmp_path / name} {what}" in err
    assert "Scored 3 of 9 files" in err and "6 could not be scored" in err
    import pandas as pd

    rows = pd.read_csv(table, keep_default_na=False)
    assert list(rows["status"]) == ["ok", "missing", "empty", "unreadable",
        "too_short", "silent", "non_finite", "ok", "ok"]  # fmt: skip


def test_score_json_windows_and_timeline(trained, tmp_path, capsys):
    from sklearn_ssastcl import load_model, score_files

    wave = (0.1 * np.random.default_rng(1).normal(size=16000 * 4)).astype("f4")
    path = tmp_path / "long.wav"
    sf.write(path, wave, 16000)
    report, png, windows = tmp_path / "r.json", tmp_path / "t.png", tmp_path / "w.csv"
    args = ["score", "--model", str(trained), str(path), "--window", "0.4", "--hop",
            "0.2", "--aggregate", "q10", "--json", str(report), "--timeline", str(png),
            "--windows-csv", str(windows)]  # fmt: skip
    assert main(args) == 0
    data = json.loads(report.read_text())
    files, expected = score_files(
        load_model(trained), [path], window=0.4, hop=0.2, aggregate=0.1,
        return_windows=True,
    )  # fmt: skip
    (entry,) = data["files"]
    assert data["n_failed"] == 0 and entry["status"] == "ok"
    assert entry["score"] == pytest.approx(files["score"][0])
    assert [w["score"] for w in entry["windows"]] == pytest.approx(
        expected["score"].tolist()
    )
    assert len(entry["windows"]) == 19
    assert png.stat().st_size > 1000
    assert len(windows.read_text().splitlines()) == 1 + 19
    assert main([*args[:4], "--window", "9"]) == 2
    assert "longer than the 0.495 s the model" in capsys.readouterr().err


def test_score_explain_writes_one_saliency_png_per_scored_file(trained, tmp_path):
    from sklearn_ssastcl import load_model
    from sklearn_ssastcl.saliency import saliency_map

    rng = np.random.default_rng(2)
    paths = []
    for name in ("a", "b"):
        paths.append(tmp_path / f"{name}.wav")
        sf.write(paths[-1], (0.1 * rng.normal(size=8000)).astype("f4"), 16000)
    missing = tmp_path / "missing.wav"
    out = tmp_path / "explain"
    args = ["score", "--model", str(trained), *map(str, paths), str(missing),
            "--explain", str(out), "--no-progress"]  # fmt: skip
    assert main(args) == 1  # the missing file is reported, the others explained
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]
    assert all((out / f"{n}.png").stat().st_size > 1000 for n in ("a", "b"))
    maps = saliency_map(load_model(trained), [str(p) for p in paths])
    assert np.abs(maps).sum() > 0


def _demo_lines(out: str) -> dict:
    import re

    found = {}
    for line in out.splitlines():
        m = re.match(r"\s+(.+?)\s{2,}([\d.]+) %(?:\s+\[([\d.]+), ([\d.]+)\])?", line)
        if m:
            found[m.group(1)] = [float(v) for v in m.groups()[1:] if v is not None]
    return found


def test_demo_prints_eer_with_interval_next_to_chance_and_baseline(tmp_path, capsys):
    from sklearn_ssastcl.classic import SpectralStatsClassifier
    from sklearn_ssastcl.datasets import load_spoof_sample
    from sklearn_ssastcl.metrics import eer_score

    png = tmp_path / "det.png"
    assert main(["demo", "--epochs", "1", "--quiet", "--det-png", str(png)]) == 0
    rows = _demo_lines(capsys.readouterr().out)
    assert rows["chance"] == [50.0]
    eer, low, high = rows["SSAST-CL (small recipe)"]
    assert low <= eer <= high and high - low > 0
    sample = load_spoof_sample()
    train = sample.subset == "train"
    waves = np.array(sample.waveforms, dtype=object)
    baseline = SpectralStatsClassifier(random_state=0).fit(
        list(waves[train]), sample.labels[train]
    )
    expected = eer_score(
        sample.labels[~train], baseline.decision_function(list(waves[~train]))
    )
    assert rows["spectral statistics + LR"][0] == pytest.approx(
        100 * expected, abs=0.05
    )
    assert png.stat().st_size > 5000
