"""Fixtures of the probe command's tests: checkpoints of every output format, from a student
trained for two steps (no test asserts on what it emits: the fakes in tests/probes/fakes.py
fix behaviour; these check the command, the run directory and the decoding itself)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scoring.conftest import one_thread
from tests.scoring.test_socratic import socratic_checkpoint  # noqa: F401 (decomposer, solver)
from tests.scoring.tiny_checkpoint import PROMPTS, make_checkpoint, train_tiny_student


@pytest.fixture(autouse=True)
def _probes_on_one_thread() -> Iterator[None]:
    with one_thread():
        yield


@pytest.fixture(scope="session")
def probe_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``single``, ``mixed`` (joint), ``dss`` (separate) and ``standard`` (none)."""
    root = tmp_path_factory.mktemp("probe-ckpt")
    with one_thread():
        weights = train_tiny_student(root, steps=2)
    return {name: make_checkpoint(weights, root / name, p) for name, p in PROMPTS.items()}
