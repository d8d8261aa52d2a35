"""Reading a run directory back, with validation that names the file, line and field.

This is the one reader of runs: scoring's resume, metrics, comparisons, reports and the
explorer all go through :func:`read_run` (or :func:`read_records` for the records alone).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalsuite.errors import DataError
from evalsuite.io import decode_utf8, parse_json, read_file_bytes, read_json
from evalsuite.runs.layout import MANIFEST, METRICS, RECORDS, REPRESENTATIONS
from evalsuite.runs.manifest import Manifest
from evalsuite.runs.records import Record
from evalsuite.runs.representations import Representations, read_representations

__all__ = ["Run", "read_manifest", "read_records", "read_run"]


def read_records(path: Path, *, drop_torn_tail: bool = False) -> list[Record]:
    """Parse and validate records.jsonl (empty when the file is absent).

    A torn last line (a killed writer) is dropped when ``drop_torn_tail``; otherwise it is an
    error like any other invalid line.

    Raises
    ------
    DataError
        "FILE line N: ..." for invalid JSON, text that is not UTF-8, a lone surrogate escape,
        or a bad field.
    """
    if not path.is_file():
        return []
    lines = read_file_bytes(path).split(b"\n")
    records: list[Record] = []
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{path} line {lineno}"
        try:
            obj = parse_json(decode_utf8(raw, str(path), first_line=lineno), where)
        except DataError:
            # A killed writer can cut a line anywhere, even inside a UTF-8 character.
            if drop_torn_tail and all(not rest.strip() for rest in lines[lineno:]):
                break
            raise
        records.append(Record.from_json(obj, where))
    return records


def read_manifest(path: Path) -> Manifest:
    """Read and validate manifest.json.

    Raises
    ------
    DataError
        When it is missing, not a JSON object, or a field has the wrong type (naming it).
    """
    return Manifest.from_json(read_json(path), str(path))


@dataclass(frozen=True)
class Run:
    """A run read back from disk: its manifest, its records, and where it lives."""

    path: Path
    """The run directory."""
    manifest: Manifest
    """manifest.json."""
    records: list[Record]
    """records.jsonl, in file order (the examples' order once complete)."""
    metrics: dict[str, Any] | None = None
    """metrics.json as written, or None when absent."""
    _representations: list[Representations] = field(default_factory=list, repr=False)

    @property
    def name(self) -> str:
        """The manifest's name, else the directory name."""
        return self.manifest.name or self.path.name

    @property
    def complete(self) -> bool:
        """Whether the writer finished (status "complete")."""
        return self.manifest.complete

    def representations(self) -> Representations | None:
        """representations.npz, checked against the records (loaded on first use), or None.

        Raises
        ------
        DataError
            When the file is unreadable or its ids disagree with the records (see
            :func:`evalsuite.runs.representations.read_representations`).
        """
        if not self._representations:
            path = self.path / REPRESENTATIONS
            if not path.is_file():
                return None
            self._representations.append(read_representations(path, [r.id for r in self.records]))
        return self._representations[0]


def read_run(path: str | os.PathLike[str]) -> Run:
    """Read and validate a run directory (schema 1 or 2).

    Raises
    ------
    DataError
        When the directory, manifest or records are missing or malformed, naming file and line.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"run directory {root} does not exist")
    manifest = read_manifest(root / MANIFEST)
    if not (root / RECORDS).is_file():
        raise DataError(f"{root / RECORDS}: file not found")
    records = read_records(root / RECORDS)
    seen: set[str] = set()
    for lineno, record in enumerate(records, start=1):
        if record.id in seen:
            raise DataError(f"{root / RECORDS}: id '{record.id}' occurs twice (record {lineno})")
        seen.add(record.id)
    metrics = read_json(root / METRICS) if (root / METRICS).is_file() else None
    return Run(path=root, manifest=manifest, records=records, metrics=metrics)
