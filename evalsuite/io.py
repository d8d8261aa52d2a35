"""File helpers shared by every reader and writer: atomic whole-file writes, checked text reads.

Whole files (manifests, metrics, reports) are written to a temporary name and renamed, so a
failed or killed command never leaves a half-written file behind. A file that cannot be written
(read-only file system, a path under a regular file) is an :class:`OutputError` naming the path.

Every text a reader hands on is valid UTF-8 without lone surrogates: a file that is not UTF-8, a
directory where a file belongs, or a JSON string holding a lone surrogate escape (``"\\ud800"``,
valid JSON but not encodable text) is a :class:`DataError` naming the file and line, raised before
anything is written.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalsuite.errors import DataError, OutputError

__all__ = [
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_text",
    "decode_utf8",
    "iter_jsonl",
    "output_error",
    "parse_json",
    "read_file_bytes",
    "read_json",
    "read_text",
]

# A JSON escape of a UTF-16 surrogate; only text containing one can decode to a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _default_mode() -> int:
    """The mode an ordinary new file gets (0666 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def output_error(path: str | os.PathLike[str], err: OSError) -> OutputError:
    """The one-line error for an output that cannot be written: the path and the system's reason.

    When the system names another path (a parent directory that is a regular file, say), the
    message names it too, so it points at what actually stands in the way.
    """
    where = os.fspath(path)
    reason = err.strerror or type(err).__name__
    blocker = err.filename if isinstance(err.filename, str) else None
    if blocker and blocker != where:
        reason = f"{reason}: {blocker}"
    return OutputError(f"{where}: cannot write ({reason})")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename.

    The file gets the permissions of an ordinary new file, not mkstemp's private 0600.

    Raises
    ------
    OutputError
        When the directory cannot be made or the file cannot be written; no temporary is left.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise output_error(target, err) from None
    try:
        os.fchmod(fd, _default_mode())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise output_error(target, err) from None
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) atomically; see :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON atomically; see :func:`atomic_write_bytes`."""
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def read_file_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a file, or a DataError naming it: missing, a directory, unreadable."""
    target = Path(path)
    if target.is_dir():
        raise DataError(f"{target}: is a directory, expected a file")
    if not target.is_file():
        raise DataError(f"{target}: file not found")
    try:
        return target.read_bytes()
    except OSError as err:
        raise DataError(f"{target}: cannot read ({err.strerror or type(err).__name__})") from None


def decode_utf8(data: bytes, where: str, *, first_line: int = 1) -> str:
    """``data`` as UTF-8 text, or a DataError naming ``where`` and the line of the first bad byte
    (``first_line``: the line ``data`` starts on)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = first_line + data.count(b"\n", 0, err.start)
        raise DataError(
            f"{where} line {line}: not UTF-8 text (byte 0x{data[err.start]:02x}); "
            "save the file as UTF-8"
        ) from None


def read_text(path: str | os.PathLike[str]) -> str:
    """A whole UTF-8 text file, or a DataError naming it: missing, a directory, unreadable,
    not UTF-8 (with the line of the first bad byte)."""
    target = Path(path)
    return decode_utf8(read_file_bytes(target), str(target))


def check_text(value: Any, where: str) -> None:
    """Raise DataError naming ``where`` when a string in ``value`` (nested lists and dicts
    included) holds a lone UTF-16 surrogate, which no UTF-8 writer or terminal can encode."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= char <= "\udfff" for char in item):
                raise DataError(
                    f"{where}: text holds a lone surrogate escape (\\ud800-\\udfff), "
                    "which is not a character"
                )
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def parse_json(text: str, where: str) -> Any:
    """``json.loads`` with the error naming ``where``, and lone surrogates refused.

    ``where`` is "FILE" or "FILE line N"; a multi-line document's error adds the line.
    """
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as err:
        line = f" line {err.lineno}" if "\n" in text.rstrip("\n") else ""
        raise DataError(f"{where}{line}: invalid JSON ({err.msg})") from None
    except RecursionError:
        raise DataError(f"{where}: JSON nested too deeply") from None
    if _SURROGATE_ESCAPE.search(text):
        check_text(obj, where)
    return obj


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a whole JSON file, raising :class:`DataError` that names the file on any problem."""
    target = Path(path)
    return parse_json(read_text(target), str(target))


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line of a JSON-lines file.

    Raises
    ------
    DataError
        Naming the file and line when a line is not UTF-8, not valid JSON, holds a lone
        surrogate, or is not a JSON object; naming the file when it is missing or a directory.
    """
    target = Path(path)
    data = read_file_bytes(target)
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        where = f"{target} line {lineno}"
        line = decode_utf8(raw, str(target), first_line=lineno)
        if not line.strip():
            continue
        obj = parse_json(line, where)
        if not isinstance(obj, dict):
            raise DataError(f"{where}: expected a JSON object")
        yield lineno, obj
