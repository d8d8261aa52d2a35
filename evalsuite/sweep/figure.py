"""A sweep as a figure: accuracy against the fraction (or the noise), and each recipe's
difference from the baseline, where a recipe gains or loses significantly.

Left: each recipe's pooled accuracy with its Wilson interval. Right: recipe minus baseline with
the paired bootstrap interval; a filled marker is a significant difference (Holm-adjusted), a
hollow one is not. On the teacher-noise sweep the right panel shows where learning the rationale
protects the label: a recipe that holds its accuracy as the labels get noisier rises above 0.

The PNG carries the numbers it draws (read back from the plotted artists) in a text chunk,
:data:`POINTS_KEY`, so a reader or a test can check a figure against the runs without
reading pixels.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure

from evalsuite.sweep.analysis import SweepCell, SweepResult

__all__ = ["POINTS_KEY", "plot_sweep", "plotted_points", "read_png_points", "save_sweep_figure"]

POINTS_KEY = "evalsuite:points"
"""The PNG text chunk holding :func:`plotted_points` as JSON."""

_AXIS_LABELS = {
    "fraction": "fraction of the training split",
    "noise": "share of teacher outputs corrupted",
}


def _series(result: SweepResult) -> list[tuple[str, list[SweepCell]]]:
    """(legend label, cells along the x axis) per recipe, and per value of the other axis when
    it varies too."""
    config = result.config
    x_of = (lambda c: c.fraction) if config.axis == "fraction" else (lambda c: c.noise)
    other = "noise" if config.axis == "fraction" else "fraction"
    other_values = sorted(config.noises if other == "noise" else config.fractions)
    series = []
    for recipe in config.recipes:
        for value in other_values:
            cells = sorted(
                (c for c in result.cells if c.recipe == recipe and getattr(c, other) == value),
                key=x_of,
            )
            label = recipe if len(other_values) == 1 else f"{recipe}, {other} {value:g}"
            series.append((label, cells))
    return series


def _bars(values: list[Any], lows: list[Any], highs: list[Any]) -> list[list[float]]:
    """Error-bar lengths below and above each value; an interval end that rounding puts a hair
    on the wrong side of its value (Wilson's 1.0000000000000002 at n/n) draws as 0."""
    return [
        [max(0.0, v - low) for v, low in zip(values, lows, strict=True)],
        [max(0.0, high - v) for v, high in zip(values, highs, strict=True)],
    ]


def plot_sweep(result: SweepResult, *, title: str | None = None) -> Figure:
    """Accuracy (left) and difference from the baseline (right) against the sweep's axis.

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot. Each series is an ``errorbar`` container labelled with its legend
        text: on the left its y values are accuracies, on the right recipe - baseline.
    """
    config = result.config
    x_name = config.axis
    fig = Figure(figsize=(9.0, 4.0), layout="constrained")
    left, right = fig.subplots(1, 2)
    for k, (label, cells) in enumerate(_series(result)):
        colour = f"C{k % 10}"
        xs = [getattr(c, x_name) for c in cells]
        ys = [c.accuracy.value for c in cells]
        bars = _bars(ys, [c.accuracy.low for c in cells], [c.accuracy.high for c in cells])
        left.errorbar(xs, ys, yerr=bars, marker="o", capsize=3, color=colour, label=label)
        tested = [c for c in cells if c.versus_baseline is not None]
        if not tested:
            continue
        diffs = [c.versus_baseline for c in tested]
        right.errorbar(
            [getattr(c, x_name) for c in tested],
            [d.difference for d in diffs],  # type: ignore[union-attr]
            yerr=_bars(
                [d.difference for d in diffs],  # type: ignore[union-attr]
                [d.low for d in diffs],  # type: ignore[union-attr]
                [d.high for d in diffs],  # type: ignore[union-attr]
            ),
            marker="none", capsize=3, color=colour, label=label,
        )  # fmt: skip
        for c, d in zip(tested, diffs, strict=True):
            right.plot(
                getattr(c, x_name), d.difference,  # type: ignore[union-attr]
                marker="o", color=colour,
                markerfacecolor=colour if d.significant else "white",  # type: ignore[union-attr]
            )  # fmt: skip
    right.axhline(0.0, color="0.5", linewidth=0.8)
    for ax in (left, right):
        ax.set_xlabel(_AXIS_LABELS[x_name])
        ax.grid(True, color="0.9", linewidth=0.6)
        if x_name == "fraction":
            ax.set_xscale("log")
            ax.set_xticks(sorted(config.fractions), [f"{f:g}" for f in sorted(config.fractions)])
            ax.minorticks_off()
    left.set_ylabel(f"{config.task} test accuracy (Wilson 95 % interval)")
    left.set_ylim(0, 1.02)
    right.set_ylabel(f"accuracy minus {config.baseline} (paired 95 % interval)")
    right.set_title("filled: significant (Holm)", fontsize="small", parse_math=False)
    legend = fig.legend(
        *left.get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize="small",
        frameon=False,
    )  # fmt: skip
    for text in legend.get_texts():
        text.set_parse_math(False)  # recipe names are text, never mathtext
    if title:
        fig.suptitle(title)
    return fig


def plotted_points(fig: Figure) -> dict[str, list[dict[str, Any]]]:
    """What each panel of a :func:`plot_sweep` figure draws, read from its artists:
    ``{"accuracy": [...], "difference": [...]}``, each series ``{label, x, y, low, high}``."""
    panels: dict[str, list[dict[str, Any]]] = {}
    for name, ax in zip(("accuracy", "difference"), fig.axes, strict=True):
        panels[name] = []
        for container in ax.containers:
            assert isinstance(container, ErrorbarContainer)  # plot_sweep draws only errorbars
            line, _, (bars,) = container.lines
            x, y = (np.asarray(values, dtype=float) for values in line.get_data())
            segments = bars.get_segments()
            panels[name].append(
                {
                    "label": container.get_label(),
                    "x": x.tolist(),
                    "y": y.tolist(),
                    "low": [float(s[0][1]) for s in segments],
                    "high": [float(s[1][1]) for s in segments],
                }
            )
    return panels


def save_sweep_figure(fig: Figure, stem: Path) -> list[Path]:
    """``stem.png`` (its numbers in the :data:`POINTS_KEY` text chunk) and ``stem.pdf``."""
    from evalsuite.report.reliability import save_figure

    points = json.dumps(plotted_points(fig))
    return save_figure(fig, stem, metadata={"png": {POINTS_KEY: points}})


def read_png_points(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The numbers a saved sweep PNG carries (see :data:`POINTS_KEY`)."""
    from PIL import Image

    with Image.open(path) as image:
        text = image.text.get(POINTS_KEY)  # type: ignore[attr-defined]
    if text is None:
        raise ValueError(f"{path}: no {POINTS_KEY} text chunk (not a sweep figure)")
    result: dict[str, list[dict[str, Any]]] = json.loads(text)
    return result
