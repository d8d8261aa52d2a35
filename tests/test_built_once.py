"""tests/built_once.py: a session fixture's build runs once per test run across xdist workers,
and a build a dead worker left half done is redone."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.built_once import DONE, built_once


@pytest.fixture
def name(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh name; its shared directory sits outside this worker's temporary directory (in
    a run without xdist, outside the run's), so it is removed after the test."""
    name = f"probe-{uuid.uuid4().hex}"
    yield name
    shared = tmp_path_factory.getbasetemp().parent / f"shared-{name}"
    shutil.rmtree(shared, ignore_errors=True)
    shared.with_name(shared.name + ".lock").unlink(missing_ok=True)


def _counting_build(calls: list[Path]):
    def build(root: Path) -> dict[str, Path]:
        calls.append(root)
        (root / "a").write_text("built")
        return {"a": root / "a"}

    return build


def test_a_second_worker_reads_what_the_first_built(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    calls: list[Path] = []
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    first = built_once(tmp_path_factory, name, _counting_build(calls))
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    second = built_once(tmp_path_factory, name, _counting_build(calls))
    assert len(calls) == 1 and first == second
    assert first["a"].read_text() == "built"
    assert first["a"].parent.parent == tmp_path_factory.getbasetemp().parent


def test_a_half_done_build_is_redone(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    left = tmp_path_factory.getbasetemp().parent / f"shared-{name}"
    left.mkdir()
    (left / "a").write_text("half")  # no DONE file: the builder died
    calls: list[Path] = []
    paths = built_once(tmp_path_factory, name, _counting_build(calls))
    assert len(calls) == 1 and paths["a"].read_text() == "built" and (left / DONE).is_file()


def test_without_xdist_each_session_builds_its_own(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    calls: list[Path] = []
    paths = built_once(tmp_path_factory, "solo", _counting_build(calls))
    assert len(calls) == 1 and paths["a"].parent == calls[0]
    assert calls[0].parent == tmp_path_factory.getbasetemp()
