"""A fitted SSAST detector's inference path as one torch module (for export, saliency).

:func:`score_module` wraps the encoder, the head and the optional calibration of a
fitted :class:`~sklearn_ssastcl._ssast_base.BaseSSASTClassifier` into a module that
maps spectrograms ``(batch, target_length, n_mels)`` to the score of
``decision_function`` (``logit_bona - logit_spoof``, then the calibration's affine
map), so that ONNX export and gradients see exactly what inference computes.
"""

from __future__ import annotations

import copy

import torch
from sklearn.utils.validation import check_is_fitted
from torch import Tensor, nn

_NOT_FITTED = (
    "This %(name)s instance is not fitted yet, so it has no network to {what}. "
    "Call fit(X, y) first, or load a fitted model (sklearn_ssastcl.load_model, or "
    "%(name)s.load_weights)."
)


class ScoreModule(nn.Module):
    """Spectrograms to bona fide scores: ``a * (logit_bona - logit_spoof) + b``.

    Parameters
    ----------
    encoder : nn.Module or None
        The encoder (spectrograms to embeddings); None when ``head`` takes the
        spectrograms itself (an end-to-end ``EncoderClassifier``).
    head : nn.Module
        Maps the encoder's output (or the spectrograms) to two logits
        ``(spoof, bona fide)``.
    scale, offset : float or None
        The calibration's affine map; None for none.
    """

    def __init__(self, encoder, head, scale=None, offset=None) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.calibrated = scale is not None
        if self.calibrated:
            self.register_buffer("scale", torch.tensor(float(scale)))
            self.register_buffer("offset", torch.tensor(float(offset)))

    def forward(self, spectrogram: Tensor) -> Tensor:
        x = spectrogram if self.encoder is None else self.encoder(spectrogram)
        logits = self.head(x)
        score = logits[:, 1] - logits[:, 0]
        if self.calibrated:
            score = score * self.scale + self.offset
        return score


def check_detector(estimator, what: str) -> None:
    """Raise a TypeError or NotFittedError unless ``estimator`` is a fitted detector."""
    from sklearn_ssastcl._ssast_base import BaseSSASTClassifier

    if not isinstance(estimator, BaseSSASTClassifier):
        raise TypeError(
            f"Expected a fitted SSASTCLClassifier or SSASTCEClassifier; got "
            f"{type(estimator).__name__}. For a Pipeline, pass its last step and "
            "give it the first steps' output."
        )
    check_is_fitted(estimator, msg=_NOT_FITTED.format(what=what))


def score_module(estimator, *, copy_to: str | None = None) -> ScoreModule:
    """The fitted ``estimator``'s spectrogram-to-score path, in eval mode.

    Parameters
    ----------
    estimator : SSASTCLClassifier or SSASTCEClassifier
        A fitted detector.
    copy_to : str or None, default=None
        Deep-copy the networks to this device (e.g. ``"cpu"`` for export);
        None shares the estimator's own networks (then put them back in the
        mode they were in when done).

    Returns
    -------
    ScoreModule
        Its output equals ``estimator.decision_function`` (in float32).
    """
    head = estimator.head_net_.module_
    encoder = None if estimator._end_to_end else estimator.encoder_
    calibrator = getattr(estimator, "calibrator_", None)
    scale = offset = None
    if calibrator is not None:
        scale = float(calibrator.coef_[0])
        offset = float(calibrator.intercept_)
    module = ScoreModule(encoder, head, scale, offset)
    if copy_to is not None:
        module = copy.deepcopy(module).to(copy_to).float()
    return module.eval()
