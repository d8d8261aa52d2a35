"""Examples from a JSONL file or a local Hugging Face dataset directory with the release's fields.

Rows have the same fields as the DSS release for their task (see ../shared/data/README.md). A row
may carry its teacher's raw continuation as ``teacher_output`` (parsed by the task), or the parsed
``teacher_rationale`` and ``teacher_label`` directly. Multi-path training material rides along
in ``Example.extra``: ``pot`` (a Python program setting ``ans``) and ``socratic`` (a list of
``[sub-question, sub-answer]`` pairs), see ``trainers.multipath``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from evalsuite.errors import DataError
from evalsuite.example import Example
from evalsuite.io import iter_jsonl
from evalsuite.tasks import Task

__all__ = ["MULTIPATH_FIELDS", "examples_from_rows", "load_hf_split", "load_jsonl_split"]

MULTIPATH_FIELDS = ("pot", "socratic")
"""Optional row fields kept in ``Example.extra`` for the mixed and Socratic recipes."""


def examples_from_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]], task: Task, *, split: str, where: str
) -> list[Example]:
    """Build Examples from ``(line, row)`` pairs; ``where`` names the source in errors."""
    examples = []
    for index, (lineno, row) in enumerate(rows):
        raw_teacher = row.get("teacher_output")
        try:
            example = task.build_example(row, split=split, index=index, teacher_text=raw_teacher)
        except KeyError as err:
            field = err.args[0] if err.args else "?"
            raise DataError(f"{where} line {lineno}: missing field '{field}'") from None
        if raw_teacher is None and "teacher_label" in row:
            example = Example(
                **{
                    **example.__dict__,
                    "teacher_rationale": row.get("teacher_rationale"),
                    "teacher_label": str(row["teacher_label"]),
                }
            )
        multipath = {key: row[key] for key in MULTIPATH_FIELDS if row.get(key) is not None}
        if multipath:
            example = Example(**{**example.__dict__, "extra": {**example.extra, **multipath}})
        examples.append(example)
    _check_unique_ids(examples, where)
    return examples


def _check_unique_ids(examples: list[Example], where: str) -> None:
    seen: set[str] = set()
    for example in examples:
        if example.id in seen:
            raise DataError(f"{where}: example id '{example.id}' occurs more than once")
        seen.add(example.id)


def load_jsonl_split(path: Path, task: Task, split: str) -> list[Example]:
    """Load a JSONL file whose rows have the task's release fields."""
    return examples_from_rows(iter_jsonl(path), task, split=split, where=str(path))


def load_hf_split(path: Path, task: Task, split: str) -> list[Example]:
    """Load one split of a dataset saved with ``save_to_disk`` (a DatasetDict or a Dataset)."""
    from datasets import Dataset, DatasetDict, load_from_disk

    try:
        loaded = load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as err:
        raise DataError(f"{path}: not a saved Hugging Face dataset ({err})") from None
    if isinstance(loaded, DatasetDict):
        if split not in loaded:
            raise DataError(f"{path}: no split '{split}'; it has {', '.join(loaded)}")
        dataset: Dataset = loaded[split]
    else:
        dataset = loaded
    rows = ((index + 1, row) for index, row in enumerate(dataset))
    return examples_from_rows(rows, task, split=split, where=str(path))
