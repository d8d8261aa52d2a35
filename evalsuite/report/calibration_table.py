"""The calibration table: how well each run's answer confidence matches its accuracy.

Its columns are the headline metrics of
:data:`evalsuite.metrics.registry.CALIBRATION_METRICS`, with their labels, directions and
bootstrap intervals, so a metric registered there appears here with no edit; then the ECE after
temperature scaling, fitted on the same checkpoint's validation run (never on test), beside the
raw ECE, or n/a where no validation run was given.
"""

from __future__ import annotations

from typing import Any

from evalsuite.analysis.calibration import NO_VALIDATION_RUN
from evalsuite.metrics.registry import CALIBRATION_METRICS, CalibrationMetric
from evalsuite.metrics.temperature import TemperatureScaledECE
from evalsuite.names import CONFIDENCE_VARIANTS
from evalsuite.report.analysis import ReportAnalysis
from evalsuite.report.tables import Cell, Table

__all__ = ["SCALED_ECE", "calibration_table"]

SCALED_ECE = "ECE (T-scaled)"
"""Column of the ECE after temperature scaling."""


def _footnote(metrics: list[CalibrationMetric], one_task: bool, fitted: list[str]) -> str:
    """What each column is, and which way is better."""
    notes = [f"{m.short}: {m.description}" for m in metrics]
    intervals = [m.short for m in metrics if m.interval]
    notes.append(
        f"[low, high]: bootstrap 95% percentile interval over examples ({', '.join(intervals)})"
    )
    notes.append(
        f"{SCALED_ECE}: ECE (10 bins) after a temperature fitted on the same checkpoint's "
        "validation run, never on test"
        + (f" ({'; '.join(fitted)})" if fitted else "")
        + "; n/a (no validation run): none was given (evalsuite report TEST_RUN VALID_RUN)"
    )
    for direction, word in ((False, "Lower"), (True, "Higher")):
        columns = [m.short for m in metrics if m.higher_is_better is direction]
        if direction is False:
            columns.append(SCALED_ECE)
        if columns:
            notes.append(
                f"{word} is better for {', '.join(columns)}"
                + ("" if one_task else " (best not marked across tasks)")
            )
    unranked = [m.short for m in metrics if m.higher_is_better is None]
    if unranked:
        notes.append(f"not ranked: {', '.join(unranked)}")
    return "; ".join(notes) + ". -- : the run records no confidences."


def _cell(metric: CalibrationMetric, cal: dict[str, Any]) -> Cell | None:
    value = cal.get(metric.name)
    if value is None:
        return None
    interval = cal.get(metric.interval) if metric.interval else None
    if interval is None or interval.get("low") is None:
        return Cell(value)
    return Cell(value, interval=(interval["low"], interval["high"]))


def calibration_table(analysis: ReportAnalysis) -> tuple[Table, list[dict[str, Any]]]:
    """The table and report.json's ``calibration`` block (one entry per run)."""
    runs, summaries = analysis.runs, analysis.summaries
    metrics = [m for m in CALIBRATION_METRICS.values() if m.headline]
    one_task = len({r.task for r in runs}) == 1
    cells: dict[tuple[str, str], Cell] = {}
    numbers, fitted = [], []
    for r in runs:
        cal = summaries[r.name]["calibration"]
        scaled = analysis.temperature.get(r.name)
        numbers.append(
            {
                "run": r.name,
                "label": r.label,
                "method": r.method,
                "task": r.task,
                **{m.name: None if cal is None else cal.get(m.name) for m in metrics},
                **{
                    m.interval: None if cal is None else cal.get(m.interval)
                    for m in metrics
                    if m.interval
                },
                "temperature_scaling": scaled.as_dict()
                if isinstance(scaled, TemperatureScaledECE)
                else scaled,
                "n": 0 if cal is None else cal["n"],
            }
        )
        if cal is None:
            continue
        for m in metrics:
            cell = _cell(m, cal)
            if cell is not None:
                cells[(r.label, m.short)] = cell
        if isinstance(scaled, TemperatureScaledECE):
            cells[(r.label, SCALED_ECE)] = Cell(scaled.ece_scaled)
            scaler = scaled.scaler
            fitted.append(f"{r.label}: T = {scaler.temperature:.2f} on {scaler.n} valid examples")
        else:
            cells[(r.label, SCALED_ECE)] = Cell(float("nan"))  # printed n/a: the note says why
            if scaled is not None and scaled != NO_VALIDATION_RUN:
                fitted.append(f"{r.label}: {scaled}")
    columns = [m.short for m in metrics] + [SCALED_ECE]
    directions = {m.short: m.higher_is_better for m in metrics} | {SCALED_ECE: False}
    table = Table(
        caption=f"Calibration of the {CONFIDENCE_VARIANTS[analysis.config.confidence]}",
        label="tab:calibration",
        rows=[r.label for r in runs],
        columns=columns,
        cells=cells,
        higher_is_better={
            c: d if one_task and d is not None else None for c, d in directions.items()
        },
        digits=3,
        footnote=_footnote(metrics, one_task, fitted),
    )
    return table, numbers
