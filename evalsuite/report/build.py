"""Assemble a report from runs: LaTeX tables, figures, summary.md and report.json in one directory.

Runs are identified and grouped by :mod:`evalsuite.report.runs` (method, task, seed). The numbers
are computed once by :mod:`evalsuite.report.analysis`; each table is laid out by its own module,
listed once in :data:`TABLES`; :mod:`evalsuite.report.publish` writes the directory under a
temporary name and renames it into place.

Layout of ``out``::

    tables/main.tex, calibration.tex, mi.tex   booktabs tables to \\input into a paper
    tables/paths.tex                           runs with reasoning paths: single paths and vote
    tables/faithfulness.tex                    probe runs: AOC and forced-answer accuracies
    tables/dependence.tex                      probe runs: does the answer depend on the rationale?
    tables/all.tex                             the same tables as a standalone document
    figures/*.png, *.pdf                       reliability diagrams, accuracy-coverage, MI,
                                               early-answering and corrupted-step curves
    summary.md                                 warnings, the tables, significance in words, the runs
    examples.md                                examples to open, each a link into the explorer
    report.json                                every number behind the tables, and how it was made
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from evalsuite.analysis.calibration import validation_partners
from evalsuite.errors import UsageError
from evalsuite.io import atomic_write_text
from evalsuite.provenance import now_iso, provenance
from evalsuite.report.analysis import ReportAnalysis, analyse, groups, pairings
from evalsuite.report.calibration_table import calibration_table
from evalsuite.report.config import ReportConfig
from evalsuite.report.coverage import mark_partial_rows, report_coverage
from evalsuite.report.dependence_table import dependence_table
from evalsuite.report.examples import (
    EXAMPLES_MD,
    collect_examples,
    examples_markdown,
    summary_section,
)
from evalsuite.report.faithfulness import (
    split_probe_runs,
    summarize_probe_runs,
    write_probe_figures,
)
from evalsuite.report.faithfulness_table import faithfulness_table
from evalsuite.report.main_table import main_table
from evalsuite.report.markdown import summary_markdown
from evalsuite.report.mi_table import mi_table
from evalsuite.report.paths_table import paths_table
from evalsuite.report.publish import REPORT_JSON, check_out, publish_directory, run_facts
from evalsuite.report.runs import Progress, describe_runs
from evalsuite.report.tables import Table, latex_document, render_latex
from evalsuite.runs import Run

__all__ = [
    "REPORT_JSON",
    "TABLES",
    "ReportConfig",
    "ReportResult",
    "ReportTable",
    "build_report",
    "check_out",
]


@dataclass(frozen=True)
class ReportTable:
    """One table of the report: where it goes and how it is laid out.

    Attributes
    ----------
    name : str
        ``tables/NAME.tex`` and report.json's key for its numbers.
    build : callable
        ``ReportAnalysis -> (Table or None, numbers)``; None: the table applies to no run.
    """

    name: str
    build: Callable[[ReportAnalysis], tuple[Table | None, Any]]


TABLES: tuple[ReportTable, ...] = (
    ReportTable("main", main_table),
    ReportTable("paths", paths_table),
    ReportTable("calibration", calibration_table),
    ReportTable("mi", mi_table),
    ReportTable("faithfulness", faithfulness_table),
    ReportTable("dependence", dependence_table),
)
"""Every table of a report, in the order summary.md and all.tex show them. A new table is one
module with a ``build`` function and one entry here."""


@dataclass(frozen=True)
class ReportResult:
    """What :func:`build_report` wrote: the directory, the tables, report.json's document."""

    out: Path
    tables: Mapping[str, Table | None]
    """Each of :data:`TABLES` by name; None where it applies to no run."""
    document: dict[str, Any]
    files: tuple[Path, ...]

    @property
    def main(self) -> Table:
        """The main (accuracy) table, which every report has."""
        table = self.tables["main"]
        assert table is not None  # main_table always lays out a table
        return table

    @property
    def calibration(self) -> Table | None:
        return self.tables["calibration"]

    @property
    def mi(self) -> Table | None:
        return self.tables["mi"]

    @property
    def faithfulness(self) -> Table | None:
        """Probe runs: AOC of the curve probes, accuracies of the forced answers."""
        return self.tables["faithfulness"]

    @property
    def paths(self) -> Table | None:
        """Runs with reasoning paths (mixed, Socratic): each single path's accuracy and the vote."""
        return self.tables["paths"]


def build_report(
    runs: Sequence[Run],
    out: str | os.PathLike[str],
    config: ReportConfig | None = None,
    *,
    progress: Progress | None = None,
) -> ReportResult:
    """Write the report of ``runs`` to ``out``: tables, figures, summary.md and report.json.

    Parameters
    ----------
    runs : sequence of Run
        From :func:`read_runs` (or :func:`evalsuite.runs.read_run`).
    out : path
        The report directory. Built under a temporary name beside it, then renamed; an existing
        one is refused unless ``config.overwrite`` and it is a report.
    config : ReportConfig, optional
    progress : callable, optional
        Called with one line per step (the CLI prints them on stderr).

    Returns
    -------
    ReportResult

    Raises
    ------
    UsageError
        For no runs, an existing ``out``, an unknown baseline or ``--method`` run.
    DataError
        For a run without records, task or split, runs of one task on different splits, runs
        whose examples differ from the baseline's (unless ``config.intersect``), or an
        unreadable representations.npz. All of these are checked before any computation, so
        the error is the only line a failed report prints.
    """
    from evalsuite.report.figures import write_report_figures
    from evalsuite.report.findings import comparison_findings

    config = config or ReportConfig()
    say = progress or (lambda _: None)
    out = Path(out)
    check_out(out, overwrite=config.overwrite)
    runs, probe_runs = split_probe_runs(runs)  # probe runs have a table of their own
    if probe_runs and not runs:
        raise UsageError("every run given is a probe run; add the scored runs to report on")
    runs, partners = validation_partners(runs)  # a checkpoint's valid run calibrates its test run
    described = describe_runs(runs, methods=config.methods)
    paired = pairings(groups(described), config)
    for r in described if config.mi_estimators else ():
        r.run.representations()  # an unreadable file is refused now, before any work
    for r in described:
        if r.method_from == "name":
            say(f"run {r.name} does not record its method: shown as '{r.method}' "
                f"(set one with --method {r.name}=METHOD)")  # fmt: skip
        if not r.run.complete:
            say(f"run {r.name} is not complete (status {r.run.manifest.status!r})")
    analysis = analyse(described, paired, config, say, partners=partners)
    for line in analysis.extraction_warnings:
        say(line)
    if probe_runs:
        say(f"summarising {len(probe_runs)} probe runs")
        analysis = replace(analysis, probes=tuple(summarize_probe_runs(probe_runs)))
    coverage = report_coverage(described)
    by_row = {r.label: coverage[r.name] for r in described}
    built = {
        spec.name: (None if table is None else mark_partial_rows(table, by_row), numbers)
        for spec in TABLES
        for table, numbers in [spec.build(analysis)]
    }

    document: dict[str, Any] = {
        "manifest": {
            "created": now_iso(),
            **provenance(),
            "out": str(out),
            "config": config.to_dict(),
            "runs": [run_facts(r, coverage[r.name]) for r in described],
            "probe_runs": [{"name": p.name, "path": str(p.path)} for p in analysis.probes],
        },
        "warnings": analysis.extraction_warnings,
        "comparisons": analysis.comparisons,
        "findings": comparison_findings(
            analysis.comparisons, baseline=config.baseline, alpha=config.alpha
        ),
        **{name: numbers for name, (_, numbers) in built.items()},
        "summaries": analysis.summaries,
    }
    tables = [table for table, _ in built.values() if table is not None]

    def write(staging: Path) -> None:
        for name, (table, _) in built.items():
            if table is not None:
                atomic_write_text(staging / "tables" / f"{name}.tex", render_latex(table))
        document_tex = latex_document([render_latex(t) for t in tables])
        atomic_write_text(staging / "tables" / "all.tex", document_tex)
        figures: list[Path] = []
        if config.figures:
            say("drawing figures")
            figures = write_report_figures(
                [(r.label, r.task, r.run.records) for r in described],
                [(r.label, e) for r, e in analysis.estimates],
                staging / "figures",
                confidence=config.confidence,
            )
            figures += write_probe_figures(analysis.probes, staging / "figures")
        relative = [str(p.relative_to(staging)) for p in figures]
        examples = collect_examples(described, explorer_url=config.explorer_url)
        atomic_write_text(staging / EXAMPLES_MD, examples_markdown(out.name, examples))
        summary = summary_markdown(out.name, document, tables, relative)
        atomic_write_text(staging / "summary.md", summary + summary_section(examples))
        files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
        document["files"] = [*files, REPORT_JSON]
        atomic_write_text(
            staging / REPORT_JSON, json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        )

    publish_directory(out, write, overwrite=config.overwrite)
    say(f"wrote {out}")
    return ReportResult(
        out=out,
        tables={name: table for name, (table, _) in built.items()},
        document=document,
        files=tuple(out / f for f in document["files"]),
    )
