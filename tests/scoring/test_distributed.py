"""Which process is which under torchrun (the 2-process equality test is in test_scorer.py)."""

from __future__ import annotations

import pytest

from evalsuite.errors import UsageError
from evalsuite.scoring.distributed import DistContext, init_distributed


def test_single_process_without_torchrun():
    ctx = init_distributed({})
    assert ctx == DistContext() and ctx.is_main
    assert ctx.all_gather({"x": 1}) == [{"x": 1}]
    assert ctx.broadcast("y") == "y"
    assert init_distributed({"WORLD_SIZE": "1", "RANK": "0"}) == DistContext()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WORLD_SIZE": "two"}, r"WORLD_SIZE, RANK and LOCAL_RANK must be integers"),
        ({"WORLD_SIZE": "2", "RANK": "2"}, r"RANK=2 is not within WORLD_SIZE=2"),
        ({"WORLD_SIZE": "0"}, r"RANK=0 is not within WORLD_SIZE=0"),
    ],
)
def test_bad_environment(env, message):
    with pytest.raises(UsageError, match=message):
        init_distributed(env)
