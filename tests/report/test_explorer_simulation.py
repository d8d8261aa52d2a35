"""The explorer's LAS view: a LAS probe run's example, the student's answer and the simulator's
prediction of it from input and rationale, input alone and rationale alone, and whether it is
leaked, read through the explorer's run loader and drawn by the page (AppTest). The run holds
the hand-computed 12-item table of tests/metrics/test_simulatability.py, so every cell is known."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from evalsuite.errors import DataError
from evalsuite.probes.records import Simulation, with_simulation
from evalsuite.probes.runner import ProbeConfig
from evalsuite.probes.summary import summarize_probes
from evalsuite.report import explorer as ex
from evalsuite.runs import Record, RunWriter
from tests.metrics.test_simulatability import ALONE, RATIONALE, STUDENT, WITH

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture(scope="module")
def las_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("explorer-las")
    records = [
        with_simulation(
            Record(id=f"test-{i}", gold="e", answer=s, correct=s == "e",
                   rationale=f"rationale {i}"),
            Simulation(input_rationale=w, input=a, rationale=r, leaked=r == s),
        )
        for i, (s, w, a, r) in enumerate(zip(STUDENT, WITH, ALONE, RATIONALE, strict=True))
    ]  # fmt: skip
    records.append(
        with_simulation(
            Record(id="test-12", gold="e", answer=None, correct=False, rationale="hmm"),
            Simulation(input_rationale="e", input="n", rationale="c", leaked=None),
        )
    )
    manifest = {"name": "las", "kind": "probe", "task": "esnli", "split": "test",
                "model": {"path": "/ckpt/las", "recipe": "dss", "coupling": "separate"},
                "probe": ProbeConfig(probes=("las",)).block(None)}  # fmt: skip
    writer = RunWriter(root / "las", manifest)
    writer.append(records)
    ids = [r.id for r in records]
    writer.finish(ids, summarize_probes(writer.records(ids), ["las"], rng=0))
    return root


def _rows(record: Record) -> list[list[object]]:
    table = ex.simulation_table(record)
    assert table is not None and list(table.rows.columns) == list(ex.SIMULATION_COLUMNS)
    return table.rows.values.tolist()


def test_a_leaked_and_a_non_leaked_example(las_run):
    run = ex.load_run(las_run / "las")  # the explorer's reader, as the page loads it
    # item 1: leaked (e predicts e); input+rationale right, input alone wrong
    assert _rows(run.records[1]) == [
        [ex.STUDENT_ROW, "e", ""],
        ["input + rationale (xe)", "e", "yes"],
        ["input alone (x)", "n", "no"],
        ["rationale alone (e)", "e", "yes"],
    ]
    leaked = ex.simulation_table(run.records[1])
    assert leaked is not None and leaked.leaked is True
    assert leaked.headline() == "leaked: yes (the rationale alone gives the student's answer)"
    # item 7: not leaked (the rationale alone says c, the student n); xe and x both wrong
    assert _rows(run.records[7]) == [
        [ex.STUDENT_ROW, "n", ""],
        ["input + rationale (xe)", "c", "no"],
        ["input alone (x)", "c", "no"],
        ["rationale alone (e)", "c", "no"],
    ]
    other = ex.simulation_table(run.records[7])
    assert other is not None and other.leaked is False and other.headline().startswith("leaked: no")
    # the leaked column over the run is the table's: items 0-4
    flags = [t.leaked for t in map(ex.simulation_table, run.records[:12]) if t is not None]
    assert flags == [True] * 5 + [False] * 7


def test_an_unreadable_student_answer_matches_nothing(las_run):
    record = ex.load_run(las_run / "las").records[12]
    assert [row[2] for row in _rows(record)] == ["", "n/a", "n/a", "n/a"]
    table = ex.simulation_table(record)
    assert table is not None and table.leaked is None
    assert table.headline() == "leaked: n/a (the student's answer could not be read; not in LAS)"


def test_other_records_have_no_view_and_a_malformed_one_names_the_field():
    scored = Record.from_json({"id": "a", "gold": "e", "answer": "e", "correct": True}, "doc")
    assert ex.simulation_table(scored) is None
    broken = Record.from_json(
        {"id": "b", "gold": "e", "correct": False, "simulation": {"leaked": "often"}}, "doc"
    )
    with pytest.raises(DataError, match=r"probe record \(id b\).*leaked"):
        ex.simulation_table(broken)


def test_the_page_shows_the_simulation_of_the_chosen_example(las_run, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(APP), "--runs", str(las_run)])
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    at.selectbox(key="ex").set_value(1).run()
    assert not at.exception
    assert "Simulatability (LAS): the simulator's prediction of the student's answer" in [
        c.value for c in at.caption
    ]
    assert "leaked: yes (the rationale alone gives the student's answer)" in [
        t.value for t in at.text
    ]
    (shown,) = [d.value for d in at.dataframe if "simulator's prediction" in d.value.columns]
    assert shown["simulator's prediction"].tolist() == ["e", "e", "n", "e"]
