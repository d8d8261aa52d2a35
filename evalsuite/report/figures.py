"""Report figures beyond the reliability diagram: accuracy-coverage curves and MI with intervals.

Like :mod:`evalsuite.report.reliability`, figures are ``matplotlib.figure.Figure`` objects built
without pyplot (no global state, no display) and saved with
:func:`evalsuite.report.reliability.save_figure`. The numbers come from
:mod:`evalsuite.metrics`; this module only draws them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from evalsuite.metrics.calibration import SelectiveCurve, selective_prediction_curve
from evalsuite.metrics.mutual_info import MIEstimate
from evalsuite.runs.records import Record

if TYPE_CHECKING:
    from evalsuite.metrics.summary import ConfidenceVariant

__all__ = ["plot_accuracy_coverage", "plot_mutual_information", "slug", "write_report_figures"]


def plot_accuracy_coverage(
    curves: Sequence[tuple[str, SelectiveCurve]], *, title: str | None = None
) -> Figure:
    """Selective accuracy against coverage, one line per run, all on one axes.

    Reading right to left, a line shows how accuracy rises as the least confident answers are
    abstained on; a run whose confidence ranks its answers well rises steeply. The curve's
    right end (coverage 1) is the run's plain accuracy, so runs of one task compare directly.

    Parameters
    ----------
    curves : sequence of (label, SelectiveCurve)
        From :func:`evalsuite.metrics.calibration.selective_prediction_curve`; the label goes in
        the legend with the curve's AURC.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from evalsuite.metrics.calibration import selective_prediction_curve
    >>> c = selective_prediction_curve([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 0])
    >>> fig = plot_accuracy_coverage([("dss", c)])
    >>> fig.axes[0].lines[0].get_ydata().tolist()
    [1.0, 1.0, 0.6666666666666667, 0.5]
    """
    fig = Figure(figsize=(5.5, 4.0), layout="constrained")
    ax = fig.subplots()
    for label, curve in curves:
        ax.plot(
            curve.coverage,
            curve.accuracy,
            linewidth=1.5,
            drawstyle="steps-post" if curve.coverage.size <= 20 else "default",
            label=f"{label} (AURC {curve.aurc:.3f})",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("coverage (share of answers kept, most confident first)")
    ax.set_ylabel("accuracy on the kept answers")
    ax.grid(True, color="0.9", linewidth=0.6)
    if curves:  # below the axes, so no curve is hidden behind it
        legend = fig.legend(loc="outside lower center", ncols=2, fontsize="small", frameon=False)
        for text in legend.get_texts():
            text.set_parse_math(False)  # run names are text, never mathtext
    if title:
        ax.set_title(title, parse_math=False)
    return fig


def plot_mutual_information(
    estimates: Sequence[tuple[str, MIEstimate]], *, title: str | None = None
) -> Figure:
    """MI estimates (nats) as points with their intervals, one row per run and estimator.

    Bounds are drawn as triangles pointing the way the truth may lie (a lower bound as ``>``,
    an upper bound as ``<``), so a reader does not take a bound for an estimate.

    Parameters
    ----------
    estimates : sequence of (label, MIEstimate)
        From :func:`evalsuite.metrics.mutual_info.estimate_mutual_information`; the row reads
        ``label: estimator``.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> e = MIEstimate("ksg", 0.5, 0.4, 0.6, n=100, kind="estimate", caveat="")
    >>> fig = plot_mutual_information([("dss", e)])
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['dss: ksg']
    """
    height = 1.2 + 0.35 * max(len(estimates), 1)
    fig = Figure(figsize=(5.5, height), layout="constrained")
    ax = fig.subplots()
    markers = {"estimate": "o", "lower bound": ">", "upper bound": "<"}
    positions = np.arange(len(estimates))[::-1]  # first estimate at the top
    for y, (_, est) in zip(positions, estimates, strict=True):
        ax.errorbar(
            [est.value],
            [y],
            xerr=[[max(est.value - est.low, 0.0)], [max(est.high - est.value, 0.0)]],
            fmt=markers.get(est.kind, "o"),
            color="tab:blue" if est.kind == "estimate" else "tab:orange",
            capsize=3,
            markersize=6,
        )
    # Run names are text, never mathtext: "$\\frac{$" in a name must not reach the parser.
    ax.set_yticks(
        positions, [f"{label}: {est.estimator}" for label, est in estimates], parse_math=False
    )
    ax.set_ylim(-0.7, len(estimates) - 0.3)
    ax.axvline(0.0, color="0.6", linewidth=0.8)
    ax.set_xlabel("mutual information, label vs rationale representation (nats)")
    ax.grid(True, axis="x", color="0.9", linewidth=0.6)
    if title:
        ax.set_title(title, parse_math=False)
    return fig


def slug(text: str) -> str:
    """A file-name stem from a label: runs of other characters become one underscore.

    >>> slug("dss / arith seed 1")
    'dss_arith_seed_1'
    """
    return re.sub(r"[^A-Za-z0-9.-]+", "_", text).strip("_") or "run"


def write_report_figures(
    runs: Sequence[tuple[str, str, Sequence[Record]]],
    estimates: Sequence[tuple[str, MIEstimate]],
    folder: Path,
    confidence: ConfidenceVariant = "answer",
) -> list[Path]:
    """Write a report's figures as PNG and PDF into ``folder``; return the paths.

    Parameters
    ----------
    runs : sequence of (label, task, records)
        Every run with a confidence on some record gets ``reliability_<label>``; the runs of a
        task share ``accuracy_coverage_<task>``. Runs without confidences are left out.
    estimates : sequence of (label, MIEstimate)
        Drawn together as ``mutual_information`` when there are any.
    folder : Path
    confidence : {"answer", "normalized", "sequence"}
        Which record confidence the reliability diagrams and curves use (as the tables).
    """
    from evalsuite.report.reliability import confidence_pairs, reliability_figure, save_figure

    paths: list[Path] = []
    stems: set[str] = set()

    def save(figure: Figure, stem: str) -> None:
        unique = stem if stem not in stems else f"{stem}_{len(stems)}"
        stems.add(unique)
        paths.extend(save_figure(figure, folder / unique))

    curves: dict[str, list[tuple[str, SelectiveCurve]]] = {}
    for label, task, records in runs:
        y_prob, y_true = confidence_pairs(records, confidence)
        if y_prob.size == 0:
            continue
        save(
            reliability_figure(y_prob, y_true, n_bins=10, title=label), f"reliability_{slug(label)}"
        )
        curves.setdefault(task, []).append((label, selective_prediction_curve(y_prob, y_true)))
    for task, task_curves in curves.items():
        figure = plot_accuracy_coverage(task_curves, title=f"Accuracy against coverage, {task}")
        save(figure, f"accuracy_coverage_{slug(task)}")
    if estimates:
        save(plot_mutual_information(estimates), "mutual_information")
    return paths
