"""Run independent jobs side by side: the demo's students and the sweep's points.

Each job runs whole in a worker process with one torch thread (a tiny student's kernels use a
second thread poorly, so two single-threaded students on two cores beat one after another with
both); the longest jobs start first, so the workers finish close together; the results come back
in the order the jobs were given, whatever order they finish in. ``jobs=1`` runs them in this
process, one after another in the given order, with every thread torch was given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from evalsuite.errors import UsageError

__all__ = ["check_jobs", "run_side_by_side", "start_order"]

Item = TypeVar("Item")
Result = TypeVar("Result")


def check_jobs(jobs: int) -> None:
    """Refuse a ``--jobs`` below 1 (UsageError, one line)."""
    if jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {jobs}")


def start_order(items: Sequence[Item], longest_first: Callable[[Item], int] | None) -> list[int]:
    """The indices of ``items`` in the order their jobs start: by ``longest_first`` rank, ties
    (and every item, without a rank) in ``items`` order.

    >>> start_order(["standard", "mixed", "dss"], ["mixed", "dss", "standard"].index)
    [1, 2, 0]
    """
    rank = longest_first or (lambda _: 0)
    return sorted(range(len(items)), key=lambda k: rank(items[k]))


def _one_torch_thread() -> None:
    """A worker's initializer: one torch thread, set before the job's first kernel."""
    import torch

    torch.set_num_threads(1)


def run_side_by_side(
    job: Callable[[Item], Result],
    items: Sequence[Item],
    *,
    jobs: int,
    longest_first: Callable[[Item], int] | None = None,
    finished: Callable[[Item, Result], None] | None = None,
) -> list[Result]:
    """``[job(item) for item in items]``, ``jobs`` at a time in spawned processes.

    Parameters
    ----------
    job : callable
        Picklable (a module-level function, or a ``functools.partial`` of one with picklable
        arguments): spawned workers import it afresh, sharing no torch state with this process.
    items : sequence
        The jobs' arguments; each is pickled to a worker.
    jobs : int
        Workers (at most one per item). 1: every job in this process, in ``items`` order.
    longest_first : callable, optional
        An item's rank from the longest job (0) to the shortest: with ``jobs > 1`` the jobs
        start in that order (ties keep ``items`` order). None: ``items`` order.
    finished : callable, optional
        Called in this process as each job finishes, ``finished(item, result)``: progress lines.

    Returns
    -------
    list
        The results in ``items`` order, whatever order the jobs finished in.

    Raises
    ------
    UsageError
        For ``jobs < 1``. A job's own exception is raised here once the jobs already running
        have stopped; jobs not yet started are cancelled.

    Examples
    --------
    >>> run_side_by_side(abs, [-2, 3, -1], jobs=1)
    [2, 3, 1]
    """
    check_jobs(jobs)
    if jobs == 1 or not items:
        results = []
        for item in items:
            results.append(job(item))
            if finished is not None:
                finished(item, results[-1])
        return results

    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    spawn = multiprocessing.get_context("spawn")  # no forked torch thread pools
    pool = ProcessPoolExecutor(
        max_workers=min(jobs, len(items)), mp_context=spawn, initializer=_one_torch_thread
    )
    done: dict[int, Result] = {}
    try:
        order = start_order(items, longest_first)
        futures: dict[Future[Result], int] = {pool.submit(job, items[k]): k for k in order}
        pending = set(futures)
        while pending:
            landed, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(landed, key=futures.__getitem__):
                k = futures[future]
                done[k] = future.result()  # a job's exception is raised here
                if finished is not None:
                    finished(items[k], done[k])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [done[k] for k in range(len(items))]
