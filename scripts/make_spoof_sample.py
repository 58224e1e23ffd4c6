"""Build the small real sample behind ``sklearn_ssastcl.datasets.load_spoof_sample``.

Draws 72 clips from the spoofcorpus-dev corpus: 40 from its train part (16 bona
fide, 6 of each of A01-A04) and 32 from its eval part (12 bona fide, 3 of each of
A01-A04, 4 of each of the unseen A05/A06), spread over speakers and, in eval,
over coded/uncoded clips. Each clip keeps its first ``--max-seconds`` seconds;
the 16-bit samples are copied unchanged into 16-bit FLAC. Writes the FLAC
files, ``metadata.csv`` and ``README.md`` (attribution and licences of the
sources present) into ``sklearn_ssastcl/datasets/data/spoof_sample/``.

The selection depends only on ``--seed`` and the corpus, so a rerun gives the
same clips and samples::

    python scripts/make_spoof_sample.py --corpus ../shared/data/spoofcorpus-dev
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "spoofcorpus-dev"
DEFAULT_OUT = REPO / "sklearn_ssastcl" / "datasets" / "data" / "spoof_sample"
SAMPLE_RATE = 16000
# (corpus part, subset name in the sample, {system: number of clips})
PLAN = [
    ("train", "train", {"-": 16, "A01": 6, "A02": 6, "A03": 6, "A04": 6}),
    (
        "eval",
        "eval",
        {"-": 12, "A01": 3, "A02": 3, "A03": 3, "A04": 3, "A05": 4, "A06": 4},
    ),
]
TTS_SYSTEMS = {"A03", "A04"}
COLUMNS = ["utterance_id", "speaker", "attack", "label", "subset", "codec", "source"]


def pick(rows: list[dict], n: int, rng: np.random.Generator, strata) -> list[dict]:
    """Draw ``n`` rows round-robin over shuffled strata, each shuffled too."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r["utt"]):
        groups[strata(row)].append(row)
    keys = sorted(groups)
    keys = [keys[i] for i in rng.permutation(len(keys))]
    queues = [[groups[k][i] for i in rng.permutation(len(groups[k]))] for k in keys]
    chosen: list[dict] = []
    while len(chosen) < n:
        if not any(queues):
            raise ValueError(f"only {len(chosen)} rows available, {n} requested")
        for queue in queues:
            if queue and len(chosen) < n:
                chosen.append(queue.pop(0))
    return chosen


def select(metadata: list[dict], seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    chosen = []
    for part, subset, counts in PLAN:
        for system, n in counts.items():
            rows = [r for r in metadata if r["part"] == part and r["system"] == system]
            if part == "eval":
                strata = lambda r: (r["codec"] != "none", r["speaker"])  # noqa: E731
            else:
                strata = lambda r: (r["speaker"],)  # noqa: E731
            for row in pick(rows, n, rng, strata):
                chosen.append({**row, "subset": subset})
    return chosen


def source_table(readme: str) -> dict[tuple[str, str], dict]:
    """Parse the corpus README's bona fide source table, keyed by (speaker, lang)."""
    table = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and re.fullmatch(r"LA_\d{4}", cells[0]):
            speaker, voice, lang, package, licence = cells[:5]
            table[(speaker, lang)] = {
                "voice": voice,
                "package": package,
                "licence": licence,
            }
    return table


def write_readme(out: Path, chosen: list[dict], sources: dict, max_seconds: float):
    counts = defaultdict(int)
    for row in chosen:
        counts[(row["subset"], row["system"])] += 1
    systems = sorted({r["system"] for r in chosen})
    header = "| subset | " + " | ".join("bonafide" if s == "-" else s for s in systems)
    lines = [header + " | total |", "|---" * (len(systems) + 2) + "|"]
    for _, subset, _ in PLAN:
        cells = [str(counts[(subset, s)]) for s in systems]
        total = sum(counts[(subset, s)] for s in systems)
        lines.append(f"| {subset} | " + " | ".join(cells) + f" | {total} |")
    codecs = defaultdict(int)
    for row in chosen:
        if row["subset"] == "eval":
            codecs[row["codec"]] += 1
    codec_text = ", ".join(f"{c} {k}" for c, k in sorted(codecs.items()))

    derived = sorted({r["source"] for r in chosen if r["system"] not in TTS_SYSTEMS})
    attribution = []
    for source in derived:
        info = sources[source]
        attribution.append(
            f"* {info['voice']} — {info['licence']} (Debian package "
            f"{info['package'].strip('`').replace('Debian `', '')}; source id "
            f"`{source}`)"
        )
    text = f"""# spoof_sample — a small real sample for spoofed-speech detection

{len(chosen)} short clips (16 kHz, mono, 16-bit FLAC, at most {max_seconds:g} s each)
drawn from the spoofcorpus-dev corpus by `scripts/make_spoof_sample.py`
(seeded, deterministic). **This is NOT ASVspoof data**: bona fide clips are real
human speech from freely licensed packages; spoofed clips were made with
open-source vocoders and TTS engines. It is meant for examples, doctests and
quick checks, far too small for a meaningful evaluation.

Subsets: `train` comes from the corpus train part (attacks A01-A04), `eval`
from its eval part, with the unseen attacks A05 and A06 and clips passed through
a codec (eval codecs: {codec_text}). Each clip keeps its first {max_seconds:g} s.

{chr(10).join(lines)}

Attacks: A01 WORLD vocoder copy-synthesis; A02 Griffin-Lim from log-mel;
A03 espeak-ng TTS; A04 flite TTS; A05 LPC resynthesis (unseen); A06
WORLD-based voice conversion (unseen). Both classes went through the same
channel simulation, trimming, padding, loudness normalisation and noise floor.

`metadata.csv` columns: utterance_id (the corpus ID, file `<id>.flac`), speaker,
attack (`-` for bona fide), label (`bonafide`/`spoof`), subset (`train`/`eval`),
codec (`none`, `alaw`, `ulaw`, `gsm`, `opus`), source (the recording source the
clip belongs to or targets).

## Licences and attribution

Bona fide audio and the copy-synthesis spoofs (A01, A02, A05, A06) derived from
it come from these sources (only those present in this sample):

{chr(10).join(attribution)}

Modified clips (cut, level-normalised, coded) and the spoofs derived from them
are redistributed under the terms of their source; the collection as a whole
follows CC-BY-SA-3.0 where Share-Alike material is included and the GPL where
GPL material is included. TTS engines used for A03/A04: espeak-ng (GPL-3), flite
(BSD-like).
"""
    (out / "README.md").write_text(text, encoding="utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument("--max-seconds", type=float, default=4.0)
    args = parser.parse_args(argv)

    corpus = args.corpus
    metadata = [
        json.loads(line)
        for line in (corpus / "metadata.jsonl").read_text().splitlines()
        if line.strip()
    ]
    table = source_table((corpus / "README.md").read_text(encoding="utf-8"))
    sources = {
        r["source"]: table[(r["speaker"], r["lang"])]
        for r in metadata
        if r["key"] == "bonafide"
    }
    chosen = select(metadata, args.seed)
    chosen.sort(key=lambda r: (r["subset"] != "train", r["utt"]))

    out = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    max_len = int(round(args.max_seconds * SAMPLE_RATE))
    with open(out / "metadata.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in chosen:
            folder = corpus / "LA" / f"ASVspoof2019_LA_{row['part']}" / "flac"
            data, rate = sf.read(folder / f"{row['utt']}.flac", dtype="int16")
            if rate != SAMPLE_RATE or data.ndim != 1:
                raise ValueError(f"{row['utt']}: expected mono {SAMPLE_RATE} Hz")
            sf.write(
                out / f"{row['utt']}.flac",
                data[:max_len],
                SAMPLE_RATE,
                format="FLAC",
                subtype="PCM_16",
            )
            label = "bonafide" if row["key"] == "bonafide" else "spoof"
            writer.writerow(
                [
                    row["utt"],
                    row["speaker"],
                    row["system"],
                    label,
                    row["subset"],
                    row["codec"],
                    row["source"],
                ]
            )
    write_readme(out, chosen, sources, args.max_seconds)
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {len(chosen)} clips to {out} ({size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
