"""Named SSAST-CL configurations ("recipes"), importable in one place.

The estimator's own defaults (``SSASTCLClassifier()``) are a generic starting point
(the released tiny SSAST size, 10 stage I epochs at lr 1e-4, no augmentation). The
recipes are complete configurations with a front end and augmentation:

- ``"small"``: the CPU recipe chosen on the dev part of spoofcorpus-dev by
  ``benchmarks/tune_dev.py`` (ours; ``benchmarks/results/tune_dev_*.md``): a 2-block,
  width-64 encoder on (128, 2) patches trained from scratch, 6 stage I epochs of 600
  pairs at lr 1e-3 with warm-up and cosine decay, standardised embeddings, a 60-epoch
  MLP head; 300-frame log-mel, FIR + RawBoost and SpecAugment. The command line
  (``ssastcl train``) and ``benchmarks/bench_eer.py`` use it.
- ``"paper"``: the base-size setting of Goel et al. (2023): the base SSAST encoder
  (16x16 patches, 400 frames), 10 stage I epochs at lr 1e-5, a 30-epoch head,
  RawBoost + FIR augmentation. It needs a pretrained SSAST checkpoint
  (``pretrained=...``) to mean what the paper means, and a GPU to be practical.

References
----------
.. [1] A. Goel, M. Singh, P. Sharma, "SSAST-CL: a self-supervised audio spectrogram
   transformer with contrastive learning for spoofed speech detection",
   Interspeech 2023.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["AUGMENTATIONS", "PRESETS", "make_augment", "make_recipe"]

_SMALL = {
    "model_size": None,
    "embed_dim": 64,
    "depth": 2,
    "num_heads": 1,
    "kernel_size": (128, 2),
    "loss": "contrastive",
    "cross_attention": True,
    "alpha": 1.0,
    "margin": 1.0,
    "max_epochs": 6,
    "pairs_per_epoch": 600,
    "head_epochs": 60,
    "head_batch_size": 32,
    "batch_size": 16,
    "lr": 1e-3,
    "lr_schedule": "cosine",
    "warmup_epochs": 1.0,
    "standardize_embeddings": True,
}
_PAPER = {
    "model_size": "base",
    "loss": "contrastive",
    "cross_attention": True,
    "max_epochs": 10,
    "head_epochs": 30,
    "batch_size": 16,
    "lr": 1e-5,
}

#: Classifier parameters and LogMel parameters of each recipe (read-only).
PRESETS = MappingProxyType(
    {
        "small": MappingProxyType(
            {
                "params": MappingProxyType(_SMALL),
                "frontend": MappingProxyType(
                    {"target_length": 300, "pad_mode": "repeat"}
                ),
                "augment": "fir+rawboost",
            }
        ),
        "paper": MappingProxyType(
            {
                "params": MappingProxyType(_PAPER),
                "frontend": MappingProxyType(
                    {"target_length": 400, "pad_mode": "repeat"}
                ),
                "augment": "fir+rawboost",
            }
        ),
    }
)

#: Names :func:`make_augment` knows.
AUGMENTATIONS = (
    "fir+rawboost",
    "fir+codec+rawboost",
    "rawboost",
    "fir",
    "codec",
    "none",
)


def make_augment(name: str = "fir+rawboost"):
    """The waveform augmentation chain of a name (a fresh draw each epoch).

    Parameters
    ----------
    name : str, default="fir+rawboost"
        One of :data:`AUGMENTATIONS`: FIR filter (p 0.5), RawBoost algorithm 5
        (p 0.7), GSM / Opus / G.711 codec (p 0.5), or ``"none"``.

    Returns
    -------
    callable or None
        The augmenter, None for ``"none"``.
    """
    from sklearn_ssastcl.augment import Codec, Compose, FIRFilter, RawBoost

    if name not in AUGMENTATIONS:
        raise ValueError(
            f"Unknown augmentation {name!r}; choose one of {list(AUGMENTATIONS)}."
        )
    steps = {
        "fir": FIRFilter(p=0.5),
        "codec": Codec(p=0.5),
        "rawboost": RawBoost(algo=5, p=0.7),
    }
    parts = [] if name == "none" else name.split("+")
    if not parts:
        return None
    if len(parts) == 1:
        return steps[parts[0]]
    return Compose([steps[p] for p in parts])


def make_recipe(preset: str = "small", *, augment=None, frontend=None, **overrides):
    """A detector configured as a named recipe, with overrides.

    ``SSASTCLClassifier`` by default; ``loss="ce"`` gives the cross-entropy
    baseline ``SSASTCEClassifier`` with the recipe's shared settings (encoder,
    front end, augmentation, ``max_epochs``, ``lr``, ...). Its parameters of the
    contrastive stages (``pairs_per_epoch``, ``head_epochs``, ...), from the
    recipe or the overrides, are then dropped, so that one call can build
    both systems of a comparison.

    Parameters
    ----------
    preset : {"small", "paper"}, default="small"
        Which recipe (see the module docstring).
    augment : str, callable or None, default=None
        Waveform augmentation: a name of :data:`AUGMENTATIONS`, an augmenter,
        or None for the recipe's own. SpecAugment is added unless the name is
        ``"none"`` (pass ``spec_augment=`` to choose it yourself).
    frontend : dict or LogMel or None, default=None
        LogMel parameters replacing the recipe's (a dict), or a front end.
    **overrides
        ``SSASTCLClassifier`` parameters replacing the recipe's, e.g.
        ``random_state=0``, ``loss="ce"`` for the cross-entropy baseline.

    Returns
    -------
    SSASTCLClassifier or SSASTCEClassifier
        Unfitted.

    Examples
    --------
    >>> from sklearn_ssastcl.recipe import make_recipe
    >>> clf = make_recipe(random_state=0)
    >>> clf.embed_dim, clf.kernel_size, clf.frontend.target_length
    (64, (128, 2), 300)
    >>> ce = make_recipe(loss="ce", augment="none")
    >>> type(ce).__name__, ce.spec_augment is None
    ('SSASTCEClassifier', True)
    """
    from sklearn_ssastcl import LogMel, SSASTCEClassifier, SSASTCLClassifier
    from sklearn_ssastcl.augment import SpecAugment

    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; choose one of {list(PRESETS)}.")
    recipe = PRESETS[preset]
    params = dict(recipe["params"])
    if overrides.get("pretrained"):
        # The architecture comes from the checkpoint.
        for key in ("embed_dim", "depth", "num_heads", "kernel_size"):
            params.pop(key, None)
        params["model_size"] = overrides.get("model_size") or "tiny"
    params.update(overrides)
    if isinstance(params.get("kernel_size"), list):
        params["kernel_size"] = tuple(params["kernel_size"])
    if frontend is None or isinstance(frontend, dict):
        frontend = LogMel(**{**recipe["frontend"], **(frontend or {})})
    name = recipe["augment"] if augment is None else augment
    if isinstance(name, str):
        params.setdefault("augment", make_augment(name))
        params.setdefault("spec_augment", None if name == "none" else SpecAugment())
    else:
        params.setdefault("augment", name)
        params.setdefault("spec_augment", SpecAugment())
    if params.get("loss") == "ce":
        shared = SSASTCEClassifier().get_params(deep=False)
        params = {k: v for k, v in params.items() if k in shared}
        return SSASTCEClassifier(frontend=frontend, **params)
    return SSASTCLClassifier(frontend=frontend, **params)
