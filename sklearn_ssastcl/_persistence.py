"""Safe on-disk format of a fitted SSAST detector: tensors and JSON, checked on load.

A model is a folder of two files (documented in ``docs/model_files.rst``):
``weights.pt`` holds tensor state dicts (read with ``torch.load(weights_only=True)``),
``config.json`` the estimator class, package version, architecture, JSON-able
parameters, front end, classes, threshold and calibration, and a sha256 over both.
Nothing named inside the files is ever opened.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from numbers import Real
from pathlib import Path

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from sklearn_ssastcl._net import ClassifierNet
from sklearn_ssastcl._utils import check_device
from sklearn_ssastcl.calibration import ScoreCalibrator
from sklearn_ssastcl.nn._siamese import EncoderClassifier

_ARCH_KEYS = ("embed_dim", "depth", "num_heads", "mlp_ratio", "kernel_size", "stride")


def save_classifier(clf, path) -> None:
    """Write ``weights.pt`` and ``config.json`` for a fitted SSASTCLClassifier."""
    check_is_fitted(clf)
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    enc = clf.encoder_
    arch = {
        "embed_dim": enc.embed_dim,
        "depth": enc.depth,
        "num_heads": enc.num_heads,
        "mlp_ratio": float(enc.blocks[0].mlp.fc1.out_features / enc.embed_dim)
        if enc.depth
        else clf.mlp_ratio,
        "kernel_size": list(enc.kernel_size),
        "stride": list(enc.stride),
    }
    params = {
        k: v
        for k, v in clf.get_params(deep=False).items()
        if _jsonable(v) and k not in _ARCH_KEYS and k not in _PATH_PARAMS
    }
    frontend = None
    if clf.frontend is not None:
        frontend = {
            "module": type(clf.frontend).__module__,
            "name": type(clf.frontend).__name__,
            "params": {
                k: v
                for k, v in clf.frontend.get_params(deep=False).items()
                if _jsonable(v)
            },
        }
    from sklearn_ssastcl import __version__

    config = {
        "format": _FORMAT,
        "estimator": type(clf).__name__,
        "package_version": __version__,
        "arch": arch,
        "params": params,
        "frontend": frontend,
        "classes": clf.classes_.tolist(),
        "threshold": clf.threshold_,
        "calibration": None
        if getattr(clf, "calibrator_", None) is None
        else {
            "coef": float(clf.calibrator_.coef_[0]),
            "intercept": float(clf.calibrator_.intercept_),
        },
        "target_length": clf.target_length_,
        "n_mels": clf.n_mels_,
        "n_features_in": getattr(clf, "n_features_in_", None),
    }
    state = {
        "encoder": {k: v.cpu() for k, v in enc.state_dict().items()},
        "head": {k: v.cpu() for k, v in clf.head_net_.module_.state_dict().items()},
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    weights = buffer.getvalue()
    config["sha256"] = _content_hash(weights, config)
    (folder / "weights.pt").write_bytes(weights)
    (folder / "config.json").write_text(json.dumps(config, indent=2))


def load_classifier(cls, path, *, device: str = "cpu"):
    """Rebuild a fitted ``cls`` from a folder written by :func:`save_classifier`."""
    folder = Path(path)
    config, state = _read_model_files(folder)
    saved_as = config.get("estimator", "SSASTCLClassifier")
    if saved_as != cls.__name__:
        raise ValueError(
            f"{folder / 'config.json'} holds a {saved_as}, not a {cls.__name__}; load "
            f"it with {saved_as}.load_weights or sklearn_ssastcl.load_model."
        )
    arch = config["arch"]
    params = _saved_params(config["params"], folder / "config.json", cls)
    params.update(
        {k: arch[k] for k in ("embed_dim", "depth", "num_heads", "mlp_ratio")},
        kernel_size=tuple(arch["kernel_size"]),
        stride=tuple(arch["stride"]),
        pretrained=None,
        device=device,
        model_size=None,
    )
    if config["frontend"] is not None:
        spec = config["frontend"]
        if spec["module"] != "sklearn_ssastcl._logmel":
            raise ValueError(
                f"Cannot rebuild frontend {spec['name']}; only LogMel is supported."
            )
        from sklearn_ssastcl._logmel import LogMel

        try:
            params["frontend"] = LogMel(**spec["params"])
        except TypeError as exc:
            raise ValueError(
                f"{folder / 'config.json'}: the saved LogMel parameters are not "
                f"valid ({exc}); the file was edited or comes from another "
                "version."
            ) from exc
    clf = cls(**params)
    clf.device_ = check_device(device)
    clf.classes_ = np.asarray(config["classes"])
    clf.threshold_ = float(config["threshold"])
    clf.calibrator_ = _calibrator_from(config.get("calibration"))
    clf.target_length_ = config["target_length"]
    clf.n_mels_ = config["n_mels"]
    if config["n_features_in"] is not None:
        clf.n_features_in_ = config["n_features_in"]
    encoder = clf._build_encoder(clf.target_length_, clf.n_mels_)
    head = clf._new_head(encoder.embed_dim)
    module = EncoderClassifier(encoder, head) if clf._end_to_end else head
    try:
        encoder.load_state_dict(state["encoder"])
        module.load_state_dict(state["head"])
    except RuntimeError as exc:
        raise ValueError(
            f"{folder / 'weights.pt'} does not match the architecture in "
            f"{folder / 'config.json'}: {exc}"
        ) from exc
    net = ClassifierNet(module, device=clf.device_, classes=[0, 1])
    net.initialize()
    net.module_.to(clf.device_)
    encoder.to(clf.device_)
    clf.encoder_, clf.head_net_, clf.encoder_net_ = encoder, net, None
    clf.history_ = None
    return clf


#: Parameters that name files or folders: never saved, never honoured on load.
_PATH_PARAMS = ("feature_cache", "checkpoint_dir", "pretrained")
_FORMAT = "sklearn_ssastcl.SSASTCLClassifier/1"
_CONFIG_KEYS = (
    "format",
    "arch",
    "params",
    "frontend",
    "classes",
    "threshold",
    "target_length",
    "n_mels",
    "n_features_in",
)
_FRONTEND_KEYS = ("module", "name", "params")


def _content_hash(weights: bytes, config: dict) -> str:
    """sha256 over the ``weights.pt`` bytes and the canonical config (no hash)."""
    body = {k: v for k, v in config.items() if k != "sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(weights)
    digest.update(b"\0")
    digest.update(canonical.encode("utf-8"))
    return digest.hexdigest()


def _read_model_files(folder: Path) -> tuple[dict, dict]:
    """Read and check ``config.json`` and ``weights.pt`` of a saved classifier."""
    config_path, weights_path = folder / "config.json", folder / "weights.pt"
    for file in (config_path, weights_path):
        if not file.is_file():
            raise FileNotFoundError(
                f"{file} does not exist; give the folder written by save_weights "
                "or `ssastcl train --out` (copy the whole folder)."
            )
    try:
        config = json.loads(config_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{config_path} is not valid JSON ({exc}).") from exc
    if not isinstance(config, dict) or config.get("format") != _FORMAT:
        raise ValueError(f"{folder} does not hold SSASTCLClassifier weights.")
    weights = weights_path.read_bytes()
    saved_hash = config.get("sha256")
    if saved_hash is None:
        warnings.warn(
            f"{config_path} carries no content hash (saved before hashes were "
            "written), so changes to the model files cannot be detected. Load it "
            "only if you trust it, and save it again with save_weights to add one.",
            UserWarning,
            stacklevel=4,
        )
    elif saved_hash != _content_hash(weights, config):
        raise ValueError(
            f"The model in {folder} was modified or corrupted after save_weights: "
            f"the sha256 in {config_path} does not match {weights_path} and the "
            "config. Save the model again from the fitted estimator."
        )
    _check_keys(config, _CONFIG_KEYS, "", config_path)
    _check_keys(config["arch"], _ARCH_KEYS, "arch.", config_path)
    if config["frontend"] is not None:
        _check_keys(config["frontend"], _FRONTEND_KEYS, "frontend.", config_path)
    if not isinstance(config["params"], dict):
        raise ValueError(f"{config_path}: 'params' must be a JSON object.")
    threshold = config["threshold"]
    if not isinstance(threshold, Real) or not np.isfinite(threshold):
        raise ValueError(
            f"{config_path}: threshold must be a finite number; got {threshold!r}."
        )
    try:
        state = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file
        raise ValueError(
            f"{weights_path} cannot be read as saved weights ({exc})."
        ) from exc
    if not isinstance(state, dict) or not all(
        isinstance(state.get(part), dict) for part in ("encoder", "head")
    ):
        raise ValueError(
            f"{weights_path} does not hold the 'encoder' and 'head' state dicts."
        )
    for part in ("encoder", "head"):
        for name, tensor in state[part].items():
            if not isinstance(tensor, torch.Tensor):
                raise ValueError(f"{weights_path}: {part}.{name} is not a tensor.")
            if tensor.is_floating_point() and not torch.isfinite(tensor).all():
                raise ValueError(
                    f"{weights_path} holds NaN or infinite weights (in {part}."
                    f"{name}); the model is corrupt. Refit it or use another copy."
                )
    return config, state


def _check_keys(mapping, keys, prefix: str, path: Path) -> None:
    if not isinstance(mapping, dict):
        raise ValueError(
            f"{path}: {prefix.rstrip('.') or 'the file'} must be a JSON object."
        )
    missing = [k for k in keys if k not in mapping]
    if missing:
        raise ValueError(
            f"{path} lacks the key {prefix}{missing[0]!r} (missing: "
            f"{', '.join(prefix + k for k in missing)}); the file was edited or "
            "truncated. Save the model again with save_weights."
        )


def _saved_params(params: dict, path: Path, cls) -> dict:
    """The saved estimator parameters, less any that name files or folders."""
    params = dict(params)
    named = {k: params.pop(k) for k in _PATH_PARAMS if k in params}
    named = {k: v for k, v in named.items() if v is not None}
    if named:
        warnings.warn(
            f"{path} names {', '.join(f'{k}={v!r}' for k, v in named.items())}; "
            "paths stored in a model file are ignored on load (nothing they name is "
            "read). Set them on the loaded estimator if you want them.",
            UserWarning,
            stacklevel=4,
        )
    known = set(cls().get_params(deep=False))
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(
            f"{path} holds unknown parameters {unknown}; it was edited or written "
            "by another version of sklearn_ssastcl."
        )
    return params


def _calibrator_from(spec) -> ScoreCalibrator | None:
    """Rebuild a fitted ScoreCalibrator from its saved ``coef`` and ``intercept``."""
    if spec is None:
        return None
    calibrator = ScoreCalibrator()
    calibrator.coef_ = np.array([float(spec["coef"])])
    calibrator.intercept_ = float(spec["intercept"])
    calibrator.classes_ = np.array(["bonafide", "spoof"])
    calibrator.n_features_in_ = 1
    return calibrator


def _jsonable(value) -> bool:
    try:
        json.dumps(value)
    except TypeError:
        return False
    return True
