"""The explorer's table of one run: records as rows, the filters, the sort over the whole run,
pages for display only, and the CSV download.

Sorting and filtering act on every record of the run before a page is cut, so "sort by
confidence" puts the run's most confident example first, not the current page's.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalsuite.errors import UsageError
from evalsuite.runs import Record, as_records
from evalsuite.tasks.arithmetic_eval import evaluate_expression, format_number

__all__ = [
    "PREVIEW_CHARS",
    "RECORD_FIELDS",
    "SORT_ORDERS",
    "TABLE_COLUMNS",
    "Page",
    "RecordFilter",
    "SortOrder",
    "extraction_failed",
    "filter_records",
    "find_example",
    "gold_value",
    "label_probs_frame",
    "page_of",
    "paginate",
    "preview",
    "records_csv",
    "records_frame",
    "sort_records",
    "table_rows",
]

# docs/runs.md's record fields, in the order a CSV lists them; other fields follow, sorted.
RECORD_FIELDS = (
    "id",
    "input",
    "gold",
    "prediction",
    "answer",
    "correct",
    "confidence",
    "confidence_source",
    "label_probs",
    "rationale",
    "rationale_answer",
    "consistent",
    "paths",
    "socratic",
    "teacher",
    "extraction",
)

# The columns of the per-example table, in the order shown. Long text is cut to a preview
# (:func:`table_rows`); the detail view shows it whole.
TABLE_COLUMNS = (
    "id",
    "correct",
    "gold",
    "gold_value",
    "answer",
    "confidence",
    "rationale",
    "consistent",
    "extraction_failed",
    "prediction",
    "input",
)

PREVIEW_CHARS = 80
PREVIEWED_COLUMNS = ("rationale", "prediction", "input")


def gold_value(gold: str | None) -> str | None:
    """The value of a gold answer written as an equation (SVAMP's ``( 10.0 - 6.0 )`` reads 4),
    through the tasks' ``ast`` evaluator; None for labels and anything that is not arithmetic.

    Examples
    --------
    >>> gold_value("( 10.0 - ( 6.0 + 3.0 ) )"), gold_value("entailment")
    ('1', None)
    """
    value = evaluate_expression(gold)
    return None if value is None else format_number(value)


def preview(text: str | None, *, limit: int = PREVIEW_CHARS) -> str | None:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis when longer.

    >>> preview("a\\nb " + "x" * 100, limit=10)
    'a b xxxxx…'
    """
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def extraction_failed(record: Record | Mapping[str, Any]) -> bool:
    """No answer could be extracted: ``answer`` is null or ``extraction.matched`` is false.

    The same rule as the ``extraction_failure`` rate of
    :func:`evalsuite.metrics.summary.summarize_run`, so the browser's count matches the overview.
    """
    return as_records([record])[0].extraction_failed


def records_frame(records: Sequence[Record | Mapping[str, Any]]) -> pd.DataFrame:
    """One row per record, indexed by the record's position in ``records``.

    ``gold_value`` is the gold equation's value (:func:`gold_value`). The index ties a filtered
    row back to its full record (label_probs, paths, teacher), which the
    table leaves out. ``extraction_failed`` follows :func:`extraction_failed`; ``consistent`` is a
    nullable boolean (null where the rationale or the answer is missing).
    """
    rs = as_records(records)
    teachers = [r.teacher for r in rs]
    extractions = [r.extraction for r in rs]
    columns: dict[str, Any] = {
        "id": [r.id for r in rs],
        "correct": pd.array([r.correct for r in rs], dtype="bool"),
        "gold": [r.gold for r in rs],
        "gold_value": pd.array([gold_value(r.gold) for r in rs], dtype="string"),
        "answer": pd.array([r.answer for r in rs], dtype="string"),
        "confidence": pd.array([r.confidence for r in rs], dtype="Float64"),
        "consistent": pd.array([r.consistent for r in rs], dtype="boolean"),
        "extraction_failed": pd.array([r.extraction_failed for r in rs], dtype="bool"),
        "prediction": pd.array([r.prediction for r in rs], dtype="string"),
        "input": pd.array([r.input for r in rs], dtype="string"),
        "rationale": pd.array([r.rationale for r in rs], dtype="string"),
        "rationale_answer": pd.array([r.rationale_answer for r in rs], dtype="string"),
        "teacher_label": pd.array([t and t.label for t in teachers], dtype="string"),
        "teacher_rationale": pd.array([t and t.rationale for t in teachers], dtype="string"),
        "confidence_source": pd.array([r.confidence_source for r in rs], dtype="string"),
        "extraction_method": pd.array([e and e.method for e in extractions], dtype="string"),
        "n_paths": [len(r.paths or ()) for r in rs],
    }
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rs)))


@dataclass(frozen=True)
class RecordFilter:
    """Which records the browser shows. Every condition left at its default lets all through.

    Attributes
    ----------
    correct : bool or None
        Keep only correct (True) or incorrect (False) records.
    consistent : bool or None
        Keep only records whose rationale agrees (True) or disagrees (False) with the answer;
        records where that is unknown (null) are left out once this is set.
    extraction_failed : bool or None
        Keep only records whose answer could not be extracted (True), or only the others (False).
    confidence : (float, float)
        Closed range of confidences to keep. Narrowed below ``(0, 1)``, it leaves out records
        without a confidence; at ``(0, 1)`` it keeps them, so the default hides nothing.
    text : str
        Case-insensitive substring searched in input, prediction and rationale (empty: all).
    """

    correct: bool | None = None
    consistent: bool | None = None
    extraction_failed: bool | None = None
    confidence: tuple[float, float] = (0.0, 1.0)
    text: str = ""

    def __post_init__(self) -> None:
        low, high = self.confidence
        if not 0.0 <= low <= high <= 1.0:
            raise UsageError(
                f"confidence range must satisfy 0 <= low <= high <= 1, got ({low}, {high})"
            )


SEARCHED_COLUMNS = ("input", "prediction", "rationale")


def filter_records(frame: pd.DataFrame, where: RecordFilter) -> pd.DataFrame:
    """The rows of ``frame`` (from :func:`records_frame`) that pass ``where``, in order.

    Examples
    --------
    >>> frame = records_frame([
    ...     {"id": "a", "gold": "1", "answer": "1", "correct": True, "confidence": 0.9},
    ...     {"id": "b", "gold": "2", "answer": None, "correct": False, "confidence": None},
    ... ])
    >>> list(filter_records(frame, RecordFilter(correct=False))["id"])
    ['b']
    >>> list(filter_records(frame, RecordFilter(confidence=(0.5, 1.0)))["id"])
    ['a']
    """
    keep = pd.Series(True, index=frame.index)
    if where.correct is not None:
        keep &= frame["correct"] == where.correct
    if where.consistent is not None:
        keep &= (frame["consistent"] == where.consistent).fillna(False).astype(bool)
    if where.extraction_failed is not None:
        keep &= frame["extraction_failed"] == where.extraction_failed
    if where.confidence != (0.0, 1.0):
        low, high = where.confidence
        in_range = (frame["confidence"] >= low) & (frame["confidence"] <= high)
        keep &= in_range.fillna(False).astype(bool)
    if where.text:
        found = pd.Series(False, index=frame.index)
        for column in SEARCHED_COLUMNS:
            hits = frame[column].str.contains(where.text, case=False, regex=False)
            found |= hits.fillna(False).astype(bool)
        keep &= found
    return frame[keep]


@dataclass(frozen=True)
class SortOrder:
    """One way to order the whole table: a column (None: the run's file order) and direction."""

    column: str | None
    descending: bool = False


# The sort picker's labels -> the order. Missing values (no confidence) always go last.
SORT_ORDERS: dict[str, SortOrder] = {
    "file order": SortOrder(None),
    "confidence, highest first": SortOrder("confidence", descending=True),
    "confidence, lowest first": SortOrder("confidence"),
    "id": SortOrder("id"),
    "incorrect first": SortOrder("correct"),
}


def sort_records(frame: pd.DataFrame, order: str | SortOrder) -> pd.DataFrame:
    """All rows of ``frame`` in ``order`` (a key of :data:`SORT_ORDERS` or a :class:`SortOrder`).

    The sort is stable (ties keep file order) and puts missing values last in either direction,
    so the first row of "confidence, highest first" is the run's most confident example.

    Raises
    ------
    UsageError
        For an unknown order name.

    Examples
    --------
    >>> f = records_frame([{"id": "a", "gold": "1", "correct": True, "confidence": 0.2},
    ...                    {"id": "b", "gold": "1", "correct": True, "confidence": None},
    ...                    {"id": "c", "gold": "1", "correct": False, "confidence": 0.9}])
    >>> list(sort_records(f, "confidence, highest first")["id"])
    ['c', 'a', 'b']
    """
    if isinstance(order, str):
        if order not in SORT_ORDERS:
            raise UsageError(f"unknown sort order {order!r}; choose from {', '.join(SORT_ORDERS)}")
        order = SORT_ORDERS[order]
    if order.column is None:
        return frame.sort_index(kind="stable")
    return frame.sort_values(
        order.column, ascending=not order.descending, kind="stable", na_position="last"
    )


def table_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows as the table shows them: :data:`TABLE_COLUMNS`, long text cut by
    :func:`preview` (the detail view shows it whole)."""
    shown = rows[list(TABLE_COLUMNS)].copy()
    for column in PREVIEWED_COLUMNS:
        texts = [None if pd.isna(t) else preview(t) for t in shown[column].tolist()]
        shown[column] = pd.array(texts, dtype="string")
    return shown


@dataclass(frozen=True)
class Page:
    """One page of a table: its rows, its number (from 1), how many pages, and the row span."""

    rows: pd.DataFrame
    number: int
    n_pages: int
    start: int
    stop: int


def paginate(frame: pd.DataFrame, *, page: int, page_size: int) -> Page:
    """Rows ``(page - 1) * page_size`` up to ``page * page_size``; ``page`` is clipped to range.

    An empty frame has one (empty) page, so a page picker always has something to show.

    Examples
    --------
    >>> p = paginate(pd.DataFrame({"x": range(5)}), page=2, page_size=2)
    >>> list(p.rows["x"]), p.n_pages, p.start, p.stop
    ([2, 3], 3, 2, 4)
    """
    if page_size < 1:
        raise UsageError(f"page_size must be a positive integer, got {page_size}")
    n_pages = max(1, -(-len(frame) // page_size))
    number = min(max(1, int(page)), n_pages)
    start = (number - 1) * page_size
    stop = min(start + page_size, len(frame))
    return Page(rows=frame.iloc[start:stop], number=number, n_pages=n_pages, start=start, stop=stop)


def find_example(frame: pd.DataFrame, example_id: str) -> int | None:
    """The row label of the example with id ``example_id`` in ``frame`` (a records or pairs
    table), or None when it is not there (filtered out, or no such id).

    Examples
    --------
    >>> f = records_frame([{"id": i, "gold": "1", "correct": True} for i in "abc"])
    >>> find_example(f.iloc[[2, 0]], "a"), find_example(f, "z")
    (0, None)
    """
    hits = frame.index[frame["id"] == example_id]
    return int(hits[0]) if len(hits) else None


def page_of(frame: pd.DataFrame, row: int, *, page_size: int) -> int:
    """The page (from 1) that shows row label ``row`` of ``frame`` in its current order.

    Examples
    --------
    >>> page_of(pd.DataFrame({"x": range(60)}).iloc[::-1], 5, page_size=25)
    3
    """
    return int(frame.index.get_loc(row)) // page_size + 1


def label_probs_frame(record: Record | Mapping[str, Any]) -> pd.DataFrame | None:
    """A record's ``label_probs`` as a table (label, probability), most probable first; or None."""
    probs = as_records([record])[0].label_probs
    if not probs:
        return None
    frame = pd.DataFrame({"label": list(probs), "probability": [float(p) for p in probs.values()]})
    return frame.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=False)
    return "" if value is None else value


def records_csv(records: Sequence[Record | Mapping[str, Any]]) -> bytes:
    """The records as UTF-8 CSV: docs/runs.md's fields first, then any others sorted.

    Nested fields (``label_probs``, ``paths``, ``teacher``, ``extraction``) are JSON text; null is
    an empty cell. Fields that no record has (or that are null in every record) are left out; with
    no records at all, the header lists docs/runs.md's fields, so the file still says what it
    would hold.

    Examples
    --------
    >>> print(records_csv([{"id": "a", "gold": "1", "correct": True,
    ...                     "label_probs": {"1": 0.9}}]).decode())
    id,gold,correct,label_probs
    a,1,True,"{""1"": 0.9}"
    <BLANKLINE>
    """
    docs = [record.to_json() for record in as_records(records)]
    present = {name for doc in docs for name, value in doc.items() if value is not None} or set(
        RECORD_FIELDS
    )
    header = [name for name in RECORD_FIELDS if name in present]
    header += sorted(present.difference(RECORD_FIELDS))
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for doc in docs:
        writer.writerow({name: _csv_cell(doc.get(name)) for name in header})
    return buffer.getvalue().encode("utf-8")
