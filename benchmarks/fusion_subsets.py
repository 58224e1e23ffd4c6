"""Every subset of a bench_eer run's systems, fused on dev, scored on eval (for info).

Reads the dev and eval scores a ``bench_eer.py`` results JSON holds, fits a
``ScoreFusion`` on dev for each subset of two or more systems and seed, and prints
the eval EER (mean ± std over seeds), the EER on the unseen attacks A05-A06 and the
in-sample dev EER, sorted by eval EER. The ranking uses eval, so it selects nothing:
it shows how far dev-fitted linear fusion of these members can go at best, next to
the member choice made on dev only (``bench_eer``). spoofcorpus-dev, not ASVspoof.

Command that produced the committed table::

    python benchmarks/fusion_subsets.py \
        benchmarks/results/eer_full_20261206T024525Z.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np
from _common import corpus_dir


def main(argv: list[str] | None = None) -> int:
    """Print the table of every subset (sorted by eval EER)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="a bench_eer results JSON")
    parser.add_argument(
        "--corpus", type=Path, default=None, help="default: $SSASTCL_CORPUS"
    )
    args = parser.parse_args(argv)
    args.corpus = corpus_dir(args.corpus)

    from sklearn_ssastcl.datasets import load_asvspoof
    from sklearn_ssastcl.fusion import ScoreFusion
    from sklearn_ssastcl.metrics import eer_score

    record = json.loads(args.results.read_text())
    y_dev = load_asvspoof(args.corpus, part="dev")["label"].to_numpy()
    frame = load_asvspoof(args.corpus, part="eval")
    y_eval = frame["label"].to_numpy()
    unseen = np.isin(frame["attack"], ["A05", "A06"]) | (y_eval == "bonafide")
    names = [n for n in record["dev_scores"] if n != "fusion"]
    seeds = sorted(record["dev_scores"][names[0]])
    rows = []
    for k in range(2, len(names) + 1):
        for combo in itertools.combinations(names, k):
            ev, un, dv = [], [], []
            for seed in seeds:
                S_dev = np.column_stack([record["dev_scores"][m][seed] for m in combo])
                S_eval = np.column_stack([record["scores"][m][seed] for m in combo])
                fusion = ScoreFusion().fit(S_dev, y_dev)
                llr = fusion.decision_function(S_eval)
                ev.append(eer_score(y_eval, llr))
                un.append(eer_score(y_eval[unseen], llr[unseen]))
                dv.append(eer_score(y_dev, fusion.decision_function(S_dev)))
            spread = np.std(ev, ddof=1) if len(ev) > 1 else 0.0
            rows.append(
                (
                    100 * np.mean(ev),
                    100 * spread,
                    100 * np.mean(un),
                    100 * np.mean(dv),
                    " + ".join(combo),
                )
            )
    rows.sort()
    git = record.get("git") or {}  # older files: a short "commit"
    commit = (git.get("commit") or record.get("commit") or "unknown")[:10]
    print(
        f"Subsets of {args.results.name} (its runs at commit "
        f"{commit}), fused on dev, seeds {seeds} "
        "(sorted by eval: information, not a selection).\n"
        f"Command: `python benchmarks/fusion_subsets.py {args.results}`\n"
    )
    print("| members | eval EER (%) | unseen A05-A06 (%) | dev EER, in-sample (%) |")
    print("|---|---|---|---|")
    for e, s, u, d, combo in rows:
        print(f"| {combo} | {e:.2f} ± {s:.2f} | {u:.2f} | {d:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
