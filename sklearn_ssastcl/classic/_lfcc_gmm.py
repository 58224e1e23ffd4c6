"""``LFCCGMMClassifier``: the ASVspoof 2019 LFCC-GMM baseline countermeasure."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import numpy.typing as npt
from sklearn.base import _fit_context
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from sklearn_ssastcl.classic._base import _BinaryWaveformClassifier
from sklearn_ssastcl.classic._features import lfcc, lfcc_sizes

_SCORE_CHUNK = 65536  # frames scored together


class LFCCGMMClassifier(_BinaryWaveformClassifier):
    """LFCC front end and one GMM per class: the ASVspoof 2019 baseline B2.

    Each clip becomes LFCC frames (``n_lfcc`` coefficients of ``n_filter``
    linear filters, with deltas and double deltas: 60 dimensions by default;
    20 ms Hamming window, 10 ms hop, 512-point FFT at 16 kHz). A
    diagonal-covariance :class:`~sklearn.mixture.GaussianMixture` is fitted by
    EM to the frames of each class, and a clip's score is the mean over its
    frames of ``log p(frame | bona fide GMM) - log p(frame | spoof GMM)``.

    Parameters
    ----------
    n_components : int, default=64
        Gaussians per class. The official baseline uses 512; 64 trains in about
        a minute per class on a laptop CPU with the default ``max_frames``.
    n_lfcc : int, default=20
        Cepstral coefficients per frame (the features have ``3 * n_lfcc``
        dimensions).
    n_filter : int, default=20
        Linear triangular filters (at least ``n_lfcc``).
    max_iter : int, default=100
        EM iterations at most, per GMM.
    max_frames : int or None, default=100000
        Frames per class that EM sees at most: a larger class is subsampled at
        random (without replacement), so time and memory stay bounded. None
        keeps all frames.
    sample_rate : int, default=16000
        Sampling rate of the waveforms in Hz; the frame sizes follow it. Clips
        must be at least one window (20 ms) long.
    pos_label : str or int, default="bonafide"
        The bona fide label.
    random_state : int, RandomState instance or None, default=None
        Seeds the frame subsampling and the GMM initialisation.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Class labels.
    gmm_bonafide_ : GaussianMixture
        Model of the bona fide frames.
    gmm_spoof_ : GaussianMixture
        Model of the spoof frames.
    n_iter_ : ndarray of shape (2,)
        EM iterations run by the bona fide and the spoof GMM.
    threshold_ : float
        0.0: ``predict`` calls a clip bona fide when its mean frame
        log-likelihood ratio is >= 0, i.e. when the bona fide model explains it
        at least as well. Set it (e.g. to an EER threshold of held-out scores)
        to move the operating point.
    n_features_in_ : int
        Clip length in samples, set when ``fit`` gets a 2-D array.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, set when ``fit`` gets a DataFrame with string column names.

    See Also
    --------
    SpectralStatsClassifier : Log-spectrum statistics and logistic regression.
    sklearn_ssastcl.classic.lfcc : The front end.

    References
    ----------
    .. [1] M. Sahidullah, T. Kinnunen and C. Hanilçi, "A comparison of features
       for synthetic speech detection", Interspeech 2015.
    .. [2] M. Todisco et al., "ASVspoof 2019: Future horizons in spoofed and fake
       audio detection", Interspeech 2019.
    .. [3] X. Wang et al., "ASVspoof 2019: A large-scale public database of
       synthesized, converted and replayed speech", Computer Speech & Language
       64, 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ssastcl.classic import LFCCGMMClassifier
    >>> rng = np.random.default_rng(0)
    >>> noise = rng.normal(scale=0.1, size=(20, 4000))
    >>> smooth = np.cumsum(noise, axis=1) / 30  # low-passed noise
    >>> X = np.concatenate([noise, smooth])
    >>> y = np.array(["bonafide"] * 20 + ["spoof"] * 20)
    >>> clf = LFCCGMMClassifier(n_components=2, random_state=0).fit(X, y)
    >>> clf.score(X, y)
    1.0
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "n_lfcc": [Interval(Integral, 1, None, closed="left")],
        "n_filter": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_frames": [Interval(Integral, 1, None, closed="left"), None],
        "sample_rate": [Interval(Integral, 100, None, closed="left")],
        "pos_label": [str, Integral],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_components=64,
        n_lfcc=20,
        n_filter=20,
        max_iter=100,
        max_frames=100_000,
        sample_rate=16000,
        pos_label="bonafide",
        random_state=None,
    ):
        self.n_components = n_components
        self.n_lfcc = n_lfcc
        self.n_filter = n_filter
        self.max_iter = max_iter
        self.max_frames = max_frames
        self.sample_rate = sample_rate
        self.pos_label = pos_label
        self.random_state = random_state

    def _window(self) -> int:
        return lfcc_sizes(self.sample_rate)[0]

    def _check_params(self) -> None:
        if self.n_lfcc > self.n_filter:
            raise ValueError(
                f"n_lfcc={self.n_lfcc} exceeds n_filter={self.n_filter}; the DCT "
                "gives at most one coefficient per filter. Lower n_lfcc or raise "
                "n_filter."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> LFCCGMMClassifier:
        return super().fit(X, y)

    fit.__doc__ = _BinaryWaveformClassifier.fit.__doc__

    def _features(self, clips: list) -> list[np.ndarray]:
        return [
            lfcc(
                c,
                sample_rate=self.sample_rate,
                n_filter=self.n_filter,
                n_lfcc=self.n_lfcc,
            )
            for c in clips
        ]

    def _fit_clips(self, clips: list, is_bona: np.ndarray) -> None:
        rng = check_random_state(self.random_state)
        feats = self._features(clips)
        gmms = {}
        for name, mask in (("bona fide", is_bona), ("spoof", ~is_bona)):
            frames = np.concatenate([f for f, keep in zip(feats, mask) if keep])
            if self.max_frames is not None and len(frames) > self.max_frames:
                keep = rng.choice(len(frames), self.max_frames, replace=False)
                frames = frames[np.sort(keep)]
            if len(frames) < self.n_components:
                raise ValueError(
                    f"The {name} clips give {len(frames)} LFCC frames, fewer than "
                    f"n_components={self.n_components}; lower n_components or "
                    "give more audio."
                )
            gmms[name] = GaussianMixture(
                n_components=self.n_components,
                covariance_type="diag",
                max_iter=self.max_iter,
                random_state=rng.randint(np.iinfo(np.int32).max),
            ).fit(frames)
        self.gmm_bonafide_, self.gmm_spoof_ = gmms["bona fide"], gmms["spoof"]
        self.n_iter_ = np.array([g.n_iter_ for g in gmms.values()])
        self.threshold_ = 0.0

    def _decision_clips(self, clips: list) -> np.ndarray:
        scores = np.empty(len(clips))
        feats = self._features(clips)
        start = 0
        while start < len(feats):  # score a chunk of clips' frames at once
            stop, n = start, 0
            while stop < len(feats) and (
                n == 0 or n + len(feats[stop]) <= _SCORE_CHUNK
            ):
                n += len(feats[stop])
                stop += 1
            frames = np.concatenate(feats[start:stop])
            llr = self.gmm_bonafide_.score_samples(frames)
            llr -= self.gmm_spoof_.score_samples(frames)
            lengths = [len(f) for f in feats[start:stop]]
            offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            scores[start:stop] = np.add.reduceat(llr, offsets) / lengths
            start = stop
        return scores
