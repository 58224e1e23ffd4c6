"""The batched log-mel computation behind ``LogMel``: load, centre, cut or tile,
Kaldi fbank in chunks, silence flags, normalisation."""

from __future__ import annotations

import functools
import math
import multiprocessing

import numpy as np

from sklearn_ssastcl._clips import check_waveform

_CHUNK_FRAMES = 2048  # frames per front-end call: keeps the work in cache


def _frame_sizes(sample_rate: float) -> tuple[int, int]:
    from sklearn_ssastcl.nn._frontend import frame_sizes

    window, hop, _ = frame_sizes(sample_rate)
    return window, hop


@functools.lru_cache(maxsize=8)
def _frontend(sample_rate: float, n_mels: int, f_max: float | None = None):
    from sklearn_ssastcl.nn._frontend import KaldiFbank

    return KaldiFbank(
        sample_rate=sample_rate, n_mels=n_mels, remove_mean=False, high_freq=f_max
    )


def _load(path: str, sample_rate: int, window: int) -> np.ndarray:
    from sklearn_ssastcl.datasets import load_audio

    clip = load_audio(path, sample_rate=sample_rate)
    return check_waveform(
        clip, "LogMel", repr(path), window=window, sample_rate=sample_rate
    )


def _logmel_batch(
    clips: list,
    *,
    sample_rate: float,
    n_mels: int,
    target_length: int,
    pad_mode: str,
    mean: float | None,
    std: float | None,
    f_max: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features of one batch: ``(len(clips), target_length, n_mels)``, a silent mask
    and each clip's length in samples.

    ``clips`` holds 1-D float arrays or file paths. Each clip loses its own mean (on
    the whole clip, as SSAST), is cut to the samples the first ``target_length``
    frames need (or tiled to them when ``pad_mode="repeat"``), then goes through
    ``KaldiFbank`` in chunks of about ``_CHUNK_FRAMES`` frames.
    """
    import torch

    if multiprocessing.parent_process() is not None:  # a joblib worker process
        torch.set_num_threads(1)
    frontend = _frontend(sample_rate, n_mels, f_max)
    window, hop = frontend.win_length, frontend.hop_length
    needed = window + (target_length - 1) * hop
    normalise = mean is not None
    # SSAST pads with zeros, then normalises: the padding becomes this value
    pad = torch.zeros(()).sub_(mean).div_(2 * std).item() if normalise else 0.0
    out = np.full((len(clips), target_length, n_mels), pad, dtype=np.float32)
    silent = np.zeros(len(clips), dtype=bool)
    n_samples = np.zeros(len(clips), dtype=np.int64)
    floor = math.log(torch.finfo(torch.float32).eps) + 1e-3
    waves = []
    for k, clip in enumerate(clips):
        if isinstance(clip, str):
            clip = _load(clip, int(sample_rate), window)
        n_samples[k] = clip.shape[0]
        wave = torch.from_numpy(np.asarray(clip, dtype=np.float32))
        wave = wave - wave.mean()  # SSAST: the mean of the whole clip
        if pad_mode == "repeat" and wave.shape[0] < needed:
            wave = wave.repeat(math.ceil(needed / wave.shape[0]))
        # a copy of the kept part lets a long clip's memory go now
        waves.append(wave[:needed].clone() if wave.shape[0] > needed else wave)
    with torch.inference_mode():
        for start in range(0, len(waves), max(1, _CHUNK_FRAMES // target_length)):
            part = waves[start : start + max(1, _CHUNK_FRAMES // target_length)]
            stop = start + len(part)
            lengths = torch.tensor([w.shape[0] for w in part])
            ragged = bool((lengths != lengths[0]).any())
            batch = torch.nn.utils.rnn.pad_sequence(part, batch_first=True)
            feats = frontend(batch, lengths if ragged else None)
            loudest = feats.amax(dim=2)  # (clips, frames)
            if ragged:
                past_end = (
                    torch.arange(feats.shape[1])
                    >= frontend.num_frames(lengths)[:, None]
                )
                loudest.masked_fill_(past_end, -math.inf)
            silent[start:stop] = (loudest.amax(dim=1) <= floor).numpy()
            if normalise:
                feats.sub_(mean).div_(2 * std)
            out[start:stop, : feats.shape[1]] = feats.numpy()
    return out, silent, n_samples
