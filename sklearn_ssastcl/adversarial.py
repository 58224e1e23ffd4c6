"""White-box adversarial attacks on the waveform, and EER against their budget.

:func:`fgsm` and :func:`pgd` perturb the *waveform*: the gradient flows through
the differentiable front end (the same ``LogMel`` computation, in torch) into the
fitted SSAST nets, so the result is audio that can be written and played. The
perturbation is bounded in L-inf norm by ``epsilon`` (in units of full scale,
waveforms in [-1, 1]); :func:`perturbation_snr` gives its size as a
signal-to-noise ratio. :func:`adversarial_curve` reports the EER and the spoof
miss rate of a detector at each ``epsilon``.

The attacks need gradients, so they work on :class:`~sklearn_ssastcl.SSASTCLClassifier`
and :class:`~sklearn_ssastcl.SSASTCEClassifier` with a ``LogMel`` frontend (or a
``Pipeline(LogMel, classifier)``); the classic detectors raise a ``TypeError``.
Everything runs on the estimator's device; on CPU, results are deterministic for
a fixed ``random_state``.

References
----------
.. [1] I. Goodfellow, J. Shlens, C. Szegedy, "Explaining and harnessing
   adversarial examples", ICLR 2015.
.. [2] A. Madry, A. Makelov, L. Schmidt, D. Tsipras, A. Vladu, "Towards deep
   learning models resistant to adversarial attacks", ICLR 2018.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import numpy.typing as npt
from sklearn.utils import check_random_state

from sklearn_ssastcl._diff_scores import DiffScorer, _fgsm, _pgd

__all__ = ["adversarial_curve", "fgsm", "perturbation_snr", "pgd"]

_TARGETS = ("both", "spoof", "bonafide")
_ATTACKS = ("fgsm", "pgd")


def _check_epsilon(epsilon, name: str = "epsilon", allow_zero: bool = False) -> float:
    ok = isinstance(epsilon, Real) and not isinstance(epsilon, bool)
    value = float(epsilon) if ok else math.nan
    if not (ok and math.isfinite(value) and (value > 0 or allow_zero and value == 0)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(
            f"{name} must be a finite number {bound} (the L-inf bound of the "
            f"perturbation, waveforms in [-1, 1]); got {epsilon!r}. Typical values "
            "are 1e-4 to 1e-2."
        )
    return value


def _check_choice(value, name: str, choices: tuple) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}.")
    return value


def _prepare(est, waveforms, y, target: str):
    """Check everything; return the scorer, the clips, the bona fide mask and the
    attack direction per clip (+1 raises the score, -1 lowers it, 0 leaves it)."""
    from sklearn_ssastcl._inputs import check_labels, clip_items
    from sklearn_ssastcl._sources import read_clip

    _check_choice(target, "target", _TARGETS)
    scorer = DiffScorer(est)  # raises for classic or unfitted detectors
    items = clip_items(waveforms)
    waves = [
        read_clip(c, i, scorer.sample_rate, "predict") for i, c in enumerate(items)
    ]
    _, is_bona = check_labels(y, scorer.clf.pos_label)
    if len(is_bona) != len(waves):
        raise ValueError(
            f"waveforms holds {len(waves)} clips but y has {len(is_bona)} labels."
        )
    direction = np.where(is_bona, -1.0, 1.0)
    if target == "spoof":
        direction[is_bona] = 0.0
    elif target == "bonafide":
        direction[~is_bona] = 0.0
    return scorer, waves, is_bona, direction


def _as_output(waveforms, waves: list[np.ndarray]):
    """A 2-D array when ``waveforms`` was one, else a list of float32 clips."""
    if getattr(waveforms, "ndim", None) == 2 and not hasattr(waveforms, "columns"):
        return np.stack(waves)
    return waves


def fgsm(
    est,
    waveforms,
    y: npt.ArrayLike,
    epsilon: float,
    *,
    target: str = "both",
    batch_size: int = 32,
):
    """Fast gradient sign method on the waveform (one step of size ``epsilon``).

    Each attacked clip moves by ``epsilon * sign(gradient)`` of its score: spoof
    clips towards bona fide (score up), bona fide clips towards spoof (score
    down). Samples the detector never sees (past its ``target_length`` frames)
    have a zero gradient and are left as they are; results are clipped to
    [-1, 1], so the L-inf norm of the perturbation is ``epsilon`` except where
    clipping or a zero gradient shortens it.

    Parameters
    ----------
    est : estimator
        A fitted ``SSASTCLClassifier`` or ``SSASTCEClassifier`` with a ``LogMel``
        frontend, or a fitted ``Pipeline(LogMel, classifier)``.
    waveforms : list of 1-D float arrays, 2-D float array or list of paths
        Clips in [-1, 1] at the frontend's sample rate.
    y : array-like of shape (n_clips,)
        True labels (the classifier's ``pos_label`` is bona fide).
    epsilon : float
        L-inf bound of the perturbation, > 0.
    target : {"both", "spoof", "bonafide"}, default="both"
        Which clips to attack; ``"spoof"`` (a spoofer trying to pass as bona fide)
        leaves bona fide clips untouched.
    batch_size : int, default=32
        Clips per forward and backward pass.

    Returns
    -------
    list of ndarray or ndarray
        The perturbed float32 clips; a 2-D array when ``waveforms`` was one.

    References
    ----------
    .. [1] I. Goodfellow, J. Shlens, C. Szegedy, "Explaining and harnessing
       adversarial examples", ICLR 2015.
    """
    epsilon = _check_epsilon(epsilon)
    scorer, waves, _, direction = _prepare(est, waveforms, y, target)
    return _as_output(waveforms, _fgsm(scorer, waves, direction, epsilon, batch_size))


def pgd(
    est,
    waveforms,
    y: npt.ArrayLike,
    epsilon: float,
    *,
    steps: int = 10,
    step_size: float | None = None,
    random_start: bool = True,
    random_state: int | np.random.RandomState | None = None,
    target: str = "both",
    batch_size: int = 32,
):
    """Projected gradient descent on the waveform, in the L-inf ball of ``epsilon``.

    From a uniform random start in the ball (unless ``random_start=False``),
    ``steps`` signed-gradient steps of ``step_size`` each move the attacked clips
    as :func:`fgsm` does, each followed by a projection onto the ball around the
    clean clip and onto [-1, 1]. Each clip gets the iterate (start included)
    with the largest push of its score.

    Parameters
    ----------
    est : estimator
        As in :func:`fgsm`.
    waveforms : list of 1-D float arrays, 2-D float array or list of paths
        Clips in [-1, 1] at the frontend's sample rate.
    y : array-like of shape (n_clips,)
        True labels (the classifier's ``pos_label`` is bona fide).
    epsilon : float
        L-inf bound of the perturbation, > 0.
    steps : int, default=10
        Gradient steps (at least 1).
    step_size : float, default=None
        Size of each step; None means ``2.5 * epsilon / steps``.
    random_start : bool, default=True
        Start from a uniform draw in the ball instead of the clean clip.
    random_state : int, RandomState instance or None, default=None
        Seed of the random start; an int makes the result reproducible.
    target : {"both", "spoof", "bonafide"}, default="both"
        Which clips to attack (see :func:`fgsm`); the others are returned as
        they are, without random start.
    batch_size : int, default=32
        Clips per forward and backward pass.

    Returns
    -------
    list of ndarray or ndarray
        The perturbed float32 clips; a 2-D array when ``waveforms`` was one.

    References
    ----------
    .. [1] A. Madry, A. Makelov, L. Schmidt, D. Tsipras, A. Vladu, "Towards deep
       learning models resistant to adversarial attacks", ICLR 2018.
    """
    epsilon = _check_epsilon(epsilon)
    if not isinstance(steps, Integral) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be an int >= 1; got {steps!r}.")
    if step_size is not None:
        step_size = _check_epsilon(step_size, "step_size")
    rng = check_random_state(random_state)
    scorer, waves, _, direction = _prepare(est, waveforms, y, target)
    args = (epsilon, steps, step_size, random_start, rng, batch_size)
    return _as_output(waveforms, _pgd(scorer, waves, direction, *args))


def perturbation_snr(clean, perturbed) -> np.ndarray:
    """Signal-to-perturbation ratio of each clip, in dB.

    ``10 * log10(sum(clean ** 2) / sum((perturbed - clean) ** 2))`` over the
    whole clip; ``inf`` when the clip is unchanged.

    Parameters
    ----------
    clean, perturbed : list of 1-D arrays or 2-D array
        The clips before and after the attack, in the same order and lengths.

    Returns
    -------
    ndarray of shape (n_clips,)
        SNR in dB.
    """
    out = []
    for i, (x, z) in enumerate(zip(clean, perturbed, strict=True)):
        x = np.asarray(x, dtype=np.float64)
        z = np.asarray(z, dtype=np.float64)
        if x.shape != z.shape:
            raise ValueError(f"Clip {i}: shapes {x.shape} and {z.shape} differ.")
        noise = float(np.sum((z - x) ** 2))
        with np.errstate(divide="ignore"):
            out.append(10 * np.log10(float(np.sum(x**2)) / noise) if noise else np.inf)
    return np.asarray(out, dtype=np.float64)


def adversarial_curve(
    est,
    waveforms,
    y: npt.ArrayLike,
    epsilons: npt.ArrayLike,
    *,
    attack: str = "pgd",
    target: str = "both",
    steps: int = 10,
    random_state: int | None = 0,
    batch_size: int = 32,
):
    """EER and spoof miss rate of a detector against the attack budget.

    For each ``epsilon``, the clips are attacked (``epsilon = 0``: left clean)
    and re-scored with ``est.decision_function``, the detector's own path, so
    the numbers are those of the perturbed audio.

    Parameters
    ----------
    est : estimator
        As in :func:`fgsm`.
    waveforms : list of 1-D float arrays, 2-D float array or list of paths
        Clips in [-1, 1].
    y : array-like of shape (n_clips,)
        True labels (the classifier's ``pos_label`` is bona fide).
    epsilons : array-like of float
        L-inf budgets, each >= 0 (0 gives the clean scores).
    attack : {"pgd", "fgsm"}, default="pgd"
        The attack.
    target : {"both", "spoof", "bonafide"}, default="both"
        Which clips to attack (see :func:`fgsm`).
    steps : int, default=10
        PGD steps (step size ``2.5 * epsilon / steps``); ignored by FGSM.
    random_state : int or None, default=0
        Seed of PGD's random start (the same seed at every ``epsilon``).
    batch_size : int, default=32
        Clips per forward and backward pass.

    Returns
    -------
    pandas.DataFrame
        One row per epsilon: ``epsilon``, ``attack``, ``eer``,
        ``spoof_miss_rate`` (share of spoof clips scoring at or above the
        classifier's ``threshold_``, i.e. accepted as bona fide),
        ``bonafide_miss_rate`` (bona fide clips below it), ``snr_db`` (mean of
        :func:`perturbation_snr` over the attacked clips; ``inf`` at 0) and
        ``n_clips``.

    References
    ----------
    .. [1] I. Goodfellow, J. Shlens, C. Szegedy, "Explaining and harnessing
       adversarial examples", ICLR 2015.
    .. [2] A. Madry, A. Makelov, L. Schmidt, D. Tsipras, A. Vladu, "Towards deep
       learning models resistant to adversarial attacks", ICLR 2018.
    """
    import pandas as pd

    from sklearn_ssastcl.metrics import eer_score

    _check_choice(attack, "attack", _ATTACKS)
    values = np.atleast_1d(np.asarray(epsilons, dtype=object))
    if values.ndim != 1 or values.size == 0:
        raise ValueError("epsilons must be a non-empty 1-D list of numbers >= 0.")
    eps_list = [_check_epsilon(e, "each epsilon", allow_zero=True) for e in values]
    if not isinstance(steps, Integral) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be an int >= 1; got {steps!r}.")
    scorer, waves, is_bona, direction = _prepare(est, waveforms, y, target)
    clf = scorer.clf
    y = np.asarray(y)
    attacked = direction != 0
    rows = []
    for eps in eps_list:
        if eps == 0:
            adv = waves
            scores = est.decision_function(waveforms)
        elif attack == "fgsm":
            adv = _fgsm(scorer, waves, direction, eps, batch_size)
        else:
            rng = check_random_state(random_state)
            adv = _pgd(
                scorer, waves, direction, eps, steps, None, True, rng, batch_size
            )
        if eps > 0:
            scores = est.decision_function(_as_output(waveforms, adv))
        snr = perturbation_snr(
            [w for w, a in zip(waves, attacked) if a],
            [w for w, a in zip(adv, attacked) if a],
        )
        rows.append(
            {
                "epsilon": eps,
                "attack": "none" if eps == 0 else attack,
                "eer": float(eer_score(y, scores, pos_label=clf.pos_label)),
                "spoof_miss_rate": float(np.mean(scores[~is_bona] >= clf.threshold_)),
                "bonafide_miss_rate": float(np.mean(scores[is_bona] < clf.threshold_)),
                "snr_db": float(np.mean(snr)) if snr.size else math.inf,
                "n_clips": len(waves),
            }
        )
    return pd.DataFrame(rows)
