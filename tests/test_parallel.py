"""evalsuite.parallel: jobs side by side in spawned workers with one torch thread each, results
in the order given, a job's error raised in the caller, --jobs below 1 refused."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from evalsuite.errors import UsageError
from evalsuite.parallel import run_side_by_side, start_order


def where_it_ran(item: int) -> tuple[int, int, int]:
    """(item squared, the process id, torch's thread count) from inside the job."""
    import torch

    return item * item, os.getpid(), torch.get_num_threads()


def waits_for_a_file(item: tuple[str, str | None]) -> bool:
    """Job ``(name, awaited)``: True once the file ``awaited`` exists (False after a minute);
    without one, done at once."""
    _, awaited = item
    if awaited is None:
        return True
    deadline = time.monotonic() + 60
    while not os.path.exists(awaited):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def fails_on_three(item: int) -> int:
    if item == 3:
        raise ValueError(f"job {item} failed")
    return item


def test_workers_run_each_job_with_one_thread_and_results_keep_the_given_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # what the workers would start with, unset
    items = [4, 1, 3, 2]
    seen: list[tuple[int, int]] = []
    results = run_side_by_side(
        where_it_ran,
        items,
        jobs=2,
        longest_first=[3, 2, 1, 4].index,  # started in another order than given
        finished=lambda item, result: seen.append((item, result[0])),
    )
    assert [square for square, _, _ in results] == [16, 1, 9, 4]
    workers = {pid for _, pid, _ in results}
    assert os.getpid() not in workers and 1 <= len(workers) <= 2  # at most --jobs workers
    assert {threads for _, _, threads in results} == {1}
    assert sorted(seen) == [(1, 1), (2, 4), (3, 9), (4, 16)]  # each job reported once


def test_each_job_is_reported_as_it_finishes_not_when_all_have(tmp_path: Path) -> None:
    # Regression: waiting with FIRST_EXCEPTION returned only once every job had finished, so
    # the sweep's progress lines all came at the end. Here the second job finishes only after
    # the first job's report has been made (its file written).
    marker = str(tmp_path / "first-reported")
    items = [("first", None), ("second", marker)]

    def report(item: tuple[str, str | None], _: bool) -> None:
        if item[0] == "first":
            Path(marker).touch()

    assert run_side_by_side(waits_for_a_file, items, jobs=2, finished=report) == [True, True]


def test_one_job_at_a_time_runs_here_in_the_given_order() -> None:
    seen: list[int] = []
    results = run_side_by_side(
        where_it_ran,
        [2, 5],
        jobs=1,
        longest_first=[5, 2].index,
        finished=lambda i, _: seen.append(i),
    )
    assert [(square, pid) for square, pid, _ in results] == [(4, os.getpid()), (25, os.getpid())]
    assert seen == [2, 5]


def test_a_jobs_error_is_raised_in_the_caller() -> None:
    with pytest.raises(ValueError, match="job 3 failed"):
        run_side_by_side(fails_on_three, [1, 2, 3, 4], jobs=2)


@pytest.mark.parametrize("jobs", [0, -1])
def test_fewer_than_one_job_is_refused(jobs: int) -> None:
    with pytest.raises(UsageError, match=f"^--jobs must be >= 1, got {jobs}$"):
        run_side_by_side(abs, [1], jobs=jobs)


def test_the_longest_jobs_start_first_and_ties_keep_the_given_order() -> None:
    recipes = ["standard", "dss", "mixed", "mi", "single"]
    assert start_order(recipes, None) == [0, 1, 2, 3, 4]
    rank = {"mixed": 0, "single": 1, "mi": 2, "dss": 2, "standard": 3}
    assert start_order(recipes, rank.__getitem__) == [2, 4, 1, 3, 0]
