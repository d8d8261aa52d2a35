"""The evalsuite explorer: ``streamlit run app.py -- --runs DIR``.

A thin page over evalsuite: it parses its arguments and its link (``?run=NAME&id=ID``, compare
mode ``?a=RUN&b=RUN&id=ID``), loads runs through the run reader (cached on the run's path and its
records file's modification time), and draws what ``evalsuite.report.explorer`` computes. Model
text is data: it is shown with ``st.text`` and ``st.dataframe`` only, never through Markdown or
HTML (labels given to Markdown-rendering calls are constants of this file).
"""

from __future__ import annotations

import sys
from typing import Any

import pandas as pd
import streamlit as st

from evalsuite.errors import UsageError
from evalsuite.formatting import p_value_text
from evalsuite.report import explorer as ex
from evalsuite.runs import Record

PAGE_SIZE = 25
OVERVIEW_PER_ROW = 5
NO_BIN = "none"

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
# The matrix as drawn: rows are A right / A wrong, columns B right / B wrong.
MATRIX_LAYOUT = (("both right", "only A right"), ("only B right", "neither right"))


# ----------------------------------------------------------------------------- cached loading


@st.cache_data(show_spinner="Loading run…", max_entries=8)
def cached_run(path: str, mtime_ns: int) -> ex.LoadedRun:
    """The run at ``path``; ``mtime_ns`` (of records.jsonl) is only part of the cache key."""
    return ex.load_run(path)


@st.cache_data(show_spinner="Drawing the reliability diagram…", max_entries=8)
def cached_reliability_png(path: str, mtime_ns: int) -> bytes | None:
    run = cached_run(path, mtime_ns)
    return ex.reliability_png(run.records, title=run.name)


@st.cache_data(show_spinner="Drawing the accuracy-coverage curve…", max_entries=8)
def cached_coverage_png(path: str, mtime_ns: int) -> bytes | None:
    run = cached_run(path, mtime_ns)
    return ex.coverage_png(run.records, label=run.name)


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


def show_calibration(run: ex.LoadedRun, mtime: int, side: str) -> None:
    """The run's reliability diagram and accuracy-coverage curve (the report's figures), its
    bins, and the examples of the bin picked."""
    calibration = run.summary.get("calibration")
    if calibration is None:
        st.info("No confidences in this run, so there is no reliability diagram.")
        return
    diagram, coverage = st.columns(2)
    for column, png in (
        (diagram, cached_reliability_png(str(run.path), mtime)),
        (coverage, cached_coverage_png(str(run.path), mtime)),
    ):
        if png is not None:
            column.image(png, width=380)
    bins = ex.reliability_table(calibration["reliability"])
    with st.expander("Reliability bins (10 equal-width)"):
        st.dataframe(bins, hide_index=True)
    choices = ex.bin_choices(bins)
    chosen = st.selectbox("Examples of a confidence bin", [NO_BIN, *choices], key=f"bin_{side}")
    if chosen != NO_BIN:
        members = ex.bin_rows(run.frame, choices[chosen])
        st.text(f"{len(members)} examples with confidence in {chosen.split(' · ')[0]}")
        st.dataframe(ex.table_rows(members), hide_index=True)


def show_paths(record: Record) -> None:
    """Each reasoning path in a block of its own, then the Socratic steps as a table."""
    blocks = ex.path_blocks(record)
    if blocks:
        st.caption("Reasoning paths")
    for block in blocks:
        with st.container(border=True):
            st.text(block.heading)
            st.text(block.text)
            if block.sandbox is not None:
                st.text(block.sandbox)
    steps = ex.socratic_frame(record)
    if steps is not None:
        st.caption("Socratic steps: each sub-question and the solver's answer")
        st.dataframe(steps, hide_index=True)


def show_interventions(record: Record) -> None:
    """A probe run's example: its own rationale, then each intervention and the answer it
    produced, one row each (nothing for a scored run's record)."""
    try:
        table = ex.intervention_table(record)
    except UsageError as err:
        show_problem("Could not read this example's interventions.", str(err))
        return
    if table is None:
        return
    st.caption("Interventions: each forced prefix and the answer it produced")
    st.text(table.headline())
    st.dataframe(table.rows, hide_index=True)


def show_simulation(record: Record) -> None:
    """A LAS probe run's example: the student's answer, the simulator's prediction of it from
    each input form, and whether it is leaked (nothing for other records)."""
    try:
        table = ex.simulation_table(record)
    except UsageError as err:
        show_problem("Could not read this example's simulation.", str(err))
        return
    if table is None:
        return
    st.caption("Simulatability (LAS): the simulator's prediction of the student's answer")
    st.text(table.headline())
    st.dataframe(table.rows, hide_index=True)


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
    show_field("Answer the rationale states", record.rationale_answer)
    show_field("Rationale consistent with answer", record.consistent)


def show_example_heading(record: Record) -> None:
    show_field("Id", record.id)
    show_field("Input", record.input)
    value = ex.gold_value(record.gold)
    show_field("Gold", record.gold if value is None else f"{record.gold} = {value}")
    teacher = record.teacher
    show_field("Teacher label", teacher.label if teacher else None)


def show_rationales(record: Record) -> None:
    """The teacher's rationale beside the student's, and their word-level diff as text."""
    teacher = record.teacher.rationale if record.teacher else None
    left, right = st.columns(2)
    with left:
        show_field("Teacher rationale", teacher)
    with right:
        show_field("Student rationale", record.rationale)
    if teacher is None or record.rationale is None:
        st.text("No word diff: the teacher's or the student's rationale is missing.")
        return
    diff = ex.word_diff(teacher, record.rationale)
    st.caption("Word diff, teacher to student: [-teacher only-] {+student only+}")
    st.text(diff.text())
    st.text(diff.summary())


def pick_page(frame: pd.DataFrame) -> ex.Page:
    number_column, range_column = st.columns([1, 4], vertical_alignment="bottom")
    with number_column:
        page_number = st.number_input("Page", min_value=1, value=1, step=1, key="page")
    page = ex.paginate(frame, page=int(page_number), page_size=PAGE_SIZE)
    if len(frame):
        with range_column:
            st.text(f"Rows {page.start + 1}–{page.stop} · page {page.number} of {page.n_pages}")
    return page


def follow_link(frame: pd.DataFrame, run_name: str, *, picker: str) -> None:
    """Open the example a link names (once per session): its page, and the picker on it; or
    say it is not there. Called before those widgets are drawn, so their state may be set."""
    wanted = st.session_state.pop("link_id", None)
    if wanted is None:
        return
    row = ex.find_example(frame, wanted)
    if row is None:
        show_problem("The link's example is not shown.", f"no example {wanted!r} in {run_name}")
        return
    st.session_state["page"] = ex.page_of(frame, row, page_size=PAGE_SIZE)
    st.session_state[picker] = row


def table_selection(page: ex.Page, *, key: str, picker: str, frame: pd.DataFrame) -> None:
    """The page's table with row selection: selecting a row opens it in the detail view."""
    event = st.dataframe(
        ex.table_rows(page.rows) if "rationale" in page.rows else page.rows[COMPARE_COLUMNS],
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    handled = f"{key}_handled"
    if rows and st.session_state.get(handled) != (page.number, rows[0]):
        st.session_state[handled] = (page.number, rows[0])
        st.session_state[picker] = page.rows.index[rows[0]]
    if picker in st.session_state and st.session_state[picker] not in frame.index:
        del st.session_state[picker]  # filtered out: the picker starts on the first row


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


def browse_single(run: ex.LoadedRun, where: ex.RecordFilter) -> None:
    st.subheader("Examples")
    order = st.selectbox("Sort by", list(ex.SORT_ORDERS), key="sort")
    shown = ex.sort_records(ex.filter_records(run.frame, where), order)
    st.text(f"{len(shown)} of {len(run.records)} examples match the filters")
    follow_link(shown, run.name, picker="ex")
    page = pick_page(shown)
    table_selection(page, key="table", picker="ex", frame=shown)
    records = [run.records[i] for i in shown.index]
    st.download_button(
        f"Download {len(records)} filtered records (CSV)",
        data=lambda: ex.records_csv(records),
        file_name=f"{run.path.name}-filtered.csv",
        mime="text/csv",
        key="download",
        on_click="ignore",
    )
    if shown.empty:
        st.info("No example matches the filters.")
        return
    chosen = st.selectbox(
        "Example", list(shown.index), format_func=label_of(run), key="ex",
        help="Every example that matches the filters, in the table's order; type an id to jump.",
    )  # fmt: skip
    record = run.records[chosen]
    st.query_params.from_dict({"run": run.name, "id": record.id})
    st.subheader("Example detail")
    left, right = st.columns(2)
    with left:
        show_example_heading(record)
    with right:
        show_prediction(record)
    show_rationales(record)
    show_paths(record)
    show_interventions(record)
    show_simulation(record)


def label_of(run: ex.LoadedRun) -> Any:
    """How the example picker names a row: its id and whether the answer is right."""
    return lambda i: f"{run.records[i].id} · {'✓' if run.records[i].correct else '✗'}"


def pick_cell(cell: str | None) -> None:
    """A matrix cell was clicked (None: show all pairs again); its pairs replace the view."""
    st.session_state["cell"] = cell
    st.session_state["view"] = next(iter(ex.COMPARE_VIEWS))
    st.session_state.pop("ex_pair", None)


def show_matrix(alignment: ex.Alignment, names: tuple[str, str]) -> None:
    """The 2x2 disagreement matrix; each cell is a button that filters the pairs to it."""
    matrix = ex.disagreement_matrix(alignment)
    st.text(
        f"A = {names[0]}, B = {names[1]}: {matrix.n} shared examples; McNemar's exact test "
        f"p {p_value_text(matrix.p_value)}"
    )
    picked = st.session_state.get("cell")
    header = st.columns(3)
    header[1].caption("B right")
    header[2].caption("B wrong")
    for side, cells in zip(("A right", "A wrong"), MATRIX_LAYOUT, strict=True):
        row = st.columns(3)
        row[0].caption(side)
        for column, cell in zip(row[1:], cells, strict=True):
            column.button(
                f"{cell}: {matrix.counts[cell]}",
                key=f"cell {cell}",
                type="primary" if picked == cell else "secondary",
                on_click=pick_cell,
                args=(cell,),
                use_container_width=True,
            )
    if picked is not None:
        st.button("Show all pairs", key="cell_clear", on_click=pick_cell, args=(None,))


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
    if alignment.frame.empty:
        st.text(
            f"0 examples in both runs ({alignment.only_a} only in {run_a.name}, "
            f"{alignment.only_b} only in {run_b.name})"
        )
        st.info("The two runs share no example ids, so there is nothing to compare.")
        return
    show_matrix(alignment, (run_a.name, run_b.name))
    cell = st.session_state.get("cell")
    pairs = ex.compare_rows(alignment, ex.filter_records(run_a.frame, where), view=view)
    if cell is not None:
        pairs = pairs[pairs.index.isin(ex.cell_rows(alignment, cell).index)]
    st.text(
        f"{len(alignment.frame)} examples in both runs ({alignment.only_a} only in "
        f"{run_a.name}, {alignment.only_b} only in {run_b.name}); {len(pairs)} shown "
        f"({view if cell is None else 'cell ' + cell}; filters apply to {run_a.name})"
    )
    follow_link(pairs, run_a.name, picker="ex_pair")
    page = pick_page(pairs)
    table_selection(page, key="pair_table", picker="ex_pair", frame=pairs)
    st.download_button(
        f"Download {len(pairs)} pairs (CSV)",
        data=lambda: pairs.to_csv(index=False).encode("utf-8"),
        file_name=f"{run_a.path.name}-vs-{run_b.path.name}.csv",
        mime="text/csv",
        key="download_pairs",
        on_click="ignore",
    )
    if pairs.empty:
        st.info("No pair matches the filters.")
        return
    labels = {
        row.Index: f"{row.id} · {'differ' if row.disagree else 'agree'}"
        for row in pairs.itertuples()
    }
    chosen = st.selectbox("Example", list(labels), format_func=labels.__getitem__, key="ex_pair")
    pair = pairs.loc[chosen]
    record_a = run_a.records[int(pair["index_a"])]
    record_b = run_b.records[int(pair["index_b"])]
    st.query_params.from_dict({"a": run_a.name, "b": run_b.name, "id": record_a.id})
    st.subheader("Example detail")
    show_example_heading(record_a)
    left, right = st.columns(2)
    for column, run, record in ((left, run_a, record_a), (right, run_b, record_b)):
        with column:
            st.text(f"Run {run.name}")
            show_prediction(record)
            show_rationales(record)
            show_paths(record)


def apply_link(by_name: dict[str, ex.RunEntry]) -> None:
    """On a session's first run, open what the URL's query parameters name."""
    if st.session_state.get("link_applied"):
        return
    st.session_state["link_applied"] = True
    link = ex.parse_deep_link(st.query_params.to_dict())
    entries = list(by_name.values())
    for wanted, key in ((link.run, "run"), (link.compare_with, "run_b")):
        if wanted is None:
            continue
        entry = ex.find_run(entries, wanted)
        if entry is None:
            show_problem("The link names a run that is not here.", f"no run {wanted!r}")
            return
        st.session_state[key] = entry.name
    if link.compare_with is not None:
        st.session_state["compare"] = True
    if link.example_id is not None:
        st.session_state["link_id"] = link.example_id


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
    apply_link(by_name)

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
    st.subheader("Reliability and selective prediction")
    for side, (run, mtime) in zip(("a", "b"), shown_runs, strict=False):
        if len(shown_runs) > 1:
            st.text(run.name)
        show_calibration(run, mtime, side)

    run_a = loaded_a[0]
    if not run_a.records:
        st.info("This run has no records: there are no examples to browse.")
        return
    if loaded_b is None:
        browse_single(run_a, where)
    else:
        mtimes = (loaded_a[1], loaded_b[1])
        browse_compare(run_a, loaded_b[0], mtimes, where=where, view=view)


main()
