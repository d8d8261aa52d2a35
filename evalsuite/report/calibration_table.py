"""The calibration table: how well each run's answer confidence matches its accuracy."""

from __future__ import annotations

from typing import Any

from evalsuite.report.analysis import ReportAnalysis
from evalsuite.report.tables import Cell, Table

__all__ = ["CALIBRATION_COLUMNS", "calibration_table"]

CALIBRATION_COLUMNS = {
    "ECE": "ece",
    "smECE": "smooth_ece",
    "Brier": "brier",
    "mean confidence": "mean_confidence",
}


def calibration_table(analysis: ReportAnalysis) -> tuple[Table, list[dict[str, Any]]]:
    """The table and report.json's ``calibration`` block (one entry per run)."""
    runs, summaries = analysis.runs, analysis.summaries
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
                **{key: None if cal is None else cal[key] for key in CALIBRATION_COLUMNS.values()},
                "ece_interval": None if cal is None else cal["ece_interval"],
                "n": 0 if cal is None else cal["n"],
            }
        )
        if cal is not None:
            for column, key in CALIBRATION_COLUMNS.items():
                cells[(r.label, column)] = Cell(cal[key])
    ranked = {
        c: (None if c == "mean confidence" or not one_task else False) for c in CALIBRATION_COLUMNS
    }
    footnote = (
        "ECE: 10 equal-width bins; smECE: smooth ECE (relplot); Brier score of the confidence "
        "in the answer given. Lower is better for these three"
        + ("" if one_task else " (best not marked across tasks)")
        + "; mean confidence is not ranked. -- : the run records no confidences."
    )
    table = Table(
        caption="Calibration of the answer confidence",
        label="tab:calibration",
        rows=[r.label for r in runs],
        columns=list(CALIBRATION_COLUMNS),
        cells=cells,
        higher_is_better=ranked,
        digits=3,
        footnote=footnote,
    )
    return table, numbers
