"""Run the gallery examples and the ASVspoof recipe's quick mode end to end.

Each script runs in a fresh interpreter (as sphinx-gallery and a user would run
it) in an empty temporary folder, with the Agg backend, and must exit with 0 and
print an EER. One OpenMP thread unless the caller sets ``OMP_NUM_THREADS``: the
examples' models are tiny, and on a shared CPU OpenMP threads that spin-wait for
each other make torch many times slower than one thread.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
GALLERY = sorted(EXAMPLES.glob("plot_*.py"))
RECIPE = EXAMPLES / "recipe_asvspoof2021.py"
DEV_CORPUS = EXAMPLES.parent.parent / "shared" / "data" / "spoofcorpus-dev"
TIMEOUT_S = 300


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    env.setdefault("OMP_NUM_THREADS", "1")
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert proc.returncode == 0, (
        f"{args} exited with {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}"
        f"\n--- stderr\n{proc.stderr[-5000:]}"
    )
    return proc


def test_gallery_is_complete():
    names = {p.name for p in GALLERY}
    assert names >= {
        "plot_quickstart.py",
        "plot_grid_search.py",
        "plot_optuna_search.py",
        "plot_score_files.py",
        "plot_det_curves.py",
        "plot_pretrain_finetune.py",
    }
    assert (EXAMPLES / "README.rst").read_text().startswith("Examples\n========\n")


@pytest.mark.parametrize("path", GALLERY, ids=lambda p: p.stem)
def test_gallery_conventions(path):
    source = path.read_text()
    doc = ast.get_docstring(ast.parse(source), clean=False)
    assert doc is not None, f"{path.name} has no module docstring"
    over, title, under = doc.splitlines()[1:4]
    assert set(under) == {"="} and len(under) >= len(title.strip()), path.name
    assert over == under, f"{path.name}: over- and underline differ"
    assert "# %%" in source
    assert "RANDOM_STATE = 42" in source
    assert source.count("RANDOM_STATE") >= 2, f"{path.name} never uses RANDOM_STATE"


@pytest.mark.parametrize("path", GALLERY, ids=lambda p: p.stem)
def test_gallery_example_runs(path, tmp_path):
    proc = _run([str(path)], tmp_path)
    assert "EER" in proc.stdout
    # every temporary folder the example made is gone, and nothing was left here
    assert list(tmp_path.iterdir()) == []


def test_recipe_help(tmp_path):
    proc = _run([str(RECIPE), "--help"], tmp_path)
    for option in ("--root", "--la21-root", "--df21-root", "--pretrained", "--quick"):
        assert option in proc.stdout


@pytest.mark.skipif(
    not DEV_CORPUS.is_dir(),
    reason=f"the spoofcorpus-dev corpus is not at {DEV_CORPUS} (the recipe's "
    "--quick mode needs it)",
)
def test_recipe_quick(tmp_path):
    out = tmp_path / "run"
    proc = _run(
        [str(RECIPE), "--quick", "--verbose", "0", "--out-dir", str(out)], tmp_path
    )
    assert "2019 LA dev EER" in proc.stdout
    assert "LA (eval phase" in proc.stdout
    lines = (out / "scores_LA.txt").read_text().splitlines()
    assert len(lines) == 80  # --quick scores a stratified 80 of the eval trials
    assert all(len(line.split()) == 2 for line in lines)  # 2021 format: UTT SCORE
    record = json.loads((out / "results.json").read_text())
    assert 0.0 <= record["results"]["dev_2019_eer"] <= 1.0
    assert 0.0 <= record["results"]["LA_2021"]["eer"] <= 1.0
    assert (out / "model" / "weights.pt").is_file()
