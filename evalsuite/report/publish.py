"""Writing a report directory: built under a temporary name beside ``out``, renamed into place,
so a failed report leaves nothing behind and an existing one is replaced only when asked."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalsuite.errors import UsageError
from evalsuite.provenance import file_sha256
from evalsuite.report.coverage import Coverage
from evalsuite.report.runs import ReportRun
from evalsuite.report.staging import make_staging_dir
from evalsuite.runs import MANIFEST, RECORDS, REPRESENTATIONS

__all__ = ["REPORT_JSON", "check_out", "publish_directory", "run_facts"]

REPORT_JSON = "report.json"


def run_facts(r: ReportRun, coverage: Coverage | None = None) -> dict[str, Any]:
    """What the runs list shows: identity, size (and, given its ``coverage``, whether it is a
    partial run), status, model, and the files' hashes."""
    manifest = r.run.manifest
    return {
        "name": r.name,
        "path": str(r.run.path),
        "label": r.label,
        "method": r.method,
        "task": r.task,
        "split": r.split,
        "seed": r.seed,
        "decoding_seed": manifest.seed,
        "method_from": r.method_from,
        "kind": manifest.kind,
        "status": manifest.status,
        "n": len(r.run.records),
        "coverage": None if coverage is None else coverage.as_dict(),
        "model": manifest.model.location if manifest.model is not None else None,
        "model_hash": manifest.model_hash,
        "git_revision": (manifest.git or {}).get("revision"),
        "finished": manifest.finished,
        "manifest_sha256": file_sha256(r.run.path / MANIFEST),
        "records_sha256": file_sha256(r.run.path / RECORDS),
        "has_representations": (r.run.path / REPRESENTATIONS).is_file(),
    }


def check_out(out: Path, *, overwrite: bool) -> None:
    """Refuse an ``out`` that exists, unless it is empty or (with ``overwrite``) a report.

    A directory without report.json is never replaced, so ``--overwrite`` cannot delete
    something that is not a report.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    if not any(out.iterdir()):
        return
    if not overwrite:
        raise UsageError(f"--out {out}: already exists; pass --overwrite to replace it")
    if not (out / REPORT_JSON).is_file():
        raise UsageError(
            f"--out {out}: exists and is not a report (no {REPORT_JSON}); --overwrite replaces "
            "only a report, so choose another --out"
        )


def _rename_into_place(staging: Path, out: Path, *, overwrite: bool) -> None:
    """Rename the finished ``staging`` directory to ``out``, moving an old report aside first."""
    check_out(out, overwrite=overwrite)  # again: something may have appeared meanwhile
    if not out.exists():
        os.replace(staging, out)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.replace(out, aside / out.name)
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(aside / out.name, out)
        raise
    shutil.rmtree(aside)


def publish_directory(out: Path, write: Callable[[Path], None], *, overwrite: bool) -> None:
    """Call ``write(staging)`` on a fresh directory beside ``out``, then rename it to ``out``.

    On any failure the staging directory is removed and ``out`` is left as it was; one left by
    a build that was killed is removed by the next (:mod:`evalsuite.report.staging`).
    """
    staging = make_staging_dir(out)
    try:
        write(staging)
        _rename_into_place(staging, out, overwrite=overwrite)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
