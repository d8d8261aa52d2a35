"""Fixture runs shared by the explorer's tests (see fixture_runs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.fixture_runs import write_fixture_runs


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the five fixture runs (alpha, beta, empty, failed, paths)."""
    return write_fixture_runs(tmp_path_factory.mktemp("runs"))
