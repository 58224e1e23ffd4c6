"""Screenshots of the built documentation in headless Chromium, and layout checks.

Takes screenshots of ``index.html`` and ``benchmarks.html`` of a built HTML tree
at 1280, 1920 and 800 px wide (the theme collapses the navbar into a menu below
960 px), and checks:

* the HTML: the navbar title is short, ``benchmarks.html`` has ``<table>``
  elements and no ``<pre>`` block holding a Markdown table (``|---|``), and every
  ``<img>`` of the page exists;
* the rendered page (Chromium's ``--dump-dom`` after a script measured the
  layout): the navbar brand does not overlap the first navigation link, the
  navbar is one row (links wrapping under the title read badly), and no
  results table makes the page wider than the window (wide tables scroll inside
  their own container);
* each screenshot is not blank (it has more than a few distinct colours).

Usage::

    python -m sphinx -b html docs docs/_build/html    # build the docs first
    python scripts/docs_screenshots.py                 # PNGs in docs/_build/screenshots
    python scripts/docs_screenshots.py --html /tmp/docs_html --out /tmp/shots

Exit status 0 when every check passes, 1 otherwise (the failures are printed).
Look at the PNGs too: the checks cannot tell whether a page reads well.

Chromium is a Debian package, not a Python one: ``apt-get install chromium``
(as root; the binary is ``chromium``, elsewhere ``chromium-browser`` or
``google-chrome``; ``--chromium PATH`` or ``$CHROMIUM`` picks one). Reading the
screenshots needs Pillow (a matplotlib dependency). The default test run does
not need any of this: ``tests/test_docs_screenshots.py`` is marked ``slow``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("index", "benchmarks")
WIDTHS = (1280, 1920, 800)
HEIGHT = 900
MAX_TITLE = 30  # characters of the navbar title
MIN_COLOURS = 16  # a blank or failed screenshot has a handful

# Runs in the page before Chromium dumps the DOM: measures the layout and writes
# the result as JSON into <pre id="layout-check">, which --dump-dom then prints.
_MEASURE_JS = """
<script>
window.addEventListener("load", function () {
  function box(el) {
    if (!el) return null;
    var r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return null;
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  }
  var brand = document.querySelector(".navbar-brand .logo__title")
    || document.querySelector(".navbar-brand");
  var links = Array.prototype.slice.call(
    document.querySelectorAll(".bd-header .navbar-header-items .nav-link, "
      + ".bd-header .navbar-header-items .dropdown-toggle"));
  var tables = Array.prototype.slice.call(
    document.querySelectorAll("table.results-table"));
  var out = {
    width: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    brand: box(brand),
    links: links.map(box).filter(function (b) { return b !== null; }),
    tables: tables.length,
    tablesOutside: tables.filter(function (t) {
      var r = t.parentElement.getBoundingClientRect();
      return r.right > window.innerWidth + 1;
    }).length
  };
  var pre = document.createElement("pre");
  pre.id = "layout-check";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def find_chromium(explicit: str | None = None) -> str | None:
    """The Chromium binary: ``explicit``, ``$CHROMIUM``, or the first on ``PATH``."""
    for name in (
        explicit,
        os.environ.get("CHROMIUM"),
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _chromium(
    binary: str, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        "--mute-audio",
        "--allow-file-access-from-files",
        "--virtual-time-budget=5000",
    ]
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [binary, *flags, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def screenshot(
    binary: str, page: Path, png: Path, width: int, height: int = HEIGHT
) -> None:
    """A ``width`` x ``height`` screenshot of ``page`` into ``png``."""
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    proc = _chromium(
        binary,
        f"--screenshot={png}",
        f"--window-size={width},{height}",
        page.resolve().as_uri(),
    )
    if not png.exists():
        raise RuntimeError(f"chromium wrote no {png}:\n{proc.stderr[-2000:]}")


def measure(binary: str, page: Path, width: int, height: int = HEIGHT) -> dict:
    """The layout of ``page`` at ``width``: navbar boxes, page and table widths."""
    html = page.read_text(encoding="utf-8")
    # In the same folder, so that the page's relative links still resolve.
    probe = page.with_name(f".layout-probe-{page.name}")
    probe.write_text(
        html.replace("</body>", _MEASURE_JS + "</body>", 1), encoding="utf-8"
    )
    try:
        proc = _chromium(
            binary,
            "--dump-dom",
            f"--window-size={width},{height}",
            probe.resolve().as_uri(),
        )
    finally:
        probe.unlink(missing_ok=True)
    found = re.search(r'<pre id="layout-check"[^>]*>(.*?)</pre>', proc.stdout, re.S)
    if not found:
        raise RuntimeError(
            f"no layout measured for {page.name}:\n{proc.stderr[-2000:]}"
        )
    return json.loads(unescape(found.group(1)))


def colours(png: Path) -> int:
    """How many distinct colours the image has (capped at 10 000)."""
    from PIL import Image

    with Image.open(png) as im:
        found = im.convert("RGB").getcolors(maxcolors=10_000)
    return 10_000 if found is None else len(found)


def check_html(html_dir: Path) -> list[str]:
    """Problems found in the built HTML without a browser."""
    problems = []
    index = (html_dir / "index.html").read_text(encoding="utf-8")
    title = re.search(r'<p class="title logo__title">(.*?)</p>', index, re.S)
    if title is None:
        problems.append("index.html: no navbar title (p.logo__title) found")
    elif len(unescape(title.group(1)).strip()) > MAX_TITLE:
        problems.append(
            f"index.html: navbar title too long: {title.group(1).strip()!r}"
        )
    bench = (html_dir / "benchmarks.html").read_text(encoding="utf-8")
    if "<table" not in bench:
        problems.append("benchmarks.html: no <table> element")
    for pre in re.findall(r"<pre\b.*?</pre>", bench, re.S):
        if re.search(r"\|\s*:?-{3,}:?\s*\|", re.sub(r"<[^>]+>", "", pre)):
            problems.append(
                "benchmarks.html: a <pre> block holds a Markdown table (|---|)"
            )
            break
    for src in re.findall(r'<img[^>]*\bsrc="([^"]+)"', bench):
        if "://" not in src and not (html_dir / src).exists():
            problems.append(f"benchmarks.html: image {src} is missing")
    return problems


def check_layout(layout: dict, where: str) -> list[str]:
    """Problems in a measured layout (see :func:`measure`)."""
    problems = []
    brand, links = layout.get("brand"), layout.get("links", [])
    if brand and links:  # links are hidden (in the menu) on narrow windows
        first = min(links, key=lambda b: b["left"])
        same_row = first["top"] < brand["bottom"] and brand["top"] < first["bottom"]
        if same_row and first["left"] < brand["right"]:
            problems.append(
                f"{where}: navbar title (right edge {brand['right']:.0f} px) overlaps "
                f"the first link (left edge {first['left']:.0f} px)"
            )
        if any(link["top"] >= brand["bottom"] for link in links):
            problems.append(f"{where}: the navbar wraps onto a second row")
    if layout["scrollWidth"] > layout["width"] + 1:
        problems.append(
            f"{where}: page is {layout['scrollWidth']} px wide "
            f"in a {layout['width']} px window"
        )
    if layout.get("tablesOutside"):
        problems.append(
            f"{where}: {layout['tablesOutside']} tables overflow the window"
        )
    return problems


def run(
    html_dir: Path, out_dir: Path, binary: str, widths=WIDTHS
) -> tuple[list[Path], list[str]]:
    """Screenshots and every check; returns the PNGs and the problems found."""
    problems = check_html(html_dir)
    pngs = []
    for page in PAGES:
        path = html_dir / f"{page}.html"
        for width in widths:
            png = out_dir / f"{page}_{width}.png"
            screenshot(binary, path, png, width)
            pngs.append(png)
            if (n := colours(png)) <= MIN_COLOURS:
                problems.append(f"{png.name}: looks blank ({n} colours)")
            layout = measure(binary, path, width)
            problems += check_layout(layout, f"{page}.html at {width} px")
            print(f"{png}: {colours(png)} colours, layout {json.dumps(layout)[:200]}")
    return pngs, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--html",
        type=Path,
        default=ROOT / "docs" / "_build" / "html",
        help="built HTML folder (default: docs/_build/html)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "docs" / "_build" / "screenshots",
        help="folder for the PNGs (default: docs/_build/screenshots)",
    )
    parser.add_argument(
        "--chromium", help="Chromium binary (default: $CHROMIUM or PATH)"
    )
    parser.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS))
    args = parser.parse_args(argv)
    binary = find_chromium(args.chromium)
    if binary is None:
        print("no chromium found: apt-get install chromium", file=sys.stderr)
        return 2
    if not (args.html / "index.html").exists():
        print(f"no {args.html / 'index.html'}: build the docs first", file=sys.stderr)
        return 2
    _, problems = run(args.html, args.out, binary, args.widths)
    for problem in problems:
        print("FAIL:", problem)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
