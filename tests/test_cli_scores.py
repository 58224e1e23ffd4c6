"""``ssastcl evaluate / calibrate / fuse`` on synthetic score files and a 2021 key."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_ssastcl.calibration import ScoreCalibrator
from sklearn_ssastcl.cli import main
from sklearn_ssastcl.datasets import read_scores
from sklearn_ssastcl.fusion import ScoreFusion
from sklearn_ssastcl.metrics import act_dcf, cllr, eer_score, min_dcf

CODECS = ("none", "gsm", "opus")


def _key(n, seed, prefix):
    """A 2021 LA-style key: SPEAKER UTT CODEC TRANSMISSION ATTACK KEY TRIM PHASE."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        bona = i % 3 == 0
        codec = CODECS[(i // 3) % len(CODECS)]  # every codec has both classes
        rows.append(
            {
                "speaker": f"SPK{i % 5}",
                "utterance_id": f"{prefix}_{i:04d}",
                "codec": codec,
                "transmission": "-" if codec == "none" else "sim_tx",
                "attack": "-" if bona else f"A0{1 + int(rng.integers(2))}",
                "label": "bonafide" if bona else "spoof",
            }
        )
    return rows


def _write_key(path, rows):
    path.write_text(
        "".join(
            f"{r['speaker']} {r['utterance_id']} {r['codec']} {r['transmission']} "
            f"{r['attack']} {r['label']} notrim eval\n"
            for r in rows
        )
    )


def _scores(rows, seed, scale=1.0, shift=0.0):
    rng = np.random.default_rng(seed)
    y = np.array([r["label"] for r in rows])
    return (
        scale * (np.where(y == "bonafide", 1.0, -1.0) + rng.normal(0, 1.2, y.size))
        + shift
    )


def _write_scores(path, rows, scores, order=None):
    order = np.arange(len(rows)) if order is None else order
    path.write_text(
        "".join(f"{rows[i]['utterance_id']} {float(scores[i])!r}\n" for i in order)
    )


@pytest.fixture
def files(tmp_path):
    dev_rows, eval_rows = _key(150, 0, "D"), _key(180, 1, "E")
    _write_key(tmp_path / "dev_key.txt", dev_rows)
    _write_key(tmp_path / "eval_key.txt", eval_rows)
    out = {"tmp": tmp_path, "dev_rows": dev_rows, "eval_rows": eval_rows}
    for name, seed, scale, shift in (("a", 2, 3.0, 5.0), ("b", 3, 0.5, -1.0)):
        dev_s = _scores(dev_rows, seed, scale, shift)
        eval_s = _scores(eval_rows, seed + 10, scale, shift)
        _write_scores(tmp_path / f"{name}_dev.txt", dev_rows, dev_s)
        # the evaluation file in another order: matching is by utterance ID
        order = np.random.default_rng(seed).permutation(len(eval_rows))
        _write_scores(tmp_path / f"{name}_eval.txt", eval_rows, eval_s, order)
        out[name] = (dev_s, eval_s)
    return out


def _labels(rows):
    return np.array([r["label"] for r in rows])


def test_evaluate_json_equals_the_library(files, capsys):
    t = files["tmp"]
    status = main(
        [
            "evaluate",
            "--scores", str(t / "a_eval.txt"),
            "--protocol", str(t / "eval_key.txt"),
            "--json", "-",
            "--bootstrap", "50",
        ]
    )  # fmt: skip
    assert status == 0
    record = json.loads(capsys.readouterr().out)
    y, s = _labels(files["eval_rows"]), files["a"][1]
    overall = record["overall"]
    assert overall["eer"] == pytest.approx(eer_score(y, s))
    assert overall["min_dcf"] == pytest.approx(min_dcf(y, s))
    assert overall["eer_low"] <= overall["eer"] <= overall["eer_high"]
    assert overall["act_dcf"] is None and overall["cllr"] is None  # not LLRs
    assert set(record["per_condition"]) == {"codec", "transmission"}
    codec = np.array([r["codec"] for r in files["eval_rows"]])
    gsm = codec == "gsm"
    assert record["per_condition"]["codec"]["gsm"]["eer"] == pytest.approx(
        eer_score(y[gsm], s[gsm])
    )
    attack = np.array([r["attack"] for r in files["eval_rows"]])
    keep = (y == "bonafide") & gsm | (attack == "A01") & gsm
    assert record["attack_by_condition"]["codec"]["A01"]["gsm"] == pytest.approx(
        eer_score(y[keep], s[keep])
    )


def test_evaluate_calibrated_on_dev(files, capsys):
    t = files["tmp"]
    status = main(
        [
            "evaluate",
            "--scores", str(t / "a_eval.txt"),
            "--protocol", str(t / "eval_key.txt"),
            "--calibrate-on", str(t / "a_dev.txt"),
            "--calibration-protocol", str(t / "dev_key.txt"),
            "--bayes-png", str(t / "bayes.png"),
            "--bootstrap", "20",
        ]
    )  # fmt: skip
    assert status == 0
    text = capsys.readouterr().out
    cal = ScoreCalibrator().fit(files["a"][0], _labels(files["dev_rows"]))
    llr = cal.decision_function(files["a"][1])
    y = _labels(files["eval_rows"])
    assert f"actDCF: {act_dcf(y, llr):.4f}" in text
    assert f"Cllr: {cllr(y, llr):.4f} bits" in text
    assert "Per codec:" in text and "EER (%) per attack x codec:" in text
    assert (t / "bayes.png").stat().st_size > 0


def test_calibrate_writes_the_calibrated_llrs(files, capsys):
    t = files["tmp"]
    status = main(
        [
            "calibrate",
            "--dev-scores", str(t / "a_dev.txt"),
            "--dev-protocol", str(t / "dev_key.txt"),
            "--scores", str(t / "a_eval.txt"),
            "--out", str(t / "a_llr.txt"),
            "--save-params", str(t / "cal.json"),
        ]
    )  # fmt: skip
    assert status == 0
    cal = ScoreCalibrator().fit(files["a"][0], _labels(files["dev_rows"]))
    written = read_scores(t / "a_llr.txt")
    source = read_scores(t / "a_eval.txt")
    assert list(written["utterance_id"]) == list(source["utterance_id"])
    assert_allclose(written["score"], cal.decision_function(source["score"].to_numpy()))
    params = json.loads((t / "cal.json").read_text())
    assert params["coef"] == pytest.approx(cal.coef_[0])


def test_fuse_matches_files_by_id(files, capsys):
    t = files["tmp"]
    status = main(
        [
            "fuse",
            "--dev-scores", str(t / "a_dev.txt"), str(t / "b_dev.txt"),
            "--dev-protocol", str(t / "dev_key.txt"),
            "--scores", str(t / "a_eval.txt"), str(t / "b_eval.txt"),
            "--names", "a", "b",
            "--out", str(t / "fused.txt"),
        ]
    )  # fmt: skip
    assert status == 0
    assert "Fusion fitted on 150 development trials" in capsys.readouterr().out
    dev = np.column_stack([files["a"][0], files["b"][0]])
    fusion = ScoreFusion().fit(dev, _labels(files["dev_rows"]))
    expected = dict(
        zip(
            [r["utterance_id"] for r in files["eval_rows"]],
            fusion.decision_function(np.column_stack([files["a"][1], files["b"][1]])),
        )
    )
    written = read_scores(t / "fused.txt")
    assert len(written) == len(expected)
    assert_allclose(
        written["score"], [expected[u] for u in written["utterance_id"]], rtol=1e-9
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("duplicate", "more than once"),
        ("unknown", "not in the key"),
        ("missing", "miss 1 of the key's"),
    ],
)
def test_fuse_rejects_mismatched_files(files, capsys, edit, message):
    t = files["tmp"]
    lines = (t / "b_eval.txt").read_text().splitlines()
    if edit == "duplicate":
        lines.append(lines[0])
    elif edit == "unknown":
        lines[0] = "E_9999 0.5"
    else:
        lines = lines[1:]
    (t / "b_eval.txt").write_text("\n".join(lines) + "\n")
    status = main(
        [
            "fuse",
            "--dev-scores", str(t / "a_dev.txt"), str(t / "b_dev.txt"),
            "--dev-protocol", str(t / "dev_key.txt"),
            "--scores", str(t / "a_eval.txt"), str(t / "b_eval.txt"),
            "--out", str(t / "fused.txt"),
        ]
    )  # fmt: skip
    assert status == 2
    assert message in capsys.readouterr().err
    assert not (t / "fused.txt").exists()


def test_evaluate_rejects_duplicate_ids(files, capsys):
    t = files["tmp"]
    text = (t / "a_eval.txt").read_text()
    (t / "a_eval.txt").write_text(text + text.splitlines()[0] + "\n")
    status = main(
        [
            "evaluate",
            "--scores",
            str(t / "a_eval.txt"),
            "--protocol",
            str(t / "eval_key.txt"),
        ]
    )
    assert status == 2
    assert "more than once" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bayes-png", "x.png"], "needs LLRs|--bayes-png plots"),
        (["--calibration-protocol", "{key}"], "goes with --calibrate-on"),
    ],
)
def test_evaluate_option_errors_come_first(files, capsys, argv, message):
    t = files["tmp"]
    argv = [a.format(key=t / "dev_key.txt") for a in argv]
    status = main(
        [
            "evaluate",
            "--scores",
            str(t / "a_eval.txt"),
            "--protocol",
            str(t / "eval_key.txt"),
            *argv,
        ]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert any(m in err for m in message.split("|"))


def test_fuse_needs_as_many_dev_as_eval_files(files, capsys):
    t = files["tmp"]
    status = main(
        [
            "fuse",
            "--dev-scores", str(t / "a_dev.txt"),
            "--dev-protocol", str(t / "dev_key.txt"),
            "--scores", str(t / "a_eval.txt"), str(t / "b_eval.txt"),
            "--out", str(t / "fused.txt"),
        ]
    )  # fmt: skip
    assert status == 2
    assert "one of each per system" in capsys.readouterr().err


def test_calibrate_needs_labels(files, capsys):
    t = files["tmp"]
    status = main(
        [
            "calibrate",
            "--dev-scores", str(t / "a_dev.txt"),
            "--scores", str(t / "a_eval.txt"),
            "--out", str(t / "x.txt"),
        ]
    )  # fmt: skip
    assert status == 2
    assert "has no labels" in capsys.readouterr().err


def test_a_text_file_as_model_is_one_line_and_debug_shows_the_traceback(files, capsys):
    t = files["tmp"]
    model = t / "model.joblib"
    model.write_text("not a model\n")
    argv = ["score", "--model", str(model), str(t / "a_dev.txt")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ssastcl score: error: ")
    assert "Traceback" not in "\n".join(err)
    assert "is a .joblib file" in err[0] and "save_weights" in err[0]
    with pytest.raises(ValueError, match="Unpickling a file can run any code"):
        main(["--debug", *argv])


def test_an_unwritable_output_is_one_line(files, capsys):
    t = files["tmp"]
    status = main(
        [
            "calibrate",
            "--dev-scores", str(t / "a_dev.txt"),
            "--dev-protocol", str(t / "dev_key.txt"),
            "--scores", str(t / "a_eval.txt"),
            "--out", str(t / "no_such_folder" / "llr.txt"),
        ]
    )  # fmt: skip
    assert status == 2
    assert "does not exist" in capsys.readouterr().err
