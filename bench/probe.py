"""Cost of `evalsuite probe` against plain `evalsuite score` on the same examples, per probe.

  .venv/bin/python bench/probe.py [--examples 60] [--batch-size 32] [--steps 200]

A tiny single-task student (rationale, then "So the answer is", then the label) is trained for a
few hundred steps and scored on the first ``--examples`` arith test examples (greedy, without
representations). Each probe then runs alone on the same examples. The table gives, per probe,
its wall time, the interventions it forced, the interventions per example, its time over plain
scoring's, and its time per intervention over plain scoring's time per example: what one
forced prefix costs in units of one scored example. Every time includes loading the model; each
is the best of two rounds, so a busy moment on a shared machine does not decide it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the tiny student recipe lives with the scoring tests

from evalsuite.names import FAITHFULNESS_PROBES  # noqa: E402
from evalsuite.probes.records import interventions_of  # noqa: E402
from evalsuite.probes.runner import ProbeConfig, probe_checkpoint  # noqa: E402
from evalsuite.runs import read_run  # noqa: E402
from evalsuite.scoring import ScoreConfig, score_checkpoint  # noqa: E402
from tests.scoring.tiny_checkpoint import PROMPTS, make_checkpoint, train_tiny_student  # noqa: E402


def timed(fn, rounds: int = 2) -> float:  # type: ignore[no-untyped-def]
    """Best wall time of ``fn(i)`` over ``rounds`` calls."""
    best = float("inf")
    for i in range(rounds):
        start = time.perf_counter()
        fn(i)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        weights = train_tiny_student(root, steps=args.steps, shape={})
        ckpt = make_checkpoint(weights, root / "single", PROMPTS["single"])

        def score(i: int) -> None:
            config = ScoreConfig(
                limit=args.examples,
                batch_size=args.batch_size,
                representations=False,
                progress=False,
                device="cpu",
            )
            score_checkpoint(ckpt, config, out=root / f"score-{i}")

        plain = timed(score)
        per_example = plain / args.examples
        print(f"plain scoring: {plain:.2f} s for {args.examples} examples "
              f"({1000 * per_example:.1f} ms per example)")  # fmt: skip
        print(f"{'probe':<20} {'time (s)':>9} {'forced':>7} {'per ex.':>8} "
              f"{'x score':>8} {'per forced / per ex.':>21}")  # fmt: skip
        for probe in FAITHFULNESS_PROBES:

            def run(i: int, probe: str = probe) -> None:
                config = ProbeConfig(
                    probes=(probe,),
                    limit=args.examples,
                    batch_size=args.batch_size,
                    device="cpu",
                    progress=False,
                )
                probe_checkpoint(ckpt, config, out=root / f"{probe}-{i}")

            seconds = timed(run)
            records = read_run(root / f"{probe}-0").records
            forced = sum(len(interventions_of(r)) for r in records)
            cost = (seconds / forced) / per_example if forced else float("nan")
            print(f"{probe:<20} {seconds:>9.2f} {forced:>7d} {forced / len(records):>8.2f} "
                  f"{seconds / plain:>8.2f} {cost:>21.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
