"""examples.md: the examples a reader of a report should open, each a link into the explorer.

For each run, its most confident errors and its extraction failures; for each pair of runs of
one task, the examples where their answers differ most. Links are ``?run=NAME&id=ID`` and
``?a=RUN&b=RUN&id=ID`` (:mod:`evalsuite.report.explorer.links`) under ``--explorer-url``; a run
is named by its directory's name, which the explorer resolves under whatever ``--runs`` it was
started with. summary.md lists the first of each in a short section.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalsuite.report.alignment import align_runs
from evalsuite.report.explorer.links import compare_link, example_link
from evalsuite.report.explorer.loading import task_same_answer
from evalsuite.report.explorer.table import (
    RecordFilter,
    filter_records,
    preview,
    records_frame,
    sort_records,
)
from evalsuite.report.runs import ReportRun
from evalsuite.report.tables import markdown_escape

__all__ = [
    "EXAMPLES_MD",
    "N_EXAMPLES",
    "ExampleLink",
    "ExamplesPage",
    "PairExamples",
    "RunExamples",
    "collect_examples",
    "examples_markdown",
    "summary_section",
]

EXAMPLES_MD = "examples.md"
N_EXAMPLES = 10
"""How many examples each list of examples.md links (summary.md links the first 3)."""
SUMMARY_EXAMPLES = 3


@dataclass(frozen=True)
class ExampleLink:
    """One example to open: its id, a one-line description, and its explorer link."""

    example_id: str
    note: str
    url: str


@dataclass(frozen=True)
class RunExamples:
    """One run's lists: its most confident errors and its extraction failures (of how many)."""

    name: str
    label: str
    confident_errors: tuple[ExampleLink, ...]
    n_errors: int
    extraction_failures: tuple[ExampleLink, ...]
    n_failures: int


@dataclass(frozen=True)
class PairExamples:
    """Two runs of one task: the shared examples whose answers differ, largest confidence gap
    first (of how many differ)."""

    name_a: str
    name_b: str
    disagreements: tuple[ExampleLink, ...]
    n_disagree: int


@dataclass(frozen=True)
class ExamplesPage:
    """Everything examples.md links."""

    explorer_url: str
    runs: tuple[RunExamples, ...]
    pairs: tuple[PairExamples, ...]


def _confidence(value: Any) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value):.3f}"


def _text(value: Any, limit: int = 40) -> str:
    """A cell as one short line of text; a missing one reads "none"."""
    return "none" if value is None or pd.isna(value) else preview(str(value), limit=limit) or ""


def _run_examples(r: ReportRun, frame: pd.DataFrame, base_url: str, n: int) -> RunExamples:
    link_name = r.run.path.name
    errors = sort_records(
        filter_records(frame, RecordFilter(correct=False)), "confidence, highest first"
    )
    failures = filter_records(frame, RecordFilter(extraction_failed=True))

    def link(row: pd.Series, note: str) -> ExampleLink:
        return ExampleLink(row["id"], note, example_link(base_url, link_name, row["id"]))

    confident = tuple(
        link(
            row,
            f"confidence {_confidence(row['confidence'])}, answer {_text(row['answer'])}, "
            f"gold {_text(row['gold'])}",
        )
        for _, row in errors.head(n).iterrows()
    )
    failed = tuple(
        link(row, f"prediction {_text(row['prediction'], 60)}")
        for _, row in failures.head(n).iterrows()
    )
    return RunExamples(r.name, r.label, confident, len(errors), failed, len(failures))


def _pair_examples(
    a: ReportRun, b: ReportRun, frames: Mapping[str, pd.DataFrame], base_url: str, n: int
) -> PairExamples:
    same_answer = task_same_answer(a.task)
    alignment = align_runs(frames[a.name], frames[b.name], same_answer=same_answer)
    differ = alignment.frame[alignment.frame["disagree"].astype(bool)]
    gap = (differ["confidence_a"].fillna(0.0) - differ["confidence_b"].fillna(0.0)).abs()
    # Rounded so that equal gaps tie (0.85 - 0.8 and 0.8 - 0.75 differ in the 17th digit) and
    # keep run A's order.
    ranked = differ.assign(gap=gap.astype(float).round(9)).sort_values(
        "gap", ascending=False, kind="stable"
    )
    links = tuple(
        ExampleLink(
            row["id"],
            f"{a.label}: {_text(row['answer_a'])} ({_confidence(row['confidence_a'])}), "
            f"{b.label}: {_text(row['answer_b'])} ({_confidence(row['confidence_b'])}), "
            f"gold {_text(row['gold'])}",
            compare_link(base_url, a.run.path.name, b.run.path.name, row["id"]),
        )
        for _, row in ranked.head(n).iterrows()
    )
    return PairExamples(a.name, b.name, links, len(differ))


def collect_examples(
    runs: Sequence[ReportRun], *, explorer_url: str, n: int = N_EXAMPLES
) -> ExamplesPage:
    """Pick the examples examples.md links.

    Parameters
    ----------
    runs : sequence of ReportRun
        The report's runs, in its order.
    explorer_url : str
        Where the explorer is served (``report --explorer-url``).
    n : int
        Examples per list.

    Returns
    -------
    ExamplesPage
        Per run: incorrect records by confidence, highest first (records without a confidence
        last), and extraction failures in file order. Per pair of runs of one task: shared
        examples whose answers differ (the task's answer comparison), by the gap between the
        two confidences (a missing confidence counts as 0), largest first.
    """
    frames = {r.name: records_frame(r.run.records) for r in runs}  # once per run, not per pair
    per_run = tuple(_run_examples(r, frames[r.name], explorer_url, n) for r in runs)
    pairs = tuple(
        _pair_examples(a, b, frames, explorer_url, n)
        for a, b in itertools.combinations(runs, 2)
        if a.task == b.task
    )
    return ExamplesPage(explorer_url, per_run, pairs)


def _items(links: Sequence[ExampleLink]) -> list[str]:
    md = markdown_escape
    return [f"- [{md(link.example_id)}]({link.url}): {md(link.note)}" for link in links]


def examples_markdown(name: str, page: ExamplesPage) -> str:
    """examples.md: each run's most confident errors and extraction failures, then each pair's
    largest disagreements, every example a link into the explorer."""
    md = markdown_escape
    lines = [
        f"# Examples of report {md(name)}",
        "",
        f"Each link opens the example in the explorer at {page.explorer_url} "
        "(`streamlit run app.py -- --runs DIR`, DIR holding these runs; another address: "
        "`evalsuite report --explorer-url URL`).",
        "",
    ]
    for run in page.runs:
        lines += [f"## {md(run.label)} ({md(run.name)})", ""]
        lines += [f"### Most confident errors ({len(run.confident_errors)} of {run.n_errors})", ""]
        lines += _items(run.confident_errors) or ["No errors."]
        lines += ["", f"### Extraction failures ({len(run.extraction_failures)} of "
                  f"{run.n_failures})", ""]  # fmt: skip
        lines += _items(run.extraction_failures) or ["No extraction failures."]
        lines += [""]
    if page.pairs:
        lines += ["## Largest disagreements", ""]
    for pair in page.pairs:
        lines += [
            f"### {md(pair.name_a)} vs {md(pair.name_b)} "
            f"({len(pair.disagreements)} of {pair.n_disagree} whose answers differ)",
            "",
        ]
        lines += _items(pair.disagreements) or ["The two runs give the same answers."]
        lines += [""]
    return "\n".join(lines)


def summary_section(page: ExamplesPage) -> str:
    """summary.md's section: the first few of each list, and a link to examples.md."""
    md = markdown_escape
    lines = [
        "",
        "## Examples in the explorer",
        "",
        f"All lists: [{EXAMPLES_MD}]({EXAMPLES_MD}).",
        "",
    ]

    def firsts(links: Sequence[ExampleLink]) -> str:
        shown = [f"[{md(link.example_id)}]({link.url})" for link in links[:SUMMARY_EXAMPLES]]
        return ", ".join(shown) or "none"

    for run in page.runs:
        lines.append(
            f"- {md(run.label)}: most confident errors {firsts(run.confident_errors)}; "
            f"extraction failures {firsts(run.extraction_failures)}"
        )
    for pair in page.pairs:
        lines.append(
            f"- {md(pair.name_a)} vs {md(pair.name_b)}: largest disagreements "
            f"{firsts(pair.disagreements)}"
        )
    return "\n".join(lines) + "\n"
