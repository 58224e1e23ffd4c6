"""Stage II of SSAST-CL: the classification head, and the end-to-end CE path.

With a frozen encoder, an MLP head is trained with weighted cross-entropy on
the clip embeddings (optionally with embeddings of augmented views) [1]_.
Otherwise (the "vanilla SSAST" baseline :class:`~sklearn_ssastcl.SSASTCEClassifier`,
or ``freeze_encoder=False``) encoder and head are trained together end to end.
:func:`head_logits` runs the fitted nets at inference.

References
----------
.. [1] A. Goel, M. Singh, P. Sharma, "SSAST-CL: a self-supervised audio
   spectrogram transformer with contrastive learning for spoofed speech
   detection", Interspeech 2023.
"""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import EpochScoring
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from sklearn_ssastcl._net import (
    ClassifierNet,
    autocast,
    collect_batches,
    embed_batches,
    valid_eer,
)
from sklearn_ssastcl._pairs import EpochClipDataset
from sklearn_ssastcl._sources import ClipStream
from sklearn_ssastcl._training import (
    callbacks,
    class_weights,
    embed_kwargs,
    loader_kwargs,
    lr_schedule,
    train,
)
from sklearn_ssastcl._utils import seed_from
from sklearn_ssastcl.nn._siamese import EncoderClassifier, MLPHead

_VIEW_EPOCH = 1_000_000  # augmentation "epochs" of the stage II views


def fit_head(est, encoder, source, X_train, y_train, Xv, val_bona):
    """Train the stage II head (or encoder + head end to end).

    Parameters
    ----------
    est : SSASTCLClassifier
        The estimator (stage II parameters, ``classes_``, ``device_``).
    encoder : SSASTEncoder
        The (stage I trained) encoder.
    source : FeatureSource or ClipStream
        Training clips (augmented per epoch when ``augment`` is set).
    X_train : ndarray or ClipStream
        Un-augmented training features.
    y_train : ndarray of bool
        Bona fide mask of the training clips.
    Xv : ndarray, ClipStream or None
        Validation features.
    val_bona : ndarray of bool or None
        Bona fide mask of the validation clips.

    Returns
    -------
    ClassifierNet
        The trained head net (encoder + head when end to end).
    """
    pos = int(np.flatnonzero(est.classes_ == est.pos_label)[0])
    weight = class_weights(est.class_weight, est.classes_, pos, y_train)
    have_valid = Xv is not None
    extra = []
    if have_valid:
        scoring = EpochScoring(
            valid_eer, name="valid_eer", lower_is_better=True, on_train=False
        )
        extra.append(("valid_eer", scoring))
    kwargs = {
        "criterion": torch.nn.CrossEntropyLoss,
        "criterion__weight": weight,
        "optimizer": torch.optim.Adam,
        "optimizer__betas": (0.95, 0.999),
        "optimizer__weight_decay": est.weight_decay,
        "iterator_train__shuffle": True,
        "callbacks": callbacks(est, "head", have_valid, extra),
        "device": est.device_,
        "verbose": est.verbose,
        "classes": [0, 1],
        "precision": est.precision,
    }
    y_int = y_train.astype(np.int64)
    if est._end_to_end:
        return _fit_end_to_end(est, encoder, source, y_int, Xv, val_bona, extra, kwargs)
    return _fit_frozen(est, encoder, source, X_train, y_int, Xv, val_bona, kwargs)


def _fit_end_to_end(est, encoder, source, y_int, Xv, val_bona, extra, kwargs):
    """Encoder + head with cross-entropy (the CE baseline or an unfrozen stage II)."""
    have_valid = Xv is not None
    epochs = est._end_to_end_epochs
    kwargs["callbacks"] = callbacks(
        est, "head", have_valid, [*extra, *lr_schedule(est, len(y_int), epochs)]
    )
    head = est._new_head(encoder.embed_dim)
    valid = None
    if have_valid:
        y_val = val_bona.astype(np.int64)
        valid = (
            EpochClipDataset(Xv, y_val)
            if isinstance(Xv, ClipStream)
            else Dataset(Xv, y_val)
        )
    net = ClassifierNet(
        EncoderClassifier(encoder, head),
        lr=est.lr,
        optimizer__param_groups=[("head.*", {"lr": est.head_lr})],
        max_epochs=epochs,
        batch_size=est.batch_size,
        train_split=None if valid is None else predefined_split(valid),
        spec_augment=est.spec_augment,
        **loader_kwargs(source, est.num_workers),
        **kwargs,
    )
    return train(net, est.checkpoint_dir, "head", EpochClipDataset(source, y_int))


def _fit_frozen(est, encoder, source, X_train, y_int, Xv, val_bona, kwargs):
    """MLP head on the frozen encoder's embeddings (and augmented views)."""
    kw = embed_kwargs(est)
    z_train = embed_batches(encoder, X_train, **kw)
    if est.head_views:
        views = [
            view_embeddings(est, encoder, source, X_train, view)
            for view in range(est.head_views)
        ]
        z_train = np.concatenate([z_train, *views])
        y_int = np.tile(y_int, 1 + est.head_views)
    valid = None
    if Xv is not None:
        valid = Dataset(embed_batches(encoder, Xv, **kw), val_bona.astype(np.int64))
    head = MLPHead(encoder.embed_dim)
    if est.standardize_embeddings:
        head.standardize(z_train)
    net = ClassifierNet(
        head,
        lr=est.head_lr,
        max_epochs=est.head_epochs,
        batch_size=est.head_batch_size,
        train_split=None if valid is None else predefined_split(valid),
        **kwargs,
    )
    return train(net, est.checkpoint_dir, "head", z_train, y_int)


def view_embeddings(est, encoder, source, X_train, view: int) -> np.ndarray:
    """Embeddings of augmented view ``view`` of every training clip.

    Parameters
    ----------
    est : SSASTCLClassifier
        The estimator (``spec_augment``, ``random_state``, ``device_``).
    encoder : SSASTEncoder
        The frozen encoder.
    source : FeatureSource or ClipStream
        Training clips.
    X_train : ndarray or ClipStream
        Un-augmented training features (used when there is no ``augment``).
    view : int
        View number: waveform draws of epoch ``_VIEW_EPOCH + view``.

    Returns
    -------
    ndarray of shape (n_train, embed_dim)
        The embeddings.
    """
    epoch = _VIEW_EPOCH + view  # draws apart from those of stage I's epochs
    kw = embed_kwargs(est)
    if isinstance(source, ClipStream):
        source.set_epoch(epoch)
        data = source
    elif source.augment is not None:
        data = source.features(epoch)
    else:
        data = X_train
    generator = torch.Generator().manual_seed(
        seed_from(est.random_state) + 7919 * (view + 1)
    )

    def run(xb):
        if est.spec_augment is not None:
            xb = est.spec_augment(xb, generator)
        with autocast(est.device_, kw["precision"]):
            return encoder(xb.to(est.device_)).float()

    was_training = encoder.training
    encoder.eval()
    try:
        with torch.no_grad():
            return collect_batches(
                run,
                data,
                encoder.embed_dim,
                batch_size=kw["batch_size"],
                num_workers=kw["num_workers"],
            )
    finally:
        encoder.train(was_training)


@torch.no_grad()
def head_logits(est, X3) -> np.ndarray:
    """The fitted ``est``'s two logits ``(spoof, bona fide)`` per clip.

    Parameters
    ----------
    est : SSASTCLClassifier
        A fitted estimator.
    X3 : ndarray of shape (n_samples, n_frames, n_mels) or ClipStream
        Features.

    Returns
    -------
    ndarray of shape (n_samples, 2)
        float64 logits.
    """
    module = est.head_net_.module_
    module.eval()
    kw = embed_kwargs(est)
    if est._end_to_end:

        def run(xb):
            with autocast(est.device_, kw["precision"]):
                return module(xb.to(est.device_)).double()

        return collect_batches(
            run,
            X3,
            2,
            batch_size=kw["batch_size"],
            num_workers=kw["num_workers"],
            dtype=np.float64,
        )
    z = embed_batches(est.encoder_, X3, **kw)
    with autocast(est.device_, kw["precision"]):
        logits = module(torch.as_tensor(z, device=est.device_))
    return logits.double().cpu().numpy()
