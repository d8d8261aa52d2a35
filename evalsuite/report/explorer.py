"""What the Streamlit explorer (``app.py``) shows, as pure functions on runs and their records.

Finding runs under a directory, turning records into a table, filtering it, paging, and the CSV
download all live here, with compare mode's pairing of two runs in :mod:`.alignment` (re-exported
here), so the page only parses, calls and draws, and every filter is tested without a browser.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalsuite.errors import UsageError
from evalsuite.metrics.registry import (
    CALIBRATION_METRICS,
    RATE_METRICS,
    direction_text,
)
from evalsuite.report.alignment import COMPARE_VIEWS, Alignment, align_runs, compare_rows
from evalsuite.runs import MANIFEST, METRICS, RECORDS, Manifest, Record, Run, as_records, read_run

__all__ = [
    "COMPARE_VIEWS",
    "RECORD_FIELDS",
    "RUNS_ENV",
    "TABLE_COLUMNS",
    "Alignment",
    "AppConfig",
    "LoadedRun",
    "OverviewItem",
    "Page",
    "RecordFilter",
    "RunEntry",
    "align_runs",
    "compare_rows",
    "confidence_pairs",
    "extraction_failed",
    "filter_records",
    "label_probs_frame",
    "list_runs",
    "load_run",
    "overview_items",
    "paginate",
    "parse_app_args",
    "records_csv",
    "records_frame",
    "records_mtime_ns",
    "reliability_png",
    "reliability_table",
    "stored_summary",
]

RUNS_ENV = "EVALSUITE_RUNS"
USAGE = "streamlit run app.py -- --runs DIR"

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

# The columns of the per-example table, in the order shown.
TABLE_COLUMNS = (
    "id",
    "correct",
    "gold",
    "answer",
    "confidence",
    "consistent",
    "extraction_failed",
    "prediction",
    "input",
)


# --------------------------------------------------------------------------- arguments and runs


@dataclass(frozen=True)
class AppConfig:
    """The page's arguments: the directory whose runs it lists (None when not given)."""

    runs: Path | None


def parse_app_args(argv: Sequence[str], *, environ: Mapping[str, str] | None = None) -> AppConfig:
    """Parse what follows ``--`` in ``streamlit run app.py -- --runs DIR``.

    Parameters
    ----------
    argv : sequence of str
        The script's arguments (``sys.argv[1:]``).
    environ : mapping, optional
        Where to look for ``EVALSUITE_RUNS`` when ``--runs`` is absent (default ``os.environ``).

    Raises
    ------
    UsageError
        On an unknown argument or ``--runs`` without a value.

    Examples
    --------
    >>> parse_app_args(["--runs", "runs"], environ={}).runs
    PosixPath('runs')
    >>> parse_app_args([], environ={}).runs is None
    True
    """
    environ = os.environ if environ is None else environ
    runs: str | None = None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--runs":
            if not args or not args[0] or args[0].startswith("--"):
                raise UsageError(f"--runs: expected a directory after it; usage: {USAGE}")
            runs = args.pop(0)
        elif arg.startswith("--runs="):
            runs = arg.partition("=")[2]
            if not runs:
                raise UsageError(f"--runs: expected a directory after it; usage: {USAGE}")
        else:
            raise UsageError(f"unknown argument {arg!r}; usage: {USAGE}")
    if runs is None:
        runs = environ.get(RUNS_ENV) or None
    return AppConfig(runs=Path(runs) if runs is not None else None)


@dataclass(frozen=True)
class RunEntry:
    """A run found under the runs directory: its name there (relative path) and its location."""

    name: str
    path: Path


def list_runs(root: str | os.PathLike[str]) -> list[RunEntry]:
    """The run directories under ``root`` (``root`` itself included), sorted by name.

    A run directory is one holding both ``manifest.json`` and ``records.jsonl`` (docs/runs.md).
    Hidden directories are skipped.

    Raises
    ------
    UsageError
        When ``root`` does not exist or is not a directory.
    """
    base = Path(root)
    if not base.is_dir():
        raise UsageError(f"--runs {base}: no such directory; usage: {USAGE}")
    found: list[RunEntry] = []
    for manifest in base.rglob(MANIFEST):
        run_dir = manifest.parent
        relative = run_dir.relative_to(base)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if (run_dir / RECORDS).is_file():
            name = relative.as_posix() if relative.parts else base.resolve().name
            found.append(RunEntry(name=name, path=run_dir))
    return sorted(found, key=lambda entry: entry.name)


def records_mtime_ns(run_path: str | os.PathLike[str]) -> int:
    """Modification time of a run's records file, the key that invalidates cached loads."""
    return (Path(run_path) / RECORDS).stat().st_mtime_ns


# --------------------------------------------------------------------------- the records table


def extraction_failed(record: Record | Mapping[str, Any]) -> bool:
    """No answer could be extracted: ``answer`` is null or ``extraction.matched`` is false.

    The same rule as the ``extraction_failure`` rate of
    :func:`evalsuite.metrics.summary.summarize_run`, so the browser's count matches the overview.
    """
    return as_records([record])[0].extraction_failed


def records_frame(records: Sequence[Record | Mapping[str, Any]]) -> pd.DataFrame:
    """One row per record, indexed by the record's position in ``records``.

    The index ties a filtered row back to its full record (label_probs, paths, teacher), which the
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


def label_probs_frame(record: Record | Mapping[str, Any]) -> pd.DataFrame | None:
    """A record's ``label_probs`` as a table (label, probability), most probable first; or None."""
    probs = as_records([record])[0].label_probs
    if not probs:
        return None
    frame = pd.DataFrame({"label": list(probs), "probability": [float(p) for p in probs.values()]})
    return frame.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- one run, loaded


@dataclass(frozen=True)
class LoadedRun:
    """Everything the page shows about one run, computed once per load (the page caches it).

    Attributes
    ----------
    name : str
        The run's name (manifest, else directory name).
    path : Path
    manifest : Manifest
    records : list of Record
        The records as read, in file order.
    frame : DataFrame
        :func:`records_frame` of ``records``.
    summary : dict
        :func:`evalsuite.metrics.summary.summarize_run` of ``records`` (see :func:`load_run`).
    summary_source : str
        Where ``summary`` came from: "from metrics.json" or "computed from records".
    """

    name: str
    path: Path
    manifest: Manifest
    records: list[Record]
    frame: pd.DataFrame
    summary: dict[str, Any]
    summary_source: str

    @property
    def same_answer(self) -> Callable[[str, str], bool] | None:
        """The run's task's answer comparison, or None when the manifest names no known task."""
        return task_same_answer(self.manifest.task)


def task_same_answer(task: Any) -> Callable[[str, str], bool] | None:
    """``get_task(task).same_answer``, or None for a missing or unregistered task name."""
    from evalsuite.tasks import TASKS

    return TASKS[task].same_answer if isinstance(task, str) and task in TASKS else None


# summarize_run's top-level keys (its contract); a metrics.json lacking one is not used.
SUMMARY_KEYS = ("n", "accuracy", "extraction_failure", "consistency", "teacher_agreement",
                "calibration")  # fmt: skip


def stored_summary(run: Run) -> dict[str, Any] | None:
    """The run's metrics.json when it is the summary of exactly these records, else None.

    It is used when it has every summary key and every registered calibration metric, counts as
    many records as records.jsonl holds, and was written no earlier than records.jsonl (the
    writer writes it last). Reusing it
    spares recomputing rationale BLEU/ROUGE, which takes seconds per thousand records.
    """
    metrics = run.metrics
    if not isinstance(metrics, dict) or any(key not in metrics for key in SUMMARY_KEYS):
        return None
    if metrics["n"] != len(run.records):
        return None
    calibration = metrics["calibration"]
    if isinstance(calibration, dict) and any(key not in calibration for key in CALIBRATION_METRICS):
        return None  # written before a metric was registered
    written = (run.path / METRICS).stat().st_mtime_ns
    return metrics if written >= records_mtime_ns(run.path) else None


def load_run(path: str | os.PathLike[str]) -> LoadedRun:
    """Read a run directory, tabulate its records and summarise them.

    The summary is the run's metrics.json when :func:`stored_summary` accepts it, else
    :func:`evalsuite.metrics.summary.summarize_run` of the records, with teacher agreement
    judged by the manifest's task's answer comparison.

    Raises
    ------
    DataError
        When the run directory is missing or malformed (from :func:`read_run`).
    """
    from evalsuite.metrics.summary import summarize_run

    run = read_run(path)
    summary = stored_summary(run)
    source = f"from {METRICS}"
    if summary is None:
        same_answer = task_same_answer(run.manifest.task)
        summary = summarize_run(run.records, same_answer=same_answer)
        source = "computed from records"
    return LoadedRun(
        name=run.name,
        path=run.path,
        manifest=run.manifest,
        records=run.records,
        frame=records_frame(run.records),
        summary=summary,
        summary_source=source,
    )


@dataclass(frozen=True)
class OverviewItem:
    """One headline number: its label, its value as text, and its interval and counts as text."""

    label: str
    value: str
    detail: str


def overview_items(summary: Mapping[str, Any], *, digits: int = 1) -> list[OverviewItem]:
    """The overview's headline numbers from a :func:`summarize_run` summary.

    The rates of :data:`~evalsuite.metrics.registry.RATE_METRICS` read "70.0 %" with detail
    "95 % CI [39.7, 89.2] · 7/10"; a rate that applies to no record (no rationales, no teacher)
    reads "n/a". Rationales compared with the teacher's add BLEU and ROUGE-L; the headline
    metrics of :data:`~evalsuite.metrics.registry.CALIBRATION_METRICS` (ECE with its bootstrap
    interval, smooth ECE, Brier, ...) follow, over the records that have a confidence.

    Examples
    --------
    >>> items = overview_items({"n": 10, "accuracy": {"value": 0.7, "k": 7, "n": 10,
    ...                         "low": 0.3968, "high": 0.8922}})
    >>> [(i.label, i.value, i.detail) for i in items][1]
    ('Accuracy', '70.0 %', '95 % CI [39.7, 89.2] · 7/10')
    """
    items = [OverviewItem("Examples", str(summary.get("n", 0)), "records in the run")]
    for key, metric in RATE_METRICS.items():
        label = metric.short
        rate = summary.get(key)
        if rate is None or rate.get("value") is None:
            items.append(OverviewItem(label, "n/a", "no record it applies to"))
            continue
        value = f"{100 * rate['value']:.{digits}f} %"
        detail = f"{rate['k']}/{rate['n']}"
        if rate.get("low") is not None and rate.get("high") is not None:
            low, high = 100 * rate["low"], 100 * rate["high"]
            detail = f"95 % CI [{low:.{digits}f}, {high:.{digits}f}] · " + detail
        items.append(OverviewItem(label, value, detail))
    rationale = summary.get("rationale") or {}
    if rationale.get("bleu") is not None:
        pairs = f"{rationale['n_with_teacher']} pairs"
        items.append(OverviewItem("BLEU vs teacher", f"{rationale['bleu']:.1f}", pairs))
        items.append(OverviewItem("ROUGE-L vs teacher", f"{rationale['rouge_l']:.3f}", pairs))
    calibration = summary.get("calibration")
    headline = [m for m in CALIBRATION_METRICS.values() if m.headline]
    if calibration is None:
        items += [OverviewItem(m.short, "n/a", "no confidences recorded") for m in headline]
        return items
    for m in headline:
        value = calibration.get(m.name)
        if value is None:
            items.append(OverviewItem(m.short, "n/a", "does not apply to this run"))
            continue
        detail = f"{m.description} · {direction_text(m.higher_is_better)} · n={calibration['n']}"
        interval = calibration.get(m.interval) if m.interval else None
        if interval and interval.get("low") is not None:
            low, high = format(interval["low"], m.format), format(interval["high"], m.format)
            detail = f"95 % CI [{low}, {high}] · {detail}"
        items.append(OverviewItem(m.short, format(value, m.format), detail))
    return items


def reliability_table(reliability: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """The bins of a reliability curve (``ReliabilityCurve.as_dict()``) as a table.

    Columns: ``bin`` ("[0.90, 1.00]"), ``count``, ``confidence`` and ``accuracy`` (null for an
    empty bin). Empty bins are kept, so the table lines up with the diagram's x axis.
    """
    edges = list(reliability["edges"])
    labels = [
        f"[{lo:.2f}, {hi:.2f}{']' if b == len(edges) - 2 else ')'}"
        for b, (lo, hi) in enumerate(itertools.pairwise(edges))
    ]
    return pd.DataFrame(
        {
            "bin": labels,
            "count": [int(c) for c in reliability["counts"]],
            "confidence": pd.array(list(reliability["confidence"]), dtype="Float64"),
            "accuracy": pd.array(list(reliability["accuracy"]), dtype="Float64"),
        }
    )


def confidence_pairs(
    records: Sequence[Record | Mapping[str, Any]],
) -> tuple[np.ndarray, np.ndarray]:
    """``(y_prob, y_true)`` over the records that carry a confidence, as the calibration summary
    of :func:`evalsuite.metrics.summary.summarize_run` selects them. Shapes ``(m,)``."""
    scored = [(r.confidence, r.correct) for r in as_records(records) if r.confidence is not None]
    y_prob = np.array([float(c) for c, _ in scored], dtype=np.float64)
    y_true = np.array([ok for _, ok in scored], dtype=bool)
    return y_prob, y_true


def reliability_png(
    records: Sequence[Record | Mapping[str, Any]], *, title: str | None = None, dpi: int = 110
) -> bytes | None:
    """The run's binned reliability diagram (10 bins) as PNG bytes; None without confidences.

    Drawn by :func:`evalsuite.report.reliability.reliability_figure`; PNG bytes rather than a
    Figure so the page can cache the picture instead of redrawing it on every interaction.
    """
    from evalsuite.report.reliability import reliability_figure

    y_prob, y_true = confidence_pairs(records)
    if y_prob.size == 0:
        return None
    figure = reliability_figure(y_prob, y_true, n_bins=10, title=title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# --------------------------------------------------------------------------- display and export


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
