"""Reliability diagrams as matplotlib Figures: binned with counts, and relplot's smooth one.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot), so nothing here touches
global figure state or needs a display; PNG and PDF come from the Agg and PDF canvases. Numbers
are computed in :mod:`evalsuite.metrics.calibration`; this module only draws them.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from evalsuite.io import atomic_write_bytes
from evalsuite.metrics.calibration import (
    ReliabilityCurve,
    expected_calibration_error,
    reliability_curve,
)
from evalsuite.runs import Record, as_records

if TYPE_CHECKING:
    from evalsuite.metrics.summary import ConfidenceVariant

__all__ = [
    "FIGURE_FORMATS",
    "confidence_pairs",
    "plot_reliability_diagram",
    "plot_smooth_reliability_diagram",
    "reliability_figure",
    "save_figure",
]

FIGURE_FORMATS: tuple[str, ...] = ("png", "pdf")


def plot_reliability_diagram(
    curve: ReliabilityCurve,
    *,
    title: str | None = None,
    ece: float | None = None,
) -> Figure:
    """Draw a binned reliability diagram over a histogram of the bin counts.

    Top: one bar per non-empty bin at its accuracy, the gap to the bin's mean confidence
    shaded, and the diagonal of perfect calibration. Bottom: how many predictions fall in each
    bin, so that a tall gap over a handful of predictions reads as what it is. Empty bins are
    not drawn (no zero-height bar that would look like "accuracy 0").

    Parameters
    ----------
    curve : ReliabilityCurve
        From :func:`evalsuite.metrics.calibration.reliability_curve`.
    title : str, optional
        Figure title.
    ece : float, optional
        Written in the corner when given (e.g. the ECE over the same bins).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> c = reliability_curve([0.25, 0.25, 0.75, 0.75], [0, 0, 1, 1], n_bins=4)
    >>> fig = plot_reliability_diagram(c)
    >>> len(fig.axes[0].patches)  # two non-empty bins, one bar and one gap each
    4
    """
    fig = Figure(figsize=(5.0, 6.0), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    keep = curve.nonempty
    left = curve.edges[:-1][keep]
    width = np.diff(curve.edges)[keep]
    accuracy = curve.accuracy[keep]
    confidence = curve.confidence[keep]

    top.plot([0, 1], [0, 1], linestyle="--", color="0.5", linewidth=1, label="perfect calibration")
    top.bar(
        left, accuracy, width=width, align="edge", color="tab:blue", edgecolor="black",
        linewidth=0.6, label="accuracy",
    )  # fmt: skip
    # The gap is hatched, not filled: where accuracy exceeds confidence it lies inside the
    # accuracy bar, and a translucent fill there would blend into a third colour.
    top.bar(
        left, confidence - accuracy, bottom=accuracy, width=width, align="edge",
        fill=False, edgecolor="tab:red", hatch="//", linewidth=0.6, label="gap", zorder=2,
    )  # fmt: skip
    top.scatter(left + width / 2, confidence, color="black", s=12, zorder=3, label="confidence")
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy")
    # Above the axes, so it never hides a bin.
    top.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize="small", frameon=False
    )
    if ece is not None:
        top.text(0.03, 0.96, f"ECE = {ece:.3f}", ha="left", va="top", transform=top.transAxes)
    if title:
        fig.suptitle(title, parse_math=False)  # a run name: never mathtext

    bottom.bar(
        left, curve.counts[keep], width=width, align="edge", color="0.6", edgecolor="black",
        linewidth=0.6,
    )  # fmt: skip
    bottom.set_xlabel("confidence")
    bottom.set_ylabel("count")
    return fig


def confidence_pairs(
    records: Sequence[Record | Mapping[str, Any]],
    confidence: ConfidenceVariant = "answer",
) -> tuple[np.ndarray, np.ndarray]:
    """``(y_prob, y_true)`` over the records that carry a confidence of the chosen variant
    (``--confidence``), as the calibration summary of
    :func:`evalsuite.metrics.summary.summarize_run` selects them (the report's figures and the
    explorer draw from these). Shapes ``(m,)``."""
    from evalsuite.metrics.summary import record_confidence

    scored = [
        (p, r.correct)
        for r in as_records(records)
        if (p := record_confidence(r, confidence)) is not None
    ]
    y_prob = np.array([float(c) for c, _ in scored], dtype=np.float64)
    y_true = np.array([ok for _, ok in scored], dtype=bool)
    return y_prob, y_true


def reliability_figure(
    y_prob: ArrayLike, y_true: ArrayLike, *, n_bins: int = 10, title: str | None = None
) -> Figure:
    """Binned reliability diagram straight from confidences and correctness, ECE in the corner."""
    curve = reliability_curve(y_prob, y_true, n_bins=n_bins)
    ece = expected_calibration_error(y_prob, y_true, n_bins=n_bins)
    return plot_reliability_diagram(curve, title=title, ece=ece)


def plot_smooth_reliability_diagram(
    y_prob: ArrayLike, y_true: ArrayLike, *, title: str | None = None
) -> Figure:
    """relplot's smooth reliability diagram (kernel regression, smECE bandwidth) with density.

    relplot's bootstrap band and smECE interval draw from numpy's global random state, so they
    are left off: the figure is deterministic. relplot's house style, which rewrites global
    rcParams, is also left off.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import relplot

    prob = np.asarray(y_prob, dtype=np.float64).ravel()
    true = np.asarray(y_true, dtype=np.float64).ravel()
    expected_calibration_error(prob, true)  # validates the inputs with our messages
    diagram = relplot.prepare_rel_diagram(
        prob, true, plot_confidence_band=False, report_CE_std=False
    )
    fig = Figure(figsize=(5.0, 5.0), layout="constrained")
    ax = fig.subplots()
    relplot.plot_rel_diagram(diagram, fig=fig, ax=ax, use_default_style=False, plot_density=True)
    ax.set_xlabel("confidence")
    ax.set_ylabel("E[correct | confidence]")
    if title:
        ax.set_title(title, parse_math=False)  # a run name: never mathtext
    return fig


def save_figure(
    fig: Figure,
    stem: str | os.PathLike[str],
    *,
    formats: tuple[str, ...] = FIGURE_FORMATS,
    metadata: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Path]:
    """Write ``stem.png`` and ``stem.pdf`` (or ``formats``), each atomically; return the paths.

    ``metadata`` maps a format to the metadata ``savefig`` writes into that file (a PNG takes
    any text key; a PDF only its standard ones).
    """
    paths = []
    for fmt in formats:
        buffer = io.BytesIO()
        extra = (metadata or {}).get(fmt)
        fig.savefig(buffer, format=fmt, dpi=150, metadata=dict(extra) if extra else None)
        path = Path(f"{os.fspath(stem)}.{fmt}")
        atomic_write_bytes(path, buffer.getvalue())
        paths.append(path)
    return paths
