"""Adversarial and channel robustness of SSAST-CL, CE and SpectralStats (issue 15).

On spoofcorpus-dev (``--corpus``, else ``$SSASTCL_CORPUS``, else
``../shared/data/spoofcorpus-dev``): trains SSAST-CL (``make_recipe()``), the CE
baseline (``make_recipe(loss="ce")``), both with dev as validation, and
``SpectralStatsClassifier`` on train; then

* the white-box adversarial curve (``adversarial.adversarial_curve``, PGD by
  default) of SSAST-CL and CE on a seeded subset of eval clips, from epsilon 0
  up to where the EER reaches 50 % (epsilons are extended by factors of 3, up to
  0.1, until it does);
* the condition report (``robustness.condition_report``) of the three systems on
  eval (all of it, or ``--n-condition-clips`` seeded clips).

Writes ``benchmarks/results/robustness_<UTC stamp>.{json,md,png}`` with machine,
command and git commit.

Full run (about 15-20 minutes on one CPU thread)::

    python benchmarks/bench_robustness.py

Quick check (tiny models, 60 clips per part, under a minute)::

    python benchmarks/bench_robustness.py --quick --out /tmp/robustness
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _common import ResultsWriter, corpus_dir

EPSILONS = (0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3)
QUICK_EPSILONS = (0, 1e-4, 1e-3, 1e-2)
# tiny models for --quick: seconds, not minutes
QUICK = {
    "embed_dim": 16,
    "depth": 1,
    "num_heads": 1,
    "kernel_size": (128, 4),
    "max_epochs": 1,
}


def load_parts(root: Path, quick: bool, seed: int) -> dict:
    """Waveforms, labels and attacks of train, dev and eval (60 clips each when
    ``quick``)."""
    from sklearn_ssastcl.datasets import load_asvspoof, load_audio

    rng = np.random.default_rng(seed)
    parts = {}
    for part in ("train", "dev", "eval"):
        frame = load_asvspoof(root, part=part)
        if quick:
            frame = frame.iloc[np.sort(rng.permutation(len(frame))[:60])]
        parts[part] = {
            "waveforms": [load_audio(p) for p in frame["path"]],
            "labels": frame["label"].to_numpy(),
            "attacks": frame["attack"].to_numpy(),
        }
    return parts


def train_systems(data: dict, args) -> tuple[dict, dict]:
    """Fitted SSAST-CL, CE and SpectralStats, and their fit times in seconds."""
    from sklearn_ssastcl.classic import SpectralStatsClassifier
    from sklearn_ssastcl.recipe import make_recipe

    extra = {"random_state": args.seed, "verbose": 0}
    frontend = None
    if args.quick:
        extra |= QUICK
        frontend = {"target_length": 100}
    train, dev = data["train"], data["dev"]
    systems = {
        "ssastcl": make_recipe(
            frontend=frontend,
            **extra,
            **({"pairs_per_epoch": 32, "head_epochs": 5} if args.quick else {}),
        ),
        "ce": make_recipe(loss="ce", frontend=frontend, **extra),
        "spectral_stats": SpectralStatsClassifier(random_state=args.seed),
    }
    seconds = {}
    for name, est in systems.items():
        start = time.perf_counter()
        if name == "spectral_stats":
            est.fit(train["waveforms"], train["labels"])
        else:
            kw = {"attacks": train["attacks"]} if name == "ssastcl" else {}
            est.fit(
                train["waveforms"],
                train["labels"],
                X_val=dev["waveforms"],
                y_val=dev["labels"],
                **kw,
            )
        seconds[name] = time.perf_counter() - start
        print(f"fitted {name} in {seconds[name]:.0f} s", flush=True)
    return systems, seconds


def curve_until_chance(est, clips, y, args):
    """``adversarial_curve`` on ``args.epsilons``, extended by x3 until EER >= 0.5."""
    import pandas as pd

    from sklearn_ssastcl.adversarial import adversarial_curve

    kw = {"attack": args.attack, "target": args.target, "steps": args.steps}
    frame = adversarial_curve(est, clips, y, list(args.epsilons), **kw)
    eps = max(args.epsilons)
    while frame["eer"].iloc[-1] < 0.5 and 0 < eps < 0.1:
        eps = min(3 * eps, 0.1)
        more = adversarial_curve(est, clips, y, [eps], **kw)
        frame = pd.concat([frame, more], ignore_index=True)
    return frame


def markdown(record: dict) -> str:
    import pandas as pd

    adv = pd.DataFrame(record["adversarial"])
    cond = pd.DataFrame(record["conditions"])
    lines = [
        f"Train / dev / eval clips: {record['n_clips']}; fit seconds: "
        + ", ".join(f"{k} {v:.0f}" for k, v in record["fit_seconds"].items())
        + f"; adversarial part {record['adversarial_seconds']:.0f} s, condition "
        f"part {record['condition_seconds']:.0f} s.",
        "",
        f"## Adversarial curve ({record['attack']}, {record['steps']} steps, "
        f"target={record['target']!r}, {record['n_adversarial']} seeded eval clips)",
        "",
        "EER and spoof miss rate (at the detector's dev EER threshold) in %, mean "
        "perturbation SNR in dB; epsilon in full-scale units (L-inf).",
        "",
        "| epsilon | SSAST-CL EER | SSAST-CL spoof miss | SSAST-CL SNR | CE EER "
        "| CE spoof miss | CE SNR |",
        "|---|---|---|---|---|---|---|",
    ]
    eps_all = sorted(set(adv["epsilon"]))
    for eps in eps_all:
        cells = [f"{eps:g}"]
        for system in ("ssastcl", "ce"):
            row = adv[(adv["system"] == system) & (adv["epsilon"] == eps)]
            if row.empty:
                cells += ["-", "-", "-"]
                continue
            r = row.iloc[0]
            cells += [
                f"{100 * r['eer']:.1f}",
                f"{100 * r['spoof_miss_rate']:.1f}",
                "clean" if pd.isna(r["snr_db"]) else f"{r['snr_db']:.1f}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"## Condition report ({record['n_condition_clips']} eval clips; EER %, "
        "minDCF)",
        "",
        "| condition | family | " + " | ".join(record["systems"]) + " |",
        "|---|---|" + "---|" * len(record["systems"]),
    ]
    for name in cond["condition"].unique():
        rows = cond[cond["condition"] == name].set_index("system")
        cells = [
            f"{100 * rows.loc[s, 'eer']:.1f} / {rows.loc[s, 'min_dcf']:.3f}"
            for s in record["systems"]
        ]
        lines.append(
            f"| {name} | {rows['family'].iloc[0]} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n-adversarial", type=int, default=200)
    parser.add_argument("--epsilons", type=float, nargs="+", default=None)
    parser.add_argument("--attack", choices=("pgd", "fgsm"), default="pgd")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--target", choices=("both", "spoof"), default="both")
    parser.add_argument(
        "--n-condition-clips", type=int, default=0, help="0: all eval clips"
    )
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.epsilons is None:
        args.epsilons = QUICK_EPSILONS if args.quick else EPSILONS
    if args.quick:
        args.n_adversarial = min(args.n_adversarial, 20)
        args.steps = min(args.steps, 3)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    import torch

    from sklearn_ssastcl.plotting import plot_adversarial_curve, plot_condition_report
    from sklearn_ssastcl.robustness import condition_report

    torch.set_num_threads(args.threads)
    writer = ResultsWriter("robustness", __file__, argv, out=args.out)
    data = load_parts(corpus_dir(args.corpus), args.quick, args.seed)
    systems, fit_seconds = train_systems(data, args)
    ev = data["eval"]
    y_eval = ev["labels"]
    rng = np.random.default_rng(args.seed)
    pick = np.sort(rng.permutation(len(y_eval))[: args.n_adversarial])
    clips = [ev["waveforms"][i] for i in pick]
    start = time.perf_counter()
    curves = []
    for name in ("ssastcl", "ce"):
        frame = curve_until_chance(systems[name], clips, y_eval[pick], args)
        curves.append(frame.assign(system=name))
        print(frame.to_string(), flush=True)
    adv = pd.concat(curves, ignore_index=True)
    adv_seconds = time.perf_counter() - start
    start = time.perf_counter()
    keep = np.arange(len(y_eval))
    if args.n_condition_clips:
        keep = np.sort(rng.permutation(len(y_eval))[: args.n_condition_clips])
    cond = condition_report(
        systems,
        [ev["waveforms"][i] for i in keep],
        y_eval[keep],
        random_state=args.seed,
    )
    print(cond[["system", "condition", "eer"]].to_string(), flush=True)
    cond_seconds = time.perf_counter() - start

    record = {
        "quick": args.quick,
        "seed": args.seed,
        "attack": args.attack,
        "steps": args.steps,
        "target": args.target,
        "n_adversarial": len(pick),
        "n_condition_clips": len(keep),
        "n_clips": {p: len(d["labels"]) for p, d in data.items()},
        "systems": list(systems),
        "fit_seconds": fit_seconds,
        "adversarial_seconds": adv_seconds,
        "condition_seconds": cond_seconds,
        "adversarial": adv.replace(np.inf, None).to_dict(orient="records"),
        "conditions": cond.to_dict(orient="records"),
    }
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    plot_adversarial_curve(adv, ax=axes[0])
    axes[0].set_title(f"White-box {args.attack.upper()} on eval ({len(pick)} clips)")
    plot_condition_report(cond, ax=axes[1])
    axes[1].set_title(f"EER per condition ({len(keep)} eval clips)", pad=14)
    fig.tight_layout()
    writer.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(writer.path(".png"), dpi=120)
    path = writer.write(record, markdown, title="Robustness (issue 15)")
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
