"""Loader for the Distilling step-by-step release layout.

```
<root>/<task>/<task>_{train,valid,test}.json   JSON lines, one example per line
<root>/<task>/llm/{split}_CoT_{i}.json         JSON lists of raw teacher continuations,
                                               concatenated in i order, aligned by position
```

A task without a valid split holds out 10 % of train (seed 0) as the release does, through the
same permutation as ``datasets.Dataset.train_test_split(test_size=0.1, seed=0)``; train is then
the remaining 90 %, so model selection never sees training rows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evalsuite.errors import DataError
from evalsuite.example import Example
from evalsuite.io import iter_jsonl, read_json
from evalsuite.tasks import Task

__all__ = ["SPLITS", "DssFiles", "dss_files", "holdout_indices", "load_dss_split"]

SPLITS = ("train", "valid", "test")
HOLDOUT_FRACTION = 0.1
HOLDOUT_SEED = 0
_COT_FILE = re.compile(r"^(?P<split>\w+)_CoT_(?P<index>\d+)\.json$")


@dataclass(frozen=True)
class DssFiles:
    """Where one split of one task lives, and whether it is carved out of train."""

    rows: Path
    teacher: tuple[Path, ...]
    holdout: str | None
    """``"valid"`` or ``"train"`` when the split is one side of the 10 % hold-out of train."""


def holdout_indices(n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(train, valid)`` of the release's hold-out of ``n_rows`` training rows.

    Same permutation and sizes as ``Dataset.train_test_split(test_size=0.1, seed=0)``: the
    first ``ceil(0.1 n)`` permuted rows are valid, the next ``floor(0.9 n)`` are train.
    """
    n_valid = math.ceil(HOLDOUT_FRACTION * n_rows)
    n_train = math.floor((1 - HOLDOUT_FRACTION) * n_rows)
    permutation = np.random.default_rng(HOLDOUT_SEED).permutation(n_rows)
    return permutation[n_valid : n_valid + n_train], permutation[:n_valid]


def _teacher_files(task_dir: Path, split: str) -> tuple[Path, ...]:
    found = []
    for path in (task_dir / "llm").glob(f"{split}_CoT_*.json"):
        match = _COT_FILE.match(path.name)
        if match and match.group("split") == split:
            found.append((int(match.group("index")), path))
    return tuple(path for _, path in sorted(found))


def dss_files(root: Path, task: Task, split: str) -> DssFiles:
    """Locate a split's rows and teacher files, or raise a DataError that names what is missing."""
    if split not in SPLITS:
        raise DataError(f"unknown split '{split}'; choose from {', '.join(SPLITS)}")
    if not root.is_dir():
        raise DataError(f"data directory {root} does not exist")
    task_dir = root / task.name
    if not task_dir.is_dir():
        raise DataError(f"{task_dir}: no directory for task '{task.name}' in the data directory")
    rows = task_dir / f"{task.name}_{split}.json"
    holdout = None
    source_split = split
    if not rows.is_file() and split in ("train", "valid"):
        has_valid = (task_dir / f"{task.name}_valid.json").is_file()
        if split == "valid" and not has_valid:
            holdout, source_split = "valid", "train"
        rows = task_dir / f"{task.name}_{source_split}.json"
    elif split == "train" and not (task_dir / f"{task.name}_valid.json").is_file():
        holdout = "train"
    if not rows.is_file():
        raise DataError(f"{rows}: split '{split}' of task '{task.name}' not found")
    return DssFiles(rows=rows, teacher=_teacher_files(task_dir, source_split), holdout=holdout)


def _read_teacher(files: tuple[Path, ...]) -> list[str]:
    outputs: list[str] = []
    for path in files:
        chunk = read_json(path)
        if not isinstance(chunk, list) or not all(isinstance(text, str) for text in chunk):
            raise DataError(f"{path}: expected a JSON list of teacher continuations (strings)")
        outputs.extend(chunk)
    return outputs


def load_dss_split(root: Path, task: Task, split: str, *, teacher: bool = True) -> list[Example]:
    """Load one split of a DSS-release task as Examples, teacher outputs attached by position.

    Parameters
    ----------
    root : Path
        The release root, holding one directory per task.
    task : Task
        Which task; its conventions parse rows and teacher continuations.
    split : {"train", "valid", "test"}
        A missing valid split is carved out of train (see the module docstring).
    teacher : bool
        Require and attach the teacher outputs (default). ``False`` loads rows alone.

    Raises
    ------
    DataError
        When the directory, split or teacher files are missing, a line is malformed or lacks a
        field, or the teacher outputs do not line up with the rows.
    """
    files = dss_files(root, task, split)
    rows = [(lineno, row) for lineno, row in iter_jsonl(files.rows)]
    teacher_texts: list[str | None] = [None] * len(rows)
    if teacher:
        if not files.teacher:
            pattern = f"{files.rows.parent / 'llm'}/{files.rows.stem.split('_')[-1]}_CoT_*.json"
            raise DataError(f"{pattern}: no teacher outputs for {files.rows.name}")
        texts = _read_teacher(files.teacher)
        if len(texts) != len(rows):
            names = ", ".join(path.name for path in files.teacher)
            raise DataError(
                f"{files.teacher[0].parent}/{{{names}}}: {len(texts)} teacher outputs for "
                f"{len(rows)} rows of {files.rows} (misaligned teacher files)"
            )
        teacher_texts = list(texts)
    source_split = "train" if files.holdout else split
    examples = []
    for index, ((lineno, row), text) in enumerate(zip(rows, teacher_texts, strict=True)):
        try:
            examples.append(
                task.build_example(row, split=source_split, index=index, teacher_text=text)
            )
        except KeyError as err:
            field = err.args[0] if err.args else "?"
            raise DataError(f"{files.rows} line {lineno}: missing field '{field}'") from None
    if files.holdout:
        train_idx, valid_idx = holdout_indices(len(examples))
        chosen = valid_idx if files.holdout == "valid" else train_idx
        examples = [examples[i] for i in chosen]
    return examples
