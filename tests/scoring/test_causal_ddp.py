"""Data parallel scoring of a causal student: two torchrun processes write the run one process
writes (the T5 counterpart is ``test_two_torchrun_processes_equal_one`` in test_scorer.py).

A causal student's batches are left-padded and sharded over ranks by the batch plan; this pins
that sharding, gathering and left padding together lose or reorder nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evalsuite.cli import main
from evalsuite.runs import read_run
from tests.scoring.conftest import one_thread
from tests.scoring.test_scorer import ENV, _same_run
from tests.trainers.conftest import TINY

TORCHRUN = Path(sys.executable).parent / "torchrun"
ARITH = "n_train=16,n_valid=4,n_test=10,max_operations=1"
SCORE = ("--limit", "10", "--batch-size", "2", "--max-new-tokens", "8", "--device", "cpu",
         "--quiet")  # fmt: skip


@pytest.fixture(scope="module")
def causal_checkpoint(tmp_path_factory) -> Path:
    """A tiny-llama dss student after 2 steps (what it emits does not matter: runs are
    compared with each other)."""
    out = tmp_path_factory.mktemp("causal") / "ckpt"
    with one_thread():
        assert main(["train", "dss", "--task", "arith", "--model", "tiny-llama", "--tiny", TINY,
                     "--arith", ARITH, "--batch-size", "4", "--max-steps", "2",
                     "--eval-every", "2", "--out", str(out)]) == 0  # fmt: skip
    return out


@pytest.mark.timeout(300)
@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun not installed beside python")
def test_two_torchrun_processes_score_a_causal_student_as_one(causal_checkpoint, tmp_path):
    one = tmp_path / "one"
    with one_thread():
        assert main(["score", str(causal_checkpoint), "--out", str(one), *SCORE]) == 0
    two = tmp_path / "two"
    args = [str(TORCHRUN), "--standalone", "--nproc_per_node", "2", "-m", "evalsuite", "score",
            str(causal_checkpoint), "--out", str(two), *SCORE]  # fmt: skip
    done = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("10 examples") == 1  # only rank 0 reports
    manifest = read_run(two).manifest
    assert manifest.world_size == 2 and manifest.status == "complete"
    assert manifest.model is not None and manifest.model.architecture == "causal"
    _same_run(two, one)
