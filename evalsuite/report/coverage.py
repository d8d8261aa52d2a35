"""How much of its split each run covers, so that a partial run is never read as a full one.

A run is partial when it holds fewer records than its split has examples, or when ``--limit``
cut it short. The split's size is the largest of what the runs themselves say: an import's
``n_dataset_examples`` and the record count of every run of the same task (the teacher covers
the whole split). Partial runs are marked in every table with their n and are never bold: five
lucky examples are not the best result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from evalsuite.report.runs import ReportRun
from evalsuite.report.tables import Table
from evalsuite.runs import Run

__all__ = [
    "PARTIAL_MARK",
    "Coverage",
    "mark_partial_rows",
    "partial_note",
    "report_coverage",
    "run_coverage",
]

PARTIAL_MARK = "p"
"""The superscript a table puts on a partial run's numbers; the table's note explains it."""


@dataclass(frozen=True)
class Coverage:
    """A run's record count against its split.

    Attributes
    ----------
    n : int
        Records the run holds.
    of : int or None
        Examples the split has, where any run says so.
    limit : int or None
        ``--limit`` the run was scored with (``manifest.limit``).

    Examples
    --------
    >>> Coverage(5, 200, None).partial, Coverage(5, 200, None).text
    (True, 'n = 5 of 200')
    >>> Coverage(200, 200, None).partial, Coverage(200, 200, 1000).partial
    (False, False)
    >>> Coverage(5, None, 5).text, Coverage(8, 8, 8).text
    ('n = 5, scored with --limit 5', 'n = 8, scored with --limit 8')
    """

    n: int
    of: int | None
    limit: int | None

    @property
    def partial(self) -> bool:
        """Fewer records than the split, or a ``--limit`` that cut the run short."""
        short = self.of is not None and self.n < self.of
        return short or (self.limit is not None and self.n >= self.limit)

    @property
    def text(self) -> str:
        """``n = 5 of 200``, plus the ``--limit`` where one cut the run."""
        # "of" only when the split is known to be larger: a --limit run may be all we know of
        text = f"n = {self.n}" + (
            f" of {self.of}" if self.of is not None and self.of > self.n else ""
        )
        if self.limit is not None and self.n >= self.limit:
            text += f", scored with --limit {self.limit}"
        return text

    def as_dict(self) -> dict[str, int | bool | None]:
        """report.json's form: ``n``, ``of``, ``limit``, ``partial``."""
        return {"n": self.n, "of": self.of, "limit": self.limit, "partial": self.partial}


def run_coverage(run: Run, split_size: int | None = None) -> Coverage:
    """One run's coverage; ``split_size`` is what other runs of its task show, if known."""
    sizes = [s for s in (split_size, run.manifest.n_dataset_examples) if s is not None]
    n = len(run.records)
    return Coverage(n=n, of=max([n, *sizes]) if sizes else None, limit=run.manifest.limit)


def report_coverage(runs: Sequence[ReportRun]) -> dict[str, Coverage]:
    """Run name -> coverage, the split's size taken from every run of the same task."""
    split_size: dict[str, int] = {}
    for r in runs:
        sizes = [len(r.run.records), r.run.manifest.n_dataset_examples or 0]
        split_size[r.task] = max(split_size.get(r.task, 0), *sizes)
    return {r.name: run_coverage(r.run, split_size[r.task]) for r in runs}


def partial_note(labelled: Sequence[tuple[str, Coverage]]) -> str | None:
    """The table note for its partial rows, e.g. ``p: partial run (dss: n = 5 of 200)``; None
    when no row is partial."""
    parts = [f"{label}: {c.text}" for label, c in labelled if c.partial]
    if not parts:
        return None
    return f"{PARTIAL_MARK}: partial run, not ranked ({'; '.join(parts)})"


def mark_partial_rows(table: Table, by_row: Mapping[str, Coverage]) -> Table:
    """``table`` with the cells of partial runs' rows marked and unranked, and the note added.

    ``by_row`` maps a row label (a run's :attr:`ReportRun.label`) to its coverage. Applied by
    the report to every table whose rows are runs, so no table shows a partial run unmarked;
    a table that marked its rows itself is left as it is.
    """
    rows = {*table.rows, *table.reference_rows}
    partial = [(row, c) for row, c in by_row.items() if row in rows and c.partial]
    note = partial_note(partial)
    if note is None or (table.footnote and note in table.footnote):
        return table
    marked = {row for row, _ in partial}
    cells = {
        key: replace(cell, mark=PARTIAL_MARK, ranked=False)
        if key[0] in marked and cell.mark is None
        else cell
        for key, cell in table.cells.items()
    }
    footnote = f"{table.footnote.rstrip()} {note}." if table.footnote else f"{note}."
    return replace(table, cells=cells, footnote=footnote)
