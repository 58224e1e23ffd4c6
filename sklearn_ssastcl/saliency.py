"""Saliency maps: which time-frequency bins of a clip's spectrogram drive its score.

:func:`saliency_map` gives one map per clip, of the shape of the spectrogram the
model sees (``(target_length_, n_mels_)``, frames by mel bins):

- ``"grad_x_input"`` (default): gradient times input [1]_ [2]_ of the score of
  ``decision_function``, signed **towards spoof**: ``-x * d score / d x``. Positive
  bins push the clip towards spoof, negative ones towards bona fide; the sum over
  bins is the first-order estimate of ``score(0) - score(x)``.
- ``"attention_rollout"``: attention rollout [3]_ of the encoder (attention of each
  block averaged over heads, plus the identity for the residual, multiplied through
  the blocks), read from the mean-pooled patch tokens and spread over each patch's
  bins. It is non-negative and class-agnostic: it says what the encoder looks at,
  not which way it pushes the score.

:func:`write_saliency_pngs` draws one PNG per clip with
:func:`~sklearn_ssastcl.plotting.plot_saliency` (what ``ssastcl score --explain``
writes).

References
----------
.. [1] K. Simonyan, A. Vedaldi, A. Zisserman, "Deep inside convolutional
   networks: visualising image classification models and saliency maps",
   ICLR Workshop 2014.
.. [2] A. Shrikumar, P. Greenside, A. Shcherbina, A. Kundaje, "Not just a black
   box: learning important features through propagating activation
   differences", arXiv:1605.01713, 2016.
.. [3] S. Abnar, W. Zuidema, "Quantifying attention flow in transformers",
   ACL 2020.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from sklearn_ssastcl._net import batches
from sklearn_ssastcl._score_module import check_detector, score_module
from sklearn_ssastcl.nn._ssast import N_LEADING_TOKENS

__all__ = ["METHODS", "saliency_map", "write_saliency_pngs"]

#: The methods :func:`saliency_map` knows.
METHODS = ("grad_x_input", "attention_rollout")


def _grad_x_input(module, x):
    with torch.enable_grad():
        x = x.detach().clone().requires_grad_(True)
        score = module(x)
        (grad,) = torch.autograd.grad(score.sum(), x)
    return (-grad * x).detach(), score.detach()


def _rollout(encoder, x):
    """Attention rollout per input bin ``(batch, frames, mels)``."""
    entering = []
    hooks = [
        block.attn.register_forward_hook(lambda m, args, out: entering.append(args[0]))
        for block in encoder.blocks
    ]
    try:
        encoder(x)
    finally:
        for hook in hooks:
            hook.remove()
    batch, n_tokens, dim = entering[0].shape
    eye = torch.eye(n_tokens, device=x.device, dtype=x.dtype)
    rollout = eye.expand(batch, n_tokens, n_tokens)
    for block, h in zip(encoder.blocks, entering):
        heads = block.attn.num_heads
        qkv = block.attn.qkv(h).reshape(batch, n_tokens, 3, heads, dim // heads)
        q, k, _ = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        weights = torch.softmax(q @ k.transpose(-2, -1) * (dim // heads) ** -0.5, -1)
        step = 0.5 * weights.mean(dim=1) + 0.5 * eye
        rollout = (step / step.sum(dim=-1, keepdim=True)) @ rollout
    # the embedding is the mean of the patch tokens: their rows, patch columns
    relevance = rollout[:, N_LEADING_TOKENS:, N_LEADING_TOKENS:].mean(dim=1)
    return _patches_to_bins(relevance, encoder)


def _patches_to_bins(relevance, encoder):
    """Spread per-patch values ``(batch, n_patches)`` over ``(frames, mels)``."""
    f_dim, t_dim = encoder.grid
    (kf, kt), (sf, st) = encoder.kernel_size, encoder.stride
    shape = (encoder.target_length, encoder.n_mels)
    total = relevance.new_zeros((len(relevance), *shape))
    count = relevance.new_zeros(shape)
    grid = relevance.reshape(-1, f_dim, t_dim)  # patches are frequency-major
    for fi in range(f_dim):
        for ti in range(t_dim):
            frames = slice(ti * st, ti * st + kt)
            mels = slice(fi * sf, fi * sf + kf)
            total[:, frames, mels] += grid[:, fi, ti, None, None]
            count[frames, mels] += 1
    return total / count.clamp_min(1)


def _explain(estimator, X, method, batch_size):
    """``(saliency, spectrograms, scores)`` of the clips of ``X``."""
    check_detector(estimator, "explain")
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}; got {method!r}.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}.")
    X3 = estimator._check_predict_input(X)
    module = score_module(estimator)
    device = estimator.device_
    n, shape = len(X3), (estimator.target_length_, estimator.n_mels_)
    saliency = np.empty((n, *shape), dtype=np.float32)
    spectrograms = np.empty((n, *shape), dtype=np.float32)
    scores = np.empty(n, dtype=np.float64)
    start = 0
    for xb in batches(X3, batch_size):
        x = xb.to(device=device, dtype=torch.float32)
        if method == "grad_x_input":
            values, score = _grad_x_input(module, x)
        else:
            with torch.no_grad():
                score = module(x)
                values = _rollout(estimator.encoder_, x)
        stop = start + len(x)
        saliency[start:stop] = values.cpu().numpy()
        spectrograms[start:stop] = xb.cpu().numpy()
        scores[start:stop] = score.double().cpu().numpy()
        start = stop
    return saliency, spectrograms, scores


def saliency_map(
    estimator,
    X,
    *,
    method: str = "grad_x_input",
    batch_size: int = 16,
    return_spectrograms: bool = False,
):
    """Saliency of each clip's spectrogram for a fitted detector's score.

    Parameters
    ----------
    estimator : SSASTCLClassifier or SSASTCEClassifier
        A fitted detector.
    X : array-like
        What its ``decision_function`` takes (spectrograms, waveforms or paths).
        Only the ``target_length_`` frames the model sees are explained.
    method : {"grad_x_input", "attention_rollout"}, default="grad_x_input"
        ``"grad_x_input"``: ``-x * d score / d x``, signed towards spoof
        (positive: evidence for spoof). ``"attention_rollout"``: the encoder's
        attention rollout, non-negative and class-agnostic. See the module notes.
    batch_size : int, default=16
        Clips per pass (a gradient pass keeps the activations of a batch).
    return_spectrograms : bool, default=False
        Also return the spectrograms the maps are over (the front end's output).

    Returns
    -------
    saliency : ndarray of shape (n_samples, n_frames, n_mels)
        float32 maps, frames by mel bins, as the spectrograms.
    spectrograms : ndarray of shape (n_samples, n_frames, n_mels)
        Returned when ``return_spectrograms`` is True.

    References
    ----------
    .. [1] K. Simonyan, A. Vedaldi, A. Zisserman, "Deep inside convolutional
       networks: visualising image classification models and saliency maps",
       ICLR Workshop 2014.
    .. [2] S. Abnar, W. Zuidema, "Quantifying attention flow in transformers",
       ACL 2020.

    Examples
    --------
    >>> from sklearn_ssastcl.saliency import saliency_map
    >>> maps = saliency_map(clf, X)  # doctest: +SKIP
    >>> per_frame = maps.sum(axis=2)  # spoof evidence of each frame  # doctest: +SKIP
    """
    saliency, spectrograms, _ = _explain(estimator, X, method, batch_size)
    return (saliency, spectrograms) if return_spectrograms else saliency


def write_saliency_pngs(
    estimator,
    paths,
    directory,
    *,
    method: str = "grad_x_input",
    batch_size: int = 16,
    dpi: int = 100,
) -> list[Path]:
    """Write one saliency PNG per audio file: ``<directory>/<file stem>.png``.

    Each figure is :func:`~sklearn_ssastcl.plotting.plot_saliency` of the file's
    spectrogram (the ``target_length_`` frames the model sees, time in seconds)
    and its map, titled with the file name and its score. Files whose stems
    repeat get ``_1``, ``_2``, ... appended.

    Parameters
    ----------
    estimator : SSASTCLClassifier or SSASTCEClassifier
        A fitted detector with a ``LogMel`` front end.
    paths : sequence of str or path-like
        Audio files.
    directory : str or path-like
        Folder for the PNGs (created if needed).
    method : {"grad_x_input", "attention_rollout"}, default="grad_x_input"
        See :func:`saliency_map`.
    batch_size : int, default=16
        Files explained together.
    dpi : int, default=100
        Resolution of the PNGs.

    Returns
    -------
    list of pathlib.Path
        The PNGs written, in the order of ``paths``.
    """
    from matplotlib.figure import Figure

    from sklearn_ssastcl._logmel_batch import _frame_sizes
    from sklearn_ssastcl.plotting import plot_saliency
    from sklearn_ssastcl.scoring import waveform_frontend

    rate = waveform_frontend(estimator).sample_rate
    frame_shift = _frame_sizes(rate)[1] / rate  # the 10 ms hop, in samples
    paths = [os.fspath(p) for p in paths]
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    written, used = [], set()
    for start in range(0, len(paths), batch_size):
        part = paths[start : start + batch_size]
        saliency, spectrograms, scores = _explain(estimator, part, method, batch_size)
        for path, sal, spec, score in zip(part, saliency, spectrograms, scores):
            stem, k = Path(path).stem, 0
            name = stem
            while name in used:
                k += 1
                name = f"{stem}_{k}"
            used.add(name)
            fig = Figure(figsize=(8, 3.5))
            ax = fig.subplots()
            plot_saliency(spec, sal, frame_shift=frame_shift, ax=ax)
            ax.set_title(f"{Path(path).name}: score {score:.3f} ({method})")
            fig.tight_layout()
            target = out_dir / f"{name}.png"
            fig.savefig(target, dpi=dpi)
            written.append(target)
    return written
