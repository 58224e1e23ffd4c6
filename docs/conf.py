"""Sphinx configuration for sklearn-ssastcl."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MPLBACKEND", "Agg")

import sklearn_ssastcl

project = "sklearn-ssastcl"
author = "sklearn-ssastcl developers"
copyright = "2026, sklearn-ssastcl developers"
version = release = sklearn_ssastcl.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    # scikit-learn's generated metadata-routing setters are not our API.
    "exclude-members": ",".join(
        f"set_{m}_request"
        for m in ("fit", "score", "predict", "transform", "partial_fit")
    ),
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_theme_options = {"navigation_with_keys": False}

# No network here: intersphinx inventories are not fetched.
intersphinx_mapping = {}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"(recipe_|__init__)",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "plot_gallery": os.environ.get("SSASTCL_DOCS_PLOT_GALLERY", "True"),
}


def _write_cli_help() -> None:
    """Render ``ssastcl --help`` and each command's help into ``_cli_help.txt``."""
    from sklearn_ssastcl.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    parts = [parser.format_help()]
    for name, subparser in sub.choices.items():
        parts.append(f"\n$ ssastcl {name} --help\n{subparser.format_help()}")
    (Path(__file__).parent / "_cli_help.txt").write_text("".join(parts))


def _write_benchmarks() -> None:
    """Gather the newest results files of each benchmark into ``_benchmarks.rst``.

    bench_eer shows its 8 newest runs (the recipe, its variants and ablations).
    """
    results = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    sections = []
    newest = {"eer_full": 8}
    for prefix, title in [
        ("eer_full", "EER on spoofcorpus-dev (bench_eer)"),
        ("speed", "Speed and memory (bench_speed)"),
        ("encoder", "Encoder throughput (bench_encoder)"),
        ("logmel", "LogMel throughput (bench_logmel)"),
        ("pretrain", "Self-supervised pretraining (bench_pretrain)"),
        ("out_of_core", "Training from files: memory and time (bench_out_of_core)"),
        ("tune_dev", "Configuration search on dev (tune_dev)"),
    ]:
        files = sorted(results.glob(f"{prefix}*.md"))
        if not files:
            continue
        sections.append(f"{title}\n{'-' * len(title)}")
        for path in reversed(files[-newest.get(prefix, 1) :]):
            body = path.read_text()
            sections.append(
                f"``{path.name}``\n\n.. code-block:: text\n\n"
                + "\n".join("   " + ln for ln in body.splitlines())
            )
        for png in sorted(results.glob(f"{prefix}*.png"))[-1:]:
            image = f".. image:: ../benchmarks/results/{png.name}"
            sections.append(image + "\n   :width: 520")
    text = "\n\n".join(sections) or "No results committed yet."
    (Path(__file__).parent / "_benchmarks.rst").write_text(text + "\n")


_write_cli_help()
_write_benchmarks()
