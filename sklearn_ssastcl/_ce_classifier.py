"""SSASTCEClassifier: the cross-entropy SSAST baseline as a scikit-learn estimator.

The "vanilla SSAST" baseline of the SSAST-CL paper: the same encoder with a
linear head, fine-tuned end to end with weighted cross-entropy (one stage,
:func:`sklearn_ssastcl._stage2.fit_head`). Fit orchestration and inference are
shared with :class:`~sklearn_ssastcl.SSASTCLClassifier` in
:class:`~sklearn_ssastcl._ssast_base.BaseSSASTClassifier`.
"""

from __future__ import annotations

import torch
from sklearn.base import _fit_context

from sklearn_ssastcl._estimator_docs import fill_docstring
from sklearn_ssastcl._ssast_base import BaseSSASTClassifier
from sklearn_ssastcl._stage2 import fit_head
from sklearn_ssastcl.nn._siamese import LinearHead


@fill_docstring
class SSASTCEClassifier(BaseSSASTClassifier):
    """SSAST bona fide / spoof detector fine-tuned with cross-entropy.

    The baseline that SSAST-CL is compared with ("vanilla SSAST", [1]_): an SSAST
    encoder [2]_ and a linear head on its mean patch embedding, trained
    together with weighted cross-entropy on single clips. Same input handling,
    front end, augmentation, validation, calibration and inference as
    :class:`~sklearn_ssastcl.SSASTCLClassifier`, without the Siamese stage.

    Parameters
    ----------
    {{encoder_params}}
    {{data_params}}
    max_epochs : int, default=10
        Training epochs.
    batch_size : int, default=16
        Clips per batch.
    head_lr : float, default=1e-3
        Adam learning rate of the linear head (``lr`` is the encoder's).
    {{optim_params}}
    {{common_params}}

    Attributes
    ----------
    {{attributes}}
    head_net_ : skorch NeuralNetClassifier
        The trained encoder + head net.
    history_ : skorch History
        Its training history.

    See Also
    --------
    SSASTCLClassifier : The contrastive two-stage detector.

    Notes
    -----
    ``SSASTCLClassifier(loss="ce")`` trained this model before 0.2; with the
    same shared parameters and seed it gives the same scores.

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
    >>> clf = SSASTCEClassifier(embed_dim=16, depth=1, num_heads=2, n_mels=8,
    ...     kernel_size=(4, 4), max_epochs=10, batch_size=8, lr=1e-3,
    ...     random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.8
    True
    """

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
        augment=None,
        spec_augment=None,
        frontend=None,
        stream="auto",
        num_workers=0,
        feature_cache=None,
        precision="fp32",
        max_epochs=10,
        batch_size=16,
        head_lr=1e-3,
        lr=1e-4,
        lr_schedule=None,
        warmup_epochs=1.0,
        weight_decay=5e-7,
        class_weight="balanced",
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
        self.augment = augment
        self.spec_augment = spec_augment
        self.frontend = frontend
        self.stream = stream
        self.num_workers = num_workers
        self.feature_cache = feature_cache
        self.precision = precision
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.head_lr = head_lr
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.warmup_epochs = warmup_epochs
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.validation_split = validation_split
        self.patience = patience
        self.calibrate = calibrate
        self.pos_label = pos_label
        self.device = device
        self.checkpoint_dir = checkpoint_dir
        self.random_state = random_state
        self.verbose = verbose

    @fill_docstring
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, X_val=None, y_val=None):
        """Train encoder and linear head together with cross-entropy.

        Parameters
        ----------
        {{fit_params}}

        Returns
        -------
        self : SSASTCEClassifier
            The fitted estimator.
        """
        return self._fit(X, y, X_val, y_val)

    @property
    def _end_to_end(self) -> bool:
        return True

    @property
    def _end_to_end_epochs(self) -> int:
        return self.max_epochs

    def _new_head(self, embed_dim: int) -> torch.nn.Module:
        return LinearHead(embed_dim)

    def _train_networks(self, encoder, source, X_train, y_train, Xv, val_bona, info):
        self.head_net_ = fit_head(self, encoder, source, X_train, y_train, Xv, val_bona)
        self.history_ = self.head_net_.history
