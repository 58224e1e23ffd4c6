"""``save_weights`` / ``load_weights``: the files are checked before use."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import soundfile as sf
import torch
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_ssastcl import LogMel, SSASTCLClassifier
from tests._tiny import N_FRAMES, TINY, make_spectrograms, one_torch_thread  # noqa: F401

SR = 16000


@pytest.fixture(scope="module")
def spec_model():
    X, y = make_spectrograms(40)
    return SSASTCLClassifier(**TINY).fit(X, y), X


def _save(clf, folder):
    clf.save_weights(folder)
    return json.loads((folder / "config.json").read_text())


def _write_config(folder, config, *, rehash: bool):
    """Write ``config`` back, with a valid hash when ``rehash``, else without one."""
    config = {k: v for k, v in config.items() if k != "sha256"}
    if rehash:
        from sklearn_ssastcl._persistence import _content_hash

        config["sha256"] = _content_hash((folder / "weights.pt").read_bytes(), config)
    (folder / "config.json").write_text(json.dumps(config, indent=2))


def test_round_trip_is_hashed_and_loads_cleanly(spec_model, tmp_path):
    clf, X = spec_model
    config = _save(clf, tmp_path / "m")
    assert len(config["sha256"]) == 64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = SSASTCLClassifier.load_weights(tmp_path / "m")
    assert_array_equal(loaded.decision_function(X), clf.decision_function(X))


def test_nan_weights_are_refused(spec_model, tmp_path):
    clf, _ = spec_model
    folder = tmp_path / "m"
    config = _save(clf, folder)
    state = torch.load(folder / "weights.pt", weights_only=True)
    name = next(iter(state["head"]))
    state["head"][name] = torch.full_like(state["head"][name], float("nan"))
    torch.save(state, folder / "weights.pt")
    # re-hashed: the finite check must catch it on its own
    _write_config(folder, config, rehash=True)
    with pytest.raises(ValueError, match=r"weights\.pt holds NaN or infinite"):
        SSASTCLClassifier.load_weights(folder)


def test_nan_weights_without_rehash_are_refused_by_the_hash(spec_model, tmp_path):
    clf, _ = spec_model
    folder = tmp_path / "m"
    _save(clf, folder)
    state = torch.load(folder / "weights.pt", weights_only=True)
    name = next(iter(state["encoder"]))
    state["encoder"][name] = torch.full_like(state["encoder"][name], float("inf"))
    torch.save(state, folder / "weights.pt")
    with pytest.raises(ValueError, match="modified or corrupted"):
        SSASTCLClassifier.load_weights(folder)


@pytest.mark.parametrize(
    "where, key",
    [((), "threshold"), ((), "n_mels"), (("arch",), "depth"), ((), "classes")],
)
def test_a_removed_key_is_named(spec_model, tmp_path, where, key):
    clf, _ = spec_model
    folder = tmp_path / "m"
    config = _save(clf, folder)
    target = config
    for part in where:
        target = target[part]
    del target[key]
    _write_config(folder, config, rehash=True)
    shown = ".".join((*where, "")) + key if where else key
    with pytest.raises(ValueError, match=rf"config\.json lacks the key .*{shown}"):
        SSASTCLClassifier.load_weights(folder)


def test_an_edited_config_is_refused(spec_model, tmp_path):
    clf, _ = spec_model
    folder = tmp_path / "m"
    config = _save(clf, folder)
    config["threshold"] = config["threshold"] + 100.0
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    with pytest.raises(ValueError, match=rf"{folder.name}.*modified or corrupted"):
        SSASTCLClassifier.load_weights(folder)


def test_old_files_without_hash_load_with_a_warning(spec_model, tmp_path):
    clf, X = spec_model
    folder = tmp_path / "m"
    config = _save(clf, folder)
    _write_config(folder, config, rehash=False)
    with pytest.warns(UserWarning, match="carries no content hash"):
        loaded = SSASTCLClassifier.load_weights(folder)
    assert_array_equal(loaded.decision_function(X), clf.decision_function(X))


def test_path_parameters_are_not_saved(tmp_path):
    X, y = make_spectrograms(40)
    cache = tmp_path / "cache"
    clf = SSASTCLClassifier(**TINY, feature_cache=str(cache)).fit(X, y)
    config = _save(clf, tmp_path / "m")
    for name in ("feature_cache", "checkpoint_dir", "pretrained"):
        assert name not in config["params"]


@pytest.mark.filterwarnings("ignore:.*carries no content hash")
@pytest.mark.parametrize("rehash", [True, False])
def test_feature_cache_in_config_is_not_used_on_load(tmp_path, rehash):
    rng = np.random.default_rng(0)
    t = np.arange(int(0.25 * SR)) / SR
    clips, y = [], np.array(["bonafide", "spoof"] * 8)
    for label in y:
        w = 0.3 * np.sin(2 * np.pi * rng.uniform(150, 300) * t)
        if label == "spoof":
            w = w + 0.2 * np.sin(2 * np.pi * 6000 * t)
        clips.append((w + 0.01 * rng.normal(size=t.size)).astype(np.float32))
    frontend = LogMel(n_mels=TINY["n_mels"], target_length=N_FRAMES)
    clf = SSASTCLClassifier(**TINY, frontend=frontend, pairs_per_epoch=16)
    clf.fit(clips, y)
    folder = tmp_path / "m"
    config = _save(clf, folder)
    cache = tmp_path / "planted_cache"
    config["params"]["feature_cache"] = str(cache)
    config["params"]["checkpoint_dir"] = str(tmp_path / "planted_ckpt")
    _write_config(folder, config, rehash=rehash)
    with pytest.warns(UserWarning, match="feature_cache=.*ignored on load"):
        loaded = SSASTCLClassifier.load_weights(folder)
    assert loaded.feature_cache is None and loaded.checkpoint_dir is None
    paths = []
    for i, clip in enumerate(clips[:4]):
        paths.append(str(tmp_path / f"c{i}.wav"))
        sf.write(paths[-1], clip, SR, subtype="FLOAT")
    scores = loaded.decision_function(paths)  # streamed: would use the cache
    assert_allclose(scores, clf.decision_function(clips[:4]), rtol=1e-5, atol=1e-6)
    assert not cache.exists()
    assert not (tmp_path / "planted_ckpt").exists()


def test_unreadable_files_are_named(spec_model, tmp_path):
    clf, _ = spec_model
    folder = tmp_path / "m"
    _save(clf, folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"config\.json is not valid JSON"):
        SSASTCLClassifier.load_weights(folder)
    (folder / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"config\.json does not exist"):
        SSASTCLClassifier.load_weights(folder)


# ---------------------------------------------------------------- load_model


class _Payload:
    """Unpickling this writes ``marker``: what a hostile model file could do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


def _evil_pickle(path, marker):
    import pickle

    path.write_bytes(pickle.dumps(_Payload(marker)))
    return path


def test_the_crafted_pickle_is_live(tmp_path):
    import pickle

    marker = tmp_path / "sanity_marker"
    pickle.loads(_evil_pickle(tmp_path / "p.pkl", marker).read_bytes())
    assert marker.read_text() == "pwned"  # so the tests below can fail


@pytest.mark.parametrize("compress", [None, 3])
def test_load_model_refuses_pickles_without_unpickling(tmp_path, compress):
    import joblib

    from sklearn_ssastcl import load_model

    marker = tmp_path / "marker"
    path = tmp_path / "model.joblib"
    if compress is None:
        _evil_pickle(path, marker)
        kind = "is a pickle"
    else:
        joblib.dump(_Payload(marker), path, compress=compress)
        kind = "is a zlib-compressed joblib file"
    with pytest.raises(ValueError, match=kind) as info:
        load_model(path)
    message = str(info.value)
    assert "never done" in message and "save_weights(" in message
    assert f"joblib.load('{path}')" in message
    assert not marker.exists()


def test_score_command_refuses_a_pickle_without_unpickling(tmp_path, capsys):
    from sklearn_ssastcl.cli import main

    marker = tmp_path / "marker"
    model = _evil_pickle(tmp_path / "model.joblib", marker)
    audio = tmp_path / "a.wav"
    sf.write(audio, np.zeros(SR, dtype=np.float32) + 0.01, SR)
    assert main(["score", "--model", str(model), str(audio)]) == 2
    err = capsys.readouterr().err
    assert "model.joblib is a pickle, not a model folder" in err
    assert "convert it once" in err
    assert not marker.exists()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_pickle_planted_as_weights_is_not_run(spec_model, tmp_path):
    from sklearn_ssastcl import load_model

    clf, _ = spec_model
    folder = tmp_path / "m"
    config = _save(clf, folder)
    marker = tmp_path / "marker"
    _evil_pickle(folder / "weights.pt", marker)
    _write_config(folder, config, rehash=True)  # even with a matching hash
    with pytest.raises(ValueError, match=r"weights\.pt cannot be read as saved"):
        load_model(folder)
    assert not marker.exists()


def test_load_model_round_trip_and_config_keys(spec_model, tmp_path):
    import sklearn_ssastcl
    from sklearn_ssastcl import load_model

    clf, X = spec_model
    config = _save(clf, tmp_path / "m")
    assert config["estimator"] == "SSASTCLClassifier"
    assert config["package_version"] == sklearn_ssastcl.__version__
    loaded = load_model(tmp_path / "m")
    assert type(loaded) is SSASTCLClassifier
    assert_array_equal(loaded.decision_function(X), clf.decision_function(X))


def test_load_model_dispatch(spec_model, tmp_path, monkeypatch):
    from sklearn_ssastcl import load_model, model_files

    clf, X = spec_model
    folder = tmp_path / "m"
    config = _save(clf, folder)
    del config["estimator"]  # files from before the key: SSASTCLClassifier
    _write_config(folder, config, rehash=True)
    assert_array_equal(
        load_model(folder).decision_function(X), clf.decision_function(X)
    )
    config["estimator"] = "os.system"
    _write_config(folder, config, rehash=True)
    with pytest.raises(ValueError, match="names the estimator 'os.system', which"):
        load_model(folder)
    monkeypatch.setattr(model_files, "ESTIMATORS", ("SSASTCLClassifier", "NotYet"))
    config["estimator"] = "NotYet"  # allowed, but not in the package (yet)
    _write_config(folder, config, rehash=True)
    with pytest.raises(ValueError, match="'NotYet', which this version"):
        load_model(folder)


def test_load_weights_of_another_class_is_refused(spec_model, tmp_path):
    clf, _ = spec_model
    folder = tmp_path / "m"
    config = _save(clf, folder)
    config["estimator"] = "SSASTCEClassifier"
    _write_config(folder, config, rehash=True)
    with pytest.raises(ValueError, match="holds a SSASTCEClassifier, not a SSASTCL"):
        SSASTCLClassifier.load_weights(folder)


def test_load_model_names_tampered_and_missing_files(spec_model, tmp_path):
    from sklearn_ssastcl import load_model

    clf, _ = spec_model
    folder = tmp_path / "m"
    _save(clf, folder)
    weights = bytearray((folder / "weights.pt").read_bytes())
    weights[-100] ^= 1
    (folder / "weights.pt").write_bytes(bytes(weights))
    with pytest.raises(ValueError, match=r"modified or corrupted.*Save the model"):
        load_model(folder)
    (folder / "weights.pt").unlink()
    with pytest.raises(FileNotFoundError, match=r"weights\.pt does not exist"):
        load_model(folder)
    (folder / "config.json").unlink()
    (folder / "model.joblib").write_bytes(b"\x80\x04.")
    with pytest.raises(FileNotFoundError, match=r"not a model folder.*model\.joblib"):
        load_model(folder)
    with pytest.raises(FileNotFoundError, match="nowhere does not exist"):
        load_model(tmp_path / "nowhere")


def test_pickling_still_works_for_trusted_use(spec_model):
    import pickle

    clf, X = spec_model
    again = pickle.loads(pickle.dumps(clf))
    assert_array_equal(again.decision_function(X), clf.decision_function(X))
