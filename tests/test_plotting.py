"""Tests for sklearn_ssastcl.plotting (Agg backend, no display)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from scipy.stats import norm  # noqa: E402

from sklearn_ssastcl.plotting import plot_det_curve, plot_score_histogram  # noqa: E402
from tests._tiny import brute_force_eer  # noqa: E402


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    y = np.array(["bonafide"] * 40 + ["spoof"] * 60)
    s = np.concatenate([rng.normal(1.5, 1, 40), rng.normal(0, 1, 60)])
    return y, s


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_det_curve_marks_eer(data, tmp_path):
    y, s = data
    ax = plot_det_curve(y, s, label="toy")
    assert isinstance(ax, Axes)
    # Independent EER: brute force over thresholds (no ties in normal draws).
    eer = brute_force_eer(s[y == "bonafide"], s[y == "spoof"])
    (marker,) = _by_gid(ax, "eer")
    assert_allclose(marker.get_xdata(), [norm.ppf(eer)])
    assert_allclose(marker.get_ydata(), [norm.ppf(eer)])
    assert f"{100 * eer:.2f}%" in ax.get_legend().get_texts()[0].get_text()
    assert ax.get_legend().get_texts()[0].get_text().startswith("toy (EER")
    # Probit axes with % tick labels.
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "0.1" in labels and "50" not in labels and "40" in labels
    assert_allclose(ax.get_xticks()[labels.index("40")], norm.ppf(0.4))
    # The curve (x = FAR, y = FRR) starts at FAR 1, FRR 0 (clipped, off-axis).
    curve = ax.get_lines()[0]
    assert curve.get_xdata()[0] > ax.get_xlim()[1]
    assert curve.get_ydata()[0] < ax.get_ylim()[0]
    path = tmp_path / "det.png"
    ax.figure.savefig(path)
    assert path.stat().st_size > 0


def test_det_curve_integer_labels_and_given_axes(data):
    y, s = data
    fig, ax = plt.subplots()
    out = plot_det_curve((y == "bonafide").astype(int), s, pos_label=1, ax=ax)
    assert out is ax
    ref = plot_det_curve(y, s)
    assert_allclose(
        _by_gid(out, "eer")[0].get_xdata(), _by_gid(ref, "eer")[0].get_xdata()
    )


def test_score_histogram(data, tmp_path):
    y, s = data
    ax = plot_score_histogram(y, s, threshold=0.25, bins=10)
    assert isinstance(ax, Axes)
    (line,) = _by_gid(ax, "threshold")
    assert_allclose(line.get_xdata(), [0.25, 0.25])
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 20  # 10 bins per class
    assert sum(heights[:10]) == 40 and sum(heights[10:]) == 60
    ax.figure.savefig(tmp_path / "hist.png")
    assert (tmp_path / "hist.png").stat().st_size > 0
    assert _by_gid(plot_score_histogram(y, s), "threshold") == []


def test_score_histogram_eer_threshold():
    y = ["bonafide"] * 3 + ["spoof"] * 3
    ax = plot_score_histogram(y, [1, 2, 2, 0, 2, 3], threshold="eer")
    # Hand-worked in test_metrics: EER threshold 2 for these tied scores.
    assert_allclose(_by_gid(ax, "threshold")[0].get_xdata(), [2, 2])


def test_plot_errors(data):
    y, s = data
    with pytest.raises(ValueError, match="threshold must be a number, 'eer' or None"):
        plot_score_histogram(y, s, threshold="median")
    with pytest.raises(ValueError, match="finite number"):
        plot_score_histogram(y, s, threshold=np.nan)
    with pytest.raises(ValueError, match="pos_label='bonafide' is not"):
        plot_det_curve((y == "bonafide").astype(int), s)


def test_det_axes_widen_for_poor_systems(data):
    y, s = data
    ax = plot_det_curve(y, -s)  # EER above 40%: the full range is shown
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "50" in labels and "99.9" in labels
    assert_allclose(ax.get_xlim(), norm.ppf([0.0005, 0.9995]))


def test_det_range_stays_wide_for_later_curves():
    y = np.array(["bonafide"] * 50 + ["spoof"] * 50)
    rng = np.random.default_rng(0)
    poor = rng.normal(size=100)  # EER near 50 %
    good = np.r_[rng.normal(2, 1, 50), rng.normal(-2, 1, 50)]
    fig, ax = plt.subplots()
    plot_det_curve(y, poor, ax=ax)
    plot_det_curve(y, good, ax=ax)
    assert ax.get_xlim()[1] == pytest.approx(norm.ppf(0.9995))
    plt.close(fig)


def test_bayes_error_plot_draws_the_metric_curves():
    import matplotlib.pyplot as plt

    from sklearn_ssastcl.metrics import bayes_error_rates
    from sklearn_ssastcl.plotting import plot_bayes_error

    rng = np.random.default_rng(0)
    y = np.repeat(["bonafide", "spoof"], 50)
    llr = np.r_[rng.normal(1, 1, 50), rng.normal(-1, 1, 50)] + 0.5
    x = np.linspace(-4, 4, 17)
    fig, ax = plt.subplots()
    plot_bayes_error(y, llr, prior_log_odds=x, ax=ax, label="sys")
    actual, minimum = bayes_error_rates(y, llr, x)
    lines = {line.get_label(): line for line in ax.lines}
    np.testing.assert_allclose(lines["sys: actual"].get_ydata(), actual)
    np.testing.assert_allclose(lines["sys: minimum"].get_ydata(), minimum)
    (op,) = [line for line in ax.lines if line.get_gid() == "operating_point"]
    # ASVspoof 5 defaults: log(Cmiss (1 - Pspoof) / (Cfa Pspoof)) = log(0.95 / 0.5)
    assert op.get_xdata()[0] == pytest.approx(np.log(0.95 / 0.5))
    plot_bayes_error(y, llr - 0.5, prior_log_odds=x, ax=ax, label="other")
    assert sum(line.get_gid() == "operating_point" for line in ax.lines) == 1
    plt.close(fig)
