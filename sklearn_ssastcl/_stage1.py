"""Stage I of SSAST-CL: build the SSAST encoder and train it as a Siamese network.

The encoder is trained as three branches with shared weights (two
self-attention branches, one cross-attention branch) on online pairs with
``L_SA + alpha * L_CA`` [1]_, from random initialisation or an SSAST
checkpoint [2]_.

References
----------
.. [1] A. Goel, M. Singh, P. Sharma, "SSAST-CL: a self-supervised audio
   spectrogram transformer with contrastive learning for spoofed speech
   detection", Interspeech 2023.
.. [2] Y. Gong, C.-I. Lai, Y.-A. Chung, J. Glass, "SSAST: self-supervised
   audio spectrogram transformer", AAAI 2022.
"""

from __future__ import annotations

import os

import torch

from sklearn_ssastcl._net import ContrastiveNet, ProbeEER
from sklearn_ssastcl._pairs import EpochPairDataset, PairSampler
from sklearn_ssastcl._steps import ADAM_BETAS
from sklearn_ssastcl._training import callbacks, loader_kwargs, lr_schedule, train
from sklearn_ssastcl.nn._losses import SiameseContrastiveLoss, SiameseInfoNCELoss
from sklearn_ssastcl.nn._siamese import SiameseSSAST
from sklearn_ssastcl.nn._ssast import SSASTEncoder


def build_encoder(est, n_frames: int, n_mels: int) -> SSASTEncoder:
    """The SSAST encoder for ``est``'s architecture parameters.

    Parameters
    ----------
    est : SSASTCLClassifier
        The estimator (``model_size``, ``embed_dim``, ``depth``, ``num_heads``,
        ``mlp_ratio``, ``kernel_size``, ``stride``, ``pretrained``).
    n_frames : int
        Frames per spectrogram.
    n_mels : int
        Mel bins.

    Returns
    -------
    SSASTEncoder
        Randomly initialised, or loaded from ``pretrained``.
    """
    stride = None if est.stride is None else tuple(est.stride)
    if est.pretrained is not None:
        from sklearn_ssastcl.nn._checkpoint import (
            encoder_from_checkpoint,
            load_ssast_checkpoint,
        )

        info = load_ssast_checkpoint(est.pretrained, num_heads=est.num_heads)
        if n_mels != info["p_input_fdim"]:
            raise ValueError(
                f"The checkpoint {os.fspath(est.pretrained)!r} was pretrained on "
                f"{info['p_input_fdim']} mel bins; X has {n_mels}. Compute the "
                f"spectrograms with n_mels={info['p_input_fdim']}."
            )
        for name in ("embed_dim", "depth"):
            wanted = getattr(est, name)
            if wanted is not None and wanted != info[name]:
                raise ValueError(
                    f"{name}={wanted} does not match the checkpoint "
                    f"{os.fspath(est.pretrained)!r}, whose encoder has "
                    f"{name}={info[name]}. With pretrained=..., the architecture "
                    f"comes from the checkpoint: leave {name}=None."
                )
        return encoder_from_checkpoint(
            est.pretrained,
            target_length=n_frames,
            stride=stride,
            n_mels=n_mels,
            num_heads=est.num_heads,
        )
    return SSASTEncoder(
        est.model_size,
        embed_dim=est.embed_dim,
        depth=est.depth,
        num_heads=est.num_heads,
        mlp_ratio=est.mlp_ratio,
        n_mels=n_mels,
        target_length=n_frames,
        kernel_size=tuple(est.kernel_size),
        stride=stride,
    )


def stage1_loss(est) -> torch.nn.Module:
    """The stage I criterion of ``est.loss`` (margin, SupCon or NT-Xent)."""
    if est.loss in SiameseInfoNCELoss.KINDS:
        return SiameseInfoNCELoss(
            est.loss, temperature=est.temperature, alpha=est.alpha
        )
    return SiameseContrastiveLoss(
        alpha=est.alpha, margin=est.margin, distance=est.distance
    )


def fit_stage1(est, encoder, source, X_train, y_train, Xv, val_bona, pair_info, seed):
    """Train ``encoder`` in place with the Siamese contrastive loss.

    Parameters
    ----------
    est : SSASTCLClassifier
        The estimator (stage I parameters, ``device_``).
    encoder : SSASTEncoder
        The encoder; its weights are trained in place.
    source : FeatureSource or ClipStream
        Training clips (augmented per epoch when ``augment`` is set).
    X_train : ndarray or ClipStream
        Un-augmented training features (for the validation probe).
    y_train : ndarray of bool
        Bona fide mask of the training clips.
    Xv : ndarray, ClipStream or None
        Validation features.
    val_bona : ndarray of bool or None
        Bona fide mask of the validation clips.
    pair_info : tuple of (ndarray or None, ndarray or None)
        Attack and group per training clip.
    seed : int
        Seed of the pair draws and augmentation.

    Returns
    -------
    ContrastiveNet
        The trained stage I net.
    """
    model = SiameseSSAST(
        encoder,
        cross_attention=bool(est.cross_attention and est.alpha > 0),
        ca_blocks=est.ca_blocks,
        ca_symmetric=est.ca_symmetric,
    )
    attacks, groups = pair_info
    sampler = PairSampler(y_train, attacks, tuple(est.pair_mix), groups=groups)
    n_pairs = est.pairs_per_epoch or 4 * int(y_train.sum())
    in_batch = est.loss in ("supcon", "ntxent")
    dataset = EpochPairDataset(
        source, sampler, n_pairs, seed=seed, is_bonafide=y_train if in_batch else None
    )
    extra = lr_schedule(est, n_pairs, est.max_epochs)
    have_valid = Xv is not None
    if have_valid:
        probe = ProbeEER(X_train, y_train, Xv, val_bona, num_workers=est.num_workers)
        extra.append(("valid_eer", probe))
    net = ContrastiveNet(
        model,
        criterion=stage1_loss(est),
        optimizer=torch.optim.Adam,
        optimizer__betas=ADAM_BETAS,
        optimizer__weight_decay=est.weight_decay,
        lr=est.lr,
        max_epochs=est.max_epochs,
        batch_size=est.batch_size,
        iterator_train__shuffle=True,
        train_split=None,
        callbacks=callbacks(est, "stage1", have_valid, extra),
        spec_augment=est.spec_augment,
        precision=est.precision,
        device=est.device_,
        verbose=est.verbose,
        **loader_kwargs(source, est.num_workers),
    )
    return train(net, est.checkpoint_dir, "stage1", dataset)
