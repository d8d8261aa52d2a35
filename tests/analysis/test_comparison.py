"""compare_runs: runs read from disk, grouped, and refused when they cannot be paired."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.analysis.comparison import compare_runs
from evalsuite.errors import DataError
from tests.metrics.runs import record, write_run


def test_runs_of_different_tasks_are_not_compared(tmp_path: Path) -> None:
    # Regression: ids and golds of a SVAMP and an arith run can match by chance; compare paired
    # them and exited 0.
    records = [record(i, gold="2") for i in range(10)]
    svamp = write_run(tmp_path / "svamp", records, task="svamp")
    arith = write_run(tmp_path / "arith", records, task="arith")
    options = {"test": "mcnemar", "intersect": False, "seed": 0, "n_resamples": 100}
    with pytest.raises(DataError, match=r"is task 'arith' but run .*svamp is task 'svamp'"):
        compare_runs([str(svamp), str(arith)], [], **options)
    same = write_run(tmp_path / "again", records, task="svamp")
    result = compare_runs([str(svamp), str(same)], [], **options)
    assert result["n"] == 10 and json.dumps(result)


def test_cli_refuses_runs_of_different_tasks_in_one_line(cli, tmp_path: Path) -> None:
    records = [record(i) for i in range(5)]
    result = cli(
        "compare",
        write_run(tmp_path / "a", records, task="svamp"),
        write_run(tmp_path / "b", records, task="arith"),
    )
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and "runs of different tasks are not compared" in result.err
