"""Streaming audio files through DataLoader workers, the feature cache, precision."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils._param_validation import InvalidParameterError

import sklearn_ssastcl._sources as sources_module
from sklearn_ssastcl import LogMel, SSASTCEClassifier, SSASTCLClassifier
from sklearn_ssastcl._net import autocast
from sklearn_ssastcl._sources import ClipStream
from tests._tiny import N_FRAMES, TINY, tiny_logmel

N_CLIPS = 24
KW = {**TINY, "pairs_per_epoch": 16}
CE_KW = {k: v for k, v in TINY.items() if k != "head_epochs"}


def _detector(loss, **kw):
    """SSAST-CL (``loss="contrastive"``) or the CE baseline, tiny."""
    if loss == "ce":
        return SSASTCEClassifier(**CE_KW, **kw)
    return SSASTCLClassifier(**KW, **kw)


def _augment(wave, rng, sample_rate=16000):
    return wave + rng.normal(scale=0.01, size=wave.shape).astype(np.float32)


@pytest.fixture
def count_loads(monkeypatch):
    """Count the files read by the streaming code."""
    calls = []
    real = sources_module.load_audio

    def spy(path, sample_rate=16000, **kw):
        calls.append(path)
        return real(path, sample_rate, **kw)

    monkeypatch.setattr(sources_module, "load_audio", spy)
    return calls


@pytest.mark.parametrize("loss", ["contrastive", "ce"])
def test_streamed_paths_match_in_memory_waveforms(audio_files, loss):
    paths, waves, y = audio_files
    memory = _detector(loss, frontend=tiny_logmel()).fit(waves, y)
    streamed = _detector(loss, frontend=tiny_logmel()).fit(paths, y)
    # same seed, same features, same batches: the same model, bit for bit
    assert_array_equal(
        streamed.decision_function(paths), memory.decision_function(waves)
    )
    assert_array_equal(streamed.predict_proba(paths), memory.predict_proba(waves))
    assert streamed.threshold_ == memory.threshold_


def test_streamed_augmentation_matches_in_memory(audio_files):
    # augmentation is seeded per (random_state, epoch, clip) in both modes
    paths, waves, y = audio_files
    kw = {**KW, "frontend": tiny_logmel(), "augment": _augment}
    memory = SSASTCLClassifier(**kw).fit(waves, y)
    streamed = SSASTCLClassifier(**kw).fit(paths, y)
    plain = SSASTCLClassifier(**KW, frontend=tiny_logmel()).fit(paths, y)
    scores = streamed.decision_function(paths)
    assert_allclose(scores, memory.decision_function(waves), rtol=0, atol=1e-5)
    assert not np.allclose(scores, plain.decision_function(paths))


def test_stream_true_on_waveforms_and_false_on_paths(audio_files):
    paths, waves, y = audio_files
    ref = SSASTCLClassifier(**KW, frontend=tiny_logmel()).fit(waves, y)
    expected = ref.decision_function(waves)
    forced = SSASTCLClassifier(**KW, frontend=tiny_logmel(), stream=True).fit(waves, y)
    loaded = SSASTCLClassifier(**KW, frontend=tiny_logmel(), stream=False).fit(paths, y)
    assert_array_equal(forced.decision_function(waves), expected)
    assert_array_equal(loaded.decision_function(paths), expected)


def test_num_workers_does_not_change_the_result(audio_files):
    paths, _, y = audio_files
    kw = {**KW, "frontend": tiny_logmel(), "augment": _augment, "max_epochs": 1}
    zero = SSASTCLClassifier(**kw).fit(paths, y)
    two = SSASTCLClassifier(**kw, num_workers=2).fit(paths, y)
    assert_array_equal(two.decision_function(paths), zero.decision_function(paths))
    assert two.history_[:, "train_loss"] == zero.history_[:, "train_loss"]


def test_stream_calls_the_frontend_one_batch_at_a_time(audio_files):
    paths, _, y = audio_files
    sizes = []

    class SpyLogMel(LogMel):
        def transform(self, X):
            sizes.append(len(X))
            return super().transform(X)

    spy = SpyLogMel(n_mels=TINY["n_mels"], target_length=N_FRAMES)
    many, labels = paths * 4, np.tile(y, 4)  # 96 clips
    clf = SSASTCLClassifier(**{**KW, "max_epochs": 1}, frontend=spy).fit(many, labels)
    clf.decision_function(many)
    # stage I: 2 * batch_size clips per batch; embeddings and scores: 64
    assert sizes and max(sizes) <= 64 < len(many)
    assert 2 * KW["batch_size"] in sizes


def test_dataframe_with_path_column(audio_files):
    paths, _, y = audio_files
    frame = pd.DataFrame({"utterance_id": range(N_CLIPS), "path": paths})
    from_frame = SSASTCLClassifier(**KW, frontend=tiny_logmel()).fit(frame, y)
    from_list = SSASTCLClassifier(**KW, frontend=tiny_logmel()).fit(paths, y)
    assert_array_equal(
        from_frame.decision_function(frame), from_list.decision_function(paths)
    )
    with pytest.raises(TypeError, match="no 'path' column"):
        from_frame.decision_function(frame.drop(columns="path"))


def test_feature_cache_hits_on_second_fit(audio_files, tmp_path, count_loads):
    paths, _, y = audio_files
    cache = tmp_path / "features"
    first = SSASTCLClassifier(**KW, frontend=tiny_logmel(), feature_cache=cache)
    scores = first.fit(paths, y).decision_function(paths)
    assert set(count_loads) == set(paths)  # each file read once, then cached
    assert len(count_loads) == N_CLIPS
    count_loads.clear()
    second = SSASTCLClassifier(**KW, frontend=tiny_logmel(), feature_cache=str(cache))
    assert_array_equal(second.fit(paths, y).decision_function(paths), scores)
    assert count_loads == []
    # another frontend setting is another key
    other = SSASTCLClassifier(
        **KW, frontend=tiny_logmel(normalize=None), feature_cache=cache
    ).fit(paths[:8], y[:8])
    assert len(count_loads) == 8
    assert other.target_length_ == N_FRAMES
    # without a cache every use reads the file again
    count_loads.clear()
    SSASTCLClassifier(**KW, frontend=tiny_logmel()).fit(paths, y)
    assert len(count_loads) > 2 * N_CLIPS


def test_cache_changes_nothing_but_speed(audio_files, tmp_path):
    paths, _, y = audio_files
    joblib = pytest.importorskip("joblib")
    memory = joblib.Memory(tmp_path, verbose=0)
    cached = SSASTCLClassifier(**KW, frontend=tiny_logmel(), feature_cache=memory)
    plain = SSASTCLClassifier(**KW, frontend=tiny_logmel())
    assert_array_equal(
        cached.fit(paths, y).decision_function(paths),
        plain.fit(paths, y).decision_function(paths),
    )


def test_missing_file_raises_before_training(audio_files, tmp_path, count_loads):
    paths, _, y = audio_files
    bad = [*paths[:-1], str(tmp_path / "gone.flac")]
    clf = SSASTCLClassifier(**KW, frontend=tiny_logmel())
    with pytest.raises(FileNotFoundError, match=r"1 of the 24 .*gone\.flac"):
        clf.fit(bad, y)
    assert count_loads == []  # checked up front, nothing read
    assert not hasattr(clf, "encoder_")
    clf.fit(paths, y)
    with pytest.raises(FileNotFoundError, match="gone.flac"):
        clf.predict(bad)


def test_bad_clip_in_stream_names_the_file(audio_files, tmp_path):
    paths, _, y = audio_files
    short = tmp_path / "short.flac"
    sf.write(short, np.full(100, 0.1, dtype=np.float32), 16000)
    clf = SSASTCLClassifier(**KW, frontend=tiny_logmel()).fit(paths, y)
    with pytest.raises(ValueError, match=r"short\.flac.* of 100 samples"):
        clf.decision_function([*paths[:3], str(short)])


def test_stream_and_precision_errors(audio_files):
    paths, waves, y = audio_files
    X = np.zeros((4, N_FRAMES, TINY["n_mels"]), dtype=np.float32)
    with pytest.raises(ValueError, match="stream=True .* frontend=None"):
        SSASTCLClassifier(**KW, stream=True).fit(X, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="precision='fp16' needs a CUDA device"):
        SSASTCLClassifier(**KW, frontend=tiny_logmel(), precision="fp16").fit(paths, y)
    with pytest.raises(InvalidParameterError, match="precision"):
        SSASTCLClassifier(**KW, precision="fp8").fit(X, [0, 1, 0, 1])
    with pytest.raises(InvalidParameterError, match="num_workers"):
        SSASTCLClassifier(**KW, num_workers=-1).fit(X, [0, 1, 0, 1])


def test_autocast_helper():
    a = torch.ones(2, 3)
    with autocast("cpu", "bf16"):
        assert (a @ a.T).dtype == torch.bfloat16
    with autocast("cpu", "fp32"):
        assert (a @ a.T).dtype == torch.float32


@pytest.mark.parametrize("loss", ["contrastive", "ce"])
def test_bf16_fit_and_score_run_under_autocast(audio_files, loss):
    paths, _, y = audio_files
    dtypes = []

    def hook(module, args, output):
        if isinstance(module, torch.nn.Linear) and torch.is_tensor(output):
            dtypes.append(output.dtype)

    handle = torch.nn.modules.module.register_module_forward_hook(hook)
    try:
        clf = _detector(loss, frontend=tiny_logmel(), precision="bf16").fit(paths, y)
        n_fit = len(dtypes)
        scores = clf.decision_function(paths)
    finally:
        handle.remove()
    assert n_fit and set(dtypes[:n_fit]) == {torch.bfloat16}
    assert set(dtypes[n_fit:]) == {torch.bfloat16}
    assert scores.dtype == np.float64 and np.isfinite(scores).all()
    ref = _detector(loss, frontend=tiny_logmel()).fit(paths, y)
    # bf16 keeps 8 mantissa bits: two tiny epochs from the same seed stay close
    ref_scores = ref.decision_function(paths)
    assert_allclose(scores, ref_scores, rtol=0, atol=0.05 * np.abs(ref_scores).max())
    assert abs(clf.score(paths, y) - ref.score(paths, y)) <= 0.2


def test_clip_stream_holds_no_features(audio_files):
    paths, waves, _ = audio_files
    frontend = tiny_logmel()
    stream = ClipStream(paths, frontend)
    expected = frontend.transform(waves)
    assert len(stream) == N_CLIPS
    assert_allclose(stream[3].numpy(), expected[3], rtol=0, atol=1e-6)
    assert not any(isinstance(v, np.ndarray) for v in vars(stream).values())
    sub = stream.take([5, 7])
    assert sub.items == [paths[5], paths[7]]


def test_embed_batches_writes_batches_into_one_array(audio_files):
    # the same embeddings as one encoder pass per clip, without a per-batch list
    from sklearn_ssastcl._net import embed_batches
    from sklearn_ssastcl.nn._ssast import SSASTEncoder

    paths = audio_files[0]
    torch.manual_seed(0)
    encoder = SSASTEncoder(
        embed_dim=16,
        depth=1,
        num_heads=2,
        n_mels=TINY["n_mels"],
        target_length=N_FRAMES,
        kernel_size=(4, 4),
    ).eval()
    stream = ClipStream(paths, tiny_logmel())
    z = embed_batches(encoder, stream, batch_size=5)  # 5 batches, the last short
    with torch.no_grad():
        one_by_one = np.stack(
            [encoder(stream[i][None])[0].numpy() for i in range(len(paths))]
        )
    assert z.shape == (N_CLIPS, 16) and z.dtype == np.float32
    assert_allclose(z, one_by_one, rtol=1e-5, atol=1e-6)
    assert encoder.training is False  # the mode is restored
    empty = embed_batches(encoder, np.zeros((0, N_FRAMES, TINY["n_mels"])))
    assert empty.shape == (0, 16)


class _Counted(torch.utils.data.IterableDataset):
    """Yields ``n`` items ``[k, k]`` but reports ``claimed`` as its length."""

    def __init__(self, n, claimed):
        self.n, self.claimed = n, claimed

    def __len__(self):
        return self.claimed

    def __iter__(self):
        return iter([torch.full((2,), float(k)) for k in range(self.n)])


@pytest.mark.filterwarnings("ignore:Length of IterableDataset")
def test_collect_batches_checks_the_number_of_items():
    from sklearn_ssastcl._net import collect_batches

    out = collect_batches(lambda xb: xb * 10, _Counted(5, 5), 2, batch_size=2)
    assert out.dtype == np.float32
    assert_array_equal(out, np.repeat(10.0 * np.arange(5), 2).reshape(5, 2))
    with pytest.raises(RuntimeError, match=r"held 3 items; len\(X\) is 4"):
        collect_batches(lambda xb: xb, _Counted(3, 4), 2, batch_size=2)
    with pytest.raises(RuntimeError, match=r"more than len\(X\)=4 items"):
        collect_batches(lambda xb: xb, _Counted(5, 4), 2, batch_size=2)
