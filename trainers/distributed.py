"""Data parallelism under ``torchrun``: process group set-up and the few collectives the loop needs.

Outside ``torchrun`` (no ``WORLD_SIZE`` in the environment) everything here is a no-op for one
process. On CPU the backend is gloo, on CUDA nccl.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = ["Distributed", "all_reduce_sum", "barrier", "setup_distributed", "teardown"]


@dataclass(frozen=True)
class Distributed:
    """Where this process sits: its rank, the number of processes, and its device."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0 writes files and shows progress."""
        return self.rank == 0


def _pick_device(option: str, local_rank: int) -> torch.device:
    if option == "cpu" or (option == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        from evalsuite.errors import UsageError

        raise UsageError("--device cuda: no CUDA device is available; use --device cpu")
    return torch.device("cuda", local_rank)


def setup_distributed(device: str) -> Distributed:
    """Join the ``torchrun`` process group if there is one; pick this process's device."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    chosen = _pick_device(device, local_rank)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if chosen.type == "cuda" else "gloo"
        if chosen.type == "cuda":
            torch.cuda.set_device(chosen)
        dist.init_process_group(backend=backend, rank=rank, world_size=world_size)
    return Distributed(rank=rank, world_size=world_size, device=chosen)


def teardown(ctx: Distributed) -> None:
    """Leave the process group (a no-op for one process)."""
    if ctx.world_size > 1 and dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_sum(tensor: torch.Tensor, ctx: Distributed) -> torch.Tensor:
    """The sum of ``tensor`` over all processes (in place; returned for convenience)."""
    if ctx.world_size > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def barrier(ctx: Distributed) -> None:
    """Wait for every process (e.g. until rank 0 has written a file the others read)."""
    if ctx.world_size > 1:
        dist.barrier()
