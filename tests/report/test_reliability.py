"""Reliability figures: empty bins are not drawn, PNG and PDF are written, global state is kept."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.figure import Figure

from evalsuite.metrics.calibration import reliability_curve
from evalsuite.report.reliability import (
    plot_reliability_diagram,
    plot_smooth_reliability_diagram,
    reliability_figure,
    save_figure,
)


def bar_heights(fig: Figure, axis: int) -> list[float]:
    return [round(p.get_height(), 6) for p in fig.axes[axis].patches]


def test_empty_bins_are_not_drawn_as_bars() -> None:
    curve = reliability_curve([0.95] * 4 + [0.65] * 6, [1, 1, 1, 0, 1, 0, 0, 1, 0, 0], n_bins=10)
    fig = plot_reliability_diagram(curve)
    accuracy_axis, count_axis = fig.axes
    # two non-empty bins: one accuracy bar and one gap bar each; two count bars
    assert len(accuracy_axis.patches) == 4 and len(count_axis.patches) == 2
    assert sorted(bar_heights(fig, 1)) == [4.0, 6.0]
    lefts = sorted(round(p.get_x(), 6) for p in count_axis.patches)
    assert lefts == [0.6, 0.9]
    heights = bar_heights(fig, 0)
    assert 0.333333 in heights and 0.75 in heights  # the two bins' accuracies


def test_reliability_figure_shows_the_ece() -> None:
    fig = reliability_figure([0.25, 0.25, 0.75, 0.75], [0, 0, 1, 1], n_bins=2, title="run")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["ECE = 0.250"]
    assert fig.get_suptitle() == "run"


def test_smooth_diagram_is_deterministic_and_keeps_global_style(tmp_path: Path) -> None:
    # Regression: relplot's default style rewrites global rcParams (font size 22, seaborn grid).
    rng = np.random.default_rng(0)
    prob = rng.random(300)
    hit = rng.random(300) < prob
    before = dict(mpl.rcParams)
    first = save_figure(
        plot_smooth_reliability_diagram(prob, hit), tmp_path / "a", formats=("png",)
    )
    second = save_figure(
        plot_smooth_reliability_diagram(prob, hit), tmp_path / "b", formats=("png",)
    )
    assert dict(mpl.rcParams) == before
    assert first[0].read_bytes() == second[0].read_bytes()


def test_save_figure_writes_png_and_pdf(tmp_path: Path) -> None:
    fig = reliability_figure([0.2, 0.9, 0.9], [0, 1, 0])
    paths = save_figure(fig, tmp_path / "out" / "reliability")
    assert [p.name for p in paths] == ["reliability.png", "reliability.pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths[1].read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "reliability.pdf",
        "reliability.png",
    ]  # fmt: skip  (no temporary files left behind)


def test_bad_inputs_are_refused_before_drawing() -> None:
    with pytest.raises(ValueError, match="same length"):
        plot_smooth_reliability_diagram([0.5, 0.5], [1])
    with pytest.raises(ValueError, match="0/1"):
        reliability_figure([0.5], [3])
