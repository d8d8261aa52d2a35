"""The explorer's intervention view: a probe run's example, its own rationale and every
intervention with the answer it produced, read through the explorer's run loader, and drawn by
the page (AppTest). The probe run is of a student that answers from its last step
(tests/probes/fakes.py), so every answer is known by construction."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from evalsuite.errors import DataError
from evalsuite.report import explorer as ex
from evalsuite.runs import Record
from tests.probes.fakes import ExecutingStudent, chain_examples, write_probe_run

APP = Path(__file__).resolve().parents[2] / "app.py"
EXAMPLES, RATIONALES = chain_examples(4)


@pytest.fixture(scope="module")
def probe_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("explorer-probe")
    write_probe_run(root, "probed", ExecutingStudent(RATIONALES), EXAMPLES,
                    ("early_answering", "corrupted_step"))  # fmt: skip
    return root


def test_the_table_holds_the_own_rationale_then_each_intervention(probe_run):
    run = ex.load_run(probe_run / "probed")  # the explorer's reader, as the page loads it
    record = run.records[2]  # test-2: Start with 4. Add 5. Times 4. Add 5. -> 41
    table = ex.intervention_table(record)
    assert table is not None and list(table.rows.columns) == list(ex.INTERVENTION_COLUMNS)
    rows = table.rows.to_dict("records")
    assert rows[0]["probe"] == ex.OWN_RATIONALE
    assert rows[0]["forced prefix"] == RATIONALES["question 2"] and rows[0]["answer"] == "41"
    early = [r for r in rows if r["probe"] == "early answering"]
    assert [r["position"] for r in early] == [f"{k} of 4 steps" for k in range(5)]
    assert [r["answer"] for r in early] == ["0", "4", "9", "36", "41"]
    assert [r["changed"] for r in early] == ["yes", "yes", "yes", "yes", "no"]
    assert early[2]["forced prefix"] == "Start with 4. Add 5. So the answer is"
    corrupted = [r for r in rows if r["probe"] == "corrupted step"]
    assert [r["position"] for r in corrupted] == [f"step {i} of 4" for i in range(1, 5)]
    assert all(r["what changed"].startswith("number ") for r in corrupted)
    assert all(r["changed"] == "yes" for r in corrupted)  # it answers from its (changed) steps
    assert (table.n_interventions, table.n_changed) == (9, 8)
    assert table.headline() == "8 of 9 interventions changed the answer"


def test_a_scored_record_has_no_table_and_a_malformed_one_names_the_field():
    scored = Record.from_json({"id": "a", "gold": "1", "answer": "1", "correct": True}, "doc")
    assert ex.intervention_table(scored) is None
    broken = Record.from_json(
        {"id": "b", "gold": "1", "correct": False, "interventions": [{"position": 1}]}, "doc"
    )
    with pytest.raises(DataError, match=r"probe record \(id b\).*probe"):
        ex.intervention_table(broken)


def test_an_unreadable_full_answer_is_compared_with_nothing():
    doc = {"id": "c", "gold": "5", "answer": None, "correct": False, "rationale": "Add 2.",
           "interventions": [{"probe": "filler", "prefix": "... So the answer is",
                              "answer": "3", "correct": False, "changed": None}]}  # fmt: skip
    table = ex.intervention_table(Record.from_json(doc, "doc"))
    assert table is not None and table.rows["changed"].tolist() == ["", "n/a"]
    assert table.n_changed == 0


def test_the_page_shows_the_interventions_of_the_chosen_example(probe_run, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(APP), "--runs", str(probe_run)])
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    at.selectbox(key="ex").set_value(2).run()
    assert not at.exception
    assert "Interventions: each forced prefix and the answer it produced" in [
        c.value for c in at.caption
    ]
    assert "8 of 9 interventions changed the answer" in [t.value for t in at.text]
    (shown,) = [d.value for d in at.dataframe if "forced prefix" in d.value.columns]
    assert shown["answer"].tolist()[:6] == ["41", "0", "4", "9", "36", "41"]
    assert json.loads((probe_run / "probed" / "manifest.json").read_text())["kind"] == "probe"
