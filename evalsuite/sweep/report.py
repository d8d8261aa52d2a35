"""Write a sweep's report directory: report.json, the figure, the LaTeX tables and summary.md.

```
OUT/report.json                       config, provenance, every cell's numbers, the runs
OUT/figures/sweep-<axis>.png, .pdf    accuracy and difference from the baseline (figure.py)
OUT/tables/sweep-<axis>.tex           the tables as booktabs LaTeX
OUT/tables/sweep-<axis>.md            the same tables as Markdown
OUT/summary.md                        tables, findings in words (from the numbers), figure
```

The directory is built beside ``OUT`` and renamed into place
(:func:`evalsuite.report.publish.publish_directory`): a rerun replaces an earlier sweep report,
never a directory that is not a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalsuite.sweep.analysis import SweepResult
from evalsuite.sweep.run import PointRun

__all__ = [
    "SCHEMA_VERSION",
    "SweepReport",
    "findings",
    "sweep_document",
    "trend",
    "write_sweep_report",
]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class SweepReport:
    """Where the report went, with its tables (Markdown) and findings, for the CLI to print."""

    out: Path
    markdown: str
    findings: tuple[str, ...]


def findings(result: SweepResult) -> list[str]:
    """One sentence per point naming the recipes significantly better or worse than the
    baseline there (:func:`evalsuite.report.findings.findings_sentence`)."""
    from evalsuite.report.findings import Verdict, findings_sentence
    from evalsuite.sweep.table import point_label

    config = result.config
    sentences = []
    for fraction in sorted(config.fractions):
        for noise in sorted(config.noises):
            verdicts = [
                Verdict(c.recipe, t.difference, t.significant)
                for c in result.cells
                if (c.fraction, c.noise) == (fraction, noise)
                and (t := c.versus_baseline) is not None
            ]
            where = f"At {point_label(result, fraction, noise)}"
            sentences.append(findings_sentence(where, config.baseline, verdicts))
    return sentences


def trend(result: SweepResult) -> list[str]:
    """How each recipe's accuracy changes from the smallest to the largest value of the axis
    (at each value of the other axis), one sentence each: on the noise sweep, how much each
    recipe loses as the teacher's labels get noisier.

    Examples: ``From noise 0 to 0.4: standard 80.0 % -> 60.0 % (-20.0 points);
    dss 82.0 % -> 77.0 % (-5.0 points).``
    """
    config = result.config
    axis = config.axis
    values = sorted(config.fractions if axis == "fraction" else config.noises)
    if len(values) < 2:
        return []
    other_name = "noise" if axis == "fraction" else "fraction"
    others = sorted(config.noises if axis == "fraction" else config.fractions)
    sentences = []
    for other in others:
        at = {axis: 0.0, other_name: other}
        changes = []
        for recipe in config.recipes:
            ends = []
            for value in (values[0], values[-1]):
                at[axis] = value
                ends.append(result.cell(recipe, at["fraction"], at["noise"]).accuracy.value)
            first, last = ends
            if first is None or last is None:
                continue
            changes.append(
                f"{recipe} {100 * first:.1f} % -> {100 * last:.1f} % "
                f"({100 * (last - first):+.1f} points)"
            )
        where = f" ({other_name} {other:g})" if len(others) > 1 else ""
        sentences.append(
            f"From {axis} {values[0]:g} to {values[-1]:g}{where}: " + "; ".join(changes) + "."
        )
    return sentences


def sweep_document(result: SweepResult, runs: list[PointRun]) -> dict[str, Any]:
    """report.json: what was run (config, provenance, each point's checkpoint and run with the
    records' hash) and every number the tables and the figure show."""
    from evalsuite.provenance import file_sha256, now_iso, provenance
    from evalsuite.runs.layout import RECORDS

    return {
        "kind": "sweep",
        "schema_version": SCHEMA_VERSION,
        "created": now_iso(),
        "provenance": provenance(),
        "config": result.config.to_dict(),
        "axis": result.config.axis,
        "cells": [c.as_dict() for c in result.cells],
        "findings": findings(result),
        "trend": trend(result),
        "points": [
            {
                "name": r.point.name,
                "recipe": r.point.recipe,
                "fraction": r.point.fraction,
                "noise": r.point.noise,
                "seed": r.point.seed,
                "checkpoint": str(r.checkpoint),
                "run": str(r.run),
                "records_sha256": file_sha256(r.run / RECORDS),
            }
            for r in runs
        ],
    }


def write_sweep_report(result: SweepResult, runs: list[PointRun], out: Path) -> SweepReport:
    """Write the report directory ``out``."""
    from evalsuite.io import atomic_write_json, atomic_write_text
    from evalsuite.report.publish import REPORT_JSON, publish_directory
    from evalsuite.report.tables import render_latex, render_markdown
    from evalsuite.sweep.figure import plot_sweep, save_sweep_figure
    from evalsuite.sweep.table import sweep_tables

    axis = result.config.axis
    document = sweep_document(result, runs)
    tables = sweep_tables(result)
    stem = f"sweep-{axis}"
    markdown = "\n".join(map(render_markdown, tables))

    def write(staging: Path) -> None:
        (staging / "figures").mkdir()
        (staging / "tables").mkdir()
        save_sweep_figure(plot_sweep(result), staging / "figures" / stem)
        atomic_write_text(staging / "tables" / f"{stem}.tex", "\n".join(map(render_latex, tables)))
        atomic_write_text(staging / "tables" / f"{stem}.md", markdown)
        summary = [
            f"# Sweep over the training {axis}" if axis == "fraction" else
            "# Sweep over the teacher's noise",
            "",
            f"Made by evalsuite on {document['created']}; every number is in {REPORT_JSON}.",
            "",
            markdown,
            "## Findings",
            "",
            *[f"- {s}" for s in document["findings"]],
            *[f"- {s}" for s in document["trend"]],
            "",
            f"![accuracy by {axis}](figures/{stem}.png)",
        ]  # fmt: skip
        atomic_write_text(staging / "summary.md", "\n".join(summary) + "\n")
        atomic_write_json(staging / REPORT_JSON, document)

    publish_directory(out, write, overwrite=True)
    return SweepReport(out, markdown, (*document["findings"], *document["trend"]))
