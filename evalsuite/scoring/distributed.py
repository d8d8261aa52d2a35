"""Data parallelism for scoring under ``torchrun``: who this process is and how ranks talk.

Ranks exchange Python objects only (records, pooled vectors), so the process group uses gloo
on any device. Rank 0 owns the run directory; the others score their batches and send results.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from evalsuite.errors import UsageError

__all__ = ["DistContext", "init_distributed"]


@dataclass(frozen=True)
class DistContext:
    """This process's place among the scoring processes (a single process is rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Whether this rank writes the run directory and shows progress."""
        return self.rank == 0

    def all_gather(self, obj: Any) -> list[Any]:
        """Every rank's ``obj``, in rank order (a one-element list in a single process)."""
        if self.world_size == 1:
            return [obj]
        import torch.distributed as dist

        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, obj)
        return gathered

    def broadcast(self, obj: Any) -> Any:
        """Rank 0's ``obj`` on every rank."""
        if self.world_size == 1:
            return obj
        import torch.distributed as dist

        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def close(self) -> None:
        """Leave the process group (if this context joined one)."""
        if self.world_size > 1:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


def init_distributed(environ: dict[str, str] | None = None) -> DistContext:
    """Join the process group ``torchrun`` describes in the environment, if any.

    Reads ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; without them (or with a world of one)
    this is a single process and nothing is initialised.

    Raises
    ------
    UsageError
        When the variables are not integers or describe an impossible rank.
    """
    env = dict(os.environ if environ is None else environ)
    try:
        world_size = int(env.get("WORLD_SIZE", "1"))
        rank = int(env.get("RANK", "0"))
        local_rank = int(env.get("LOCAL_RANK", "0"))
    except ValueError:
        raise UsageError(
            "WORLD_SIZE, RANK and LOCAL_RANK must be integers (as torchrun sets them)"
        ) from None
    if world_size < 1 or not 0 <= rank < world_size:
        raise UsageError(f"RANK={rank} is not within WORLD_SIZE={world_size}")
    if world_size == 1:
        return DistContext()
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    return DistContext(rank=rank, world_size=world_size, local_rank=local_rank)
