"""Where a run's examples came from, and the manifest that records it (docs/runs.md).

``data_hash`` digests the examples themselves (ids, inputs, gold, teacher outputs), so a run is
resumed only on the same examples whatever file layout they came from; the data files' own
SHA-256 are recorded beside it for provenance.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from evalsuite.data import ArithConfig, resolve_data_dir
from evalsuite.data.dss import dss_files
from evalsuite.errors import DataError, UsageError
from evalsuite.example import Example
from evalsuite.provenance import file_sha256, provenance
from evalsuite.runs.manifest import Manifest
from evalsuite.tasks import Task

__all__ = [
    "arith_config",
    "data_block",
    "data_files",
    "examples_hash",
    "run_manifest",
    "training_seed",
]


def arith_config(train_manifest: dict[str, Any], where: str) -> ArithConfig | None:
    """The synthetic task's configuration a checkpoint was trained on (its manifest's
    ``data.arith`` block), so that scoring reads the test split of the same generated data.

    Raises
    ------
    DataError
        When the block is present but not a valid ArithConfig.
    """
    block = train_manifest.get("data")
    config = block.get("arith") if isinstance(block, dict) else None
    if config is None:
        return None
    if not isinstance(config, dict):
        raise DataError(f"{where}: field 'data.arith' must be an object, got {config!r}")
    try:
        return ArithConfig(**config)
    except TypeError as err:
        raise DataError(f"{where}: field 'data.arith' is malformed ({err})") from None
    except UsageError as err:
        raise DataError(f"{where}: field 'data.arith': {err}") from None


def training_seed(train_manifest: dict[str, Any], where: str) -> int | None:
    """The seed a checkpoint was trained with (its manifest's ``seed``), or None if unrecorded.

    Raises
    ------
    DataError
        When ``seed`` is present but not a non-negative integer.

    Examples
    --------
    >>> training_seed({"seed": 3}, "m"), training_seed({}, "m")
    (3, None)
    """
    seed = train_manifest.get("seed")
    if seed is None:
        return None
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise DataError(f"{where}: field 'seed' must be a non-negative integer, got {seed!r}")
    return seed


def data_files(task: Task, split: str, data_dir: str | os.PathLike[str] | None) -> list[Path]:
    """The files ``load_examples`` reads for ``task``/``split`` (none for a synthetic task)."""
    if task.synthetic:
        return []
    root = resolve_data_dir(data_dir)
    if root.is_file():
        return [root]
    if (root / task.name).is_dir():
        found = dss_files(root, task, split)
        return [found.rows, *found.teacher]
    if (root / f"{split}.jsonl").is_file():
        return [root / f"{split}.jsonl"]
    return sorted(p for p in root.rglob("*") if p.is_file())


def examples_hash(examples: Sequence[Example]) -> str:
    """SHA-256 of what scoring reads from each example, in order."""
    digest = hashlib.sha256()
    for e in examples:
        fields = [e.id, e.input, e.gold, e.teacher_rationale, e.teacher_label, e.choices]
        digest.update(json.dumps(fields, ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()


def data_block(
    task: Task,
    split: str,
    data_dir: str | os.PathLike[str] | None,
    examples: Sequence[Example],
    *,
    arith: ArithConfig | None = None,
) -> dict[str, Any]:
    """The manifest's ``data`` block: where the examples came from and their hashes.

    ``arith`` is the synthetic task's configuration (default: ``ArithConfig()``).
    """
    files = data_files(task, split, data_dir)
    block: dict[str, Any] = {
        "dir": str(resolve_data_dir(data_dir).resolve()) if not task.synthetic else None,
        "files": {str(path): file_sha256(path) for path in files},
        "examples_sha256": examples_hash(examples),
    }
    if task.synthetic:
        block["generator"] = {"arith": asdict(arith or ArithConfig())}
    return block


def run_manifest(
    *,
    kind: str,
    task: Task,
    split: str,
    out: Path,
    examples: Sequence[Example],
    data: dict[str, Any],
    model: dict[str, Any],
    model_hash: str | None,
    limit: int | None = None,
    **settings: Any,
) -> Manifest:
    """A run manifest (docs/runs.md): identity keys, data and model blocks, settings, provenance.

    ``schema_version``, ``status``, ``started`` and ``finished`` are managed by
    :class:`~evalsuite.runs.writer.RunWriter`.
    """
    doc = {
        "name": out.name,
        "kind": kind,
        "task": task.name,
        "split": split,
        "limit": limit,
        "n_examples": len(examples),
        "model": model,
        "model_hash": model_hash,
        "data": data,
        "data_hash": data["examples_sha256"],
        **settings,
        **provenance(),
    }
    return Manifest.from_json(doc, "run manifest")
