"""JSONL files and saved Hugging Face datasets as data sources, and data-directory resolution."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.data import load_examples, resolve_data_dir
from evalsuite.errors import DataError, UsageError

ROWS = [
    {
        "uid": "a1",
        "premise": "A man sleeps.",
        "hypothesis": "A man is awake.",
        "label": 2,
        "teacher_output": "Sleeping is not awake. So the answer is contradiction.",
    },
    {"uid": "a2", "premise": "A cat eats.", "hypothesis": "A cat is fed.", "label": 0},
]


def test_jsonl_file_with_release_fields(tmp_path: Path) -> None:
    path = tmp_path / "anli.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    examples = load_examples("anli1", "test", data_dir=path)
    assert [e.id for e in examples] == ["a1", "a2"]
    assert examples[0].teacher_label == "contradiction"
    assert examples[1].teacher_label is None


def test_jsonl_with_parsed_teacher_fields(tmp_path: Path) -> None:
    (tmp_path / "test.jsonl").write_text(
        json.dumps({"input": "1 + 1?", "label": "( 1 + 1 )", "teacher_label": "( 2 )"}) + "\n"
    )
    (example,) = load_examples("svamp", "test", data_dir=tmp_path)
    assert (example.id, example.teacher_label) == ("test-0", "( 2 )")


def test_jsonl_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [ROWS[1], ROWS[1]]))
    with pytest.raises(DataError, match="id 'a2' occurs more than once"):
        load_examples("anli1", "test", data_dir=path)


def test_saved_hugging_face_dataset(tmp_path: Path) -> None:
    from datasets import Dataset, DatasetDict

    rows = [{k: v for k, v in r.items() if k != "teacher_output"} for r in ROWS]
    DatasetDict({"test": Dataset.from_list(rows)}).save_to_disk(str(tmp_path / "hf"))
    examples = load_examples("anli1", "test", data_dir=tmp_path / "hf")
    assert [e.gold for e in examples] == ["contradiction", "entailment"]
    with pytest.raises(DataError, match="no split 'valid'; it has test"):
        load_examples("anli1", "valid", data_dir=tmp_path / "hf")


def test_data_directory_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVALSUITE_DATA", raising=False)
    with pytest.raises(
        UsageError, match="no data directory: pass --data-dir or set EVALSUITE_DATA"
    ):
        resolve_data_dir(None)
    monkeypatch.setenv("EVALSUITE_DATA", str(tmp_path))
    assert resolve_data_dir(None) == tmp_path
    with pytest.raises(DataError, match=r"data directory .*nope does not exist"):
        resolve_data_dir(tmp_path / "nope")
    with pytest.raises(DataError, match="holds neither svamp/"):
        load_examples("svamp", "test", data_dir=tmp_path)


def test_unknown_split() -> None:
    with pytest.raises(UsageError, match="unknown split 'dev'; choose from train, valid, test"):
        load_examples("arith", "dev")
