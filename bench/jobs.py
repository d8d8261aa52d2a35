"""Side by side or one after another: which trains the demo's students faster on this machine?

``evalsuite demo --jobs 2`` (the default) trains two students at a time, one torch thread each;
``--jobs 1`` trains them one after another with every thread. Issue 15 asks for the faster of
the two, measured. This trains the demo's six students (standard, single, dss, mi, mixed and
socratic's two) for ``--steps`` steps each, both ways, through the same
:func:`evalsuite.parallel.run_side_by_side` the demo uses, and prints each way's wall time and
their ratio. With ``--rounds 2`` or more the two ways alternate (1, 2, 2, 1, ...) so that load
from other processes falls on both alike; the best round of each way is compared.

Training only, with one evaluation at the end on a small validation split (:data:`N_VALID`):
a student trained for a few steps does not stop writing, so scoring it would time generation to
the length limit, which the demo's trained students never reach.
Nothing is asserted: the numbers are for people.

    python bench/jobs.py [--steps 60] [--rounds 1] [--model tiny-llama] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from evalsuite.names import RECIPES, RECIPES_LONGEST_FIRST
from evalsuite.parallel import run_side_by_side

N_TRAIN, N_VALID = 10_000, 16
"""The demo's arith training problems (DemoConfig.n_train), and a small validation split: a
student trained for a few steps writes to the length limit, so the demo's 200 validation
problems would time generation the demo's trained students never do."""


@dataclass(frozen=True)
class Budget:
    """What each student trains: the demo's model and data, fewer steps."""

    root: Path
    model: str
    steps: int


def train_student(budget: Budget, recipe: str) -> float:
    """Train one student as the demo does (its schedule, one evaluation at the end); its wall s."""
    from evalsuite.data import ArithConfig
    from trainers.config import make_config
    from trainers.loop import train

    start = time.perf_counter()
    arith = ArithConfig(n_train=N_TRAIN, n_valid=N_VALID)
    train(
        make_config(
            recipe=recipe, task="arith", out=budget.root / recipe, model=budget.model,
            max_steps=budget.steps, eval_every=budget.steps, arith=arith,
        )
    )  # fmt: skip
    return time.perf_counter() - start


def one_way(jobs: int, *, model: str, steps: int) -> float:
    """Wall seconds to train every demo student ``jobs`` at a time, in fresh directories."""
    import torch

    if jobs == 1:
        torch.set_num_threads(os.cpu_count() or 1)  # one after another, with every thread
    with tempfile.TemporaryDirectory(prefix="evalsuite-bench-jobs-") as tmp:
        budget = Budget(root=Path(tmp), model=model, steps=steps)
        start = time.perf_counter()
        run_side_by_side(
            partial(train_student, budget),
            list(RECIPES),
            jobs=jobs,
            longest_first=RECIPES_LONGEST_FIRST.index,
        )
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=60, help="steps per student (60)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of both ways (1)")
    parser.add_argument("--model", default="tiny-llama", help="tiny student (tiny-llama)")
    parser.add_argument("--jobs", type=int, default=2, help="students side by side (2)")
    args = parser.parse_args(argv)
    from trainers.checkpointing import quiet_transformers

    cpus = os.cpu_count()
    print(f"bench/jobs.py: the demo's {len(RECIPES)} recipes, {args.model}, {args.steps} steps "
          f"each, {cpus} CPUs; load average (1 min) {os.getloadavg()[0]:.1f}")  # fmt: skip
    seconds: dict[int, list[float]] = {1: [], args.jobs: []}
    ways = [1, args.jobs]
    with quiet_transformers():
        for r in range(args.rounds):
            for jobs in ways if r % 2 == 0 else ways[::-1]:
                took = one_way(jobs, model=args.model, steps=args.steps)
                seconds[jobs].append(took)
                print(f"   round {r + 1}: --jobs {jobs}: {took:6.1f} s", file=sys.stderr)
    apart, together = min(seconds[1]), min(seconds[args.jobs])
    print(f"   --jobs 1 (one after another, {cpus} threads): {apart:6.1f} s")
    print(f"   --jobs {args.jobs} (side by side, 1 thread each):  {together:6.1f} s")
    print(f"   side by side / one after another: {together / apart:.2f} "
          f"({'side by side' if together < apart else 'one after another'} is faster); "
          f"load average (1 min) after: {os.getloadavg()[0]:.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
