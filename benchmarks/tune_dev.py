"""Tune SSASTCLClassifier on the spoofcorpus-dev DEV part (eval is never read).

Trains on the train part, passes dev as ``X_val`` (as ``bench_eer.py`` does: best-epoch
selection and threshold on dev) and records, per configuration, the dev EER of
``decision_function``, the fit time, the stage-I probe EER per epoch and the dev EER
of a logistic regression on the encoder's pooled embeddings. Because dev also selects
the best epoch, the neural dev EERs are slightly optimistic; the CE and contrastive
variants share that bias, the log-mel baseline (``--baseline``) does not select.

Features (log-mel, ``LogMel(target_length=300, pad_mode="repeat")``) are computed
once and cached in ``--cache``; ``--augment`` instead trains on the waveforms with
bench_eer.py's FIR + RawBoost augmentation (features recomputed each epoch). One
configuration per process, ``torch.set_num_threads(1)``; run two processes side by
side at most (the 2-core machine is shared: compare fit times within a batch only).

Commands::

    python benchmarks/tune_dev.py --baseline
    python benchmarks/tune_dev.py --name frame64 --config '{"kernel_size": [128, 2]}'
    python benchmarks/tune_dev.py --report    # results/tune_dev_<stamp>.md/.json

Each run appends a line (with its commit and command) to ``--out``'s
``tune_dev_runs.jsonl``; ``--report`` gathers that file. The corpus: ``--corpus``,
else ``$SSASTCL_CORPUS``, else ``../shared/data/spoofcorpus-dev``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    RESULTS,
    ResultsWriter,
    Stopwatch,
    command_line,
    corpus_dir,
    git_state,
)

LOG_NAME = "tune_dev_runs.jsonl"  # one line per run, in --out


def _load_corpus(corpus: Path) -> dict:
    """``bench_eer.load_corpus`` (waveforms, labels, attacks of each part)."""
    from bench_eer import load_corpus

    return load_corpus(corpus)


def features(cache: Path, target_length: int, pad_mode: str, corpus: Path) -> dict:
    """Train and dev log-mel features and labels (cached as .npz)."""
    path = cache / f"feat_{target_length}_{pad_mode}.npz"
    if not path.exists():
        from sklearn_ssastcl import LogMel

        data = _load_corpus(corpus)
        logmel = LogMel(target_length=target_length, pad_mode=pad_mode)
        out = {}
        for part in ("train", "dev"):  # never eval
            out[f"{part}_X"] = logmel.transform(data[part]["waveforms"])
            out[f"{part}_y"] = data[part]["labels"]
            out[f"{part}_a"] = data[part]["attacks"]
        cache.mkdir(parents=True, exist_ok=True)
        np.savez(path, **out)
    d = np.load(path, allow_pickle=True)
    return {k: d[k] for k in d.files}


def _degrade_half(waveforms: list, channel, seed: int) -> list:
    """Pass a seeded half of the clips (one draw per clip) through ``channel``."""
    out = []
    for i, w in enumerate(waveforms):
        rng = np.random.default_rng([seed, i])
        out.append(channel(w, rng) if rng.random() < 0.5 else w)
    return out


def codec_dev(waveforms: list) -> list:
    """Half of the dev clips (seeded per clip) through GSM, Opus, mu-law or a-law.

    The codecs eval uses (corpus README), run with
    :class:`~sklearn_ssastcl.augment.Codec` on dev audio only.
    """
    from sklearn_ssastcl.augment import Codec

    return _degrade_half(waveforms, Codec(p=1.0), seed=20261127)


def code_dev(waveforms: list) -> list:
    """Half of the dev clips (seeded per clip) through an 8 kHz G.711 channel.

    A stand-in for eval's codec degradation (a-law / mu-law at 8 kHz, GSM, Opus on
    about half of the clips, the corpus README), built from dev
    audio only with :class:`~sklearn_ssastcl.augment.TelephoneChannel`: 8 kHz,
    mu-law or a-law, then a 50-3800 Hz band-pass (what an 8 kHz link keeps).
    """
    from sklearn_ssastcl.augment import TelephoneChannel

    channel = TelephoneChannel(p=1.0, band=(50, 3800), companding=("mulaw", "alaw"))
    return _degrade_half(waveforms, channel, seed=20261126)


def coded_dev(
    d: dict,
    cache: Path,
    target_length: int,
    pad_mode: str,
    corpus: Path,
    kind: str = "g711",
):
    """``d`` with coded dev features, and the coded dev waveforms."""
    from sklearn_ssastcl import LogMel

    code = code_dev if kind == "g711" else codec_dev
    waves = code(_load_corpus(corpus)["dev"]["waveforms"])
    suffix = "codeddev" if kind == "g711" else "codecdev"
    path = cache / f"feat_{target_length}_{pad_mode}_{suffix}.npy"
    if not path.exists():
        logmel = LogMel(target_length=target_length, pad_mode=pad_mode)
        np.save(path, logmel.transform(waves))
    return {**d, "dev_X": np.load(path)}, waves


def dev_eer(y, scores) -> float:
    from sklearn_ssastcl.metrics import compute_eer

    bona = np.asarray(y) == "bonafide"
    return float(compute_eer(scores[bona], scores[~bona])[0])


def lr_dev_eer(f_train, y_train, f_dev, y_dev) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    model.fit(f_train, y_train == "bonafide")
    return dev_eer(y_dev, model.decision_function(f_dev))


def embeddings(encoder, X: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Pooled encoder embeddings ``(n, embed_dim)`` of spectrograms ``X``."""
    import torch

    encoder.eval()
    with torch.no_grad():
        return np.concatenate(
            [
                encoder(torch.as_tensor(X[i : i + batch_size], dtype=torch.float32))
                .float()
                .numpy()
                for i in range(0, len(X), batch_size)
            ]
        )


def run(args: argparse.Namespace) -> dict:
    """Fit one configuration on train, select on dev; the dev figures."""
    import torch

    torch.set_num_threads(1)
    from sklearn_ssastcl import SSASTCLClassifier

    d = features(args.cache, args.target_length, args.pad_mode, args.corpus)
    dev_waves = None
    if args.coded_dev or args.codec_dev:
        d, dev_waves = coded_dev(
            d,
            args.cache,
            args.target_length,
            args.pad_mode,
            args.corpus,
            "g711" if args.coded_dev else "codecs",
        )
    if args.baseline:

        def stats(X):
            return np.concatenate([X.mean(axis=1), X.std(axis=1)], axis=1)

        with Stopwatch() as fit:
            f_train, f_dev = stats(d["train_X"]), stats(d["dev_X"])
            eer = lr_dev_eer(f_train, d["train_y"], f_dev, d["dev_y"])
        return {"dev_eer": eer, "fit_seconds": fit.seconds}
    params = {
        "model_size": None,
        "embed_dim": 64,
        "depth": 2,
        "num_heads": 1,
        "random_state": args.seed,
    }
    params.update(json.loads(args.config))
    for key in ("kernel_size", "stride", "pair_mix"):
        if isinstance(params.get(key), list):
            params[key] = tuple(params[key])
    X_train, X_dev = d["train_X"], d["dev_X"]
    if args.augment:  # as bench_eer.py: waveforms, LogMel frontend, FIR + RawBoost
        from sklearn_ssastcl import LogMel
        from sklearn_ssastcl.augment import (
            Codec,
            Compose,
            FIRFilter,
            RawBoost,
            TelephoneChannel,
        )

        data = _load_corpus(args.corpus)
        X_train, X_dev = data["train"]["waveforms"], data["dev"]["waveforms"]
        if dev_waves is not None:
            X_dev = dev_waves
        params["frontend"] = LogMel(
            target_length=args.target_length, pad_mode=args.pad_mode, f_max=args.f_max
        )
        steps = [FIRFilter(p=0.5), RawBoost(algo=5, p=0.7)]
        if args.telephone:
            steps.insert(1, TelephoneChannel(p=args.telephone))
        if args.codec:
            steps.insert(1, Codec(p=args.codec))
        params["augment"] = Compose(steps)
    if args.spec_augment:
        from sklearn_ssastcl.augment import SpecAugment

        params["spec_augment"] = SpecAugment()
    clf = SSASTCLClassifier(**params)
    with Stopwatch() as fit:
        groups = None
        if args.speaker_pairs:
            from sklearn_ssastcl.datasets import load_asvspoof

            groups = load_asvspoof(args.corpus, part="train")["speaker"].to_numpy()
        clf.fit(
            X_train,
            d["train_y"],
            X_val=X_dev,
            y_val=d["dev_y"],
            attacks=d["train_a"],
            groups=groups,
        )
    fit_seconds = fit.seconds
    scores = clf.decision_function(X_dev)
    if args.f_max is not None:  # the cached features are full-band: recompute
        d = {
            **d,
            "train_X": clf.frontend.transform(X_train),
            "dev_X": clf.frontend.transform(X_dev),
        }
    z_train = embeddings(clf.encoder_, d["train_X"])
    z_dev = embeddings(clf.encoder_, d["dev_X"])
    history = clf.history_
    return {
        "dev_eer": dev_eer(d["dev_y"], scores),
        "dev_eer_lr_on_embeddings": lr_dev_eer(
            z_train, d["train_y"], z_dev, d["dev_y"]
        ),
        "fit_seconds": fit_seconds,
        "stage1_valid_eer": [row.get("valid_eer") for row in history],
        "stage1_train_loss": [row.get("train_loss") for row in history],
        "head_valid_eer_best": min(
            (row["valid_eer"] for row in clf.head_net_.history if "valid_eer" in row),
            default=None,
        ),
        "params": {k: repr(v) for k, v in params.items()},
    }


def _dev_kind(run: dict) -> str:
    if run.get("codec_dev"):
        return "codecs"
    return "g711" if run.get("coded_dev") else "clean"


def report(out: Path, argv: list[str] | None = None) -> Path:
    """Gather the logged runs into ``tune_dev_<stamp>.json`` and ``.md``."""
    log = out / LOG_NAME
    if not log.is_file():
        raise FileNotFoundError(
            f"No runs logged in {str(log)!r}: run configurations first (without "
            "--report), with the same --out."
        )
    writer = ResultsWriter("tune_dev", __file__, argv, out=out)
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    record = {
        "note": (
            "train on train, select (best epoch, threshold) on dev, dev EER; eval "
            "never read. Shared 2-core CPU, 1 thread per run, up to 2 runs side by "
            "side plus other engineers' jobs: fit times are rough; compare within "
            "a batch."
        ),
        "runs": rows,
    }
    lines = [
        record["note"],
        "",
        "Base config (unless overridden): `SSASTCLClassifier(model_size=None, "
        "embed_dim=64, depth=2, num_heads=1, random_state=seed)` on "
        "`LogMel(target_length=300, pad_mode='repeat')` features. aug = FIR + "
        "RawBoost waveform augmentation (tel: with TelephoneChannel(p) after the "
        "FIR filter), spec = SpecAugment(); spk = speaker-aware pairs "
        "(fit(groups=speakers)); f_max = LogMel(f_max=...).",
        "",
        "| # | name | config | seed | aug | tel | codec | spec | spk | f_max | dev "
        "| dev EER % | LR on embeddings % | fit s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(rows):
        emb = r.get("dev_eer_lr_on_embeddings")
        lines.append(
            f"| {i} | {r['name']} | `{r['config']}` | {r['seed']} | "
            f"{'y' if r.get('augment') else '-'} | "
            f"{r.get('telephone') or '-'} | {r.get('codec') or '-'} | "
            f"{'y' if r.get('spec_augment') else '-'} | "
            f"{'y' if r.get('speaker_pairs') else '-'} | "
            f"{r.get('f_max') or '-'} | "
            f"{_dev_kind(r)} | "
            f"{100 * r['dev_eer']:.2f} | "
            f"{'-' if emb is None else f'{100 * emb:.2f}'} | {r['fit_seconds']:.0f} |"
        )
    title = "SSAST-CL tuning on spoofcorpus-dev DEV (eval never used)"
    path = writer.write(record, "\n".join(lines), title=title, indent=1)
    print("\n".join(lines))
    print(f"wrote {path} and {path.with_suffix('.md')}")
    return path


def main(argv: list[str] | None = None) -> int:
    """Run one configuration and log it, or (``--report``) write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", default="run")
    parser.add_argument(
        "--config", default="{}", help="JSON of SSASTCLClassifier parameters"
    )
    parser.add_argument(
        "--spec-augment", action="store_true", help="SpecAugment() on each batch"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target-length", type=int, default=300)
    parser.add_argument("--pad-mode", default="repeat", choices=["repeat", "zero"])
    parser.add_argument("--baseline", action="store_true", help="log-mel stats + LR")
    parser.add_argument(
        "--augment",
        action="store_true",
        help="train on waveforms with FIR + RawBoost, as bench_eer.py's ssastcl/ce",
    )
    parser.add_argument(
        "--telephone",
        type=float,
        default=0.0,
        help="with --augment: add TelephoneChannel(p=P) after the FIR filter",
    )
    parser.add_argument(
        "--coded-dev",
        action="store_true",
        help="select on dev with half its clips through an 8 kHz G.711 channel",
    )
    parser.add_argument(
        "--codec-dev",
        action="store_true",
        help="select on dev with half its clips through GSM / Opus / G.711 (Codec)",
    )
    parser.add_argument(
        "--codec",
        type=float,
        default=0.0,
        help="with --augment: add Codec(p=P) after the FIR filter",
    )
    parser.add_argument(
        "--speaker-pairs",
        action="store_true",
        help="pass the train speakers as fit(groups=...) (speaker-aware pairs)",
    )
    parser.add_argument(
        "--f-max",
        type=float,
        default=None,
        help="with --augment: LogMel(f_max=F), e.g. 4000 for the telephone band",
    )
    parser.add_argument(
        "--corpus", type=Path, default=None, help="default: $SSASTCL_CORPUS"
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/ssastcl_tune"))
    parser.add_argument("--report", action="store_true")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"holds {LOG_NAME} and the report"
    )
    args = parser.parse_args(argv)
    if args.report:
        report(args.out, argv)
        return 0
    args.corpus = corpus_dir(args.corpus)
    result = run(args)
    result.update(
        name="logmel_lr" if args.baseline else args.name,
        config=args.config,
        seed=args.seed,
        target_length=args.target_length,
        pad_mode=args.pad_mode,
        augment=args.augment,
        telephone=args.telephone,
        coded_dev=args.coded_dev,
        codec_dev=args.codec_dev,
        codec=args.codec,
        spec_augment=args.spec_augment,
        speaker_pairs=args.speaker_pairs,
        f_max=args.f_max,
        time=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        commit=git_state()["commit"],
        command=command_line(__file__, argv),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / LOG_NAME).open("a") as f:
        f.write(json.dumps(result) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "params"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
