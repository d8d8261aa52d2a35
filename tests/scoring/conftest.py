"""Fixtures of the scoring tests: tiny trained checkpoints (one training, several prompt formats).

Scoring runs on one thread here: thread count changes the last bits of CPU matmuls, and the
resume and data-parallel tests compare runs byte for byte with subprocesses that run on one
thread (torchrun's default). It is also faster on the shared two-core machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

from tests.built_once import built_once
from tests.scoring.tiny_checkpoint import make_checkpoints, write_nli_jsonl


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread inside the block, restoring the caller's setting after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _scoring_on_one_thread() -> Iterator[None]:
    with one_thread():
        yield


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Checkpoints ``dss`` (multitask), ``single``, ``standard`` (label only) and ``mixed``;
    trained once per test run, shared by the xdist workers (tests copy before changing one)."""

    def build(root: Path) -> dict[str, Path]:
        with one_thread():
            return make_checkpoints(root)

    return built_once(tmp_path_factory, "ckpt", build)


@pytest.fixture(scope="session")
def nli_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-row e-SNLI-format JSONL file (a closed label set without the DSS release)."""
    return write_nli_jsonl(tmp_path_factory.mktemp("nli") / "test.jsonl", 12, seed=5)
