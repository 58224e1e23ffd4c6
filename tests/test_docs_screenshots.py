"""The documentation reads well in a browser (issue 16): tables, figures, navbar.

The slow tests run ``scripts/docs_screenshots.py`` on a built HTML tree
(``docs/_build/html``, or ``$SSASTCL_DOCS_HTML``) with headless Chromium; they
are skipped when Chromium (``apt-get install chromium``) or the built docs are
missing. Run them with::

    python -m sphinx -b html docs docs/_build/html
    python -m pytest tests/test_docs_screenshots.py -m slow

The fast tests check the Markdown -> reStructuredText conversion of the results
files (``docs/_results_rst.py``) with docutils alone.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("SSASTCL_DOCS_HTML", ROOT / "docs" / "_build" / "html"))
SCRIPT = ROOT / "scripts" / "docs_screenshots.py"
MIN_COLOURS = 16


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rst_problems(rst: str) -> str:
    """Docutils warnings (and errors) on ``rst`` as text; empty when clean."""
    docutils_core = pytest.importorskip("docutils.core")
    stream = io.StringIO()
    docutils_core.publish_doctree(
        "Title\n=====\n\n" + rst,
        settings_overrides={
            "warning_stream": stream,
            "report_level": 2,
            "halt_level": 5,
        },
    )
    return stream.getvalue()


# ---------------------------------------------------------------- fast checks
results_rst = _load(ROOT / "docs" / "_results_rst.py", "_results_rst")


def test_markdown_tables_become_list_tables():
    md = (
        "# bench 2026\n\n"
        "Machine: x86_64, 2 CPUs.\nCode: commit abc123; written now.\n"
        "Command: `python bench.py --x 1`\n\n"
        "| system | EER | note |\n|---|---:|---|\n"
        "| ssastcl | 37.10 ± 3.14 | - |\n"
        '| ce | **34.07** | `{"a": 1}` |\n'
        "| x_ | +3 |\n\n"
        "- a list item with `code`\n  continued\n- 1. second *item* |a|\n\n"
        "```text\nverbatim | --- |\n```\n"
    )
    rst = results_rst.md_to_rst(md)
    assert ".. list-table::" in rst and "|---|" not in rst
    assert (
        ":Machine: x86\\_64, 2 CPUs." in rst
        and ":Command: ``python bench.py --x 1``" in rst
    )
    assert ".. rubric:: bench 2026" in rst and ".. code-block:: text" in rst
    assert _rst_problems(rst) == ""
    from docutils import nodes
    from docutils.core import publish_doctree

    doctree = publish_doctree("T\n=\n\n" + rst)
    (table,) = doctree.findall(nodes.table)
    cells = [
        [e.astext() for e in row.findall(nodes.entry)]
        for row in table.findall(nodes.row)
    ]
    assert cells == [
        ["system", "EER", "note"],
        ["ssastcl", "37.10 ± 3.14", "-"],
        ["ce", "34.07", '{"a": 1}'],
        ["x_", "+3", ""],
    ]
    assert len(list(doctree.findall(nodes.field))) == 3


def test_every_results_file_renders_without_warnings(tmp_path):
    results = ROOT / "benchmarks" / "results"
    out = tmp_path / "docs" / "_benchmarks.rst"
    out.parent.mkdir()
    results_rst.write_benchmarks(results, out)
    rst = out.read_text()
    assert (
        _rst_problems(re.sub(r"(?m)^\.\. container::.*$", ".. container::", rst)) == ""
    )
    if any(results.glob("*.md")):
        assert (
            ".. list-table::" in rst and ".. code-block:: text\n\n   Machine" not in rst
        )
    for png in re.findall(r"\.\. figure:: (\S+)", rst):
        assert (out.parent / png).resolve().exists(), png


def test_sections_for_new_benchmarks(tmp_path):
    prefixes = [p for p, _, _ in results_rst.SECTIONS]
    for prefix in (
        "onnx",
        "robustness",
        "efficiency",
        "score_files",
        "demo",
        "eer_full",
    ):
        assert prefix in prefixes
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    out = tmp_path / "docs" / "_benchmarks.rst"
    out.parent.mkdir()
    results_rst.write_benchmarks(results, out)  # nothing yet: no failure
    assert out.read_text().strip() == "No results committed yet."
    (results / "demo_20260101T000000Z.md").write_text(
        "| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    for name in (
        "demo_20260101T000000Z_timeline.png",
        "demo_20260101T000000Z_saliency.png",
    ):
        (results / name).write_bytes(b"")
    (results / "eer_full_20260101T000000Z.md").write_text("text\n")
    (results / "eer_full_det.png").write_bytes(b"")
    results_rst.write_benchmarks(results, out)
    rst = out.read_text()
    assert "Demo: timeline and saliency" in rst and "EER on spoofcorpus-dev" in rst
    assert "demo_20260101T000000Z_timeline.png" in rst
    assert "demo_20260101T000000Z_saliency.png" in rst
    assert "../benchmarks/results/eer_full_det.png" in rst
    assert "ONNX export" not in rst  # no files, no section


# ---------------------------------------------------------------- slow checks
def _chromium():
    return _load(SCRIPT, "docs_screenshots").find_chromium()


no_chromium = pytest.mark.skipif(
    _chromium() is None, reason="no chromium (apt-get install chromium)"
)
no_docs = pytest.mark.skipif(
    not (HTML / "benchmarks.html").exists(), reason=f"docs not built in {HTML}"
)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    out = tmp_path_factory.mktemp("screenshots")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--html", str(HTML), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return out, proc


@pytest.mark.slow
@no_chromium
@no_docs
def test_screenshots_exist_and_are_not_blank(screenshots):
    from PIL import Image

    out, proc = screenshots
    for page in ("index", "benchmarks"):
        for width in (1280, 800):
            png = out / f"{page}_{width}.png"
            assert png.exists(), proc.stdout + proc.stderr[-2000:]
            with Image.open(png) as im:
                assert im.size[0] == width
                found = im.convert("RGB").getcolors(maxcolors=100_000)
            assert found is None or len(found) > MIN_COLOURS, f"{png.name} looks blank"


@pytest.mark.slow
@no_chromium
@no_docs
def test_layout_checks_pass(screenshots):
    _, proc = screenshots
    assert proc.returncode == 0, proc.stdout[-4000:]


@pytest.mark.slow
@no_docs
def test_benchmarks_page_has_real_tables():
    html = (HTML / "benchmarks.html").read_text(encoding="utf-8")
    assert "<table" in html
    for pre in re.findall(r"<pre\b.*?</pre>", html, re.S):
        assert not re.search(r"\|\s*-{3,}\s*\|", re.sub(r"<[^>]+>", "", pre))
    for src in re.findall(r'<img[^>]*\bsrc="([^"]+)"', html):
        assert (HTML / src).exists(), src
