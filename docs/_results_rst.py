"""Render the Markdown results files of ``benchmarks/results/`` as reStructuredText.

``docs/conf.py`` calls :func:`write_benchmarks` at build time; it writes
``docs/_benchmarks.rst``, which ``benchmarks.rst`` includes. Each results file
becomes a subsection: its provenance lines (machine, code/commit, command) a field
list, its Markdown pipe tables ``list-table`` directives (wide ones scroll inside
the page), its prose paragraphs, lists and headings (as rubrics), and the ``.png``
figures of the same stem below it.

Only the small Markdown subset the benchmark scripts write is understood: ``#``
headings, paragraphs, ``-``/``1.`` lists, fenced code, pipe tables, and inline
code, bold, italics, links and images. Plain text is escaped, so no results file
can inject reStructuredText markup (or a build warning) into the page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# (file prefix, section title, how many of the newest files to show). A section
# appears only when ``<prefix>_*.md`` (or ``<prefix>.md``) files exist; a file
# belongs to the longest prefix it starts with.
SECTIONS = [
    ("eer_full", "EER on spoofcorpus-dev (bench_eer)", 8),
    ("fusion_subsets", "Fusion of system subsets (fusion_subsets)", 1),
    ("robustness", "Robustness (robustness_*)", 1),
    ("score_files", "Scoring files: windows and timelines (score_files_*)", 1),
    ("demo", "Demo: timeline and saliency (demo_*)", 1),
    ("speed", "Speed and memory (bench_speed)", 1),
    ("efficiency", "Efficiency (efficiency_*)", 1),
    ("onnx", "ONNX export (onnx_*)", 1),
    ("gpu", "GPU training and inference (bench_gpu)", 1),
    ("encoder", "Encoder throughput (bench_encoder)", 1),
    ("logmel", "LogMel throughput (bench_logmel)", 1),
    ("pretrain", "Self-supervised pretraining (bench_pretrain)", 1),
    ("out_of_core", "Training from files: memory and time (bench_out_of_core)", 1),
    ("tune_dev", "Configuration search on dev (tune_dev)", 1),
    ("selection_rules", "Selection rules, written before the runs", 1),
]

_STAMP = re.compile(r"\d{8}T\d{6}Z")
_FIELD = re.compile(r"^(Machine|Code|Commit|Command|Model|Device)\s*:\s+(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$")
_ITEM = re.compile(r"^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$")
_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<code_text>.+?)(?P=ticks))"
    r"|\*\*(?P<bold>\S(?:.*?\S)?)\*\*"
    r"|(?<![\w*])\*(?P<em>[^\s*](?:[^*]*?[^\s*])?)\*(?![\w*])"
    r"|!\[(?P<img_alt>[^\]]*)\]\((?P<img>[^)\s]+)\)"
    r"|\[(?P<link_text>[^\]]+)\]\((?P<link>[^)\s]+)\)"
    r"|<(?P<auto>https?://[^>\s]+)>"
    r"|(?P<url>https?://[^\s<>()|`]+[^\s<>()|`.,;:])"
)
_LANGS = {"python", "py", "bash", "sh", "console", "json", "yaml", "toml", "text"}


def _escape(text: str) -> str:
    """Plain text with every reStructuredText inline markup character escaped."""
    text = re.sub(r"([\\*_`|])", r"\\\1", text)
    return text.replace("::", r":\:")


def _wrap(markup: str, out: list[str], rest: str) -> str:
    """``markup`` set off by escaped spaces where it touches other characters."""
    before = r"\ " if out and not out[-1][-1:].isspace() else ""
    after = r"\ " if rest and not rest[0].isspace() else ""
    return before + markup + after


def inline(text: str) -> str:
    """Markdown inline text (one line) as reStructuredText inline text."""
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            out.append(_escape(text[pos : m.start()]))
        rest = text[m.end() :]
        if m["code"]:
            code = m["code_text"].strip()
            ok = code and "``" not in code and not code.endswith("\\")
            markup = f"``{code}``" if ok else _escape(m["code_text"])
        elif m["bold"]:
            markup = f"**{_escape(m['bold'])}**"
        elif m["em"]:
            markup = f"*{_escape(m['em'])}*"
        elif m["img_alt"] is not None and m["img"]:
            markup = _escape(m["img_alt"] or m["img"])
        elif m["link"]:
            label = _escape(m["link_text"]).replace("<", r"\<")
            is_web = re.match(r"https?://", m["link"])
            markup = f"`{label} <{m['link']}>`__" if is_web else label
        else:
            markup = m["auto"] or m["url"]
        out.append(_wrap(markup, out, rest) if markup else "")
        pos = m.end()
    out.append(_escape(text[pos:]))
    result = "".join(out).strip()
    # A leading "-", "+", "1." or "(a)" would start a list: set it off.
    if result and (not result[0].isalnum() or re.match(r"\w{1,3}[.)](\s|$)", result)):
        if not result.startswith(("\\ ", "``", "**", "`")):
            result = "\\ " + result
    return result


def _cells(line: str) -> list[str]:
    """The cells of a pipe-table row (``|`` inside backticks or escaped is text)."""
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    cells, cur, in_code = [], "", False
    for i, ch in enumerate(line):
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code and (i == 0 or line[i - 1] != "\\"):
            cells.append(cur)
            cur = ""
        else:
            cur += ch
    cells.append(cur)
    return [c.strip().replace("\\|", "|") for c in cells]


def _table(rows: list[list[str]]) -> str:
    width = max(len(r) for r in rows)
    lines = [".. list-table::", "   :header-rows: 1", "   :class: results-table", ""]
    for row in rows:
        row = row + [""] * (width - len(row))
        for j, cell in enumerate(row):
            body = inline(cell)
            lines.append(
                ("   * -" if j == 0 else "     -") + (f" {body}" if body else "")
            )
    return "\n".join(lines)


def _fields(lines: list[str]) -> list[str]:
    """A header paragraph: ``Key: value`` lines as a field list, the rest as text."""
    fields = [f":{m[1]}: {inline(m[2])}" for m in map(_FIELD.match, lines) if m]
    rest = " ".join(ln for ln in lines if not _FIELD.match(ln))
    return ["\n".join(fields)] + ([inline(rest)] if rest else [])


def md_to_rst(text: str) -> str:
    """The Markdown of a results file as reStructuredText body elements."""
    blocks: list[str] = []
    para: list[str] = []
    items: list[tuple[str, list[str]]] = []

    def flush() -> None:
        if para:
            if _FIELD.match(para[0]):
                blocks.extend(_fields(para))
            else:
                blocks.append(inline(" ".join(para)))
            para.clear()
        if items:
            blocks.append("\n".join(f"{m} {inline(' '.join(t))}" for m, t in items))
            items.clear()

    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        fence = _FENCE.match(line)
        if fence:
            flush()
            end = next(
                (
                    j
                    for j in range(i + 1, len(lines))
                    if lines[j].strip().startswith(fence[1])
                ),
                len(lines),
            )
            body = lines[i + 1 : end]
            lang = fence[2].lower() if fence[2].lower() in _LANGS else "text"
            if any(ln.strip() for ln in body):
                code = "\n".join(("   " + ln).rstrip() for ln in body)
                blocks.append(f".. code-block:: {lang}\n\n{code}")
            i = end + 1
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if stripped.startswith("|") and _TABLE_RULE.match(nxt) and "-" in nxt:
            flush()
            rows = [_cells(line)]
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            blocks.append(_table(rows))
            continue
        heading = _HEADING.match(stripped)
        item = _ITEM.match(line)
        if not stripped:
            flush()
        elif heading:
            flush()
            blocks.append(f".. rubric:: {inline(heading[2])}")
        elif para and re.fullmatch(r"=+|-+", stripped):  # setext heading
            title = " ".join(para)
            para.clear()
            flush()
            blocks.append(f".. rubric:: {inline(title)}")
        elif re.fullmatch(r"(\*\s*){3,}|(-\s*){3,}|(_\s*){3,}", stripped):
            flush()  # a thematic break
        elif item:
            if para:
                flush()
            items.append(("-" if item[1] else "#.", [item[3]]))
        elif items and (line[:1].isspace() or not para):
            items[-1][1].append(stripped)
        else:
            para.append(
                stripped.lstrip("> ").strip() if stripped.startswith(">") else stripped
            )
        i += 1
    flush()
    return "\n\n".join(b for b in blocks if b)


def _figures(pngs: list[Path], docs_dir: Path, results: Path) -> str:
    """The figures, side by side where the page is wide enough."""
    rel = Path(os.path.relpath(results, docs_dir))
    lines = [".. container:: results-figures", ""]
    for png in pngs:
        lines += [
            f"   .. figure:: {(rel / png.name).as_posix()}",
            "      :class: results-figure",
            f"      :alt: {png.stem}",
            "",
            f"      ``{png.name}``",
            "",
        ]
    return "\n".join(lines).rstrip()


def _owner(stem: str, prefixes: list[str]) -> str | None:
    """The longest prefix that ``stem`` is ``<prefix>`` or ``<prefix>_...`` of."""
    own = [p for p in prefixes if stem == p or stem.startswith(p + "_")]
    return max(own, key=len) if own else None


def write_benchmarks(results: Path, out: Path) -> None:
    """Write ``out`` (reStructuredText) from the newest results files per section."""
    prefixes = [p for p, _, _ in SECTIONS]
    md = sorted(results.glob("*.md"))
    png = sorted(results.glob("*.png"))
    sections = []
    for prefix, title, newest in SECTIONS:
        files = [f for f in md if _owner(f.stem, prefixes) == prefix]
        if not files:
            continue
        shown = list(reversed(files[-newest:]))
        # Figures without a stamp (eer_full_det.png) are rewritten by every run:
        # they belong to the newest file.
        unstamped = [
            p
            for p in png
            if _owner(p.stem, prefixes) == prefix and not _STAMP.search(p.stem)
        ]
        parts = [f"{title}\n{'-' * len(title)}"]
        for k, path in enumerate(shown):
            head = f"``{path.name}``" + (
                " (newest)" if k == 0 and len(shown) > 1 else ""
            )
            parts.append(f"{head}\n{'~' * len(head)}")
            body = md_to_rst(path.read_text(encoding="utf-8"))
            parts.append(body or "(empty results file)")
            own = [
                p
                for p in png
                if p.stem == path.stem or p.stem.startswith(path.stem + "_")
            ]
            # DET curves first: they are what a reader compares systems on.
            figures = sorted(
                own + (unstamped if k == 0 else []), key=lambda p: "det" not in p.stem
            )
            if figures:
                parts.append(_figures(figures, out.parent, results))
        sections.append("\n\n".join(parts))
    text = "\n\n".join(sections) or "No results committed yet."
    out.write_text(text + "\n", encoding="utf-8")
