"""Writing a run directory resumably: the one writer of runs.

A killed writer leaves at most one incomplete last line, which the next writer drops; records
already present are skipped by id; :meth:`RunWriter.finish` rewrites the records in the
examples' order, so the final file equals the one an uninterrupted run writes. The manifest and
metrics are written through a temporary name and a rename, so neither is ever half-written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from evalsuite.errors import UsageError
from evalsuite.io import atomic_write_json, atomic_write_text, output_error, read_json
from evalsuite.runs.layout import MANIFEST, METRICS, RECORDS
from evalsuite.runs.manifest import IDENTITY_KEYS, SCHEMA_VERSION, Manifest
from evalsuite.runs.reader import read_records
from evalsuite.runs.records import Record, as_records

__all__ = ["RunWriter"]


def _line(record: Record) -> str:
    return json.dumps(record.to_json(), ensure_ascii=False, sort_keys=False) + "\n"


class RunWriter:
    """Writes a run directory resumably: append records as produced, then ``finish``.

    Parameters
    ----------
    path : path
        The run directory. A new one is created. An existing one is resumed when its manifest's
        identity (:data:`~evalsuite.runs.manifest.IDENTITY_KEYS`: kind, task, split, model hash,
        decoding, limit, data hash, representations, batch size) matches, and refused otherwise;
        it is never deleted.
    manifest : Manifest or mapping
        What the manifest records (docs/runs.md). ``schema_version``, ``status`` and the
        timestamps are managed here: ``started`` is kept from the run being resumed, else set now.
    """

    def __init__(
        self, path: str | os.PathLike[str], manifest: Manifest | Mapping[str, Any]
    ) -> None:
        from evalsuite.provenance import now_iso

        self.path = Path(path)
        given = (
            manifest
            if isinstance(manifest, Manifest)
            else Manifest.from_json(dict(manifest), "run manifest")
        )
        self.manifest = replace(given, schema_version=SCHEMA_VERSION)
        self.records_path = self.path / RECORDS
        existing: list[Record] = []
        if self.path.exists():
            existing = self._check_resumable()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise output_error(self.path, err) from None
        # Rewrite without a torn tail, so appends start on a fresh line.
        # Each record's line is kept, so finish() rewrites the file without serialising again.
        self._lines: dict[str, str] = {r.id: _line(r) for r in existing}
        if existing or self.records_path.exists():
            atomic_write_text(self.records_path, "".join(self._lines.values()))
        self._done: dict[str, Record] = {r.id: r for r in existing}
        self.manifest = replace(
            self.manifest, started=self.manifest.started or now_iso(), status="partial"
        )
        self._write_manifest()

    def _write_manifest(self) -> None:
        atomic_write_json(self.path / MANIFEST, self.manifest.to_json())

    def _check_resumable(self) -> list[Record]:
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
        old = Manifest.from_json(read_json(manifest_path), str(manifest_path))
        old_identity, new_identity = old.identity(), self.manifest.identity()
        for key in IDENTITY_KEYS:
            if old_identity[key] != new_identity[key]:
                raise UsageError(
                    f"--out {self.path}: existing run differs in '{key}' "
                    f"({old_identity[key]!r} vs {new_identity[key]!r}); resume with the same "
                    "settings or choose another --out"
                )
        if old.started is not None and self.manifest.started is None:
            self.manifest = replace(self.manifest, started=old.started)
        return read_records(self.records_path, drop_torn_tail=True)

    @property
    def done_ids(self) -> set[str]:
        """Ids whose records are already written (skip them when resuming)."""
        return set(self._done)

    def records(self, order: Sequence[str]) -> list[Record]:
        """The records written so far for the ids in ``order`` (ids without one are skipped)."""
        return [self._done[i] for i in order if i in self._done]

    def append(self, records: Iterable[Record | Mapping[str, Any]]) -> None:
        """Append records (one write, then flush and fsync) and remember their ids.

        Records given as JSON mappings are validated first, like records read back.
        """
        batch = [
            r for r in as_records(records, f"{self.records_path} new record")
            if r.id not in self._done
        ]  # fmt: skip
        if not batch:
            return
        lines = [_line(r) for r in batch]
        try:
            with self.records_path.open("a", encoding="utf-8") as handle:
                handle.write("".join(lines))
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as err:
            raise output_error(self.records_path, err) from None
        for record, line in zip(batch, lines, strict=True):
            self._done[record.id] = record
            self._lines[record.id] = line

    def finish(self, order: Sequence[str], metrics: Mapping[str, Any] | None = None) -> None:
        """Rewrite records in ``order`` (the examples' order), write metrics, mark complete.

        Raises
        ------
        UsageError
            If a record for an id in ``order`` is missing.
        """
        from evalsuite.provenance import now_iso

        missing = [i for i in order if i not in self._done]
        if missing:
            raise UsageError(
                f"{self.records_path}: {len(missing)} records missing, e.g. {missing[0]}"
            )
        atomic_write_text(self.records_path, "".join(self._lines[i] for i in order))
        if metrics is not None:
            atomic_write_json(self.path / METRICS, dict(metrics))
        self.manifest = replace(
            self.manifest, status="complete", n_examples=len(order), finished=now_iso()
        )
        self._write_manifest()
