"""The main table: accuracy (%) of each method on each task, daggered where significantly better
than the baseline.

One run gives its accuracy ± the Wilson 95% half-width; several runs (seeds) of a method give
their mean ± the standard deviation across runs.
"""

from __future__ import annotations

from typing import Any

from evalsuite.metrics import significance as sig
from evalsuite.names import GROUP_TEST, TEST_LABELS
from evalsuite.report.analysis import ReportAnalysis, groups
from evalsuite.report.runs import METHOD_ORDER, ordered
from evalsuite.report.tables import Cell, Table

__all__ = ["main_table"]

SPREAD_TEXT = {
    "wilson 95% half-width": "the Wilson 95% interval half-width for a single run",
    "sd across runs": "the standard deviation across runs (seeds) where a method has several",
}


def main_table(analysis: ReportAnalysis) -> tuple[Table, dict[str, Any]]:
    """The table and report.json's ``main`` block (tasks, methods, one entry per cell)."""
    runs, summaries, config = analysis.runs, analysis.summaries, analysis.config
    by_key = {(c["method"], c["task"]): c for c in analysis.comparisons}
    cells: dict[tuple[str, str], Cell] = {}
    numbers = []
    for (method, task), members in groups(runs).items():
        comparison = by_key.get((method, task))
        significant = bool(comparison and comparison["significant"])
        entry: dict[str, Any] = {
            "method": method,
            "task": task,
            "split": members[0].split,
            "runs": [r.name for r in members],
        }
        if len(members) == 1:
            rate = summaries[members[0].name]["accuracy"]
            cell = Cell(100 * rate["value"], 100 * (rate["high"] - rate["low"]) / 2, significant)
            entry.update(accuracy=rate, spread="wilson 95% half-width")
        else:
            accuracies = [summaries[r.name]["accuracy"]["value"] for r in members]
            stats = sig.group_stats(method, accuracies)
            cell = Cell(100 * stats.mean, 100 * (stats.sd or 0.0), significant)
            entry.update(seeds=stats.as_dict(), spread="sd across runs")
        cells[(method, task)] = cell
        numbers.append(
            {**entry, "value": cell.value, "spread_value": cell.spread, "significant": significant}
        )

    splits = ordered([r.split for r in runs])
    spreads = ordered([entry["spread"] for entry in numbers])
    footnote = [
        "Accuracy in %; ± is "
        + " and ".join(SPREAD_TEXT[s] for s in spreads)
        + ". Bold: best in each column."
    ]
    if config.baseline is not None:
        used = {c["test"] for c in analysis.comparisons if c["p_value"] is not None}
        how = []
        if not used or used - {GROUP_TEST}:
            how.append(f"one run against one: {TEST_LABELS[config.test]} on the shared examples")
        if GROUP_TEST in used:
            how.append("seeds against seeds: Welch's t-test")
        footnote.append(
            f"† significantly better than {config.baseline} (two-sided p < {config.alpha:g}; "
            + "; ".join(how)
            + "; not corrected for multiple comparisons)."
        )
    table = Table(
        caption=f"Accuracy (%) on the {' / '.join(splits)} split",
        label="tab:main",
        rows=ordered([r.method for r in runs], METHOD_ORDER),
        columns=ordered([r.task for r in runs]),
        cells=cells,
        digits=1,
        footnote=" ".join(footnote),
    )
    best = {t: table.best_rows(t) for t in table.columns}
    for entry in numbers:
        entry["bold"] = entry["method"] in best[entry["task"]]
    return table, {"tasks": list(table.columns), "methods": list(table.rows), "cells": numbers}
