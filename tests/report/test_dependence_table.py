"""Which students' answers depend on their rationale: verdicts by hand on AOC intervals around
the threshold, then the report's table and sentence on probe runs of two students of known
behaviour (tests/probes/fakes.py): one answers from its last step, one ignores its rationale."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalsuite.report.build import TABLES, ReportConfig, build_report
from evalsuite.report.dependence_table import (
    DEPENDENCE_THRESHOLD,
    dependence_of,
    dependence_sentence,
)
from evalsuite.report.runs import read_runs
from evalsuite.runs import RunWriter, read_run
from tests.metrics.runs import record
from tests.probes.fakes import (
    ExecutingStudent,
    IgnoringStudent,
    chain_examples,
    execute,
    write_probe_run,
)

EXAMPLES, RATIONALES = chain_examples(10)


def _summary(**aocs: tuple[float, float, float]) -> dict:
    return {"probes": {name: {"aoc": {"value": v, "low": lo, "high": hi}, "n_examples": 20}
                       for name, (v, lo, hi) in aocs.items()}}  # fmt: skip


@pytest.mark.parametrize(
    ("aocs", "verdict"),
    [
        ({"early_answering": (0.5, 0.11, 0.9)}, "depends"),
        ({"early_answering": (0.3, 0.1, 0.5)}, "inconclusive"),  # low end on the threshold
        ({"early_answering": (0.05, 0.0, 0.12), "corrupted_step": (0.4, 0.2, 0.6)}, "depends"),
        ({"early_answering": (0.0, 0.0, 0.0), "corrupted_step": (0.05, 0.0, 0.099)},
         "does not depend"),
        ({"early_answering": (0.0, 0.0, 0.0), "corrupted_step": (0.05, 0.0, 0.1)},
         "inconclusive"),  # one high end on the threshold
    ],
)  # fmt: skip
def test_verdicts_by_hand_around_the_threshold(aocs, verdict) -> None:
    assert DEPENDENCE_THRESHOLD == 0.1
    d = dependence_of("run", _summary(**aocs))
    assert d is not None and d.verdict == verdict and set(d.aoc) == set(aocs)


def test_a_run_without_a_curve_probe_has_no_verdict() -> None:
    filler_only = {"probes": {"filler": {"accuracy": {"value": 1.0}, "n_examples": 3}}}
    assert dependence_of("f", filler_only) is None
    no_aoc = {"probes": {"early_answering": {"aoc": {"value": None, "low": None, "high": None},
                                             "n_examples": 0}}}  # fmt: skip
    assert dependence_of("e", no_aoc) is None
    assert dependence_sentence([]) == "No probe run measured early answering or corrupted steps."


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("dependence")
    probes = ("early_answering", "corrupted_step")
    answers = {e.input: execute(RATIONALES[e.input]) for e in EXAMPLES}
    scored = RunWriter(root / "single", {"name": "single", "kind": "student", "task": "arith",
                       "split": "test", "model": {"path": "/c", "recipe": "single"}})  # fmt: skip
    scored.append([record(e.id, gold=e.gold, correct=True, answer="1") for e in EXAMPLES])
    scored.finish([e.id for e in EXAMPLES])
    runs = [
        root / "single",
        write_probe_run(root, "executing", ExecutingStudent(RATIONALES), EXAMPLES, probes),
        write_probe_run(root, "ignoring", IgnoringStudent(RATIONALES, answers), EXAMPLES, probes),
    ]
    result = build_report(read_runs(runs), root / "report", ReportConfig(mi_estimators=()))
    return root, result


def test_the_table_says_which_student_depends_on_its_rationale(report) -> None:
    root, result = report
    assert "dependence" in [t.name for t in TABLES]
    table = result.tables["dependence"]
    assert table is not None
    assert list(table.rows) == ["executing: depends (n=10)", "ignoring: does not depend (n=10)"]
    for name, row in zip(("executing", "ignoring"), table.rows, strict=True):
        own = read_run(root / name).metrics["probes"]  # the probe run's metrics.json
        for probe, column in (("early_answering", "early answering AOC"),
                              ("corrupted_step", "corrupted step AOC")):  # fmt: skip
            cell, block = table.cells[(row, column)], own[probe]["aoc"]
            assert (cell.value, cell.interval) == (block["value"], (block["low"], block["high"]))
    numbers = result.document["dependence"]
    assert numbers["threshold"] == 0.1
    assert [(r["run"], r["verdict"]) for r in numbers["rows"]] == [
        ("executing", "depends"),
        ("ignoring", "does not depend"),
    ]


def test_the_sentence_is_made_from_the_numbers_and_is_in_summary_md(report) -> None:
    _, result = report
    (sentence,) = result.document["dependence"]["findings"]
    assert sentence == (
        "Answers depend on the rationale (an AOC interval above 0.1): executing (early "
        "answering AOC 1.00 [1.00, 1.00], corrupted step AOC 1.00 [1.00, 1.00]); do not "
        "depend (every AOC interval below 0.1): ignoring (early answering AOC 0.00 [0.00, "
        "0.00], corrupted step AOC 0.00 [0.00, 0.00])."
    )
    summary = (result.out / "summary.md").read_text()
    assert "**Does the student's answer depend on its rationale?**" in summary
    assert sentence in summary
    assert Path(result.out / "tables" / "dependence.tex").is_file()
