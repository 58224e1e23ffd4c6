"""Channel and condition robustness: EER of a detector under codecs, noise and
truncation.

:func:`condition_report` degrades every clip of a set in each condition, scores
the degraded set with the detector's own ``decision_function`` and tabulates the
EER (and min DCF) per condition. The codecs are the library's
:class:`~sklearn_ssastcl.augment.Codec` augmenter forced to one codec; the noise
is white Gaussian noise scaled to an exact SNR; truncation keeps the first
seconds of each clip.
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np
import numpy.typing as npt
from sklearn.utils.validation import check_is_fitted

__all__ = ["CONDITIONS", "add_noise", "condition_report", "degrade", "truncate"]

#: Opus bit rates (bit/s) of the two Opus conditions.
OPUS_BITRATES = {"opus_8k": 8000, "opus_16k": 16000}
_LIBSNDFILE_OPUS = (6000, 256000)  # libsndfile's bit-rate range of its level 1..0


def _condition_table() -> dict:
    table = {"clean": ("clean", math.nan, "")}
    for name, kbps in (("alaw", 64.0), ("mulaw", 64.0), ("gsm", 13.0)):
        table[name] = ("codec", kbps, "kbit/s")
    for name, rate in OPUS_BITRATES.items():
        table[name] = ("codec", rate / 1000, "kbit/s")
    for snr in (30, 20, 10, 5):
        table[f"noise_{snr}db"] = ("noise", float(snr), "dB SNR")
    for seconds in (0.5, 1, 2, 4):
        table[f"trunc_{seconds:g}s"] = ("truncation", float(seconds), "s")
    return table


#: Condition name -> (family, parameter, unit), in report order.
CONDITIONS = _condition_table()
_FAMILIES = ("clean", "codec", "noise", "truncation")


def _opus_level(bitrate: float) -> float:
    """libsndfile compression level giving an Opus target of ``bitrate`` bit/s.

    libsndfile maps level ``c`` in [0, 1] to ``(1 - c) * (256000 - 6000) + 6000``
    bit/s per channel; 8 kbit/s is level 0.992, 16 kbit/s level 0.96.
    """
    low, high = _LIBSNDFILE_OPUS
    return 1.0 - (bitrate - low) / (high - low)


def add_noise(
    waveform: npt.ArrayLike, snr_db: float, rng: np.random.Generator
) -> np.ndarray:
    """Add white Gaussian noise at exactly ``snr_db`` dB to one clip.

    The noise drawn from ``rng`` is scaled so that ``10 * log10(sum(x ** 2) /
    sum(noise ** 2)) == snr_db`` for this clip (up to float32 rounding); the
    result is not clipped.

    Parameters
    ----------
    waveform : array-like of shape (n_times,)
        The clip.
    snr_db : float
        Signal-to-noise ratio in dB.
    rng : numpy.random.Generator
        Source of the noise.

    Returns
    -------
    ndarray of shape (n_times,), dtype float32
        The noisy clip.
    """
    x = np.asarray(waveform, dtype=np.float64)
    noise = rng.standard_normal(x.shape)
    power = np.sum(x**2)
    scale = math.sqrt(power / (np.sum(noise**2) * 10 ** (snr_db / 10))) if power else 0
    return (x + scale * noise).astype(np.float32)


def truncate(waveform: npt.ArrayLike, seconds: float, sample_rate: int) -> np.ndarray:
    """The first ``seconds`` of a clip (a shorter clip is kept whole).

    Parameters
    ----------
    waveform : array-like of shape (n_times,)
        The clip.
    seconds : float
        Duration kept.
    sample_rate : int
        Samples per second.

    Returns
    -------
    ndarray
        ``waveform[:round(seconds * sample_rate)]`` as float32.
    """
    x = np.asarray(waveform, dtype=np.float32)
    return x[: int(round(seconds * sample_rate))].copy()


def degrade(
    waveform: npt.ArrayLike,
    condition: str,
    rng: np.random.Generator,
    sample_rate: int = 16000,
) -> np.ndarray:
    """One clip under one condition of :data:`CONDITIONS`.

    Parameters
    ----------
    waveform : array-like of shape (n_times,)
        The clip, in [-1, 1].
    condition : str
        A name of :data:`CONDITIONS`.
    rng : numpy.random.Generator
        Randomness (the noise; the codecs draw from it too but are
        deterministic).
    sample_rate : int, default=16000
        Sample rate of the clip in Hz.

    Returns
    -------
    ndarray, dtype float32
        The degraded clip (same length, except under truncation).
    """
    from sklearn_ssastcl.augment import Codec

    if condition not in CONDITIONS:
        raise _unknown(condition)
    family, value, _ = CONDITIONS[condition]
    if family == "clean":
        return np.asarray(waveform, dtype=np.float32).copy()
    if family == "noise":
        return add_noise(waveform, value, rng)
    if family == "truncation":
        return truncate(waveform, value, sample_rate)
    if condition in OPUS_BITRATES:
        level = _opus_level(OPUS_BITRATES[condition])
        codec = Codec(p=1.0, codecs=("opus",), opus_compression=level)
    else:
        codec = Codec(p=1.0, codecs=(condition,))
    return codec(waveform, rng, sample_rate)


def _unknown(name) -> ValueError:
    return ValueError(
        f"Unknown condition {name!r}. Valid conditions: {list(CONDITIONS)}, or a "
        f"family: {list(_FAMILIES)}. Other codecs and Opus bit rates are not "
        "available."
    )


def _check_conditions(conditions) -> list[str]:
    """Expand family names, check names; raise listing the valid ones."""
    if isinstance(conditions, str):
        conditions = [conditions]
    names = []
    for item in conditions:
        if item in _FAMILIES:
            names += [n for n, (f, _, _) in CONDITIONS.items() if f == item]
        elif item in CONDITIONS:
            names.append(item)
        else:
            raise _unknown(item)
    if not names:
        raise ValueError(f"conditions is empty; pick from {list(CONDITIONS)}.")
    return list(dict.fromkeys(names))


def _detector_info(est):
    """``(pos_label, sample_rate)`` of a fitted waveform detector, checked."""
    from sklearn.pipeline import Pipeline

    from sklearn_ssastcl._ssast_base import BaseSSASTClassifier

    if not hasattr(est, "decision_function"):
        raise TypeError(
            f"condition_report needs a detector with decision_function; got "
            f"{type(est).__name__}."
        )
    last = est[-1] if isinstance(est, Pipeline) else est
    rate = getattr(est[0] if isinstance(est, Pipeline) else est, "sample_rate", None)
    if isinstance(last, BaseSSASTClassifier) and not isinstance(est, Pipeline):
        if last.frontend is None:
            raise TypeError(
                f"{type(last).__name__} was fitted on spectrograms (frontend=None); "
                "condition_report degrades waveforms. Use a detector with "
                "frontend=LogMel(...) or a Pipeline(LogMel(...), detector)."
            )
        rate = last.frontend.sample_rate
    check_is_fitted(est)
    return getattr(last, "pos_label", "bonafide"), rate


def condition_report(
    est,
    waveforms,
    y: npt.ArrayLike,
    *,
    conditions=None,
    sample_rate: int | None = None,
    random_state: int = 0,
):
    """EER of a fitted detector on a set re-scored under each condition.

    Conditions (see :data:`CONDITIONS`): ``clean``; codecs ``alaw``, ``mulaw``
    (G.711, 64 kbit/s) and ``gsm`` (GSM 06.10, 13 kbit/s) at 8 kHz, ``opus_8k``
    and ``opus_16k`` (Opus at target bit rates of 8 and 16 kbit/s), each through
    :class:`~sklearn_ssastcl.augment.Codec`; white Gaussian noise at
    ``noise_30db``, ``noise_20db``, ``noise_10db`` and ``noise_5db`` SNR
    (:func:`add_noise`); and ``trunc_0.5s``, ``trunc_1s``, ``trunc_2s``,
    ``trunc_4s``: the first seconds of each clip (:func:`truncate`; clips
    already shorter are kept whole).

    Parameters
    ----------
    est : estimator or dict of str to estimator
        A fitted detector that takes waveforms: ``SSASTCLClassifier`` or
        ``SSASTCEClassifier`` with a ``LogMel`` frontend, a ``Pipeline`` starting
        with ``LogMel``, or a classic detector (``SpectralStatsClassifier``,
        ``LFCCGMMClassifier``). A dict of named detectors scores each one on the
        same degraded clips (each degradation is computed once) and adds a
        ``system`` column.
    waveforms : list of 1-D float arrays or 2-D float array
        The clips, in [-1, 1].
    y : array-like of shape (n_clips,)
        True labels; the detector's ``pos_label`` is bona fide.
    conditions : list of str, default=None
        Condition names, or families (``"codec"``, ``"noise"``,
        ``"truncation"``, ``"clean"``); None means all, in table order.
    sample_rate : int, default=None
        Sample rate of the clips; None takes the detector's (its frontend's or
        its own ``sample_rate``), else 16000.
    random_state : int, default=0
        Seed of the noise: clip ``i`` of condition ``c`` draws from
        ``default_rng([random_state, k, i])``, ``k`` being ``c``'s index in
        :data:`CONDITIONS`, so a subset of conditions gives the same rows.

    Returns
    -------
    pandas.DataFrame
        One row per condition (and detector): ``condition``, ``family``,
        ``parameter`` (kbit/s, dB or s, as ``unit`` says; NaN for clean),
        ``unit``, ``eer``, ``min_dcf`` (ASVspoof 5 defaults) and ``n_clips``.
    """
    import pandas as pd

    from sklearn_ssastcl.metrics import eer_score, min_dcf

    names = _check_conditions(list(CONDITIONS) if conditions is None else conditions)
    named = est if isinstance(est, dict) else {None: est}
    if not named:
        raise ValueError("est is an empty dict; pass at least one fitted detector.")
    info = {key: _detector_info(e) for key, e in named.items()}
    rates = {rate for _, rate in info.values() if rate is not None}
    if len(rates) > 1:
        raise ValueError(f"The detectors expect different sample rates: {rates}.")
    rate = rates.pop() if rates else None
    if sample_rate is None:
        sample_rate = int(rate or 16000)
    elif not isinstance(sample_rate, Integral) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive int; got {sample_rate!r}.")
    elif rate is not None and sample_rate != rate:
        raise ValueError(
            f"sample_rate={sample_rate} differs from the detector's {rate} Hz; "
            "resample the clips to it, or leave sample_rate=None."
        )
    if not isinstance(random_state, Integral) or random_state < 0:
        raise ValueError(f"random_state must be an int >= 0; got {random_state!r}.")
    clips = [np.asarray(w) for w in waveforms]
    y = np.asarray(y)
    if len(y) != len(clips):
        raise ValueError(f"waveforms holds {len(clips)} clips but y {len(y)} labels.")
    index = {name: k for k, name in enumerate(CONDITIONS)}
    rows = []
    for name in names:
        family, value, unit = CONDITIONS[name]
        degraded = waveforms
        if family != "clean":
            degraded = [
                degrade(
                    w,
                    name,
                    np.random.default_rng([random_state, index[name], i]),
                    sample_rate,
                )
                for i, w in enumerate(clips)
            ]
        for key, detector in named.items():
            scores = detector.decision_function(degraded)
            pos_label = info[key][0]
            row = {} if key is None else {"system": key}
            rows.append(
                row
                | {
                    "condition": name,
                    "family": family,
                    "parameter": value,
                    "unit": unit,
                    "eer": float(eer_score(y, scores, pos_label=pos_label)),
                    "min_dcf": float(min_dcf(y, scores, pos_label=pos_label)),
                    "n_clips": len(clips),
                }
            )
    return pd.DataFrame(rows)
