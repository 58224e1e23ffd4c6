"""SSASTCLClassifier: the SSAST-CL spoof detector as a scikit-learn estimator.

The estimator declares its parameters, checks them and trains stage I
(:mod:`~sklearn_ssastcl._stage1`) then stage II (:mod:`~sklearn_ssastcl._stage2`);
fit orchestration and inference are shared with the cross-entropy baseline in
:class:`~sklearn_ssastcl._ssast_base.BaseSSASTClassifier`.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from sklearn_ssastcl._estimator_docs import fill_docstring
from sklearn_ssastcl._ssast_base import BaseSSASTClassifier
from sklearn_ssastcl._stage1 import fit_stage1
from sklearn_ssastcl._stage2 import (
    _VIEW_EPOCH,  # noqa: F401 (tests import it)
    fit_head,
)
from sklearn_ssastcl.nn._siamese import LinearHead, MLPHead

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")


@fill_docstring
class SSASTCLClassifier(BaseSSASTClassifier):
    """SSAST-CL bona fide / spoof detector (Goel et al., Interspeech 2023).

    Stage I trains an SSAST encoder as a three-branch Siamese network (two
    self-attention branches, one cross-attention branch, shared weights) on
    online pairs with ``L_SA + alpha * L_CA``; stage II trains an MLP head on the
    frozen encoder's clip embeddings with weighted cross-entropy [1]_. Inference
    is one encoder pass per clip. The cross-entropy baseline ("vanilla SSAST")
    is :class:`~sklearn_ssastcl.SSASTCEClassifier`.

    Parameters
    ----------
    {{encoder_params}}
    cross_attention : bool, default=True
        Run the cross-attention branch in stage I.
    ca_blocks : int or None, default=None
        Cross-attend in the last ``ca_blocks`` blocks only (None: all).
    ca_symmetric : bool, default=False
        Also compute the CA branch with the roles of the two clips swapped.
    loss : {"contrastive", "supcon", "ntxent", "ce"}, default="contrastive"
        The stage I loss. "contrastive": the margin loss on pair distances
        (``margin``, ``distance``). "supcon": supervised contrastive loss over
        all embeddings of a batch, same-class rows positive; "ntxent": NT-Xent,
        only the views of one same-class pair positive (both with in-batch
        negatives and ``temperature``; the cross-attention outputs enter as
        further views: see :class:`~sklearn_ssastcl.nn.SiameseInfoNCELoss`,
        ours). "ce" (deprecated since 0.2, removed in 0.3) skips stage I and
        trains the cross-entropy baseline: use
        :class:`~sklearn_ssastcl.SSASTCEClassifier`.
    alpha : float, default=1.0
        Weight of the CA loss; 0 skips the CA branch (the ablation).
    margin : float, default=1.0
        Margin of ``loss="contrastive"``.
    distance : {"euclidean", "cosine"}, default="euclidean"
        Embedding distance of ``loss="contrastive"``.
    temperature : float, default=0.1
        Softmax temperature of ``loss="supcon"`` and ``loss="ntxent"``.
    pair_mix : tuple of 3 float, default=(0.25, 0.25, 0.5)
        Shares of bona fide-bona fide, spoof-spoof and bona fide-spoof pairs.
    pairs_per_epoch : int or None, default=None
        Pairs per stage I epoch; None means ``4 * n_bonafide`` (ours).
    {{data_params}}
    max_epochs : int, default=10
        Stage I epochs.
    head_epochs : int, default=30
        Stage II epochs.
    batch_size : int, default=16
        Pairs per stage I batch (clips per batch in an unfrozen stage II).
    head_batch_size : int, default=256
        Embeddings per batch in the frozen stage II.
    head_lr : float, default=1e-3
        Adam learning rate of the head.
    {{optim_params}}
    freeze_encoder : bool, default=True
        Stage II on frozen embeddings (computed once per clip); False fine-tunes
        encoder and head together for ``head_epochs``.
    standardize_embeddings : bool, default=False
        In the frozen stage II, standardise each embedding feature with its mean
        and std over the training clips before the head (stored in the head).
    head_views : int, default=0
        In the frozen stage II, also embed this many augmented views of every
        training clip (a fresh ``augment`` draw and ``spec_augment`` masks per
        view) and train the head on them beside the clean embeddings (ours:
        both classes get views, so augmentation is no cue to the class). Needs
        ``augment`` (with a frontend) or ``spec_augment``; ignored with
        ``freeze_encoder=False``, which sees fresh augmentation every epoch.
    {{common_params}}

    Attributes
    ----------
    {{attributes}}
    encoder_net_ : skorch NeuralNet or None
        Stage I net (None for the deprecated ``loss="ce"``).
    head_net_ : skorch NeuralNetClassifier
        Stage II net (encoder + head with ``freeze_encoder=False``).
    history_ : skorch History
        History of stage I.

    See Also
    --------
    SSASTCEClassifier : The cross-entropy baseline.
    sklearn_ssastcl.recipe.make_recipe : The configurations behind the results.

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
    {{references}}

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
        **BaseSSASTClassifier._parameter_constraints,
        "cross_attention": ["boolean"],
        "ca_blocks": [_POSITIVE_INT, None],
        "ca_symmetric": ["boolean"],
        "loss": [StrOptions({"contrastive", "supcon", "ntxent", "ce"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "margin": [Interval(Real, 0, None, closed="neither")],
        "distance": [StrOptions({"euclidean", "cosine"})],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "pair_mix": [tuple, list],
        "pairs_per_epoch": [_POSITIVE_INT, None],
        "head_epochs": [_POSITIVE_INT],
        "head_batch_size": [_POSITIVE_INT],
        "freeze_encoder": ["boolean"],
        "standardize_embeddings": ["boolean"],
        "head_views": [Interval(Integral, 0, None, closed="left")],
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
        temperature=0.1,
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
        head_lr=1e-3,
        lr=1e-4,
        lr_schedule=None,
        warmup_epochs=1.0,
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
        self.temperature = temperature
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
        self.head_lr = head_lr
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.warmup_epochs = warmup_epochs
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

    def _check_params(self) -> None:
        super()._check_params()
        if len(self.pair_mix) != 3:
            raise ValueError(
                f"pair_mix must hold 3 shares (bona-bona, spoof-spoof, bona-spoof); "
                f"got {self.pair_mix!r}."
            )
        if self.head_views and self.augment is None and self.spec_augment is None:
            raise ValueError(
                f"head_views={self.head_views} asks for augmented views of the "
                "training clips, but augment and spec_augment are both None. Set "
                "one of them (e.g. augment=RawBoost() with a frontend, or "
                "spec_augment=SpecAugment()), or head_views=0."
            )
        if self.loss in ("supcon", "ntxent"):
            self._check_infonce_batches()
        if self.loss == "ce":
            warnings.warn(
                "SSASTCLClassifier(loss='ce') is deprecated since 0.2 and will be "
                "removed in 0.3: use SSASTCEClassifier, the same cross-entropy "
                "baseline with only the parameters that mean something for it.",
                FutureWarning,
                stacklevel=3,
            )

    def _check_infonce_batches(self) -> None:
        """Batches of ``loss="supcon"``/``"ntxent"`` must hold negatives (positives)."""
        bb, ss, bs = self.pair_mix
        if self.batch_size < 2:
            raise ValueError(
                f"loss={self.loss!r} contrasts the pairs of a batch with each "
                f"other; batch_size={self.batch_size} leaves nothing to contrast. "
                "Use batch_size >= 2 (e.g. 16)."
            )
        if self.loss == "supcon" and not (bs > 0 or (bb > 0 and ss > 0)):
            raise ValueError(
                f"loss='supcon' with pair_mix={tuple(self.pair_mix)} draws batches "
                "of one class only, with no negatives. Give bona fide-spoof pairs "
                "a share (e.g. pair_mix=(0.25, 0.25, 0.5))."
            )
        if self.loss == "ntxent" and not bb + ss > 0:
            raise ValueError(
                f"loss='ntxent' with pair_mix={tuple(self.pair_mix)} draws no "
                "same-class pair, so no view has a positive. Give same-class pairs "
                "a share (e.g. pair_mix=(0.25, 0.25, 0.5))."
            )

    @fill_docstring
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, X_val=None, y_val=None, attacks=None, groups=None):
        """Train the detector: stage I (Siamese encoder), then stage II (head).

        Parameters
        ----------
        {{fit_params}}
        attacks : array-like of shape (n_samples,), optional
            Attack ID per clip: spoof clips of pairs are drawn uniformly over them.
        groups : array-like of shape (n_samples,), optional
            Speaker (or other nuisance group) per clip, e.g. the protocol's
            speaker column. Stage I then draws bona fide-spoof pairs within a
            group and same-class pairs across groups, so the speaker does not
            tell the pair types apart (ours). In
            ``GridSearchCV(..., cv=GroupKFold())`` the same array reaches ``fit``
            with metadata routing: ``sklearn.set_config(enable_metadata_routing=True)``
            and ``set_fit_request(groups=True)``.

        Returns
        -------
        self : SSASTCLClassifier
            The fitted estimator.
        """
        return self._fit(X, y, X_val, y_val, attacks=attacks, groups=groups)

    @property
    def _end_to_end(self) -> bool:
        return self.loss == "ce" or not self.freeze_encoder

    @property
    def _end_to_end_epochs(self) -> int:
        return self.max_epochs if self.loss == "ce" else self.head_epochs

    def _new_head(self, embed_dim: int) -> torch.nn.Module:
        return LinearHead(embed_dim) if self.loss == "ce" else MLPHead(embed_dim)

    def _train_networks(self, encoder, source, X_train, y_train, Xv, val_bona, info):
        self.encoder_net_ = None
        if self.loss != "ce":
            self.encoder_net_ = fit_stage1(
                self,
                encoder,
                source,
                X_train,
                y_train,
                Xv,
                val_bona,
                (info["attacks"], info["groups"]),
                info["seed"],
            )
        self.head_net_ = fit_head(self, encoder, source, X_train, y_train, Xv, val_bona)
        net = self.encoder_net_ or self.head_net_
        self.history_ = net.history
