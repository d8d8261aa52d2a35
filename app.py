"""The evalsuite explorer: ``streamlit run app.py -- --runs DIR``.

A thin page over evalsuite: it parses its arguments, loads runs through the run reader (cached on
the run's path and its records file's modification time), and draws what
``evalsuite.report.explorer``, ``evalsuite.metrics`` and ``evalsuite.report.reliability``
compute. Model text is data: it is shown with ``st.text`` and ``st.dataframe`` only, never
through Markdown or HTML (labels given to Markdown-rendering calls are constants of this file).
"""

from __future__ import annotations

import sys
from typing import Any

import pandas as pd
import streamlit as st

from evalsuite.errors import UsageError
from evalsuite.report import explorer as ex
from evalsuite.runs import Record

PAGE_SIZE = 25
OVERVIEW_PER_ROW = 5

# Radio options -> the value RecordFilter takes (None lets everything through).
CORRECT_OPTIONS: dict[str, bool | None] = {"all": None, "correct": True, "incorrect": False}
CONSISTENT_OPTIONS: dict[str, bool | None] = {
    "all": None,
    "consistent": True,
    "inconsistent": False,
}
EXTRACTION_OPTIONS: dict[str, bool | None] = {"all": None, "failed": True, "succeeded": False}

COMPARE_COLUMNS = [
    "id",
    "gold",
    "answer_a",
    "answer_b",
    "correct_a",
    "correct_b",
    "confidence_a",
    "confidence_b",
    "disagree",
]


# ----------------------------------------------------------------------------- cached loading


@st.cache_data(show_spinner="Loading run…", max_entries=8)
def cached_run(path: str, mtime_ns: int) -> ex.LoadedRun:
    """The run at ``path``; ``mtime_ns`` (of records.jsonl) is only part of the cache key."""
    return ex.load_run(path)


@st.cache_data(show_spinner="Drawing the reliability diagram…", max_entries=8)
def cached_reliability_png(path: str, mtime_ns: int) -> bytes | None:
    run = cached_run(path, mtime_ns)
    return ex.reliability_png(run.records, title=run.name)


@st.cache_data(show_spinner="Pairing the runs…", max_entries=8)
def cached_alignment(path_a: str, mtime_a: int, path_b: str, mtime_b: int) -> ex.Alignment:
    run_a, run_b = cached_run(path_a, mtime_a), cached_run(path_b, mtime_b)
    same_task = run_a.manifest.task == run_b.manifest.task
    return ex.align_runs(
        run_a.frame, run_b.frame, same_answer=run_a.same_answer if same_task else None
    )


def load(entry: ex.RunEntry) -> tuple[ex.LoadedRun, int] | None:
    """Load a run (cached), or show why it cannot be read and return None."""
    try:
        mtime = ex.records_mtime_ns(entry.path)
        return cached_run(str(entry.path), mtime), mtime
    except (UsageError, OSError) as err:
        show_problem("Could not read this run.", str(err))
        return None


# ----------------------------------------------------------------------------- drawing helpers


def show_problem(headline: str, detail: str) -> None:
    """A constant headline in an error box, and the (data-bearing) detail as plain text."""
    st.error(headline)
    st.text(detail)


def show_field(label: str, value: Any) -> None:
    """A constant label, then the value as plain text (never Markdown)."""
    st.caption(label)
    st.text("—" if value is None or value == "" else str(value))


def show_run_heading(run: ex.LoadedRun) -> None:
    manifest = run.manifest
    st.text(
        f"{run.name} · task {manifest.task or '?'} · split {manifest.split or '?'} · "
        f"{len(run.records)} records · status {manifest.status or '?'} · "
        f"metrics {run.summary_source}"
    )


def show_overview(run: ex.LoadedRun) -> None:
    items = ex.overview_items(run.summary)
    for start in range(0, len(items), OVERVIEW_PER_ROW):
        row = items[start : start + OVERVIEW_PER_ROW]
        for column, item in zip(st.columns(OVERVIEW_PER_ROW), row, strict=False):
            with column:
                st.metric(item.label, item.value)
                st.text(item.detail)


def show_reliability(run: ex.LoadedRun, mtime: int) -> None:
    calibration = run.summary.get("calibration")
    if calibration is None:
        st.info("No confidences in this run, so there is no reliability diagram.")
        return
    png = cached_reliability_png(str(run.path), mtime)
    if png is not None:
        st.image(png, width=420)
    with st.expander("Reliability bins (10 equal-width)"):
        st.dataframe(ex.reliability_table(calibration["reliability"]), hide_index=True)


def show_paths(record: Record) -> None:
    paths = record.paths or ()
    if not paths:
        return
    st.caption("Reasoning paths")
    for column, path in zip(st.columns(len(paths)), paths, strict=True):
        with column:
            st.text(f"{path.kind} · answer {path.answer} · ok {path.ok}")
            st.text(path.text or "—")
    steps = record.socratic or ()
    if steps:
        st.caption("Socratic steps: each sub-question and the solver's answer")
        rows = [
            {"#": i, "sub-question": s.question, "answer": s.answer}
            for i, s in enumerate(steps, start=1)
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True)


def show_prediction(record: Record) -> None:
    """What the student produced for one example (shared by the single and compare views)."""
    show_field("Prediction", record.prediction)
    show_field("Answer (normalised)", record.answer)
    show_field("Correct", record.correct)
    confidence, source = record.confidence, record.confidence_source
    show_field("Confidence", None if confidence is None else f"{confidence:.4f} ({source})")
    extraction = record.extraction
    show_field(
        "Extraction",
        "?" if extraction is None else f"{extraction.method or '?'} · matched {extraction.matched}",
    )
    probs = ex.label_probs_frame(record)
    if probs is not None:
        st.caption("Label probabilities")
        st.dataframe(probs, hide_index=True)
    show_field("Student rationale", record.rationale)
    show_field("Answer the rationale states", record.rationale_answer)
    show_field("Rationale consistent with answer", record.consistent)


def show_teacher(record: Record) -> None:
    teacher = record.teacher
    show_field("Teacher label", teacher.label if teacher else None)
    show_field("Teacher rationale", teacher.rationale if teacher else None)


def pick_page(frame: pd.DataFrame) -> ex.Page:
    number_column, range_column = st.columns([1, 4], vertical_alignment="bottom")
    with number_column:
        page_number = st.number_input("Page", min_value=1, value=1, step=1, key="page")
    page = ex.paginate(frame, page=int(page_number), page_size=PAGE_SIZE)
    if len(frame):
        with range_column:
            st.text(f"Rows {page.start + 1}–{page.stop} · page {page.number} of {page.n_pages}")
    return page


# ----------------------------------------------------------------------------- the page


def sidebar_filter() -> ex.RecordFilter:
    st.sidebar.header("Filters")
    correct = st.sidebar.radio("Correctness", list(CORRECT_OPTIONS), key="f_correct")
    consistent = st.sidebar.radio("Rationale", list(CONSISTENT_OPTIONS), key="f_consistent")
    extraction = st.sidebar.radio("Extraction", list(EXTRACTION_OPTIONS), key="f_extraction")
    low, high = st.sidebar.slider(
        "Confidence", min_value=0.0, max_value=1.0, value=(0.0, 1.0), step=0.01, key="f_conf"
    )
    text = st.sidebar.text_input("Search input, prediction and rationale", key="f_text")
    return ex.RecordFilter(
        correct=CORRECT_OPTIONS[correct],
        consistent=CONSISTENT_OPTIONS[consistent],
        extraction_failed=EXTRACTION_OPTIONS[extraction],
        confidence=(float(low), float(high)),
        text=text.strip(),
    )


def browse_single(run: ex.LoadedRun, shown: pd.DataFrame) -> None:
    st.subheader("Examples")
    st.text(f"{len(shown)} of {len(run.records)} examples match the filters")
    page = pick_page(shown)
    st.dataframe(page.rows[list(ex.TABLE_COLUMNS)], hide_index=True)
    records = [run.records[i] for i in shown.index]
    st.download_button(
        f"Download {len(records)} filtered records (CSV)",
        data=lambda: ex.records_csv(records),
        file_name=f"{run.path.name}-filtered.csv",
        mime="text/csv",
        key="download",
        on_click="ignore",
    )
    if page.rows.empty:
        st.info("No example matches the filters.")
        return
    chosen = st.selectbox("Example", list(page.rows.index), format_func=label_of(run), key="ex")
    record = run.records[chosen]
    st.subheader("Example detail")
    left, right = st.columns(2)
    with left:
        show_field("Id", record.id)
        show_field("Input", record.input)
        show_field("Gold", record.gold)
        show_teacher(record)
    with right:
        show_prediction(record)
    show_paths(record)


def label_of(run: ex.LoadedRun) -> Any:
    """How the example picker names a row: its id and whether the answer is right."""
    return lambda i: f"{run.records[i].id} · {'✓' if run.records[i].correct else '✗'}"


def browse_compare(
    run_a: ex.LoadedRun,
    run_b: ex.LoadedRun,
    mtimes: tuple[int, int],
    *,
    where: ex.RecordFilter,
    view: str,
) -> None:
    st.subheader("Compare examples")
    alignment = cached_alignment(str(run_a.path), mtimes[0], str(run_b.path), mtimes[1])
    pairs = ex.compare_rows(alignment, ex.filter_records(run_a.frame, where), view=view)
    st.text(
        f"{len(alignment.frame)} examples in both runs ({alignment.only_a} only in "
        f"{run_a.name}, {alignment.only_b} only in {run_b.name}); {len(pairs)} shown "
        f"({view}; filters apply to {run_a.name})"
    )
    if alignment.frame.empty:
        st.info("The two runs share no example ids, so there is nothing to compare.")
        return
    page = pick_page(pairs)
    headers = {
        f"{field}_{side}": f"{field} ({run.name})"
        for side, run in (("a", run_a), ("b", run_b))
        for field in ("answer", "correct", "confidence")
    }
    st.dataframe(page.rows[COMPARE_COLUMNS], hide_index=True, column_config=headers)
    st.download_button(
        f"Download {len(pairs)} pairs (CSV)",
        data=lambda: pairs.to_csv(index=False).encode("utf-8"),
        file_name=f"{run_a.path.name}-vs-{run_b.path.name}.csv",
        mime="text/csv",
        key="download_pairs",
        on_click="ignore",
    )
    if page.rows.empty:
        st.info("No pair matches the filters.")
        return
    labels = {
        row.Index: f"{row.id} · {'differ' if row.disagree else 'agree'}"
        for row in page.rows.itertuples()
    }
    chosen = st.selectbox("Example", list(labels), format_func=labels.__getitem__, key="ex_pair")
    pair = pairs.loc[chosen]
    record_a = run_a.records[int(pair["index_a"])]
    record_b = run_b.records[int(pair["index_b"])]
    st.subheader("Example detail")
    show_field("Id", record_a.id)
    show_field("Input", record_a.input)
    show_field("Gold", record_a.gold)
    left, right = st.columns(2)
    for column, run, record in ((left, run_a, record_a), (right, run_b, record_b)):
        with column:
            st.text(f"Run {run.name}")
            show_prediction(record)
            show_paths(record)
    show_teacher(record_a)


def main() -> None:
    st.set_page_config(page_title="evalsuite explorer", layout="wide")
    st.title("evalsuite explorer")
    try:
        config = ex.parse_app_args(sys.argv[1:])
        if config.runs is None:
            raise UsageError(f"no runs directory given; start the explorer with: {ex.USAGE}")
        entries = ex.list_runs(config.runs)
    except UsageError as err:
        show_problem("The explorer cannot start.", str(err))
        return
    if not entries:
        show_problem(
            "No runs found.",
            f"{config.runs} holds no run directory (one with manifest.json and records.jsonl, "
            "as written by evalsuite score, import-teacher or import-predictions).",
        )
        return
    by_name = {entry.name: entry for entry in entries}

    st.sidebar.header("Runs")
    name_a = st.sidebar.selectbox("Run", list(by_name), key="run")
    others = [name for name in by_name if name != name_a]
    compare = st.sidebar.toggle("Compare with a second run", key="compare", disabled=not others)
    name_b = st.sidebar.selectbox("Second run", others, key="run_b") if compare else None
    view = st.sidebar.radio("Show pairs", list(ex.COMPARE_VIEWS), key="view") if compare else ""
    where = sidebar_filter()

    loaded_a = load(by_name[name_a])
    loaded_b = load(by_name[name_b]) if name_b is not None else None
    if loaded_a is None or (name_b is not None and loaded_b is None):
        return
    shown_runs = [loaded_a] if loaded_b is None else [loaded_a, loaded_b]

    st.subheader("Overview")
    for run, _ in shown_runs:
        show_run_heading(run)
        show_overview(run)
    st.subheader("Reliability diagram")
    for column, (run, mtime) in zip(st.columns(len(shown_runs)), shown_runs, strict=True):
        with column:
            if len(shown_runs) > 1:
                st.text(run.name)
            show_reliability(run, mtime)

    run_a = loaded_a[0]
    if not run_a.records:
        st.info("This run has no records: there are no examples to browse.")
        return
    if loaded_b is None:
        browse_single(run_a, ex.filter_records(run_a.frame, where))
    else:
        mtimes = (loaded_a[1], loaded_b[1])
        browse_compare(run_a, loaded_b[0], mtimes, where=where, view=view)


main()
