"""The reasoning-paths table: each single path's accuracy next to the vote over all of them.

For runs whose records carry ``paths`` (mixed CoT + PoT students, Socratic chains), one row per
run: the accuracy of one path of each kind (a single greedy path, or the mean over the K sampled
paths of that kind), the accuracy of the vote over every path, the share of PoT programs that
did not run, and how often a CoT and a PoT path of one example agree. The numbers are the
``paths`` block of ``evalsuite metrics --json`` (:func:`evalsuite.metrics.paths.path_summary`).
Each rate shows its Wilson 95 % interval as ``[low, high]``; a partial run carries a mark and its
n and is never bold, and reference runs sit below the students.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalsuite.names import PATH_KINDS
from evalsuite.report.analysis import ReportAnalysis
from evalsuite.report.coverage import PARTIAL_MARK, partial_note, report_coverage
from evalsuite.report.runs import ReportRun, ordered
from evalsuite.report.tables import Cell, Table

__all__ = ["paths_table"]

PATH_KIND_COLUMNS = PATH_KINDS
"""Column name of each path kind's accuracy (an unknown kind is shown by its own name)."""
VOTE, FAILURES, AGREEMENT = "vote", "PoT failures", "CoT-PoT agreement"


def _cell(rate: Mapping[str, Any] | None, *, partial: bool) -> Cell | None:
    """A rate in % with its Wilson 95% interval; None where it applies to nothing."""
    if rate is None or rate.get("value") is None:
        return None
    return Cell(
        100 * rate["value"],
        interval=(100 * rate["low"], 100 * rate["high"]),
        mark=PARTIAL_MARK if partial else None,
        ranked=not partial,
    )


def _paths_per_record(run: ReportRun) -> str:
    """How many paths of each kind a record holds, e.g. "5 cot + 5 pot"."""
    counts: dict[str, int] = {}
    for path in next((r.paths for r in run.run.records if r.paths), ()):
        counts[path.kind] = counts.get(path.kind, 0) + 1
    return " + ".join(f"{n} {kind}" for kind, n in counts.items())


def paths_table(analysis: ReportAnalysis) -> tuple[Table | None, list[dict[str, Any]]]:
    """The table (None when no run has paths) and its numbers for report.json."""
    runs, summaries = analysis.runs, analysis.summaries
    coverage = report_coverage(runs)
    with_paths = [r for r in runs if summaries[r.name].get("paths")]
    if not with_paths:
        return None, []
    kinds = ordered(
        [k for r in with_paths for k in summaries[r.name]["paths"]["accuracy_by_kind"]],
        tuple(PATH_KIND_COLUMNS),
    )
    kind_columns = [PATH_KIND_COLUMNS.get(kind, kind) for kind in kinds]
    cells: dict[tuple[str, str], Cell] = {}
    numbers = []
    for r in with_paths:
        block = summaries[r.name]["paths"]
        by_kind = block["accuracy_by_kind"]
        row = {
            **{column: by_kind.get(kind) for kind, column in zip(kinds, kind_columns, strict=True)},
            VOTE: block["voting_accuracy"],
            FAILURES: block["pot_failure"],
            AGREEMENT: block["cot_pot_agreement"],
        }
        for column, rate in row.items():
            cell = _cell(rate, partial=coverage[r.name].partial)
            if cell is not None:
                cells[(r.label, column)] = cell
        numbers.append(
            {
                "run": r.name,
                "label": r.label,
                "method": r.method,
                "task": r.task,
                "paths_per_record": _paths_per_record(r),
                "coverage": coverage[r.name].as_dict(),
                **block,
            }
        )
    columns = [*kind_columns, VOTE, FAILURES, AGREEMENT]
    present = [c for c in columns if any((r.label, c) in cells for r in with_paths)]
    one_task = len({r.task for r in with_paths}) == 1
    ranked: dict[str, bool | None] = {c: one_task or None for c in present}
    ranked[AGREEMENT], ranked[FAILURES] = None, (False if one_task else None)
    notes = [
        "A path kind's column is the accuracy of one path of that kind (the mean over the "
        "sampled paths of that kind when several were drawn); vote: majority over every path "
        "of the record (ties to the more probable paths)"
    ]
    if FAILURES in present:
        notes.append("PoT failures: programs that did not run to a value in the sandbox")
    if AGREEMENT in present:
        notes.append(
            "CoT-PoT agreement: pairs of one CoT and one PoT path of an example that reach the "
            "same answer (not ranked)"
        )
    per_record = "; ".join(f"{n['label']}: {n['paths_per_record']}" for n in numbers)
    partial = partial_note([(r.label, coverage[r.name]) for r in with_paths])
    return (
        Table(
            caption="Reasoning paths: accuracy (%) of each single path and of the vote",
            label="tab:paths",
            rows=[r.label for r in with_paths if not r.reference],
            reference_rows=[r.label for r in with_paths if r.reference],
            columns=present,
            cells=cells,
            higher_is_better={c: ranked[c] for c in present},
            digits=1,
            footnote="; ".join(notes)
            + ". [low, high] is the Wilson 95% interval (counting paths). "
            + f"Paths per record: {per_record}."
            + (f" {partial}." if partial else ""),
        ),
        numbers,
    )
