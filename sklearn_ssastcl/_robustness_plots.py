"""Plots of the robustness reports (matplotlib, imported lazily); public through
:mod:`sklearn_ssastcl.plotting`."""

from __future__ import annotations

import numpy as np

_FAMILY_ORDER = ("clean", "codec", "noise", "truncation")


def _get_ax(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def _check_frame(frame, columns, where: str):
    missing = [c for c in columns if c not in getattr(frame, "columns", ())]
    if missing:
        raise ValueError(
            f"{where} needs a DataFrame with columns {list(columns)}; missing "
            f"{missing}. Pass the output of the matching sklearn_ssastcl function "
            "(with a 'system' column to compare detectors)."
        )


def _systems(frame):
    if "system" in frame.columns:
        return [
            (name, frame[frame["system"] == name]) for name in frame["system"].unique()
        ]
    return [(None, frame)]


def plot_adversarial_curve(frame, *, ax=None, show_miss_rate: bool = True):
    """Plot the EER (and spoof miss rate) against the attack budget epsilon.

    One solid EER line per detector (the ``system`` column, when present), the
    spoof miss rate dashed in the same colour; the x axis is symmetric-log, so
    ``epsilon = 0`` (clean) shows. A dotted line marks chance (50 %); each
    point's mean perturbation SNR is written under the first detector's line.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`sklearn_ssastcl.adversarial.adversarial_curve`, or such
        frames concatenated with a ``system`` column.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure is made when None.
    show_miss_rate : bool, default=True
        Also draw the spoof miss rate at the detector's threshold.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sklearn_ssastcl.plotting import plot_adversarial_curve
    >>> frame = pd.DataFrame({"epsilon": [0, 1e-3], "eer": [0.1, 0.6],
    ...     "spoof_miss_rate": [0.1, 0.9], "snr_db": [float("inf"), 40]})
    >>> plot_adversarial_curve(frame).get_ylabel()
    'Rate (%)'
    """
    _check_frame(
        frame, ("epsilon", "eer", "spoof_miss_rate", "snr_db"), "plot_adversarial_curve"
    )
    ax = _get_ax(ax)
    positive = frame["epsilon"][frame["epsilon"] > 0]
    for k, (name, part) in enumerate(_systems(frame)):
        part = part.sort_values("epsilon")
        x = part["epsilon"].to_numpy(dtype=float)
        label = name or "detector"
        (line,) = ax.plot(x, 100 * part["eer"], marker="o", label=f"{label}: EER")
        if show_miss_rate:
            ax.plot(
                x,
                100 * part["spoof_miss_rate"],
                marker="x",
                linestyle="--",
                color=line.get_color(),
                label=f"{label}: spoof miss rate",
            )
        if k == 0:
            for xi, yi, snr in zip(x, 100 * part["eer"], part["snr_db"]):
                if np.isfinite(snr):
                    ax.annotate(
                        f"{snr:.0f} dB",
                        (xi, yi),
                        textcoords="offset points",
                        xytext=(0, -12),
                        ha="center",
                        fontsize=7,
                    )
    if len(positive):
        ax.set_xscale("symlog", linthresh=float(positive.min()))
    ax.axhline(50, color="grey", linestyle=":", label="chance")
    ax.set_ylim(-2, 102)
    ax.set_xlabel("L-inf budget epsilon (full scale = 1; labels: mean SNR)")
    ax.set_ylabel("Rate (%)")
    ax.legend(fontsize=8)
    return ax


def plot_condition_report(frame, *, ax=None):
    """Bars of the EER per condition, grouped by family.

    Conditions are ordered by family (clean, codec, noise, truncation) with a
    gap between families; with a ``system`` column, each detector gets its own
    bar in each group.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`sklearn_ssastcl.robustness.condition_report`, or such
        frames concatenated with a ``system`` column.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure is made when None.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sklearn_ssastcl.plotting import plot_condition_report
    >>> frame = pd.DataFrame({"condition": ["clean", "gsm"],
    ...     "family": ["clean", "codec"], "eer": [0.1, 0.3]})
    >>> len(plot_condition_report(frame).patches)
    2
    """
    _check_frame(frame, ("condition", "family", "eer"), "plot_condition_report")
    ax = _get_ax(ax)
    families = [f for f in _FAMILY_ORDER if f in set(frame["family"])]
    families += [f for f in frame["family"].unique() if f not in families]
    conditions = []
    for family in families:
        names = frame.loc[frame["family"] == family, "condition"].unique()
        conditions += [(family, c) for c in names]
    position, x, gap = {}, 0.0, 0.6
    for k, (family, name) in enumerate(conditions):
        if k and family != conditions[k - 1][0]:
            x += gap
        position[name] = x
        x += 1.0
    systems = _systems(frame)
    width = 0.8 / len(systems)
    for j, (name, part) in enumerate(systems):
        xs = [position[c] - 0.4 + width * (j + 0.5) for c in part["condition"]]
        ax.bar(xs, 100 * part["eer"].to_numpy(), width, label=name or "detector")
    ax.set_xticks([position[c] for _, c in conditions])
    ax.set_xticklabels([c for _, c in conditions], rotation=60, ha="right", fontsize=8)
    for family in families:
        xs = [position[c] for f, c in conditions if f == family]
        ax.annotate(
            family,
            ((min(xs) + max(xs)) / 2, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    ax.axhline(50, color="grey", linestyle=":")
    ax.set_ylabel("EER (%)")
    if len(systems) > 1:
        ax.legend(fontsize=8)
    return ax
