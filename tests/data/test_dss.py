"""The DSS release loader on the real data, and its errors on broken copies of it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evalsuite.data import load_examples
from evalsuite.data.dss import holdout_indices
from evalsuite.errors import DataError
from evalsuite.tasks import get_task

# Teacher test accuracy with the release's own parsing (../shared/data/README.md).
RELEASE_TEACHER_ACCURACY = {"svamp": 74.00, "cqa": 77.23, "anli1": 65.60, "esnli": 72.99}
SPLITS_PRESENT = {
    "svamp": ("train", "valid", "test"),
    "cqa": ("train", "valid", "test"),
    "anli1": ("valid", "test"),
    "esnli": ("valid", "test"),
}


def _teacher_accuracy(task_name: str, examples: list) -> float:
    task = get_task(task_name)
    correct = sum(
        task.is_correct(task.extract_answer(e.teacher_label, e).answer, e) for e in examples
    )
    return 100 * correct / len(examples)


@pytest.mark.realdata
@pytest.mark.parametrize("task_name", sorted(RELEASE_TEACHER_ACCURACY))
def test_teacher_test_accuracy_reproduces_the_release(dss_root: Path, task_name: str) -> None:
    examples = load_examples(task_name, "test", data_dir=dss_root)
    accuracy = _teacher_accuracy(task_name, examples)
    assert round(accuracy, 2) == RELEASE_TEACHER_ACCURACY[task_name]


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("task_name", "split"), [(t, s) for t, splits in SPLITS_PRESENT.items() for s in splits]
)
def test_ids_are_unique_on_every_task_and_split(dss_root: Path, task_name: str, split: str) -> None:
    examples = load_examples(task_name, split, data_dir=dss_root)
    ids = [e.id for e in examples]
    assert len(ids) == len(set(ids)) > 0


@pytest.mark.realdata
def test_esnli_valid_has_duplicate_inputs_but_unique_ids(dss_root: Path) -> None:
    # Why ids are not hashes of the input: two e-SNLI valid examples share premise and hypothesis.
    examples = load_examples("esnli", "valid", data_dir=dss_root)
    assert len({e.input for e in examples}) < len(examples)
    assert len({e.id for e in examples}) == len(examples)


@pytest.mark.realdata
def test_holdout_matches_datasets_train_test_split(dss_root: Path) -> None:
    # Independent reference: the release holds out valid with datasets' own train_test_split.
    from datasets import Dataset

    n = sum(1 for _ in (dss_root / "svamp" / "svamp_train.json").open())
    reference = Dataset.from_dict({"i": list(range(n))}).train_test_split(test_size=0.1, seed=0)
    train_idx, valid_idx = holdout_indices(n)
    assert list(valid_idx) == reference["test"]["i"]
    assert list(train_idx) == reference["train"]["i"]
    valid = load_examples("svamp", "valid", data_dir=dss_root)
    train = load_examples("svamp", "train", data_dir=dss_root)
    assert [e.id for e in valid] == [f"train-{i}" for i in valid_idx]
    assert len(train) + len(valid) == n and not {e.id for e in train} & {e.id for e in valid}


@pytest.mark.realdata
def test_svamp_teacher_outputs_align_by_position(dss_root: Path) -> None:
    examples = load_examples("svamp", "test", data_dir=dss_root)
    first = examples[0]
    assert first.input.startswith("Paige was helping her mom plant flowers")
    assert first.teacher_label == "(10 * 45)"
    assert first.teacher_rationale is not None and "45 flower beds" in first.teacher_rationale


# -- errors on broken copies of a tiny release --------------------------------------------------


def _tiny_release(root: Path) -> Path:
    task_dir = root / "svamp"
    (task_dir / "llm").mkdir(parents=True)
    rows = [
        {"input": "Ann has 2 apples. She gets 3 more.\nHow many?", "label": "( 2.0 + 3.0 )"},
        {"input": "Bo has 9 pens. He loses 4.\nHow many?", "label": "( 9.0 - 4.0 )"},
    ]
    (task_dir / "svamp_test.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    teacher = ["2 + 3 = 5. The answer is (2 + 3).", "9 - 4 = 6. The answer is (9 - 4)."]
    (task_dir / "llm" / "test_CoT_0.json").write_text(json.dumps(teacher[:1]))
    (task_dir / "llm" / "test_CoT_1.json").write_text(json.dumps(teacher[1:]))
    return root


def test_tiny_release_loads_with_teacher_files_concatenated_in_order(tmp_path: Path) -> None:
    root = _tiny_release(tmp_path)
    examples = load_examples("svamp", "test", data_dir=root)
    assert [e.id for e in examples] == ["test-0", "test-1"]
    assert [e.teacher_label for e in examples] == ["(2 + 3)", "(9 - 4)"]
    assert _teacher_accuracy("svamp", examples) == 100.0


def test_truncated_json_line_names_file_and_line(tmp_path: Path) -> None:
    root = _tiny_release(tmp_path)
    path = root / "svamp" / "svamp_test.json"
    path.write_text(path.read_text()[:-20])
    with pytest.raises(DataError, match=r"svamp_test\.json line 2: invalid JSON"):
        load_examples("svamp", "test", data_dir=root)


def test_missing_field_names_line_and_field(tmp_path: Path) -> None:
    root = _tiny_release(tmp_path)
    path = root / "svamp" / "svamp_test.json"
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n" + json.dumps({"input": "no label"}) + "\n")
    with pytest.raises(DataError, match=r"svamp_test\.json line 2: missing field 'label'"):
        load_examples("svamp", "test", data_dir=root)


def test_misaligned_teacher_files_are_refused(tmp_path: Path) -> None:
    root = _tiny_release(tmp_path)
    (root / "svamp" / "llm" / "test_CoT_1.json").unlink()
    with pytest.raises(DataError, match=r"1 teacher outputs for 2 rows .*misaligned"):
        load_examples("svamp", "test", data_dir=root)


def test_missing_teacher_files_and_missing_split(tmp_path: Path) -> None:
    root = _tiny_release(tmp_path)
    shutil.rmtree(root / "svamp" / "llm")
    with pytest.raises(DataError, match=r"test_CoT_\*\.json: no teacher outputs"):
        load_examples("svamp", "test", data_dir=root)
    assert len(load_examples("svamp", "test", data_dir=root, teacher=False)) == 2
    with pytest.raises(DataError, match=r"svamp_train\.json: split 'train' of task 'svamp'"):
        load_examples("svamp", "train", data_dir=root, teacher=False)


def test_teacher_file_that_is_not_a_list_of_strings(tmp_path: Path) -> None:
    root = _tiny_release(tmp_path)
    (root / "svamp" / "llm" / "test_CoT_1.json").write_text(json.dumps({"a": 1}))
    with pytest.raises(DataError, match=r"test_CoT_1\.json: expected a JSON list"):
        load_examples("svamp", "test", data_dir=root)
