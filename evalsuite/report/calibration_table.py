"""The calibration table: how well each run's answer confidence matches its accuracy.

Its columns are the headline metrics of
:data:`evalsuite.metrics.registry.CALIBRATION_METRICS`, with their labels and directions, so a
metric registered there appears here with no edit.
"""

from __future__ import annotations

from typing import Any

from evalsuite.metrics.registry import CALIBRATION_METRICS, CalibrationMetric
from evalsuite.names import CONFIDENCE_VARIANTS
from evalsuite.report.analysis import ReportAnalysis
from evalsuite.report.tables import Cell, Table

__all__ = ["calibration_table"]


def _footnote(metrics: list[CalibrationMetric], one_task: bool) -> str:
    """What each column is, and which way is better."""
    notes = [f"{m.short}: {m.description}" for m in metrics]
    for direction, word in ((False, "Lower"), (True, "Higher")):
        columns = [m.short for m in metrics if m.higher_is_better is direction]
        if columns:
            notes.append(
                f"{word} is better for {', '.join(columns)}"
                + ("" if one_task else " (best not marked across tasks)")
            )
    unranked = [m.short for m in metrics if m.higher_is_better is None]
    if unranked:
        notes.append(f"not ranked: {', '.join(unranked)}")
    return "; ".join(notes) + ". -- : the run records no confidences."


def calibration_table(analysis: ReportAnalysis) -> tuple[Table, list[dict[str, Any]]]:
    """The table and report.json's ``calibration`` block (one entry per run)."""
    runs, summaries = analysis.runs, analysis.summaries
    metrics = [m for m in CALIBRATION_METRICS.values() if m.headline]
    one_task = len({r.task for r in runs}) == 1
    cells: dict[tuple[str, str], Cell] = {}
    numbers = []
    for r in runs:
        cal = summaries[r.name]["calibration"]
        numbers.append(
            {
                "run": r.name,
                "label": r.label,
                "method": r.method,
                "task": r.task,
                **{m.name: None if cal is None else cal.get(m.name) for m in metrics},
                "ece_interval": None if cal is None else cal["ece_interval"],
                "n": 0 if cal is None else cal["n"],
            }
        )
        for m in metrics:
            value = None if cal is None else cal.get(m.name)
            if value is not None:
                cells[(r.label, m.short)] = Cell(value)
    table = Table(
        caption=f"Calibration of the {CONFIDENCE_VARIANTS[analysis.config.confidence]}",
        label="tab:calibration",
        rows=[r.label for r in runs],
        columns=[m.short for m in metrics],
        cells=cells,
        higher_is_better={
            m.short: m.higher_is_better if one_task and m.higher_is_better is not None else None
            for m in metrics
        },
        digits=3,
        footnote=_footnote(metrics, one_task),
    )
    return table, numbers
