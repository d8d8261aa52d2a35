"""Atomic writes leave nothing half-written; JSONL reading names the line of a problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalsuite.errors import DataError
from evalsuite.io import atomic_write_json, atomic_write_text, iter_jsonl, read_json


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    atomic_write_json(target, {"a": 1})
    atomic_write_json(target, {"b": 2})
    assert read_json(target) == {"b": 2}
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    atomic_write_text(target, "old")
    with pytest.raises(TypeError):
        atomic_write_json(target, {"not serialisable": object()})
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_iter_jsonl_skips_blank_lines_and_names_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n[1]\n')
    with pytest.raises(DataError, match=r"r\.jsonl line 4: expected a JSON object"):
        list(iter_jsonl(path))
    path.write_text('{"a": 1}\n\n{"a": 2}\n')
    assert list(iter_jsonl(path)) == [(1, {"a": 1}), (3, {"a": 2})]
    with pytest.raises(DataError, match="file not found"):
        list(iter_jsonl(tmp_path / "missing.jsonl"))


def test_read_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{\n  "a": 1,\n  oops\n}')
    with pytest.raises(DataError, match=r"m\.json line 3: invalid JSON"):
        read_json(path)


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    # Regression: mkstemp's 0600 made reports and runs unreadable to the rest of a group.
    import os

    umask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "r.txt", "x")
    finally:
        os.umask(umask)
    assert (tmp_path / "r.txt").stat().st_mode & 0o777 == 0o644
