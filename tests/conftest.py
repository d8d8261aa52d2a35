"""Shared fixtures: where the DSS release is, and running the CLI in-process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from evalsuite.cli import main

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DSS = REPO.parent / "shared" / "data" / "dss"


def dss_root_or_none() -> Path | None:
    """``$EVALSUITE_DATA``, else ``../shared/data/dss``; None when neither exists."""
    env = os.environ.get("EVALSUITE_DATA")
    for candidate in (Path(env) if env else None, DEFAULT_DSS):
        if candidate is not None and candidate.is_dir():
            return candidate
    return None


def pytest_report_header() -> str:
    """Which float kernels torch runs: tests marked ``kernels`` can differ between them."""
    import torch

    running = torch.backends.cpu.get_cpu_capability()
    asked = os.environ.get("ATEN_CPU_CAPABILITY", "unset")
    return f"torch CPU capability: {running} (ATEN_CPU_CAPABILITY={asked})"


@pytest.fixture(scope="session")
def dss_root() -> Path:
    """The DSS release root; tests that need it skip with a visible reason when it is absent."""
    root = dss_root_or_none()
    if root is None:
        pytest.skip("DSS release not found: set EVALSUITE_DATA or provide ../shared/data/dss")
    return root


@dataclass
class CliResult:
    """Exit status and captured streams of one in-process CLI call."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run ``evalsuite ARGS...`` in-process: ``cli("data", "--task", "arith")``."""

    def run(*args: str | os.PathLike[str]) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code=code, out=captured.out, err=captured.err)

    return run
