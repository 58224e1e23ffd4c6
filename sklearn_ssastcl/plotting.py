"""DET curves, score histograms and Bayes error plots (matplotlib, imported lazily).

Importing this module does not import matplotlib; each function imports it when
called. Bona fide is ``pos_label`` and a higher score means more bona fide.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import numpy.typing as npt

from sklearn_ssastcl._score_checks import _split_scores
from sklearn_ssastcl.metrics import compute_det_curve, compute_eer

__all__ = [
    "plot_bayes_error",
    "plot_det_curve",
    "plot_score_histogram",
    "plot_score_timeline",
]

# The classic DET range, 0.05% to 60%, with ticks in % ...
_DET_TICKS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4)
_DET_LIMITS = (0.0005, 0.6)
# ... widened to the full range when the EER is too high to show in it.
_WIDE_TICKS = (0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999)
_WIDE_LIMITS = (0.0005, 0.9995)
_CLIP = 1e-6  # rates of exactly 0 or 1 are drawn just beyond the axes


def _percent(p: float) -> str:
    return f"{100 * p:g}"


def _get_ax(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def plot_det_curve(
    y_true: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    pos_label: str | int = "bonafide",
    ax=None,
    label: str | None = None,
):
    """Plot the DET curve (FRR against FAR on normal-deviate axes) and its EER.

    The curve is the official ASVspoof one (see
    :func:`~sklearn_ssastcl.metrics.compute_det_curve`; ties are not grouped). The
    EER is marked on the diagonal at (EER, EER); that marker has ``gid="eer"``.
    The axes span 0.05% to 60%, or 0.05% to 99.95% when the EER of this or of an
    earlier curve drawn on the same Axes exceeds 40%.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels: ``pos_label`` (bona fide) and one spoof label.
    scores : array-like of shape (n_samples,)
        Scores; higher means more bona fide.
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure is made when None.
    label : str, default=None
        Legend label of the curve; the EER is appended to it.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ssastcl.plotting import plot_det_curve
    >>> ax = plot_det_curve(["bonafide", "spoof", "bonafide", "spoof"], [3, 1, 2, 2.5])
    >>> ax.get_xlabel()
    'False acceptance rate (%)'
    """
    from scipy.stats import norm

    bona, spoof = _split_scores(y_true, scores, pos_label)
    frr, far, _ = compute_det_curve(bona, spoof)
    eer, _ = compute_eer(bona, spoof)

    def probit(p):
        return norm.ppf(np.clip(p, _CLIP, 1 - _CLIP))

    ax = _get_ax(ax)
    text = f"EER = {100 * eer:.2f}%"
    (line,) = ax.plot(
        probit(far), probit(frr), label=text if label is None else f"{label} ({text})"
    )
    ax.plot(
        probit(eer),
        probit(eer),
        marker="o",
        linestyle="none",
        color=line.get_color(),
        gid="eer",
    )
    # Several curves on one Axes: once a call has widened the range, keep it wide.
    wide = eer > 0.4 or getattr(ax, "_ssastcl_det_wide", False)
    ax._ssastcl_det_wide = wide
    lo, hi = norm.ppf(_WIDE_LIMITS if wide else _DET_LIMITS)
    ax.plot([lo, hi], [lo, hi], color="0.7", linestyle=":", linewidth=1)
    tick_rates = _WIDE_TICKS if wide else _DET_TICKS
    ticks = norm.ppf(tick_rates)
    labels = [_percent(p) for p in tick_rates]
    ax.set_xticks(ticks, labels)
    ax.set_yticks(ticks, labels)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("False acceptance rate (%)")
    ax.set_ylabel("False rejection rate (%)")
    ax.set_aspect("equal")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right")
    return ax


def plot_score_histogram(
    y_true: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    pos_label: str | int = "bonafide",
    ax=None,
    threshold: float | str | None = None,
    bins: int | str = "auto",
):
    """Plot the bona fide and spoof score histograms on shared bins.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels: ``pos_label`` (bona fide) and one spoof label.
    scores : array-like of shape (n_samples,)
        Scores; higher means more bona fide.
    pos_label : str or int, default="bonafide"
        The bona fide label in ``y_true``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure is made when None.
    threshold : float, "eer" or None, default=None
        Draw a vertical line (``gid="threshold"``) at this score; ``"eer"`` uses
        the EER threshold of these scores.
    bins : int or str, default="auto"
        Passed to :func:`numpy.histogram_bin_edges`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ssastcl.plotting import plot_score_histogram
    >>> y, s = ["bonafide", "spoof", "bonafide", "spoof"], [3, 1, 2, 2.5]
    >>> ax = plot_score_histogram(y, s, threshold="eer")
    >>> ax.get_xlabel()
    'Score (higher = more bona fide)'
    """
    bona, spoof = _split_scores(y_true, scores, pos_label)
    if isinstance(threshold, str):
        if threshold != "eer":
            raise ValueError(
                f"threshold must be a number, 'eer' or None; got {threshold!r}."
            )
        threshold = compute_eer(bona, spoof)[1]
    elif threshold is not None and (
        not isinstance(threshold, Real) or not np.isfinite(threshold)
    ):
        raise ValueError(
            f"threshold must be a finite number, 'eer' or None; got {threshold!r}."
        )
    edges = np.histogram_bin_edges(np.concatenate([bona, spoof]), bins=bins)
    ax = _get_ax(ax)
    ax.hist(bona, bins=edges, alpha=0.6, label=f"bona fide (n={bona.size})")
    ax.hist(spoof, bins=edges, alpha=0.6, label=f"spoof (n={spoof.size})")
    if threshold is not None:
        ax.axvline(
            float(threshold),
            color="k",
            linestyle="--",
            label=f"threshold = {float(threshold):.3g}",
            gid="threshold",
        )
    ax.set_xlabel("Score (higher = more bona fide)")
    ax.set_ylabel("Trials")
    ax.legend()
    return ax


def plot_bayes_error(
    y_true: npt.ArrayLike,
    llrs: npt.ArrayLike,
    *,
    prior_log_odds: npt.ArrayLike | None = None,
    pos_label: str | int = "bonafide",
    operating_point: tuple[float, float, float] | None = (0.05, 1.0, 10.0),
    ax=None,
    label: str | None = None,
):
    """Plot the normalised Bayes error of LLRs against the prior log-odds.

    The actual curve (solid) is the DCF at the Bayes threshold
    ``-prior_log_odds``, the minimum curve (dashed) the DCF at the best threshold
    for each prior; the gap is the calibration loss. Both are normalised by the
    cost of the better fixed decision, so 1 is no better than always deciding
    the same (dotted line). The prior log-odds are ``log(P_bona / P_spoof)``
    after folding the costs in.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels: ``pos_label`` (bona fide) and one spoof label.
    llrs : array-like of shape (n_samples,)
        Natural-log likelihood ratios (e.g. from ``ScoreCalibrator``).
    prior_log_odds : array-like, default=None
        Where to evaluate; ``numpy.linspace(-7, 7, 141)`` when None.
    pos_label : str or int, default="bonafide"
        The bona fide label.
    operating_point : (p_spoof, c_miss, c_fa) or None, default=(0.05, 1, 10)
        Mark the effective prior of this DCF operating point (the ASVspoof 5
        defaults) with a vertical line (``gid="operating_point"``); None: no line.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure is made when None.
    label : str, default=None
        Legend name of the system.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    References
    ----------
    .. [1] N. Brümmer and J. du Preez, "Application-independent evaluation of
       speaker detection", Computer Speech & Language 20(2-3), 2006.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ssastcl.plotting import plot_bayes_error
    >>> y, llr = ["bonafide", "spoof", "bonafide", "spoof"], [2.0, -1.0, 0.5, 0.8]
    >>> ax = plot_bayes_error(y, llr, label="toy")
    >>> ax.get_xlabel()
    'Prior log-odds  log(P_bona / P_spoof)'
    """
    from sklearn_ssastcl.metrics import bayes_error_rates

    x = np.linspace(-7, 7, 141) if prior_log_odds is None else prior_log_odds
    x = np.asarray(x, dtype=np.float64).ravel()
    actual, minimum = bayes_error_rates(y_true, llrs, x, pos_label=pos_label)
    ax = _get_ax(ax)
    name = label or "system"
    (line,) = ax.plot(x, actual, label=f"{name}: actual")
    ax.plot(
        x, minimum, linestyle="--", color=line.get_color(), label=f"{name}: minimum"
    )
    if not any(getattr(a, "get_gid", lambda: None)() == "default" for a in ax.lines):
        ax.axhline(1.0, color="grey", linestyle=":", gid="default", label="no detector")
    if operating_point is not None:
        p_spoof, c_miss, c_fa = operating_point
        eff = float(np.log(c_miss * (1 - p_spoof) / (c_fa * p_spoof)))
        if not any(a.get_gid() == "operating_point" for a in ax.lines):
            ax.axvline(
                eff,
                color="k",
                linewidth=0.8,
                gid="operating_point",
                label=f"Pspoof {p_spoof:g}, Cmiss {c_miss:g}, Cfa {c_fa:g}",
            )
    ax.set_xlabel("Prior log-odds  log(P_bona / P_spoof)")
    ax.set_ylabel("Normalised Bayes error (DCF)")
    ax.set_ylim(0, 1.2)
    ax.legend(fontsize=8)
    return ax


def plot_score_timeline(windows, *, threshold: float | None = None, ax=None):
    """Plot the window scores of each file against time.

    One line per file (labelled with its ``utterance_id`` when there are at most
    ten), a point at the middle of each window; silent windows are gaps and
    files with no scored window are left out. A dashed
    line marks ``threshold`` (e.g. the model's ``threshold_``: above it, bona fide).

    Parameters
    ----------
    windows : pandas.DataFrame
        The per-window table of :func:`~sklearn_ssastcl.scoring.score_files`
        (``return_windows=True``): columns ``path``, ``utterance_id``, ``start``,
        ``end`` and ``score``.
    threshold : float, default=None
        Decision threshold to draw (the line has ``gid="threshold"``).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.
    """
    missing = {"path", "utterance_id", "start", "end", "score"} - set(
        getattr(windows, "columns", ())
    )
    if missing:
        raise ValueError(
            "windows must be the per-window DataFrame of score_files("
            f"..., return_windows=True); it lacks the columns {sorted(missing)}."
        )
    ax = _get_ax(ax)
    groups = [
        (path, part)
        for path, part in windows.groupby("path", sort=False)
        if part["score"].notna().any()  # an all-silent file has nothing to draw
    ]
    for path, part in groups:
        middle = (part["start"].to_numpy() + part["end"].to_numpy()) / 2
        label = part["utterance_id"].iloc[0] if len(groups) <= 10 else None
        ax.plot(middle, part["score"].to_numpy(), marker=".", label=label)
    if threshold is not None:
        ax.axhline(threshold, color="k", linestyle="--", linewidth=1, gid="threshold")
    ax.set_xlabel("Time (s, window middle)")
    ax.set_ylabel("Score (higher = bona fide)")
    if groups and len(groups) <= 10:
        ax.legend(fontsize="small")
    return ax


# Robustness plots (issue 15): kept in their own module, public here.
from sklearn_ssastcl._robustness_plots import (  # noqa: E402
    plot_adversarial_curve,
    plot_condition_report,
)

__all__ += ["plot_adversarial_curve", "plot_condition_report"]

# Saliency maps (issue 16): kept in their own module, public here.
from sklearn_ssastcl._saliency_plot import plot_saliency  # noqa: E402

__all__ += ["plot_saliency"]
