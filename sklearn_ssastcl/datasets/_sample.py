"""The small real sample of bona fide and spoofed clips shipped with the package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from sklearn_ssastcl.datasets._audio import load_audio

SAMPLE_DIR = Path(__file__).resolve().parent / "data" / "spoof_sample"
SAMPLE_RATE = 16000


def load_spoof_sample(
    *, as_frame: bool = False, return_X_y: bool = False
) -> Bunch | tuple[list[np.ndarray], np.ndarray]:
    """Load the small real spoofed-speech sample shipped with the package.

    72 clips of at most 4 s at 16 kHz from the spoofcorpus-dev corpus (not
    ASVspoof data): a ``"train"`` subset of 40 clips (16 bona fide, 6 of each of
    the attacks A01-A04) and an ``"eval"`` subset of 32 clips (12 bona fide, 3 of
    each of A01-A04, 4 of each of the unseen A05 and A06, some passed through a
    codec). ``DESCR`` gives the details and the licences.

    Parameters
    ----------
    as_frame : bool, default=False
        Also return the metadata as a DataFrame in ``frame``, with one
        ``waveform`` column holding the arrays.
    return_X_y : bool, default=False
        Return ``(waveforms, labels)`` instead of a Bunch (``as_frame`` is then
        ignored).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``waveforms`` (list of 1-D float32 arrays of different lengths),
        ``labels`` (ndarray of ``"bonafide"``/``"spoof"``), ``attacks`` (``"-"``
        for bona fide), ``speakers``, ``utterance_ids``, ``subset``
        (``"train"``/``"eval"``), ``codecs``, ``sample_rate`` (16000), ``frame``
        (DataFrame or None) and ``DESCR``.
    (waveforms, labels) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from sklearn_ssastcl.datasets import load_spoof_sample
    >>> sample = load_spoof_sample()
    >>> len(sample.waveforms), sample.sample_rate
    (72, 16000)
    >>> sorted(set(sample.labels))
    ['bonafide', 'spoof']
    """
    meta = pd.read_csv(SAMPLE_DIR / "metadata.csv", dtype=str, keep_default_na=False)
    waveforms = [
        load_audio(SAMPLE_DIR / f"{utt}.flac", SAMPLE_RATE)
        for utt in meta["utterance_id"]
    ]
    labels = meta["label"].to_numpy(dtype=object)
    if return_X_y:
        return waveforms, labels
    frame = None
    if as_frame:
        frame = meta.copy()
        frame["waveform"] = pd.Series(waveforms, index=frame.index, dtype=object)
    return Bunch(
        waveforms=waveforms,
        labels=labels,
        attacks=meta["attack"].to_numpy(dtype=object),
        speakers=meta["speaker"].to_numpy(dtype=object),
        utterance_ids=meta["utterance_id"].to_numpy(dtype=object),
        subset=meta["subset"].to_numpy(dtype=object),
        codecs=meta["codec"].to_numpy(dtype=object),
        sample_rate=SAMPLE_RATE,
        frame=frame,
        DESCR=(SAMPLE_DIR / "README.md").read_text(encoding="utf-8"),
    )
