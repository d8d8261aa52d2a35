"""File helpers shared by every writer: atomic whole-file writes and line-numbered JSONL reading.

Whole files (manifests, metrics, reports) are written to a temporary name and renamed, so a
failed or killed command never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalsuite.errors import DataError

__all__ = [
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "iter_jsonl",
    "read_json",
]


def _default_mode() -> int:
    """The mode an ordinary new file gets (0666 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename.

    The file gets the permissions of an ordinary new file, not mkstemp's private 0600.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, _default_mode())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) atomically; see :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON atomically; see :func:`atomic_write_bytes`."""
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a whole JSON file, raising :class:`DataError` that names the file on any problem."""
    target = Path(path)
    if not target.is_file():
        raise DataError(f"{target}: file not found")
    try:
        return json.loads(target.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"{target}: line {err.lineno}: invalid JSON ({err.msg})") from None
    except UnicodeDecodeError:
        raise DataError(f"{target}: not UTF-8 text") from None


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line of a JSON-lines file.

    Raises
    ------
    DataError
        Naming the file and line when a line is not valid JSON or not a JSON object.
    """
    target = Path(path)
    if not target.is_file():
        raise DataError(f"{target}: file not found")
    with target.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{target} line {lineno}: invalid JSON ({err.msg})") from None
            if not isinstance(obj, dict):
                raise DataError(f"{target} line {lineno}: expected a JSON object")
            yield lineno, obj
