"""Sphinx configuration for sklearn-ssastcl."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # _results_rst
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

# _benchmarks.rst is only included by benchmarks.rst, not a page of its own.
exclude_patterns = [
    "_build",
    "_benchmarks.rst",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
]
html_theme = "pydata_sphinx_theme"
# A short title: the default "<project> <release> documentation" is wider than the
# navbar's brand column and ran into the first navigation links.
html_title = project
html_static_path = ["_static"]
html_css_files = ["ssastcl.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "logo": {"text": project},
    # Links start right after the title, the search is an icon, and the rest of
    # the pages go under "More": one header row from 960 px (below, a menu).
    "navbar_align": "left",
    "header_links_before_dropdown": 4,
    "navbar_persistent": ["search-button"],
}

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
    """Render the newest results files of each benchmark into ``_benchmarks.rst``.

    Tables become ``list-table`` directives and the ``.png`` figures of the same
    stem appear below them; see ``_results_rst.py`` (sections, newest-N rule).
    """
    from _results_rst import write_benchmarks

    docs = Path(__file__).resolve().parent
    write_benchmarks(docs.parent / "benchmarks" / "results", docs / "_benchmarks.rst")


_write_cli_help()
_write_benchmarks()
