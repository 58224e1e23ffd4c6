"""Docstring parts shared by the SSAST estimators.

:class:`~sklearn_ssastcl.SSASTCLClassifier` and
:class:`~sklearn_ssastcl.SSASTCEClassifier` share most of their parameters and
attributes; their descriptions are written once here and put into each class
docstring by :func:`fill_docstring` (markers ``{{name}}``).
"""

from __future__ import annotations

import re

ENCODER_PARAMS = """\
    model_size : {"tiny", "small", "base"} or None, default="tiny"
        Encoder preset; ``embed_dim``, ``depth``, ``num_heads`` override it.
    embed_dim, depth, num_heads : int or None, default=None
        Encoder width, number of blocks and heads.
    mlp_ratio : float, default=4.0
        Feed-forward width over ``embed_dim``.
    n_mels : int, default=128
        Mel bins of the spectrograms (used to reshape 2-D ``X``; 3-D ``X`` must
        have this many).
    kernel_size : tuple of 2 int, default=(16, 16)
        Patch shape (frequency, time).
    stride : tuple of 2 int or None, default=None
        Patch stride; None means no overlap.
    pretrained : str or path-like or None, default=None
        SSAST checkpoint in the released format; None trains from random init.
        The architecture then comes from the checkpoint (an explicit
        ``embed_dim`` or ``depth`` that differs from it is an error)."""

DATA_PARAMS = """\
    augment : callable or None, default=None
        Waveform augmenter ``augment(waveform, rng, sample_rate=...)`` (e.g.
        ``RawBoost``), applied to the training clips with a fresh seeded draw
        each epoch. Needs ``frontend``.
    spec_augment : callable or None, default=None
        Spectrogram augmenter ``spec_augment(batch, generator)`` applied to each
        training batch (e.g. ``SpecAugment``).
    frontend : transformer or None, default=None
        A ``LogMel``. With it, ``X`` holds raw waveforms (2-D array, list of 1-D
        arrays, file paths, or a DataFrame with a ``path`` column such as
        ``read_protocol(..., audio_dir=...)`` gives) and features are computed in
        ``fit``/``predict``.
    stream : "auto" or bool, default="auto"
        With a ``frontend``: True reads, augments and featurises each clip when a
        batch needs it (a DataLoader with ``num_workers`` workers), so memory does
        not grow with the number of clips; False computes all features in memory
        (faster on small data); "auto" streams file paths and keeps waveforms in
        memory.
    num_workers : int, default=0
        DataLoader worker processes for streamed data (0: the main process).
        Results do not depend on it: augmentation is seeded per
        ``(random_state, epoch, clip)``.
    feature_cache : str, path-like, joblib.Memory or None, default=None
        When streaming, cache the un-augmented features of each file on disk
        (keyed by path, size, modification time and the frontend's parameters).
    precision : {"fp32", "bf16", "fp16"}, default="fp32"
        Forward passes under ``torch.autocast`` with this dtype ("fp16" needs
        CUDA and scales the loss with a ``GradScaler``; "bf16" runs on CPU too)."""

OPTIM_PARAMS = """\
    lr : float, default=1e-4
        Adam learning rate of the encoder.
    lr_schedule : {"cosine"} or None, default=None
        Learning-rate schedule of the encoder training, stepped per batch:
        "cosine" warms up linearly over ``warmup_epochs`` then decays to 0 by
        the last epoch (ours); None keeps ``lr`` constant.
    warmup_epochs : float, default=1.0
        Linear warm-up length in epochs (fractions allowed) for
        ``lr_schedule="cosine"``.
    weight_decay : float, default=5e-7
        Adam weight decay.
    class_weight : "balanced", dict, tuple of 2 float or None, default="balanced"
        Cross-entropy weights: ``{label: weight}`` or ``(spoof, bona fide)``.
        "balanced" uses ``n / (2 * n_class)``, which on ASVspoof 2019 LA is
        proportional to the reference ``(0.1, 0.9)``."""

COMMON_PARAMS = """\
    validation_split : float or None, default=0.1
        Stratified, seeded validation share used for early stopping, best-epoch
        selection and ``threshold_``; ignored when ``X_val`` is passed to ``fit``.
    patience : int or None, default=None
        Early-stopping patience on validation EER (None: no early stopping).
    calibrate : bool, default=False
        After training, fit a :class:`~sklearn_ssastcl.calibration.ScoreCalibrator`
        on the validation scores (``X_val``, else the ``validation_split``), so
        that :meth:`decision_function` returns natural-log likelihood ratios
        (an affine map of the raw score, increasing unless the validation
        scores are inverted, which is warned about: the EER does not change) and
        :meth:`predict_proba` the posteriors at equal priors. The validation
        part also chose the best epoch, so hold out a further set to measure
        how well the calibration transfers. False keeps the raw score.
    pos_label : str or int, default="bonafide"
        The bona fide label.
    device : str, default="cpu"
        "cpu", "cuda", "cuda:N" or "auto".
    checkpoint_dir : str or path-like or None, default=None
        Save each epoch there and resume an interrupted ``fit`` from it. The
        folder is tied to one fit (a fingerprint of the data and parameters in
        ``fingerprint.json``): a fit with other data or parameters (all but
        ``max_epochs``, which may grow to train longer), or a non-empty folder
        without a fingerprint, is refused before training.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, pairs, splits, augmentation and shuffling.
    verbose : int, default=0
        1 prints skorch's epoch table (with ``valid_eer``)."""

ATTRIBUTES = """\
    classes_ : ndarray of shape (2,)
        Class labels.
    n_features_in_ : int
        ``frames * n_mels`` of the inputs (not set with a ``frontend``).
    threshold_ : float
        EER threshold on the validation scores: bona fide iff decision >= it
        (in LLR units when ``calibrate=True``).
    calibrator_ : ScoreCalibrator or None
        The raw score to LLR map (``calibrate=True``), else None.
    encoder_ : SSASTEncoder
        The trained encoder.
    device_ : str
        Resolved device.
    target_length_ : int
        Frames per spectrogram.
    n_mels_ : int
        Mel bins per frame."""

REFERENCES = """\
    .. [1] A. Goel, M. Singh, P. Sharma, "SSAST-CL: a self-supervised audio
       spectrogram transformer with contrastive learning for spoofed speech
       detection", Interspeech 2023.
    .. [2] Y. Gong, C.-I. Lai, Y.-A. Chung, J. Glass, "SSAST: self-supervised
       audio spectrogram transformer", AAAI 2022."""

FIT_PARAMS = """\
        X : array-like
            Spectrograms ``(n_samples, n_frames, n_mels)`` or
            ``(n_samples, n_frames * n_mels)``; with a ``frontend``, raw waveforms,
            audio file paths or a DataFrame with a ``path`` column.
        y : array-like of shape (n_samples,)
            Labels; ``pos_label`` marks bona fide.
        X_val, y_val : array-like, optional
            Validation data (else ``validation_split`` of ``X``)."""

_PARTS = {
    "encoder_params": ENCODER_PARAMS,
    "data_params": DATA_PARAMS,
    "optim_params": OPTIM_PARAMS,
    "common_params": COMMON_PARAMS,
    "attributes": ATTRIBUTES,
    "references": REFERENCES,
    "fit_params": FIT_PARAMS,
}


def fill_docstring(obj):
    """Replace the ``{{name}}`` markers of ``obj.__doc__`` by the shared parts.

    Parameters
    ----------
    obj : class or function
        Its docstring holds markers such as ``{{encoder_params}}`` on a line of
        their own.

    Returns
    -------
    obj
        The same object, docstring filled in.
    """
    doc = obj.__doc__
    for name, text in _PARTS.items():
        doc = re.sub(r"^ *\{\{" + name + r"\}\}$", lambda _: text, doc, flags=re.M)
    if "{{" in doc:
        raise RuntimeError(f"unfilled docstring marker in {obj.__qualname__}")
    obj.__doc__ = doc
    return obj
