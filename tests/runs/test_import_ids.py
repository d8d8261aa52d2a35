"""Ids as other tools write them: where a task's ids are positions (``test-3``), an imported line's
``"id": 3`` and ``"id": "3"`` both name the split's fourth example; where the dataset has its own
ids (ANLI's ``uid``), a bare position names nothing and is refused with the line.

The predictions are in the forms large models write, so the import reads them with the same
answer forms as a scored student.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.data import load_examples
from evalsuite.runs import read_run
from tests.scoring.tiny_checkpoint import nli_rows


def _write(path: Path, lines: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.mark.parametrize("form", [3, "3", "test-3"])
def test_integer_string_and_full_ids_join_to_the_same_example(tmp_path, cli, form) -> None:
    examples = load_examples("arith", "test")
    gold = examples[3].gold
    path = _write(tmp_path / "p.jsonl", [{"id": form, "prediction": gold}])
    result = cli("import-predictions", path, "--task", "arith", "--out", tmp_path / "run")
    assert result.code == 0, result.err
    (record,) = read_run(tmp_path / "run").records
    assert (record.id, record.input, record.correct) == ("test-3", examples[3].input, True)


def test_a_file_of_integer_ids_and_large_model_answers(tmp_path, cli) -> None:
    examples = load_examples("arith", "test")[:4]
    values = [str(e.gold) for e in examples]
    lines = [
        {"id": 0, "prediction": f"Let me work it out: {values[0]}.\n#### {values[0]}"},
        {"id": "1", "prediction": f"The answer is {values[1]}."},
        {"id": 2, "prediction": f"So the total is $\\boxed{{{values[2]}}}$."},
        {"id": 3, "prediction": "I am not sure."},
    ]
    result = cli("import-predictions", _write(tmp_path / "p.jsonl", lines), "--task", "arith",
                 "--out", tmp_path / "run")  # fmt: skip
    assert result.code == 0, result.err
    records = read_run(tmp_path / "run").records
    assert [r.id for r in records] == ["test-0", "test-1", "test-2", "test-3"]
    assert [r.extraction.method for r in records] == ["gsm8k", "stated", "boxed", "unparsed"]
    assert [r.correct for r in records] == [True, True, True, False]
    assert records[3].answer is None and records[3].extraction_failed


def test_a_line_predicting_one_example_twice_by_two_id_forms_is_refused(tmp_path, cli) -> None:
    lines = [{"id": 3, "prediction": "1"}, {"id": "test-3", "prediction": "1"}]
    path = _write(tmp_path / "p.jsonl", lines)
    result = cli("import-predictions", path, "--task", "arith", "--out", tmp_path / "run")
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"{path} line 2: example 'test-3' was already predicted on line 1" in result.err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("form", [0, "0"])
def test_positions_do_not_name_examples_of_a_dataset_with_its_own_ids(tmp_path, cli, form):
    rows = [{**row, "uid": f"anli-{i:03d}"} for i, row in enumerate(nli_rows(4, seed=3))]
    data = _write(tmp_path / "anli.jsonl", rows)
    path = _write(tmp_path / "p.jsonl", [{"id": form, "prediction": "neutral"}])
    result = cli("import-predictions", path, "--task", "anli1", "--data-dir", data,
                 "--out", tmp_path / "run")  # fmt: skip
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"{path} line 1: id '0' is not an example of this split" in result.err
    # Its own ids still join.
    own = _write(tmp_path / "own.jsonl", [{"id": "anli-002", "prediction": "neutral"}])
    result = cli("import-predictions", own, "--task", "anli1", "--data-dir", data,
                 "--out", tmp_path / "run")  # fmt: skip
    assert result.code == 0, result.err
    assert [r.id for r in read_run(tmp_path / "run").records] == ["anli-002"]
