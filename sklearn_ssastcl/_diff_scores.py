"""A differentiable path from waveforms to the scores of a fitted SSAST detector.

It repeats, in torch and with autograd, what ``decision_function`` does to a clip
given as a waveform: ``LogMel`` (centre the clip, tile it with
``pad_mode="repeat"``, keep the samples of the first ``target_length`` frames,
Kaldi fbank, pad with the normalised zero, normalise), then the fitted nets as
``_stage2.head_logits`` runs them, ``logit_bona - logit_spoof`` and the affine
calibration when there is one. :mod:`sklearn_ssastcl.adversarial` builds its
white-box attacks on it.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

_WHITE_BOX = (
    "White-box attacks need a differentiable detector: a fitted "
    "SSASTCLClassifier or SSASTCEClassifier with a LogMel frontend (or a Pipeline "
    "of a LogMel and one of them); got {what}. The classic detectors "
    "(SpectralStatsClassifier, LFCCGMMClassifier) have no gradients: evaluate them "
    "with sklearn_ssastcl.robustness.condition_report instead."
)


def split_detector(est):
    """``(LogMel, BaseSSASTClassifier)`` of a fitted waveform detector, checked.

    Parameters
    ----------
    est : estimator
        An SSAST classifier with a ``LogMel`` frontend, or a ``Pipeline`` whose
        steps are one ``LogMel`` then an SSAST classifier without frontend.

    Returns
    -------
    frontend : LogMel
        The front end.
    clf : BaseSSASTClassifier
        The fitted classifier.
    """
    from sklearn.pipeline import Pipeline

    from sklearn_ssastcl._logmel import LogMel
    from sklearn_ssastcl._ssast_base import BaseSSASTClassifier

    what = type(est).__name__
    if isinstance(est, Pipeline):
        steps = [s for _, s in est.steps if s not in (None, "passthrough")]
        if len(steps) != 2 or not isinstance(steps[0], LogMel):
            raise TypeError(
                _WHITE_BOX.format(what="a Pipeline that is not (LogMel, detector)")
            )
        frontend, clf = steps
        if not isinstance(clf, BaseSSASTClassifier) or clf.frontend is not None:
            raise TypeError(_WHITE_BOX.format(what=f"a Pipeline ending in {clf!r}"))
    elif isinstance(est, BaseSSASTClassifier):
        frontend, clf = est.frontend, est
        if not isinstance(frontend, LogMel):
            raise TypeError(
                _WHITE_BOX.format(
                    what=f"{what} with frontend={frontend!r}; it takes spectrograms, "
                    "not waveforms. Fit it with frontend=LogMel(...)"
                )
            )
    else:
        raise TypeError(_WHITE_BOX.format(what=what))
    check_is_fitted(clf)
    if frontend.normalize == "fit":
        check_is_fitted(frontend, ["mean_", "std_"])
    frontend._validate_params()
    return frontend, clf


@contextlib.contextmanager
def _eval_mode(*modules):
    """Put ``modules`` in eval mode; restore each one's training flag after."""
    flags = [m.training for m in modules]
    try:
        for m in modules:
            m.eval()
        yield
    finally:
        for m, flag in zip(modules, flags):
            m.train(flag)


class DiffScorer:
    """Scores of waveforms as a differentiable torch function.

    Parameters
    ----------
    est : estimator
        See :func:`split_detector`.
    """

    def __init__(self, est) -> None:
        from sklearn_ssastcl._logmel_batch import _frontend

        self.frontend, self.clf = split_detector(est)
        fe = self.frontend
        self.fbank = _frontend(fe.sample_rate, fe.n_mels, fe.f_max)
        self.mean, self.std = fe._stats()
        self.needed = self.fbank.win_length + (fe.target_length - 1) * (
            self.fbank.hop_length
        )
        self.device = self.clf.device_
        cal = getattr(self.clf, "calibrator_", None)
        self.affine = None
        if cal is not None:
            self.affine = (float(np.ravel(cal.coef_)[0]), float(cal.intercept_))
        self.sample_rate = int(fe.sample_rate)

    def features(self, wave: torch.Tensor) -> torch.Tensor:
        """``(target_length, n_mels)`` features of one 1-D float32 clip."""
        fe = self.frontend
        wave = wave - wave.mean()  # SSAST: the mean of the whole clip
        if fe.pad_mode == "repeat" and wave.shape[0] < self.needed:
            wave = wave.repeat(math.ceil(self.needed / wave.shape[0]))
        feats = self.fbank(wave[: self.needed][None])[0]
        if self.mean is not None:
            feats = (feats - self.mean) / (2 * self.std)
        missing = fe.target_length - feats.shape[0]
        if missing > 0:
            pad = 0.0
            if self.mean is not None:
                pad = torch.zeros(()).sub_(self.mean).div_(2 * self.std).item()
            fill = feats.new_full((missing, feats.shape[1]), pad)
            feats = torch.cat([feats, fill])
        return feats

    def scores(self, waves: list[torch.Tensor]) -> torch.Tensor:
        """float64 scores ``(len(waves),)`` of 1-D float32 clips, as
        ``decision_function`` gives them (calibrated when it calibrates)."""
        from sklearn_ssastcl._net import autocast

        clf = self.clf
        X3 = torch.stack([self.features(w) for w in waves]).to(self.device)
        module = clf.head_net_.module_
        with _eval_mode(module, clf.encoder_):
            with autocast(self.device, getattr(clf, "precision", "fp32")):
                if clf._end_to_end:
                    logits = module(X3)
                else:
                    logits = module(clf.encoder_(X3).float())
        logits = logits.double()
        score = logits[:, 1] - logits[:, 0]
        if self.affine is not None:
            score = self.affine[0] * score + self.affine[1]
        return score

    def gradient(
        self, waves: np.ndarray | list, direction: np.ndarray
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """Gradient of ``sum(direction * score)`` with respect to each clip.

        Returns the gradients (float32, one per clip) and the scores.
        """
        inputs = [
            torch.tensor(np.asarray(w, dtype=np.float32), requires_grad=True)
            for w in waves
        ]
        with torch.enable_grad():
            score = self.scores(inputs)
            weights = torch.as_tensor(direction, dtype=score.dtype, device=score.device)
            grads = torch.autograd.grad((weights * score).sum(), inputs)
        return [g.numpy() for g in grads], score.detach().cpu().numpy()


def torch_scores(est, waveforms, batch_size: int = 32) -> np.ndarray:
    """Scores of waveforms through the differentiable path, without gradients.

    Parameters
    ----------
    est : estimator
        See :func:`split_detector`.
    waveforms : list of 1-D float arrays or 2-D array
        The clips.
    batch_size : int, default=32
        Clips per forward pass.

    Returns
    -------
    ndarray of shape (n_clips,)
        float64 scores; equal to ``est.decision_function(waveforms)`` up to float32
        rounding.
    """
    scorer = DiffScorer(est)
    waves = [np.asarray(w, dtype=np.float32) for w in waveforms]
    out = []
    with torch.no_grad():
        for start in range(0, len(waves), batch_size):
            part = [torch.from_numpy(w) for w in waves[start : start + batch_size]]
            out.append(scorer.scores(part).cpu().numpy())
    return np.concatenate(out)


# ------------------------------------------------ attack loops (adversarial.py)
def _gradients(scorer, waves, direction, batch_size):
    """Gradients of ``direction * score`` per clip, batch by batch, and scores."""
    grads, scores = [], []
    for start in range(0, len(waves), batch_size):
        stop = start + batch_size
        g, s = scorer.gradient(waves[start:stop], direction[start:stop])
        grads += g
        scores.append(s)
    return grads, np.concatenate(scores)


def _fgsm(scorer, waves, direction, epsilon, batch_size):
    """One signed step of ``epsilon`` on the clips with a non-zero direction."""
    grads, _ = _gradients(scorer, waves, direction, batch_size)
    eps = np.float32(epsilon)
    return [
        np.clip(w + eps * np.sign(g), -1, 1).astype(np.float32) if d else w.copy()
        for w, g, d in zip(waves, grads, direction)
    ]


def _pgd(scorer, waves, direction, epsilon, steps, step_size, random_start, rng, bs):
    """L-inf PGD on the clips with a non-zero direction; each keeps its best
    iterate. The random start draws from ``rng`` clip after clip, in order."""
    eps = np.float32(epsilon)
    alpha = np.float32(2.5 * epsilon / steps if step_size is None else step_size)
    attacked = np.flatnonzero(direction)
    out = [w.copy() for w in waves]
    for start in range(0, len(attacked), bs):
        idx = attacked[start : start + bs]
        clean = [waves[i] for i in idx]
        d = direction[idx]
        if random_start:
            noise = [
                rng.uniform(-eps, eps, size=w.shape).astype(np.float32) for w in clean
            ]
            x = [np.clip(w + n, -1, 1) for w, n in zip(clean, noise)]
        else:
            x = [w.copy() for w in clean]
        best = [w.copy() for w in x]
        best_obj = np.full(len(idx), -np.inf)
        for step in range(steps + 1):
            if step == steps:  # score the last iterate only
                grads, score = None, _scores(scorer, x)
            else:
                grads, score = scorer.gradient(x, d)
            obj = d * score
            better = obj > best_obj
            for k in np.flatnonzero(better):
                best[k] = x[k].copy()
            best_obj = np.where(better, obj, best_obj)
            if grads is None:
                break
            x = [
                np.clip(np.clip(xk + alpha * np.sign(g), w - eps, w + eps), -1, 1)
                for xk, g, w in zip(x, grads, clean)
            ]
        for k, i in enumerate(idx):
            out[i] = best[k].astype(np.float32)
    return out


def _scores(scorer, waves) -> np.ndarray:
    """Scores of a list of float32 clips, without gradients."""
    with torch.no_grad():
        return scorer.scores([torch.from_numpy(w) for w in waves]).cpu().numpy()
