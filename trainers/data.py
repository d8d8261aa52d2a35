"""The training and validation examples of a run, and the fingerprint of where they came from.

Model selection uses the valid split only; the test split is never loaded here.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evalsuite.data import ArithConfig, load_examples, resolve_data_dir
from evalsuite.data.dss import dss_files
from evalsuite.errors import DataError, UsageError
from evalsuite.example import Example
from evalsuite.provenance import file_sha256
from evalsuite.tasks import Task, get_task

if TYPE_CHECKING:
    from trainers.config import TrainConfig

__all__ = [
    "TrainingData",
    "data_fingerprint",
    "load_training_data",
    "subsample",
    "training_data_for",
    "training_label",
]


@dataclass(frozen=True)
class TrainingData:
    """The examples a run trains and selects on, and where they came from."""

    task: Task
    train: list[Example]
    valid: list[Example]
    fingerprint: dict[str, Any]


def subsample(
    examples: list[Example], fraction: float, rng: np.random.Generator | int | None
) -> list[Example]:
    """A random ``fraction`` of ``examples`` (at least one), in their original order.

    Examples
    --------
    >>> from evalsuite.example import Example
    >>> rows = [Example(id=str(i), input="x", gold="y", split="train") for i in range(10)]
    >>> kept = subsample(rows, 0.3, 0)
    >>> len(kept), [int(e.id) for e in kept] == sorted(int(e.id) for e in kept)
    (3, True)
    >>> kept == subsample(rows, 0.3, 0)  # the same seed keeps the same rows
    True
    """
    if fraction >= 1.0:
        return list(examples)
    generator = np.random.default_rng(rng)
    n_keep = max(1, round(fraction * len(examples)))
    keep = np.sort(generator.choice(len(examples), size=n_keep, replace=False))
    return [examples[i] for i in keep]


def training_label(example: Example, source: str) -> str:
    """The label a student is trained on: the gold label, or the teacher's.

    Raises
    ------
    DataError
        When the teacher's label is asked for and the example has none.
    """
    if source == "gold":
        return example.gold
    if example.teacher_label is None:
        raise DataError(
            f"{example.split} example {example.id}: no teacher label for --label-source teacher "
            "(the data has no teacher outputs)"
        )
    return example.teacher_label


def data_fingerprint(
    task: Task, data_dir: str | os.PathLike[str] | None, arith: ArithConfig
) -> dict[str, Any]:
    """What identifies the training data: the synthetic task's config, or SHA-256 of the files
    the train and valid splits are read from."""
    if task.synthetic:
        return {"source": "synthetic", "arith": asdict(arith)}
    root = resolve_data_dir(data_dir)
    files: set[Path] = set()
    if root.is_file():
        files.add(root)
    elif (root / task.name).is_dir():
        for split in ("train", "valid"):
            located = dss_files(root, task, split)
            files.update((located.rows, *located.teacher))
    elif any((root / f"{split}.jsonl").is_file() for split in ("train", "valid")):
        files.update(
            root / f"{s}.jsonl" for s in ("train", "valid") if (root / f"{s}.jsonl").is_file()
        )
    else:
        files.update(p for p in root.rglob("*") if p.is_file())
    return {
        "source": str(root),
        "files": {str(path): file_sha256(path) for path in sorted(files)},
    }


def load_training_data(
    task_name: str,
    *,
    data_dir: str | os.PathLike[str] | None,
    arith: ArithConfig,
    train_fraction: float,
    seed: int,
    teacher: bool,
) -> TrainingData:
    """Load train (subsampled with ``seed``) and valid; the test split is never touched.

    Raises
    ------
    UsageError, DataError
        Missing data, or an empty train or valid split (the message names the split).
    """
    task = get_task(task_name)
    train = load_examples(task, "train", data_dir=data_dir, arith=arith, teacher=teacher)
    valid = load_examples(task, "valid", data_dir=data_dir, arith=arith, teacher=teacher)
    for split, examples in (("train", train), ("valid", valid)):
        if not examples:
            raise UsageError(
                f"task {task.name}: the {split} split is empty; training needs train examples "
                "and model selection needs valid examples"
            )
    return TrainingData(
        task=task,
        train=subsample(train, train_fraction, seed),
        valid=valid,
        fingerprint=data_fingerprint(task, data_dir, arith),
    )


def training_data_for(config: TrainConfig, *, teacher: bool) -> TrainingData:
    """:func:`load_training_data` with a run's own task, data, arith set-up, fraction and seed."""
    return load_training_data(
        config.task,
        data_dir=config.data_dir,
        arith=config.arith,
        train_fraction=config.train_fraction,
        seed=config.seed,
        teacher=teacher,
    )
