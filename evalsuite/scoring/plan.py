"""The batch plan: which examples are scored together, fixed before any scoring starts.

Floating-point results depend on what else is in a batch (padding, kernel choice), so the plan
depends only on the examples, their lengths and the batch size. Every process builds the same
plan; a resumed run recomputes a batch whole when any of its examples is missing, and data
parallel ranks take whole batches. That is why resumed and sharded runs write the same numbers
as an uninterrupted single process.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from evalsuite.errors import UsageError

__all__ = ["pending_batches", "plan_batches", "rank_batches"]


def plan_batches(lengths: Sequence[int], *, batch_size: int) -> list[list[int]]:
    """Group example indices into batches of similar length, longest first.

    Sorting by length keeps padding (wasted compute) small; longest first makes an out-of-memory
    batch fail at the start rather than at the end. Ties keep the examples' order.

    Parameters
    ----------
    lengths : sequence of int, shape (n,)
        Input length (in tokens) of each example.
    batch_size : int
        Examples per batch; the last batch may be smaller.

    Returns
    -------
    list of list of int
        Example indices per batch; every index occurs exactly once.

    Examples
    --------
    >>> plan_batches([3, 9, 5, 9, 1], batch_size=2)
    [[1, 3], [2, 0], [4]]
    """
    if batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def pending_batches(
    batches: Sequence[Sequence[int]], ids: Sequence[str], done: Collection[str]
) -> list[int]:
    """Positions of the batches that still have an example whose id is not in ``done``.

    Such a batch is recomputed whole, so its numbers equal an uninterrupted run's.

    Examples
    --------
    >>> pending_batches([[0, 1], [2]], ["a", "b", "c"], {"a", "c"})
    [0]
    """
    return [k for k, batch in enumerate(batches) if any(ids[i] not in done for i in batch)]


def rank_batches(n_batches: int, *, rank: int, world_size: int) -> list[int | None]:
    """This rank's batch in each round: round ``r`` gives batch ``r * world_size + rank``.

    Every rank gets one entry per round (``None`` when the plan has run out), so all ranks
    take part in every round's exchange of results.

    Examples
    --------
    >>> rank_batches(5, rank=1, world_size=2)
    [1, 3, None]
    """
    if not 0 <= rank < world_size:
        raise UsageError(f"rank {rank} is outside world size {world_size}")
    n_rounds = -(-n_batches // world_size)
    positions = (r * world_size + rank for r in range(n_rounds))
    return [p if p < n_batches else None for p in positions]
