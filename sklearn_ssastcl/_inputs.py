"""Input handling of ``SSASTCLClassifier``: spectrograms, clips, labels, splits.

Turns what ``fit``/``predict`` receive (spectrograms, waveforms, file paths or a
protocol DataFrame) into float32 ``(n, frames, n_mels)`` arrays or a streamed
:class:`~sklearn_ssastcl._sources.ClipStream`, checks the labels, holds out the
validation part and builds the stage I feature source.
"""

from __future__ import annotations

import os

import numpy as np
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_memory, validate_data

from sklearn_ssastcl._sources import ClipStream, FeatureSource, read_clip


def sample_rate(frontend) -> int:
    """Sample rate of ``frontend`` (16 kHz when it has none).

    Parameters
    ----------
    frontend : object or None
        A ``LogMel`` or None.

    Returns
    -------
    int
        Samples per second.
    """
    return int(getattr(frontend, "sample_rate", 16000))


def spectrograms(est, X, *, reset: bool) -> np.ndarray:
    """Validate spectrogram input and return float32 ``(n, T, n_mels)``.

    Parameters
    ----------
    est : SSASTCLClassifier
        The estimator (``n_mels``; ``validate_data`` sets ``n_features_in_``).
    X : array-like
        3-D ``(n, frames, n_mels)`` or 2-D ``(n, frames * n_mels)``.
    reset : bool
        Whether this is ``fit`` (set ``n_features_in_``) or a later call (check it).

    Returns
    -------
    ndarray of shape (n_samples, n_frames, n_mels)
        The spectrograms.
    """
    n_mels = est.n_mels
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 3:
        if shape[2] != n_mels:
            raise ValueError(
                f"X has shape {tuple(shape)}: {shape[2]} mel bins, but "
                f"n_mels={n_mels}. Set n_mels={shape[2]} or compute the "
                f"spectrograms with {n_mels} mel bins."
            )
        X = np.asarray(X).reshape(shape[0], -1)
    elif shape is not None and len(shape) not in (1, 2):
        raise ValueError(
            f"X must be 3-D (n_samples, n_frames, n_mels) or 2-D (n_samples, "
            f"n_frames * n_mels); got an array of shape {tuple(shape)}."
        )
    X = validate_data(est, X, reset=reset, dtype=np.float32)
    if X.shape[1] % n_mels:
        raise ValueError(
            f"2-D X has {X.shape[1]} columns, not a multiple of n_mels="
            f"{n_mels}. Pass 3-D spectrograms (n_samples, n_frames, n_mels)"
            " or set n_mels to the number of mel bins."
        )
    return X.reshape(X.shape[0], -1, n_mels)


def clip_items(X) -> list:
    """The clips of ``X`` for the frontend: paths or waveforms, files checked.

    Parameters
    ----------
    X : list or DataFrame
        Waveforms, audio file paths, or a DataFrame with a ``path`` column.

    Returns
    -------
    list
        One entry (path or waveform) per clip.
    """
    if isinstance(X, (str, os.PathLike)):
        raise TypeError("X must be a list of clips or paths, not one path.")
    columns = getattr(X, "columns", None)
    if columns is not None:
        if "path" not in columns:
            raise TypeError(
                f"X is a DataFrame with columns {list(columns)!r} but no 'path' "
                "column. Pass read_protocol(..., audio_dir=...) output, or a list "
                "of file paths or waveforms."
            )
        X = X["path"].tolist()
    items = list(X)
    if not items:
        raise ValueError("X holds no clips.")
    paths = [os.fspath(c) for c in items if isinstance(c, (str, os.PathLike))]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} of the {len(paths)} audio files in X do not exist, "
            f"e.g. {missing[0]!r}. Fix the paths (e.g. audio_dir of "
            "read_protocol) or drop those rows before fit/predict."
        )
    return items


def streams(stream, items) -> bool:
    """Whether to stream ``items`` for the ``stream`` parameter.

    Parameters
    ----------
    stream : "auto" or bool
        The estimator's ``stream``; "auto" streams file paths only.
    items : list
        The clips, from :func:`clip_items`.

    Returns
    -------
    bool
        True to read and featurise each clip on demand.
    """
    if stream == "auto":
        return all(isinstance(c, (str, os.PathLike)) for c in items)
    return bool(stream)


def features(est, X, *, reset: bool, stage: str | None = None):
    """``(spectrograms, waveforms or None)`` for ``X``.

    When streaming, the spectrograms are a :class:`ClipStream` (computed per
    clip on demand) and the waveforms are None.

    Parameters
    ----------
    est : SSASTCLClassifier
        The estimator (``frontend``, ``stream``, ``feature_cache``, ``n_mels``).
    X : array-like
        As in ``fit``.
    reset : bool
        ``fit`` (True) or a later call (False).
    stage : {"fit", "predict"} or None, default=None
        Picks the advice of clip errors; by default from ``reset``.

    Returns
    -------
    spectrograms : ndarray of shape (n_samples, n_frames, n_mels) or ClipStream
        The features.
    waveforms : list of ndarray or None
        The clips read into memory, or None (spectrogram input or streaming).
    """
    if stage is None:
        stage = "fit" if reset else "predict"
    if est.frontend is None:
        return spectrograms(est, X, reset=reset), None
    items = clip_items(X)
    rate = sample_rate(est.frontend)
    if streams(est.stream, items):
        memory = None
        if est.feature_cache is not None:
            cache = est.feature_cache
            if isinstance(cache, os.PathLike):
                cache = os.fspath(cache)
            memory = check_memory(cache)
        stream = ClipStream(
            items,
            est.frontend,
            sample_rate=rate,
            memory=memory,
            stage=stage,
        )
        check_spec_shape(stream.features(0)[None])
        return stream, None
    waves = [read_clip(c, i, rate, stage) for i, c in enumerate(items)]
    spec = np.ascontiguousarray(est.frontend.transform(waves), dtype=np.float32)
    check_spec_shape(spec)
    return spec, waves


def check_spec_shape(spec) -> None:
    """Raise unless the frontend's output ``spec`` is 3-D.

    Parameters
    ----------
    spec : ndarray
        Frontend output.
    """
    if spec.ndim != 3:
        raise ValueError(
            f"The frontend returned shape {spec.shape}; SSASTCLClassifier needs "
            "(n_samples, n_frames, n_mels)."
        )


def spec_shape(X3) -> tuple:
    """``(frames, mel bins)`` of an array or a stream.

    Parameters
    ----------
    X3 : ndarray of shape (n_samples, n_frames, n_mels) or ClipStream
        Features.

    Returns
    -------
    tuple of 2 int
        Frames and mel bins of one clip.
    """
    if isinstance(X3, ClipStream):
        return tuple(X3.features(0).shape)
    return tuple(X3.shape[1:])


def take(X3, indices):
    """The clips ``indices`` of an array or (un-augmented) stream.

    Parameters
    ----------
    X3 : ndarray or ClipStream
        Features.
    indices : array-like of int
        Clips to keep.

    Returns
    -------
    ndarray or ClipStream
        The subset.
    """
    if isinstance(X3, ClipStream):
        return X3.take(indices, augment=False)
    return X3[indices]


def check_labels(y, pos_label):
    """Check binary labels holding ``pos_label``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels.
    pos_label : str or int
        The bona fide label.

    Returns
    -------
    classes : ndarray of shape (2,)
        The sorted labels.
    is_bona : ndarray of bool of shape (n_samples,)
        True for bona fide clips.
    """
    check_classification_targets(y)
    y = np.asarray(y)
    classes = np.unique(y)
    listed = classes.tolist()
    if len(classes) > 2:
        raise ValueError(
            "Only binary classification is supported (bona fide vs spoof); y "
            f"holds {len(classes)} classes: {listed!r}."
        )
    if len(classes) < 2:
        raise ValueError(
            f"y holds one class only ({listed!r}); SSASTCLClassifier needs both "
            "bona fide and spoof clips."
        )
    if not any(c == pos_label for c in listed):
        raise ValueError(
            f"pos_label={pos_label!r} is not among the labels {listed!r}. "
            "Set pos_label to the bona fide label."
        )
    return classes, (y == pos_label)


def split(validation_split, n, is_bona, seed):
    """Stratified, seeded train / validation indices.

    Parameters
    ----------
    validation_split : float or None
        Validation share; None keeps every clip for training.
    n : int
        Number of clips.
    is_bona : ndarray of bool of shape (n,)
        Bona fide mask.
    seed : int
        Seed of the split.

    Returns
    -------
    train : ndarray of int
        Sorted training indices.
    valid : ndarray of int or None
        Sorted validation indices, or None.
    """
    if validation_split is None:
        return np.arange(n), None
    counts = np.bincount(is_bona.astype(int), minlength=2)
    n_val = max(2, int(np.ceil(validation_split * n)))
    if counts.min() < 2 or n - n_val < 2:
        raise ValueError(
            f"validation_split={validation_split} cannot hold both classes "
            f"with {counts[1]} bona fide and {counts[0]} spoof clips. Add data, "
            "pass X_val/y_val, or set validation_split=None."
        )
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_val, random_state=seed)
    train, valid = next(splitter.split(np.zeros(n), is_bona))
    return np.sort(train), np.sort(valid)


def training_source(est, X3, waves, train, seed):
    """The stage I / end-to-end feature source of the training clips.

    Parameters
    ----------
    est : SSASTCLClassifier
        The estimator (``augment``, ``frontend``).
    X3 : ndarray or ClipStream
        Features of every clip of ``X``.
    waves : list of ndarray or None
        The waveforms, when read into memory.
    train : ndarray of int
        Training indices.
    seed : int
        Seed of the augmentation draws.

    Returns
    -------
    FeatureSource or ClipStream
        Training clips, augmented per ``(seed, epoch, clip)`` when ``augment``
        is set.
    """
    if isinstance(X3, ClipStream):
        X3.augment, X3.seed = est.augment, seed
        return X3.take(train)  # augmented per (seed, epoch, clip)
    if waves is not None and est.augment is not None:
        return FeatureSource(
            X3[train],
            waveforms=[waves[i] for i in train],
            frontend=est.frontend,
            augment=est.augment,
            sample_rate=sample_rate(est.frontend),
            seed=seed,
        )
    return FeatureSource(X3[train], seed=seed)
