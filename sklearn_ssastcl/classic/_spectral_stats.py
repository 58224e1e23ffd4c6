"""``SpectralStatsClassifier``: long-term log-spectrum statistics and a logistic
regression."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import numpy.typing as npt
from sklearn.base import _fit_context
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval

from sklearn_ssastcl.classic._base import _BinaryWaveformClassifier
from sklearn_ssastcl.classic._features import spectral_statistics, spectrum_sizes

_STATISTICS = ("mean", "std")


class SpectralStatsClassifier(_BinaryWaveformClassifier):
    """Per-bin statistics of the log power spectrum, standardised, then a logistic
    regression.

    Each clip becomes the mean and the standard deviation over its frames of
    every bin of the log power spectrum (25 ms periodic Hann window, 10 ms hop,
    ``n_fft``-point FFT: 257 bins and 514 features at the defaults), at full
    linear-frequency resolution, so narrow-band vocoder artefacts stay visible.
    A :class:`~sklearn.preprocessing.StandardScaler` and a
    :class:`~sklearn.linear_model.LogisticRegression` follow.

    Parameters
    ----------
    C : float, default=1.0
        Inverse L2 regularisation strength of the logistic regression.
    n_fft : int, default=512
        FFT size (frames are zero-padded to it); ``n_fft // 2 + 1`` bins. At
        least the window length (400 samples at 16 kHz).
    statistics : tuple of {"mean", "std"}, default=("mean", "std")
        Per-bin statistics over frames, concatenated in this order.
    max_iter : int, default=1000
        Iterations of the L-BFGS solver at most.
    sample_rate : int, default=16000
        Sampling rate of the waveforms in Hz; the frame sizes follow it. Clips
        must be at least one window (25 ms) long.
    pos_label : str or int, default="bonafide"
        The bona fide label.
    random_state : int, RandomState instance or None, default=None
        Passed to the logistic regression (the L-BFGS fit is deterministic; kept
        for API parity).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Class labels.
    scaler_ : StandardScaler
        Standardisation of the clip statistics.
    logistic_ : LogisticRegression
        Fitted on the standardised statistics with target "is bona fide".
    n_iter_ : ndarray of shape (1,)
        Solver iterations run by the logistic regression.
    threshold_ : float
        0.0, the logistic regression's own boundary (bona fide probability 0.5
        at the training class priors). Set it (e.g. to an EER threshold of
        held-out scores) to move the operating point.
    n_features_in_ : int
        Clip length in samples, set when ``fit`` gets a 2-D array.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, set when ``fit`` gets a DataFrame with string column names.

    See Also
    --------
    LFCCGMMClassifier : The ASVspoof 2019 LFCC-GMM baseline.
    sklearn_ssastcl.classic.spectral_statistics : The clip features.

    References
    ----------
    .. [1] M. Todisco et al., "ASVspoof 2019: Future horizons in spoofed and fake
       audio detection", Interspeech 2019.
    .. [2] X. Wang et al., "ASVspoof 2019: A large-scale public database of
       synthesized, converted and replayed speech", Computer Speech & Language
       64, 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ssastcl.classic import SpectralStatsClassifier
    >>> rng = np.random.default_rng(0)
    >>> noise = rng.normal(scale=0.1, size=(20, 4000))
    >>> smooth = np.cumsum(noise, axis=1) / 30  # low-passed noise
    >>> X = np.concatenate([noise, smooth])
    >>> y = np.array(["bonafide"] * 20 + ["spoof"] * 20)
    >>> clf = SpectralStatsClassifier().fit(X, y)
    >>> clf.score(X, y)
    1.0
    """

    _parameter_constraints: dict = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "n_fft": [Interval(Integral, 1, None, closed="left")],
        "statistics": [tuple, list],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "sample_rate": [Interval(Integral, 100, None, closed="left")],
        "pos_label": [str, Integral],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        C=1.0,
        n_fft=512,
        statistics=("mean", "std"),
        max_iter=1000,
        sample_rate=16000,
        pos_label="bonafide",
        random_state=None,
    ):
        self.C = C
        self.n_fft = n_fft
        self.statistics = statistics
        self.max_iter = max_iter
        self.sample_rate = sample_rate
        self.pos_label = pos_label
        self.random_state = random_state

    def _window(self) -> int:
        return spectrum_sizes(self.sample_rate)[0]

    def _check_params(self) -> None:
        stats = list(self.statistics)
        if (
            not stats
            or len(set(stats)) != len(stats)
            or not all(isinstance(s, str) and s in _STATISTICS for s in stats)
        ):
            raise ValueError(
                "statistics must be a non-empty tuple of distinct names from "
                f"{_STATISTICS}; got {self.statistics!r}."
            )
        window = self._window()
        if self.n_fft < window:
            raise ValueError(
                f"n_fft={self.n_fft} is shorter than the 25 ms window ({window} "
                f"samples at {self.sample_rate} Hz); use n_fft >= {window}, e.g. "
                f"{1 << (window - 1).bit_length()}."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> SpectralStatsClassifier:
        return super().fit(X, y)

    fit.__doc__ = _BinaryWaveformClassifier.fit.__doc__

    def _features(self, clips: list) -> np.ndarray:
        return np.stack(
            [
                spectral_statistics(
                    c,
                    sample_rate=self.sample_rate,
                    n_fft=self.n_fft,
                    statistics=tuple(self.statistics),
                )
                for c in clips
            ]
        )

    def _fit_clips(self, clips: list, is_bona: np.ndarray) -> None:
        Z = self._features(clips)
        self.scaler_ = StandardScaler().fit(Z)
        self.logistic_ = LogisticRegression(
            C=self.C, max_iter=self.max_iter, random_state=self.random_state
        ).fit(self.scaler_.transform(Z), is_bona.astype(np.int64))
        self.n_iter_ = self.logistic_.n_iter_
        self.threshold_ = 0.0

    def _decision_clips(self, clips: list) -> np.ndarray:
        Z = self.scaler_.transform(self._features(clips))
        return self.logistic_.decision_function(Z).astype(np.float64)
