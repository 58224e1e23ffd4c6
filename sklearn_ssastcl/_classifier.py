"""SSASTCLClassifier: the SSAST-CL spoof detector as a scikit-learn estimator.

The estimator holds the parameters, validates them and orchestrates ``fit``;
the work is done by module functions: :mod:`~sklearn_ssastcl._inputs` (input
handling), :mod:`~sklearn_ssastcl._stage1` (encoder and Siamese training),
:mod:`~sklearn_ssastcl._stage2` (head, end-to-end path, inference logits),
:mod:`~sklearn_ssastcl._training` (skorch callbacks, schedule, checkpoints)
and :mod:`~sklearn_ssastcl._persistence` (safe saving and loading).
"""

from __future__ import annotations

import os
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_ssastcl import _inputs
from sklearn_ssastcl._fingerprint import claim_checkpoint_dir, fit_fingerprint
from sklearn_ssastcl._pairs import per_clip
from sklearn_ssastcl._persistence import load_classifier, save_classifier
from sklearn_ssastcl._score_checks import one_minus_eer
from sklearn_ssastcl._stage1 import build_encoder, fit_stage1
from sklearn_ssastcl._stage2 import (
    _VIEW_EPOCH,  # noqa: F401 (tests import it)
    end_to_end,
    fit_head,
    head_logits,
)
from sklearn_ssastcl._utils import check_device, seed_from
from sklearn_ssastcl.calibration import ScoreCalibrator
from sklearn_ssastcl.metrics import compute_eer
from sklearn_ssastcl.nn._ssast import SIZES, SSASTEncoder


class SSASTCLClassifier(ClassifierMixin, BaseEstimator):
    """SSAST-CL bona fide / spoof detector (Goel et al., Interspeech 2023).

    ``loss="contrastive"``: stage I trains an SSAST encoder as a three-branch
    Siamese network (two self-attention branches, one cross-attention branch,
    shared weights) on online pairs with ``L_SA + alpha * L_CA``; stage II trains
    an MLP head on the frozen encoder's clip embeddings with weighted cross-entropy.
    ``loss="ce"``: the "vanilla SSAST" baseline, encoder + linear head fine-tuned
    end to end with cross-entropy. Inference is one encoder pass per clip.

    Parameters
    ----------
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
        ``embed_dim`` or ``depth`` that differs from it is an error).
    cross_attention : bool, default=True
        Run the cross-attention branch in stage I.
    ca_blocks : int or None, default=None
        Cross-attend in the last ``ca_blocks`` blocks only (None: all).
    ca_symmetric : bool, default=False
        Also compute the CA branch with the roles of the two clips swapped.
    loss : {"contrastive", "ce"}, default="contrastive"
        SSAST-CL two-stage training, or the cross-entropy baseline.
    alpha : float, default=1.0
        Weight of the CA loss; 0 skips the CA branch (the ablation).
    margin : float, default=1.0
        Contrastive margin.
    distance : {"euclidean", "cosine"}, default="euclidean"
        Embedding distance of the contrastive loss.
    pair_mix : tuple of 3 float, default=(0.25, 0.25, 0.5)
        Shares of bona fide-bona fide, spoof-spoof and bona fide-spoof pairs.
    pairs_per_epoch : int or None, default=None
        Pairs per stage I epoch; None means ``4 * n_bonafide`` (ours).
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
        not grow with the number of clips (only the ``(n, embed_dim)`` stage II
        embeddings are kept); False computes all features in memory (faster on
        small data); "auto" streams file paths and keeps waveforms in memory.
    num_workers : int, default=0
        DataLoader worker processes for streamed data (0: the main process).
        Results do not depend on it: augmentation is seeded per
        ``(random_state, epoch, clip)``.
    feature_cache : str, path-like, joblib.Memory or None, default=None
        When streaming, cache the un-augmented features of each file on disk
        (keyed by path, size, modification time and the frontend's parameters).
    precision : {"fp32", "bf16", "fp16"}, default="fp32"
        Forward passes under ``torch.autocast`` with this dtype ("fp16" needs
        CUDA and scales the loss with a ``GradScaler``; "bf16" runs on CPU too).
    max_epochs : int, default=10
        Stage I epochs (or CE-baseline epochs).
    head_epochs : int, default=30
        Stage II epochs.
    batch_size : int, default=16
        Pairs (stage I) or clips (CE, unfrozen stage II) per batch.
    head_batch_size : int, default=256
        Embeddings per batch in the frozen stage II.
    lr : float, default=1e-4
        Adam learning rate of the encoder.
    lr_schedule : {"cosine"} or None, default=None
        Learning-rate schedule of the encoder training (stage I, the CE baseline,
        an unfrozen stage II), stepped per batch: "cosine" warms up linearly over
        ``warmup_epochs`` then decays to 0 by the last epoch (ours);
        None keeps ``lr`` constant.
    warmup_epochs : float, default=1.0
        Linear warm-up length in epochs (fractions allowed) for
        ``lr_schedule="cosine"``.
    head_lr : float, default=1e-3
        Adam learning rate of the head.
    weight_decay : float, default=5e-7
        Adam weight decay.
    class_weight : "balanced", dict, tuple of 2 float or None, default="balanced"
        Cross-entropy weights: ``{label: weight}`` or ``(spoof, bona fide)``.
        "balanced" uses
        ``n / (2 * n_class)``, which on ASVspoof 2019 LA is proportional to the
        reference ``(0.1, 0.9)``.
    freeze_encoder : bool, default=True
        Stage II on frozen embeddings (computed once per clip); False fine-tunes
        encoder and head together.
    standardize_embeddings : bool, default=False
        In the frozen stage II, standardise each embedding feature with its mean
        and std over the training clips before the head (stored in the head).
    head_views : int, default=0
        In the frozen stage II, also embed this many augmented views of every
        training clip (a fresh ``augment`` draw and ``spec_augment`` masks per
        view) and train the head on them beside the clean embeddings (ours:
        both classes get views, so augmentation is no cue to the class). Needs
        ``augment`` (with a frontend) or ``spec_augment``; ignored when the
        encoder is trained end to end (``loss="ce"`` or ``freeze_encoder=False``),
        which sees fresh augmentation every epoch anyway.
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
        1 prints skorch's epoch table (with ``valid_eer``).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        Class labels.
    n_features_in_ : int
        ``frames * n_mels`` of the inputs (not set with a ``frontend``).
    encoder_net_ : skorch NeuralNet or None
        Stage I net (None for ``loss="ce"``).
    head_net_ : skorch NeuralNetClassifier
        Stage II net (for ``loss="ce"`` or ``freeze_encoder=False``, encoder + head).
    threshold_ : float
        EER threshold on the validation scores: bona fide iff decision >= it
        (in LLR units when ``calibrate=True``).
    calibrator_ : ScoreCalibrator or None
        The raw score to LLR map (``calibrate=True``), else None.
    history_ : skorch History
        History of the encoder training (stage I or CE).
    device_ : str
        Resolved device.
    target_length_ : int
        Frames per spectrogram.

    Notes
    -----
    These defaults are a generic starting point (the released tiny SSAST
    size, 10 stage I epochs at lr 1e-4, no front end or augmentation). The
    complete configurations behind the project's results are recipes:
    :func:`sklearn_ssastcl.recipe.make_recipe` (``"small"``, the CPU recipe the
    command line and the benchmarks use; ``"paper"``, the paper's base setting).
    What the paper does not specify (loss form, pair mix, cross-attention
    queries, head) is ours and documented in the user guide.

    References
    ----------
    .. [1] A. Goel, M. Singh, P. Sharma, "SSAST-CL: a self-supervised audio
       spectrogram transformer with contrastive learning for spoofed speech
       detection", Interspeech 2023.
    .. [2] Y. Gong, C.-I. Lai, Y.-A. Chung, J. Glass, "SSAST: self-supervised
       audio spectrogram transformer", AAAI 2022.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 16, 8)).astype(np.float32)
    >>> y = np.array(["bonafide", "spoof"] * 40)
    >>> X[y == "spoof", :, 5:] += 1.5  # spoof: extra high-band energy
    >>> clf = SSASTCLClassifier(embed_dim=16, depth=1, num_heads=2, n_mels=8,
    ...     kernel_size=(4, 4), max_epochs=3, head_epochs=20, batch_size=8,
    ...     random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.score(X, y) > 0.8
    True
    """

    _parameter_constraints: dict = {
        "model_size": [StrOptions(set(SIZES)), None],
        "embed_dim": [Interval(Integral, 1, None, closed="left"), None],
        "depth": [Interval(Integral, 1, None, closed="left"), None],
        "num_heads": [Interval(Integral, 1, None, closed="left"), None],
        "mlp_ratio": [Interval(Real, 0, None, closed="neither")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [tuple, list],
        "stride": [tuple, list, None],
        "pretrained": [str, os.PathLike, None],
        "cross_attention": ["boolean"],
        "ca_blocks": [Interval(Integral, 1, None, closed="left"), None],
        "ca_symmetric": ["boolean"],
        "loss": [StrOptions({"contrastive", "ce"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "margin": [Interval(Real, 0, None, closed="neither")],
        "distance": [StrOptions({"euclidean", "cosine"})],
        "pair_mix": [tuple, list],
        "pairs_per_epoch": [Interval(Integral, 1, None, closed="left"), None],
        "augment": [callable, None],
        "spec_augment": [callable, None],
        "frontend": [object, None],
        "stream": [StrOptions({"auto"}), "boolean"],
        "num_workers": [Interval(Integral, 0, None, closed="left")],
        "feature_cache": [str, os.PathLike, HasMethods(["cache"]), None],
        "precision": [StrOptions({"fp32", "bf16", "fp16"})],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "head_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "head_batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"cosine"}), None],
        "warmup_epochs": [Interval(Real, 0, None, closed="left")],
        "head_lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), tuple, list, dict, None],
        "freeze_encoder": ["boolean"],
        "standardize_embeddings": ["boolean"],
        "head_views": [Interval(Integral, 0, None, closed="left")],
        "validation_split": [Interval(Real, 0, 1, closed="neither"), None],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "calibrate": ["boolean"],
        "pos_label": [str, Integral],
        "device": [str],
        "checkpoint_dir": [str, os.PathLike, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        model_size="tiny",
        embed_dim=None,
        depth=None,
        num_heads=None,
        mlp_ratio=4.0,
        n_mels=128,
        kernel_size=(16, 16),
        stride=None,
        pretrained=None,
        cross_attention=True,
        ca_blocks=None,
        ca_symmetric=False,
        loss="contrastive",
        alpha=1.0,
        margin=1.0,
        distance="euclidean",
        pair_mix=(0.25, 0.25, 0.5),
        pairs_per_epoch=None,
        augment=None,
        spec_augment=None,
        frontend=None,
        stream="auto",
        num_workers=0,
        feature_cache=None,
        precision="fp32",
        max_epochs=10,
        head_epochs=30,
        batch_size=16,
        head_batch_size=256,
        lr=1e-4,
        lr_schedule=None,
        warmup_epochs=1.0,
        head_lr=1e-3,
        weight_decay=5e-7,
        class_weight="balanced",
        freeze_encoder=True,
        standardize_embeddings=False,
        head_views=0,
        validation_split=0.1,
        patience=None,
        calibrate=False,
        pos_label="bonafide",
        device="cpu",
        checkpoint_dir=None,
        random_state=None,
        verbose=0,
    ):
        self.model_size = model_size
        self.embed_dim = embed_dim
        self.depth = depth
        self.num_heads = num_heads
        self.mlp_ratio = mlp_ratio
        self.n_mels = n_mels
        self.kernel_size = kernel_size
        self.stride = stride
        self.pretrained = pretrained
        self.cross_attention = cross_attention
        self.ca_blocks = ca_blocks
        self.ca_symmetric = ca_symmetric
        self.loss = loss
        self.alpha = alpha
        self.margin = margin
        self.distance = distance
        self.pair_mix = pair_mix
        self.pairs_per_epoch = pairs_per_epoch
        self.augment = augment
        self.spec_augment = spec_augment
        self.frontend = frontend
        self.stream = stream
        self.num_workers = num_workers
        self.feature_cache = feature_cache
        self.precision = precision
        self.max_epochs = max_epochs
        self.head_epochs = head_epochs
        self.batch_size = batch_size
        self.head_batch_size = head_batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.warmup_epochs = warmup_epochs
        self.head_lr = head_lr
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.freeze_encoder = freeze_encoder
        self.standardize_embeddings = standardize_embeddings
        self.head_views = head_views
        self.validation_split = validation_split
        self.patience = patience
        self.calibrate = calibrate
        self.pos_label = pos_label
        self.device = device
        self.checkpoint_dir = checkpoint_dir
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ inputs
    def _check_params(self) -> None:
        if self.augment is not None and self.frontend is None:
            raise ValueError(
                "augment works on raw waveforms and needs a frontend (e.g. "
                "frontend=LogMel()); got frontend=None. Pass a frontend and raw "
                "waveforms, or drop augment (use spec_augment on spectrograms)."
            )
        for name in ("kernel_size", "stride"):
            value = getattr(self, name)
            if value is not None and (
                len(value) != 2 or not all(isinstance(v, Integral) for v in value)
            ):
                raise ValueError(f"{name} must be 2 positive ints; got {value!r}.")
        if len(self.pair_mix) != 3:
            raise ValueError(
                f"pair_mix must hold 3 shares (bona-bona, spoof-spoof, bona-spoof); "
                f"got {self.pair_mix!r}."
            )
        if isinstance(self.class_weight, (tuple, list)) and (
            len(self.class_weight) != 2 or min(self.class_weight) < 0
        ):
            raise ValueError(
                "class_weight must be 'balanced', None or 2 non-negative weights "
                f"(spoof, bona fide); got {self.class_weight!r}."
            )
        if self.head_views and self.augment is None and self.spec_augment is None:
            raise ValueError(
                f"head_views={self.head_views} asks for augmented views of the "
                "training clips, but augment and spec_augment are both None. Set "
                "one of them (e.g. augment=RawBoost() with a frontend, or "
                "spec_augment=SpecAugment()), or head_views=0."
            )
        if self.stream != "auto" and self.stream and self.frontend is None:
            raise ValueError(
                "stream=True streams raw audio through the frontend; got "
                "frontend=None. Pass a frontend (e.g. LogMel()) or stream='auto'."
            )
        if self.pretrained is not None and not Path(self.pretrained).is_file():
            raise ValueError(
                f"pretrained={os.fspath(self.pretrained)!r} is not a file. Give the "
                "path of an SSAST checkpoint (.pth) or pretrained=None."
            )

    def _features(self, X, *, reset: bool, stage: str | None = None):
        """``(spectrograms, waveforms or None)``; see :func:`_inputs.features`."""
        return _inputs.features(self, X, reset=reset, stage=stage)

    def _build_encoder(self, n_frames: int, n_mels: int) -> SSASTEncoder:
        return build_encoder(self, n_frames, n_mels)

    def _validation(self, X3, is_bona, X_val, y_val, seed):
        """``(train indices, validation features or None, validation mask)``."""
        if X_val is None:
            train, valid = _inputs.split(self.validation_split, len(X3), is_bona, seed)
            if valid is None:
                return train, None, None
            return train, _inputs.take(X3, valid), is_bona[valid]
        Xv, _ = self._features(X_val, reset=False, stage="fit")
        _, val_bona = _inputs.check_labels(y_val, self.pos_label)
        if len(val_bona) != len(Xv):
            raise ValueError(
                f"X_val has {len(Xv)} clips but y_val has {len(val_bona)} labels."
            )
        return np.arange(len(X3)), Xv, val_bona

    # -------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, X_val=None, y_val=None, attacks=None, groups=None):
        """Train the detector.

        Parameters
        ----------
        X : array-like
            Spectrograms ``(n_samples, n_frames, n_mels)`` or
            ``(n_samples, n_frames * n_mels)``; with a ``frontend``, raw waveforms,
            audio file paths or a DataFrame with a ``path`` column.
        y : array-like of shape (n_samples,)
            Labels; ``pos_label`` marks bona fide.
        X_val, y_val : array-like, optional
            Validation data (else ``validation_split`` of ``X``).
        attacks : array-like of shape (n_samples,), optional
            Attack ID per clip: spoof clips of pairs are drawn uniformly over them.
        groups : array-like of shape (n_samples,), optional
            Speaker (or other nuisance group) per clip, e.g. the protocol's
            speaker column. Stage I then draws bona fide-spoof pairs within a
            group and same-class pairs across groups, so the speaker does not
            tell the pair types apart (ours). Ignored by
            ``loss="ce"``. In ``GridSearchCV(..., cv=GroupKFold())`` the same
            array reaches ``fit`` with metadata routing:
            ``sklearn.set_config(enable_metadata_routing=True)`` and
            ``set_fit_request(groups=True)``.

        Returns
        -------
        self : SSASTCLClassifier
            The fitted estimator.
        """
        self._check_params()
        if (X_val is None) != (y_val is None):
            raise ValueError("Pass both X_val and y_val, or neither.")
        if self.calibrate and X_val is None and self.validation_split is None:
            raise ValueError(
                "calibrate=True fits the calibration on validation scores, but "
                "there are none: pass X_val/y_val to fit, or set validation_split "
                "(e.g. 0.1), or calibrate=False."
            )
        X3, waves = self._features(X, reset=True)
        if self.frontend is None:
            _, y = validate_data(self, X3.reshape(len(X3), -1), y, reset=False)
        elif len(y) != len(X3):
            raise ValueError(f"X has {len(X3)} clips but y has {len(y)} labels.")
        if len(X3) < 2:
            raise ValueError(
                f"Got n_samples = {len(X3)}; fit needs at least 2 clips per class."
            )
        self.classes_, is_bona = _inputs.check_labels(y, self.pos_label)
        attacks = per_clip(attacks, "attacks", len(X3))
        groups = per_clip(groups, "groups", len(X3))
        self.device_ = check_device(self.device)
        if self.precision == "fp16" and torch.device(self.device_).type != "cuda":
            raise ValueError(
                f"precision='fp16' needs a CUDA device; got device={self.device!r} "
                f"(resolved to {self.device_!r}). Use precision='bf16' on CPU, or "
                "'fp32'."
            )
        seed = seed_from(self.random_state)
        train, Xv, val_bona = self._validation(X3, is_bona, X_val, y_val, seed)
        shape = _inputs.spec_shape(X3)
        if Xv is not None and _inputs.spec_shape(Xv) != shape:
            raise ValueError(
                f"X_val spectrograms have shape {_inputs.spec_shape(Xv)}; X has "
                f"{shape}."
            )
        self.target_length_, self.n_mels_ = int(shape[0]), int(shape[1])
        if self.checkpoint_dir is not None:
            fingerprint = fit_fingerprint(self, X3, y, Xv, y_val, attacks, groups)
            claim_checkpoint_dir(self.checkpoint_dir, fingerprint)
        source = _inputs.training_source(self, X3, waves, train, seed)
        X_train = _inputs.take(X3, train)
        y_train = is_bona[train]
        pair_info = (
            None if attacks is None else attacks[train],
            None if groups is None else groups[train],
        )
        devices = [] if self.device_ == "cpu" else [torch.device(self.device_)]
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            encoder = self._build_encoder(self.target_length_, self.n_mels_)
            self.encoder_net_ = None
            if self.loss == "contrastive":
                self.encoder_net_ = fit_stage1(
                    self,
                    encoder,
                    source,
                    X_train,
                    y_train,
                    Xv,
                    val_bona,
                    pair_info,
                    seed,
                )
                self.history_ = self.encoder_net_.history
            self.head_net_ = fit_head(
                self, encoder, source, X_train, y_train, Xv, val_bona
            )
            if self.encoder_net_ is None:
                self.history_ = self.head_net_.history
        self.encoder_ = encoder
        if Xv is not None:
            self._fit_threshold(Xv, val_bona)
        else:
            self._fit_threshold(X_train, y_train)
        return self

    def _fit_threshold(self, X3, bona) -> None:
        """Fit ``calibrator_`` (``calibrate=True``) and the EER ``threshold_``."""
        scores = self._decision(X3)
        self.calibrator_ = None
        if self.calibrate:
            self.calibrator_ = ScoreCalibrator().fit(
                scores, np.where(bona, "bonafide", "spoof")
            )
            scores = self.calibrator_.decision_function(scores)
        self.threshold_ = float(compute_eer(scores[bona], scores[~bona])[1])

    # ------------------------------------------------------------- inference
    @property
    def _end_to_end(self) -> bool:
        return end_to_end(self)

    def _logits(self, X3) -> np.ndarray:
        return head_logits(self, X3)

    def _decision(self, X3) -> np.ndarray:
        logits = self._logits(X3)
        return logits[:, 1] - logits[:, 0]

    def _check_predict_input(self, X) -> np.ndarray:
        check_is_fitted(self)
        X3, _ = self._features(X, reset=False)
        expected = (self.target_length_, self.n_mels_)
        shape = _inputs.spec_shape(X3)
        if shape != expected:
            raise ValueError(
                f"X has spectrograms of shape {shape}; the model was fitted "
                f"on {expected} (frames, mel bins)."
            )
        return X3

    def _calibrated(self, raw: np.ndarray) -> np.ndarray:
        calibrator = getattr(self, "calibrator_", None)
        return raw if calibrator is None else calibrator.decision_function(raw)

    def decision_function(self, X) -> np.ndarray:
        """Bona fide score ``logit_bona - logit_spoof`` (float64; higher = bona fide).

        With ``calibrate=True``, the calibrated natural-log likelihood ratio of
        that score instead.

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Scores.
        """
        return self._calibrated(self._decision(self._check_predict_input(X)))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order.

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Softmax of the two logits; with ``calibrate=True``, the posteriors
            ``sigmoid(±LLR)`` at equal priors.
        """
        if getattr(self, "calibrator_", None) is not None:
            p_bona = expit(self.decision_function(X))
            proba = np.column_stack([1.0 - p_bona, p_bona])
            return proba if self._pos_index == 1 else proba[:, ::-1].copy()
        logits = torch.as_tensor(self._logits(self._check_predict_input(X)))
        proba = torch.softmax(logits, dim=1).numpy()
        return proba if self._pos_index == 1 else proba[:, ::-1].copy()

    @property
    def _pos_index(self) -> int:
        return int(np.flatnonzero(self.classes_ == self.pos_label)[0])

    def predict(self, X) -> np.ndarray:
        """Bona fide iff ``decision_function(X) >= threshold_``.

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        bona = self.decision_function(X) >= self.threshold_
        pos = self._pos_index
        return np.where(bona, self.classes_[pos], self.classes_[1 - pos])

    def score(self, X, y, sample_weight=None) -> float:
        """``1 - EER`` of :meth:`decision_function` on ``(X, y)`` (higher is better).

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`.
        y : array-like of shape (n_samples,)
            True labels, from ``classes_``.
        sample_weight : None
            Not supported (the official EER weighs every trial equally).

        Returns
        -------
        float
            One minus the equal error rate.
        """
        return one_minus_eer(self, X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.device != "cpu"
        tags.classifier_tags.multi_class = False
        tags.input_tags.three_d_array = True
        return tags

    # ------------------------------------------------------ safe persistence
    def save_weights(self, path) -> None:
        """Save the fitted weights and settings without pickling any code.

        Writes ``weights.pt`` (tensor state dicts) and ``config.json`` (the
        architecture, JSON-able parameters, ``classes_`` and ``threshold_``)
        into the folder ``path``. Reload with :meth:`load_weights`.

        Parameters
        ----------
        path : str or path-like
            Folder to create or overwrite files in.
        """
        save_classifier(self, path)

    @classmethod
    def load_weights(cls, path, *, device="cpu") -> SSASTCLClassifier:
        """Rebuild a fitted classifier saved by :meth:`save_weights`.

        Only tensors and JSON are read (``torch.load(weights_only=True)``). A
        ``LogMel`` frontend is rebuilt from its saved parameters; waveform
        augmenters are not saved (they only matter in ``fit``).

        The files are checked before use: ``config.json`` must hold every
        expected key, the ``sha256`` written by :meth:`save_weights` (over
        ``weights.pt`` and the rest of ``config.json``) must match, and every
        weight must be finite; otherwise a ``ValueError`` names the file. A
        folder saved before the hash existed loads with a ``UserWarning``.
        Nothing named inside the files is opened: path-valued parameters
        (``feature_cache``, ``checkpoint_dir``, ``pretrained``) are not saved,
        and are ignored, with a warning, when a ``config.json`` holds them.

        Parameters
        ----------
        path : str or path-like
            Folder written by :meth:`save_weights`.
        device : str, default="cpu"
            Where to put the weights.

        Returns
        -------
        SSASTCLClassifier
            A fitted estimator ready for ``predict``.
        """
        return load_classifier(cls, path, device=device)
