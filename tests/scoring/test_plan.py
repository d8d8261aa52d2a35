"""The batch plan: hand cases and properties over random lengths."""

from __future__ import annotations

import numpy as np
import pytest

from evalsuite.errors import UsageError
from evalsuite.scoring.plan import pending_batches, plan_batches, rank_batches


def test_plan_hand_case():
    # lengths 3 9 5 9 1 -> order by length desc, ties by index: 1, 3, 2, 0, 4
    assert plan_batches([3, 9, 5, 9, 1], batch_size=2) == [[1, 3], [2, 0], [4]]
    assert plan_batches([], batch_size=4) == []


@pytest.mark.parametrize("seed", range(20))
def test_plan_properties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    lengths = rng.integers(1, 30, size=n).tolist()
    batch_size = int(rng.integers(1, 9))
    batches = plan_batches(lengths, batch_size=batch_size)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(n))
    assert all(len(b) == batch_size for b in batches[:-1]) and 1 <= len(batches[-1]) <= batch_size
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    # The plan depends only on lengths and batch size: same input, same plan.
    assert plan_batches(lengths, batch_size=batch_size) == batches


def test_pending_batches_recomputes_partly_done_batches():
    batches = [[0, 1], [2, 3], [4]]
    ids = ["a", "b", "c", "d", "e"]
    assert pending_batches(batches, ids, set()) == [0, 1, 2]
    assert pending_batches(batches, ids, {"a", "b", "c"}) == [1, 2]
    assert pending_batches(batches, ids, set(ids)) == []


@pytest.mark.parametrize("n_batches", [0, 1, 4, 5, 9])
@pytest.mark.parametrize("world_size", [1, 2, 3])
def test_rank_batches_cover_every_batch_once(n_batches, world_size):
    per_rank = [rank_batches(n_batches, rank=r, world_size=world_size) for r in range(world_size)]
    assert len({len(p) for p in per_rank}) == 1  # every rank joins every round
    taken = [b for p in per_rank for b in p if b is not None]
    assert sorted(taken) == list(range(n_batches))


def test_errors_name_the_argument():
    with pytest.raises(UsageError, match=r"--batch-size must be >= 1, got 0"):
        plan_batches([1, 2], batch_size=0)
    with pytest.raises(UsageError, match=r"rank 2 is outside world size 2"):
        rank_batches(3, rank=2, world_size=2)
