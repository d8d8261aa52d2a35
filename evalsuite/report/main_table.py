"""The main table: accuracy (%) of each method on each task, daggered where significantly better
than the baseline.

One run gives its accuracy and its Wilson 95 % interval, printed as ``[low, high]`` (the interval
is not symmetric); several runs (seeds) of a method give their mean and the standard deviation
across runs. Students are ranked; the teacher and other reference runs sit below a rule and are
never bold, and a partial run (fewer examples than its split, or ``--limit``) carries a mark and
its n and is never bold.
"""

from __future__ import annotations

from typing import Any

from evalsuite.metrics import significance as sig
from evalsuite.names import GROUP_TEST, TEST_LABELS
from evalsuite.report.analysis import ReportAnalysis, groups
from evalsuite.report.coverage import PARTIAL_MARK, partial_note, report_coverage
from evalsuite.report.runs import METHOD_ORDER, ordered
from evalsuite.report.tables import Cell, Table

__all__ = ["main_table"]

SPREAD_TEXT = {
    "wilson 95%": "[low, high] is the Wilson 95% interval of a single run",
    "sd across runs": "sd is the standard deviation across runs (seeds) where a method has several",
}


def _footnote(analysis: ReportAnalysis, spreads: list[str], partial: str | None) -> str:
    """What the numbers and marks mean: the interval, bold, the dagger's test, partial runs, and
    runs whose answers mostly could not be read."""
    config = analysis.config
    notes = [
        "Accuracy in %; "
        + "; ".join(SPREAD_TEXT[s] for s in spreads)
        + ". Bold: best student in each column (reference runs, below the rule, are not ranked)."
    ]
    if config.baseline is not None:
        used = {c["test"] for c in analysis.comparisons if c["p_value"] is not None}
        how = []
        if not used or used - {GROUP_TEST}:
            shared = sorted({c["n"] for c in analysis.comparisons if c["test"] != GROUP_TEST})
            on = f"on the shared examples (n = {', '.join(map(str, shared))})" if shared else ""
            how.append(f"one run against one: {TEST_LABELS[config.test]} {on}".rstrip())
        if GROUP_TEST in used:
            how.append("seeds against seeds: Welch's t-test")
        notes.append(
            f"† significantly better than {config.baseline} (two-sided p < {config.alpha:g}; "
            + "; ".join(how)
            + "; not corrected for multiple comparisons)."
        )
    if partial:
        notes.append(partial + ".")
    notes += [line[0].upper() + line[1:] + "." for line in analysis.extraction_warnings]
    return " ".join(notes)


def main_table(analysis: ReportAnalysis) -> tuple[Table, dict[str, Any]]:
    """The table and report.json's ``main`` block (tasks, methods, one entry per cell)."""
    runs, summaries = analysis.runs, analysis.summaries
    coverage = report_coverage(runs)
    by_key = {(c["method"], c["task"]): c for c in analysis.comparisons}
    cells: dict[tuple[str, str], Cell] = {}
    numbers = []
    partial_rows = []
    for (method, task), members in groups(runs).items():
        comparison = by_key.get((method, task))
        significant = bool(comparison and comparison["significant"])
        partial = [coverage[r.name] for r in members if coverage[r.name].partial]
        reference = any(r.reference for r in members)
        entry: dict[str, Any] = {
            "method": method,
            "task": task,
            "split": members[0].split,
            "runs": [r.name for r in members],
            "coverage": [coverage[r.name].as_dict() for r in members],
            "partial": bool(partial),
            "reference": reference,
        }
        mark = PARTIAL_MARK if partial else None
        if len(members) == 1:
            rate = summaries[members[0].name]["accuracy"]
            cell = Cell(
                100 * rate["value"],
                interval=(100 * rate["low"], 100 * rate["high"]),
                significant=significant,
                mark=mark,
                ranked=not partial,
            )
            entry.update(
                accuracy=rate,
                spread="wilson 95%",
                interval={
                    "low": rate["low"],
                    "high": rate["high"],
                    "method": "wilson",
                    "level": 0.95,
                },
            )
        else:
            accuracies = [summaries[r.name]["accuracy"]["value"] for r in members]
            stats = sig.group_stats(method, accuracies)
            cell = Cell(
                100 * stats.mean,
                sd=None if stats.sd is None else 100 * stats.sd,
                significant=significant,
                mark=mark,
                ranked=not partial,
            )
            entry.update(seeds=stats.as_dict(), spread="sd across runs")
        cells[(method, task)] = cell
        partial_rows += [(f"{method} / {task}", c) for c in partial]
        numbers.append({**entry, "value": cell.value, "significant": significant})

    splits = ordered([r.split for r in runs])
    spreads = ordered([entry["spread"] for entry in numbers])
    methods = ordered([r.method for r in runs], METHOD_ORDER)
    references = {e["method"] for e in numbers if e["reference"]}
    table = Table(
        caption=f"Accuracy (%) on the {' / '.join(splits)} split",
        label="tab:main",
        rows=[m for m in methods if m not in references],
        reference_rows=[m for m in methods if m in references],
        columns=ordered([r.task for r in runs]),
        cells=cells,
        digits=1,
        footnote=_footnote(analysis, spreads, partial_note(partial_rows)),
    )
    best = {t: table.best_rows(t) for t in table.columns}
    for entry in numbers:
        entry["bold"] = entry["method"] in best[entry["task"]]
    return table, {"tasks": list(table.columns), "methods": list(methods), "cells": numbers}
