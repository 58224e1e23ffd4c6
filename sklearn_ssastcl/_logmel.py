"""``LogMel``: waveforms to SSAST's normalised log-mel filterbanks (Gong et al.)."""

from __future__ import annotations

import math
import os
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sklearn_ssastcl._clips import (
    check_waveform,
    check_waveform_array,
    forget_input_features,
    is_clip_sequence,
    min_samples,
    warn_short,
)
from sklearn_ssastcl._logmel_batch import _frame_sizes, _logmel_batch

#: SSAST's AudioSet statistics of the un-normalised fbank (``src/run_*.sh``).
SSAST_MEAN: float = -4.2677393
SSAST_STD: float = 4.5689974


class LogMel(TransformerMixin, BaseEstimator):
    """Waveforms to SSAST's normalised Kaldi log-mel filterbanks.

    Follows SSAST's ``_wav2fbank``: remove each clip's mean, Kaldi ``fbank`` (25 ms
    Hann window, 10 ms hop, 128 mel bins, 512-point FFT), pad or cut to
    ``target_length`` frames, then ``(fbank - mean) / (2 * std)``. Clips go through
    the torch front end in batches, so memory follows ``batch_size``, not the corpus.

    Parameters
    ----------
    sample_rate : int, default=16000
        Sampling rate of the waveforms in Hz (files are resampled to it). The
        window is ``int(0.025 * sample_rate)`` samples and must fit in every clip.
    n_mels : int, default=128
        Number of mel bins (at least 4).
    f_max : float or None, default=None
        Upper edge of the mel bank in Hz; None means ``sample_rate / 2`` (SSAST).
        ``f_max=4000`` keeps the telephone band only, so clips that went through
        an 8 kHz codec (G.711, GSM) differ less from wideband ones.
    target_length : int, default=400
        Frames kept per clip: longer clips keep their first frames.
    pad_mode : {"zero", "repeat"}, default="zero"
        For clips shorter than ``target_length`` frames: ``"zero"`` pads the fbank with
        zeros at the end (SSAST), ``"repeat"`` tiles the centred waveform until it
        fills ``target_length`` frames (as ASVspoof raw-waveform systems do).
    normalize : {"ssast", "fit"}, tuple of (float, float) or None, default="ssast"
        Scalar statistics for ``(x - mean) / (2 * std)``: ``"ssast"`` uses SSAST's
        AudioSet values (mean -4.2677393, std 4.5689974); ``"fit"`` learns them in
        ``fit`` (mean and standard deviation of all values of the padded,
        un-normalised features); a ``(mean, std)`` tuple gives them; None leaves the
        log fbank as it is.
    batch_size : int, default=64
        Clips read and transformed together.
    n_jobs : int, default=None
        Processes working on batches in parallel (joblib; each uses one torch
        thread). None means 1 unless in a :obj:`joblib.parallel_backend` context.

    Attributes
    ----------
    mean_ : float
        Mean of the un-normalised features seen in ``fit`` (``normalize="fit"`` only).
    std_ : float
        Their standard deviation (1.0 when they are constant).
    n_features_in_ : int
        Clip length in samples, set when ``fit`` gets a 2-D array.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, set when ``fit`` gets a DataFrame with string column names.

    See Also
    --------
    sklearn_ssastcl.nn._frontend.KaldiFbank : The torch module that does the work.

    Notes
    -----
    ``X`` may be a 2-D array of equal-length waveforms ``(n_samples, n_times)``, a
    list of 1-D waveforms of any length, or a list of audio file paths. Waveforms are
    floats in [-1, 1], as ``torchaudio.load`` and ``load_audio`` give them; integer
    or boolean arrays (int16 PCM...) raise a ``TypeError`` saying how to scale them,
    as everywhere in the library. Clips shorter than a tenth of ``target_length``
    frames (0.4 s at the defaults) get a ``UserWarning`` naming them: their
    features are mostly padding. Unless ``normalize="fit"``, ``LogMel`` is
    stateless: ``transform`` works without ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ssastcl import LogMel
    >>> X = np.random.default_rng(0).normal(scale=0.1, size=(2, 16000))
    >>> LogMel(target_length=100).transform(X).shape
    (2, 100, 128)
    """

    _parameter_constraints: dict = {
        "sample_rate": [Interval(Integral, 1, None, closed="left")],
        "n_mels": [Interval(Integral, 4, None, closed="left")],
        "f_max": [Interval(Real, 20, None, closed="neither"), None],
        "target_length": [Interval(Integral, 1, None, closed="left")],
        "pad_mode": [StrOptions({"zero", "repeat"})],
        "normalize": [StrOptions({"ssast", "fit"}), tuple, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        sample_rate=16000,
        n_mels=128,
        f_max=None,
        target_length=400,
        pad_mode="zero",
        normalize="ssast",
        batch_size=64,
        n_jobs=None,
    ):
        self.sample_rate = sample_rate
        self.n_mels = n_mels
        self.f_max = f_max
        self.target_length = target_length
        self.pad_mode = pad_mode
        self.normalize = normalize
        self.batch_size = batch_size
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = self.normalize == "fit"
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return self.normalize != "fit" or hasattr(self, "mean_")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the clips and, with ``normalize="fit"``, learn ``mean_`` and ``std_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_times), list of 1-D arrays or of paths
            The waveforms.
        y : None
            Ignored.

        Returns
        -------
        self : LogMel
            The transformer.
        """
        self._fit(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit, then return the features of ``X`` (computed once).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_times), list of 1-D arrays or of paths
            The waveforms.
        y : None
            Ignored.

        Returns
        -------
        ndarray of shape (n_samples, target_length, n_mels), dtype float32
            The normalised log-mel filterbanks.
        """
        features = self._fit(X, keep=True)
        if features is None:
            return self.transform(X)
        self._warn_clips(*features[1:])
        features = features[0]
        features -= np.float32(self.mean_)
        features /= np.float32(2 * self.std_)
        return features

    def transform(self, X):
        """Compute the log-mel filterbanks of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_times), list of 1-D arrays or of paths
            The waveforms.

        Returns
        -------
        ndarray of shape (n_samples, target_length, n_mels), dtype float32
            The normalised log-mel filterbanks.
        """
        if self.normalize == "fit":
            check_is_fitted(self, ["mean_", "std_"])
        self._validate_params()
        mean, std = self._stats()
        clips = self._check_clips(X, reset=False)
        features, silent, lengths = self._compute(clips, mean, std)
        self._warn_clips(silent, lengths, clips)
        return features

    def _fit(self, X, keep=False):
        """Validate; with ``normalize="fit"`` set ``mean_``, ``std_`` (and return the
        un-normalised features with the silent mask when ``keep``)."""
        self._check_frames()
        self._stats()
        for name in ("mean_", "std_"):
            if hasattr(self, name):
                delattr(self, name)
        clips = self._check_clips(X, reset=True)
        if self.normalize != "fit":
            return None
        features, silent, lengths = self._compute(clips, None, None)
        values = features.ravel()
        self.mean_ = float(np.mean(values, dtype=np.float64))
        std = float(np.std(values, dtype=np.float64))
        self.std_ = std if std > 0 else 1.0
        if keep:
            return features, silent, lengths, clips
        self._warn_clips(silent, lengths, clips)
        return None

    def _check_frames(self) -> tuple[int, int]:
        window, hop = _frame_sizes(self.sample_rate)
        if window < 2 or hop < 1 or self.sample_rate <= 40:
            raise ValueError(
                f"sample_rate={self.sample_rate} is too low for a 25 ms window and a "
                f"10 ms hop ({window} and {hop} samples) above the 20 Hz cut-off; use "
                "at least 100 Hz (160 Hz gives a 4-sample window)."
            )
        if self.f_max is not None and self.f_max > self.sample_rate / 2:
            raise ValueError(
                f"f_max={self.f_max} Hz is above the Nyquist frequency "
                f"({self.sample_rate / 2:g} Hz) of sample_rate={self.sample_rate}; "
                "use at most sample_rate / 2, or None for the full band."
            )
        return window, hop

    def _stats(self) -> tuple[float | None, float | None]:
        """The (mean, std) that ``transform`` uses, checking a user tuple."""
        norm = self.normalize
        if norm is None:
            return None, None
        if norm == "ssast":
            return SSAST_MEAN, SSAST_STD
        if norm == "fit":
            return getattr(self, "mean_", None), getattr(self, "std_", None)
        ok = len(norm) == 2 and all(
            isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v)
            for v in norm
        )
        if not ok or not norm[1] > 0:
            raise ValueError(
                "normalize as a tuple must be (mean, std) with finite numbers and "
                f"std > 0; got {norm!r}. Use e.g. normalize=(-4.27, 4.57)."
            )
        return float(norm[0]), float(norm[1])

    def _check_clips(self, X, *, reset: bool) -> list:
        """Return a list of 1-D float arrays or of path strings, checked."""
        window, _ = self._check_frames()
        if isinstance(X, (str, os.PathLike)):
            raise TypeError(
                f"LogMel got a single path {os.fspath(X)!r}; pass a list of paths, "
                "e.g. [path]."
            )
        if is_clip_sequence(X, "OUS"):
            if reset:
                forget_input_features(self)
            return self._check_sequence(list(X), window)
        X, _ = check_waveform_array(
            self,
            X,
            "LogMel",
            window=window,
            sample_rate=self.sample_rate,
            reset=reset,
            accepts="a 2-D array (n_samples, n_times), a list of 1-D arrays or a "
            "list of file paths",
            hint=" Features that are already computed need no LogMel.",
        )
        return list(X)

    def _check_sequence(self, items: list, window: int) -> list:
        if not items:
            raise ValueError(
                "LogMel got an empty list; pass at least one waveform or file path."
            )
        is_path = [isinstance(item, (str, os.PathLike)) for item in items]
        if all(is_path):
            paths = [os.fspath(item) for item in items]
            missing = [p for p in paths if not os.path.isfile(p)]
            if missing:
                raise FileNotFoundError(
                    f"LogMel got {len(missing)} string(s) that are not files, e.g. "
                    f"{missing[0]!r}. Pass paths of existing audio files, or waveforms "
                    "as numeric arrays."
                )
            return paths
        if any(is_path):
            raise TypeError(
                "LogMel got a list that mixes file paths and other items (first path "
                f"at index {is_path.index(True)}); pass only paths or only waveforms."
            )
        return [
            check_waveform(
                item, "LogMel", f"clip {i}", window=window, sample_rate=self.sample_rate
            )
            for i, item in enumerate(items)
        ]

    def _compute(self, clips: list, mean, std) -> tuple[np.ndarray, ...]:
        """Features of all clips, batch by batch (in parallel with ``n_jobs``), with
        the silent mask and the clips' lengths in samples."""
        from joblib import Parallel, delayed, effective_n_jobs

        n = len(clips)
        order = np.arange(n)
        if not isinstance(clips[0], str):
            # similar lengths together, so each batch wastes little padding
            order = np.argsort([c.shape[0] for c in clips], kind="stable")
        batches = [order[i : i + self.batch_size] for i in range(0, n, self.batch_size)]
        kwargs = {
            "sample_rate": self.sample_rate,
            "n_mels": self.n_mels,
            "target_length": self.target_length,
            "pad_mode": self.pad_mode,
            "mean": mean,
            "std": std,
            "f_max": self.f_max,
        }
        tasks = (
            delayed(_logmel_batch)([clips[i] for i in idx], **kwargs) for idx in batches
        )
        if effective_n_jobs(self.n_jobs) == 1 or len(batches) == 1:
            results = (task[0](*task[1], **task[2]) for task in tasks)
        else:
            results = Parallel(n_jobs=self.n_jobs, return_as="generator")(tasks)
        out = np.empty((n, self.target_length, self.n_mels), dtype=np.float32)
        silent = np.zeros(n, dtype=bool)
        lengths = np.zeros(n, dtype=np.int64)
        for idx, (features, is_silent, n_samples) in zip(batches, results):
            out[idx] = features
            silent[idx] = is_silent
            lengths[idx] = n_samples
        return out, silent, lengths

    def _warn_clips(self, silent: np.ndarray, lengths: np.ndarray, clips: list) -> None:
        """Warn about clips too short for ``target_length`` and silent clips."""
        window, hop = _frame_sizes(self.sample_rate)
        names = [c if isinstance(c, str) else i for i, c in enumerate(clips)]
        warn_short(
            "LogMel",
            lengths,
            names,
            minimum=min_samples(window, hop, self.target_length),
            sample_rate=self.sample_rate,
            target_length=self.target_length,
            pad_mode=self.pad_mode,
            stacklevel=4,
        )
        if silent.any():
            first = int(np.flatnonzero(silent)[0])
            where = f"{clips[first]!r}" if isinstance(clips[first], str) else first
            warnings.warn(
                f"LogMel got {int(silent.sum())} silent clip(s) (first: {where}): "
                "every frame is log(eps) = -15.9 before normalisation. Check that the "
                "audio is not empty, constant or all zeros.",
                UserWarning,
                stacklevel=3,
            )
