"""Probe runs in a report: set apart from the scored runs, summarised once, drawn as curves.

A probe run (``evalsuite probe``, ``kind`` ``probe``) is no seed of its student's method, so
the per-run tables never see it. Its summary is recomputed from its records with the run's own
settings (:func:`evalsuite.probes.summary.summarize_probes`, seed and grid from its manifest),
so the report's faithfulness table equals the run's metrics.json.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from evalsuite.names import FAITHFULNESS_PROBES
from evalsuite.runs import Run

__all__ = [
    "CURVE_PROBES",
    "ProbeSummary",
    "plot_probe_curves",
    "split_probe_runs",
    "summarize_probe_runs",
    "write_probe_figures",
]

PROBE_KIND = "probe"
CURVE_PROBES = ("early_answering", "corrupted_step")
"""Probes whose summary is a curve over the rationale: one figure each, one line per student."""


@dataclass(frozen=True)
class ProbeSummary:
    """One probe run as the report sees it: its name (row label), task and summary."""

    name: str
    path: Path
    task: str | None
    method: str | None
    summary: Mapping[str, Any]


def split_probe_runs(runs: Sequence[Run]) -> tuple[list[Run], list[Run]]:
    """The scored runs and the probe runs, each in the order given."""
    probes = [r for r in runs if r.manifest.kind == PROBE_KIND]
    return [r for r in runs if r.manifest.kind != PROBE_KIND], probes


def summarize_probe_runs(runs: Sequence[Run]) -> list[ProbeSummary]:
    """Each probe run's summary, recomputed from its records with its own settings."""
    from evalsuite.probes.summary import DEFAULT_GRID, summarize_probes

    out = []
    for run in runs:
        settings = run.manifest.probe or {}
        probes = [p for p in settings.get("probes", []) if p in FAITHFULNESS_PROBES]
        summary = summarize_probes(
            run.records,
            probes,
            grid=tuple(settings.get("grid", DEFAULT_GRID)),
            rng=settings.get("seed", 0),
        )
        model = run.manifest.model
        out.append(
            ProbeSummary(
                run.name, run.path, run.manifest.task, model.recipe if model else None, summary
            )
        )
    return out


def plot_probe_curves(probe: str, curves: Sequence[tuple[str, Mapping[str, Any]]]) -> Figure:
    """One probe's curve per student with its Wilson 95 % band, on one axes.

    Parameters
    ----------
    probe : str
        ``early_answering`` or ``corrupted_step``.
    curves : sequence of (label, block)
        The probe's summary block of each run (``curve``: x, value, low, high; ``aoc``).

    Examples
    --------
    >>> block = {"aoc": {"value": 0.5}, "curve": [
    ...     {"x": 0.0, "value": 0.0, "low": 0.0, "high": 0.3},
    ...     {"x": 1.0, "value": 1.0, "low": 0.7, "high": 1.0}]}
    >>> fig = plot_probe_curves("early_answering", [("single", block)])
    >>> fig.axes[0].lines[0].get_ydata().tolist()
    [0.0, 1.0]
    """
    early = probe == "early_answering"
    fig = Figure(figsize=(5.5, 4.0), layout="constrained")
    ax = fig.subplots()
    for label, block in curves:
        points = [p for p in block["curve"] if p.get("value") is not None]
        x = [p["x"] for p in points]
        aoc = block["aoc"].get("value")
        shown = f"{label} (AOC {aoc:.3f})" if aoc is not None else label
        (line,) = ax.plot(x, [p["value"] for p in points], marker="o", markersize=3, label=shown)
        ax.fill_between(
            x,
            [p["low"] for p in points],
            [p["high"] for p in points],
            color=line.get_color(),
            alpha=0.15,
            linewidth=0,
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(
        "fraction of the rationale forced before the answer"
        if early
        else "position of the corrupted step (fraction of the rationale before it)"
    )
    ax.set_ylabel("answers equal to the full-rationale answer" if early else "answers that changed")
    ax.grid(True, color="0.9", linewidth=0.6)
    ax.set_title(f"{FAITHFULNESS_PROBES[probe].capitalize()} (bands: Wilson 95 %)")
    if curves:
        legend = fig.legend(loc="outside lower center", ncols=2, fontsize="small", frameon=False)
        for text in legend.get_texts():
            text.set_parse_math(False)  # run names are text, never mathtext
    return fig


def write_probe_figures(summaries: Sequence[ProbeSummary], folder: Path) -> list[Path]:
    """``early_answering`` and ``corrupted_step`` figures (PNG and PDF) where a run has them."""
    from evalsuite.report.reliability import save_figure

    paths: list[Path] = []
    for probe in CURVE_PROBES:
        curves = [(s.name, s.summary["probes"][probe]) for s in summaries
                  if probe in s.summary["probes"]]  # fmt: skip
        if curves:
            paths.extend(save_figure(plot_probe_curves(probe, curves), folder / probe))
    return paths
