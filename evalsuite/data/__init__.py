"""Loaders: the DSS release layout, JSONL and local Hugging Face datasets, and the synthetic task.

``load_examples`` is the one entry point; it picks the source from what the data path holds.
"""

from __future__ import annotations

import os
from pathlib import Path

from evalsuite.data.arith import ArithConfig, arith_split, generate_arith
from evalsuite.data.dss import SPLITS, load_dss_split
from evalsuite.data.records import load_hf_split, load_jsonl_split
from evalsuite.errors import DataError, UsageError
from evalsuite.example import Example
from evalsuite.tasks import Task, get_task

__all__ = [
    "DATA_ENV",
    "SPLITS",
    "ArithConfig",
    "Example",
    "generate_arith",
    "load_examples",
    "resolve_data_dir",
]

DATA_ENV = "EVALSUITE_DATA"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None) -> Path:
    """``--data-dir`` if given, else ``$EVALSUITE_DATA``; a UsageError if neither is set."""
    chosen = data_dir if data_dir is not None else os.environ.get(DATA_ENV)
    if not chosen:
        raise UsageError(f"no data directory: pass --data-dir or set {DATA_ENV}")
    path = Path(chosen)
    if not path.exists():
        raise DataError(f"data directory {path} does not exist")
    return path


def load_examples(
    task: str | Task,
    split: str = "test",
    *,
    data_dir: str | os.PathLike[str] | None = None,
    arith: ArithConfig | None = None,
    teacher: bool = True,
) -> list[Example]:
    """Load one split of a task from wherever its data lives.

    Parameters
    ----------
    task : str or Task
        A registered task name or Task.
    split : {"train", "valid", "test"}
    data_dir : path, optional
        For release tasks: the DSS release root, a JSONL file, a directory with
        ``<split>.jsonl``, or a ``save_to_disk`` dataset. Defaults to ``$EVALSUITE_DATA``.
        Synthetic tasks ignore it.
    arith : ArithConfig, optional
        Configuration of the synthetic task (default sizes and seed 0).
    teacher : bool
        Require the release's teacher outputs (DSS layout only).

    Raises
    ------
    UsageError, DataError
        Unknown task or split, missing or malformed data; the message names the file and line.
    """
    resolved = get_task(task) if isinstance(task, str) else task
    if split not in SPLITS:
        raise UsageError(f"unknown split '{split}'; choose from {', '.join(SPLITS)}")
    if resolved.synthetic:
        return arith_split(arith, split)
    root = resolve_data_dir(data_dir)
    if root.is_file():
        return load_jsonl_split(root, resolved, split)
    if (root / resolved.name).is_dir():
        return load_dss_split(root, resolved, split, teacher=teacher)
    if (root / f"{split}.jsonl").is_file():
        return load_jsonl_split(root / f"{split}.jsonl", resolved, split)
    if (root / "dataset_dict.json").is_file() or (root / "dataset_info.json").is_file():
        return load_hf_split(root, resolved, split)
    raise DataError(
        f"{root}: holds neither {resolved.name}/ (DSS release layout), {split}.jsonl, "
        "nor a saved Hugging Face dataset"
    )
