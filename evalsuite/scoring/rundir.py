"""The run directory (DESIGN.md): writing it resumably, and reading it back with validation.

```
runs/<name>/manifest.json          how the run was made; status "partial" until finished
runs/<name>/records.jsonl          one record per example, appended and flushed as produced
runs/<name>/representations.npz    optional: ids, label_repr, rationale_repr, ...
runs/<name>/metrics.json           written when the run completes
```

A killed writer leaves at most one incomplete last line, which the next writer drops; records
already present are skipped by id; ``finish`` rewrites the records in the examples' order, so the
final file equals the one an uninterrupted run writes.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalsuite.errors import DataError, UsageError
from evalsuite.io import atomic_write_json, atomic_write_text, read_json

__all__ = [
    "MANIFEST",
    "METRICS",
    "RECORDS",
    "REPRESENTATIONS",
    "Run",
    "RunWriter",
    "read_run",
    "validate_record",
]

MANIFEST = "manifest.json"
RECORDS = "records.jsonl"
REPRESENTATIONS = "representations.npz"
METRICS = "metrics.json"

# Manifest keys that must agree for a re-run to resume an existing run directory.
IDENTITY_KEYS = (
    "kind",
    "task",
    "split",
    "model_hash",
    "decoding",
    "limit",
    "data_hash",
    "representations",
)


def _is_probability(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0.0 <= value <= 1.0
    )


def validate_record(record: Mapping[str, Any], where: str) -> None:
    """Check the fields readers rely on; raise DataError naming ``where`` (file and line).

    Required: ``id`` (string), ``gold``, ``correct`` (bool). Optional but typed when present:
    ``confidence`` (number in [0, 1] or null), ``label_probs`` (mapping of label to probability),
    ``answer``/``rationale``/``prediction`` (string or null), ``consistent`` (bool or null).
    """
    for name in ("id", "gold", "correct"):
        if name not in record:
            raise DataError(f"{where}: missing field '{name}'")
    if not isinstance(record["id"], str) or not record["id"]:
        raise DataError(f"{where}: field 'id' must be a non-empty string, got {record['id']!r}")
    if not isinstance(record["correct"], bool):
        raise DataError(
            f"{where}: field 'correct' must be true or false, got {record['correct']!r}"
        )
    confidence = record.get("confidence")
    if confidence is not None and not _is_probability(confidence):
        raise DataError(
            f"{where}: field 'confidence' must be a number in [0, 1], got {confidence!r}"
        )
    probs = record.get("label_probs")
    if probs is not None and (
        not isinstance(probs, dict) or not all(_is_probability(p) for p in probs.values())
    ):
        raise DataError(f"{where}: field 'label_probs' must map labels to numbers in [0, 1]")
    for name in ("answer", "rationale", "prediction", "rationale_answer"):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise DataError(f"{where}: field '{name}' must be a string or null, got {value!r}")
    consistent = record.get("consistent")
    if consistent is not None and not isinstance(consistent, bool):
        raise DataError(f"{where}: field 'consistent' must be true, false or null")


def _read_records(path: Path, *, drop_torn_tail: bool) -> list[dict[str, Any]]:
    """Parse records.jsonl. A torn last line (a killed writer) is dropped when allowed."""
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    records: list[dict[str, Any]] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            is_tail = all(not rest.strip() for rest in lines[lineno:])
            if drop_torn_tail and is_tail:
                break
            raise DataError(f"{path} line {lineno}: invalid JSON ({err.msg})") from None
        if not isinstance(record, dict):
            raise DataError(f"{path} line {lineno}: expected a JSON object")
        validate_record(record, f"{path} line {lineno}")
        records.append(record)
    return records


@dataclass
class Run:
    """A run read back from disk: its manifest, its records, and where it lives."""

    path: Path
    manifest: dict[str, Any]
    records: list[dict[str, Any]]
    metrics: dict[str, Any] | None = None
    _representations: Any = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The manifest's name, else the directory name."""
        return str(self.manifest.get("name") or self.path.name)

    @property
    def complete(self) -> bool:
        """Whether the writer finished (status "complete")."""
        return self.manifest.get("status") == "complete"

    def representations(self) -> dict[str, Any] | None:
        """The arrays of representations.npz (loaded on first use), or None if absent."""
        if self._representations is None:
            path = self.path / REPRESENTATIONS
            if not path.is_file():
                return None
            import numpy as np

            try:
                with np.load(path, allow_pickle=False) as data:
                    self._representations = {key: data[key] for key in data.files}
            except (OSError, ValueError) as err:
                raise DataError(f"{path}: unreadable ({err})") from None
        return dict(self._representations)


def read_run(path: str | os.PathLike[str]) -> Run:
    """Read and validate a run directory.

    Raises
    ------
    DataError
        When the directory, manifest or records are missing or malformed, naming file and line.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"run directory {root} does not exist")
    manifest = read_json(root / MANIFEST)
    if not isinstance(manifest, dict):
        raise DataError(f"{root / MANIFEST}: expected a JSON object")
    if not (root / RECORDS).is_file():
        raise DataError(f"{root / RECORDS}: file not found")
    records = _read_records(root / RECORDS, drop_torn_tail=False)
    seen: set[str] = set()
    for lineno, record in enumerate(records, start=1):
        if record["id"] in seen:
            raise DataError(f"{root / RECORDS}: id '{record['id']}' occurs twice (record {lineno})")
        seen.add(record["id"])
    metrics = read_json(root / METRICS) if (root / METRICS).is_file() else None
    return Run(path=root, manifest=manifest, records=records, metrics=metrics)


class RunWriter:
    """Writes a run directory resumably: append records as produced, then ``finish``.

    Parameters
    ----------
    path : path
        The run directory. A new one is created. An existing one is resumed when its manifest's
        identity (``IDENTITY_KEYS``: kind, task, split, model hash, decoding, limit, data hash,
        representations) matches, and refused otherwise; it is never deleted.
    manifest : mapping
        What the manifest records (see DESIGN.md); ``status`` and timestamps are managed here:
        ``started`` is kept from the run being resumed, else set now.
    """

    def __init__(self, path: str | os.PathLike[str], manifest: Mapping[str, Any]) -> None:
        self.path = Path(path)
        self.manifest: dict[str, Any] = dict(manifest)
        self.records_path = self.path / RECORDS
        existing: list[dict[str, Any]] = []
        if self.path.exists():
            existing = self._check_resumable()
        self.path.mkdir(parents=True, exist_ok=True)
        # Rewrite without a torn tail, so appends start on a fresh line.
        if existing or self.records_path.exists():
            atomic_write_text(self.records_path, "".join(_line(r) for r in existing))
        self._done: dict[str, dict[str, Any]] = {r["id"]: r for r in existing}
        from evalsuite.provenance import now_iso

        self.manifest.setdefault("started", now_iso())
        self.manifest["status"] = "partial"
        atomic_write_json(self.path / MANIFEST, self.manifest)

    def _check_resumable(self) -> list[dict[str, Any]]:
        if not self.path.is_dir():
            raise UsageError(f"--out {self.path}: exists and is not a directory")
        manifest_path = self.path / MANIFEST
        if not manifest_path.is_file():
            if any(self.path.iterdir()):
                raise UsageError(
                    f"--out {self.path}: directory exists and is not a run (no {MANIFEST}); "
                    "choose another --out"
                )
            return []
        old = read_json(manifest_path)
        for key in IDENTITY_KEYS:
            if old.get(key) != self.manifest.get(key):
                raise UsageError(
                    f"--out {self.path}: existing run differs in '{key}' "
                    f"({old.get(key)!r} vs {self.manifest.get(key)!r}); choose another --out"
                )
        if "started" in old:
            self.manifest.setdefault("started", old["started"])
        return _read_records(self.records_path, drop_torn_tail=True)

    @property
    def done_ids(self) -> set[str]:
        """Ids whose records are already written (skip them when resuming)."""
        return set(self._done)

    def records(self, order: Sequence[str]) -> list[dict[str, Any]]:
        """The records written so far for the ids in ``order`` (ids without one are skipped)."""
        return [self._done[i] for i in order if i in self._done]

    def append(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Append records (one write, then flush and fsync) and remember their ids."""
        batch = [dict(r) for r in records if r["id"] not in self._done]
        if not batch:
            return
        with self.records_path.open("a", encoding="utf-8") as handle:
            handle.write("".join(_line(r) for r in batch))
            handle.flush()
            os.fsync(handle.fileno())
        for record in batch:
            self._done[record["id"]] = record

    def finish(self, order: Sequence[str], metrics: Mapping[str, Any] | None = None) -> None:
        """Rewrite records in ``order`` (the examples' order), write metrics, mark complete.

        Raises
        ------
        UsageError
            If a record for an id in ``order`` is missing.
        """
        missing = [i for i in order if i not in self._done]
        if missing:
            raise UsageError(
                f"{self.records_path}: {len(missing)} records missing, e.g. {missing[0]}"
            )
        atomic_write_text(self.records_path, "".join(_line(self._done[i]) for i in order))
        if metrics is not None:
            atomic_write_json(self.path / METRICS, dict(metrics))
        self.manifest["status"] = "complete"
        self.manifest["n_examples"] = len(order)
        from evalsuite.provenance import now_iso

        self.manifest["finished"] = now_iso()
        atomic_write_json(self.path / MANIFEST, self.manifest)


def _line(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"
