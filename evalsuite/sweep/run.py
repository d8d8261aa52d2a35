"""Run a sweep's points: train each student, score it on the test split, and resume.

Each point reuses the trainer's and the scorer's own resumption: an interrupted training picks
up from its last saved step, an interrupted scoring from its last written record. A point whose
run is complete is not trained or scored again, once its checkpoint is confirmed to hold the
same training configuration (a changed option is refused, naming the field, as ``train`` does).
Every point's checkpoint is checked before any is trained; the points left to do are trained
and scored ``jobs`` at a time (:mod:`evalsuite.parallel`), each whole in one worker.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from evalsuite.errors import UsageError
from evalsuite.names import RECIPES_LONGEST_FIRST
from evalsuite.sweep.plan import SweepConfig, SweepPoint, plan_points

__all__ = ["PointRun", "PointTrainer", "run_point", "run_sweep"]

Progress = Callable[[str], None]


class PointTrainer(Protocol):
    """How a sweep trains a point's student into ``config.checkpoints / point.name``.

    The ``sweep`` verb passes the one built on ``trainers`` (which the library never imports,
    docs/architecture.md); the checkpoint's own resume and refusal rules apply.
    """

    def claim(self, config: SweepConfig, point: SweepPoint) -> bool:
        """Check the point's checkpoint directory before any work: True when it holds this
        point's training (to resume or already done), False when it is new.

        Raises UsageError when it holds a training with other options."""
        ...

    def train(self, config: SweepConfig, point: SweepPoint) -> None:
        """Train the point, resuming from its last saved step (nothing when finished)."""
        ...


@dataclass(frozen=True)
class PointRun:
    """A point of the sweep with its checkpoint and its (complete) run directory."""

    point: SweepPoint
    checkpoint: Path
    run: Path
    reused: bool
    """True when the run was already complete and nothing was done for it."""


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _run_is_complete(path: Path) -> bool:
    from evalsuite.runs import read_manifest
    from evalsuite.runs.layout import MANIFEST

    return (path / MANIFEST).is_file() and read_manifest(path / MANIFEST).complete


def _claim(config: SweepConfig, point: SweepPoint, trainer: PointTrainer) -> bool:
    """The trainer's claim on the point's checkpoint, a refusal said in the sweep's terms."""
    try:
        return trainer.claim(config, point)
    except UsageError as err:  # which point, under which --work
        raise UsageError(f"--work {config.work}: point {point.name}: {err}") from None


def _complete_run(config: SweepConfig, point: SweepPoint, trainer: PointTrainer) -> PointRun | None:
    """The point's PointRun when its checkpoint holds this training and its run is complete
    (nothing to do), else None."""
    run = config.runs / point.name
    if _claim(config, point, trainer) and _run_is_complete(run):
        return PointRun(point, config.checkpoints / point.name, run, reused=True)
    return None


def run_point(config: SweepConfig, point: SweepPoint, trainer: PointTrainer) -> PointRun:
    """Train (or resume) and score (or resume) one point; nothing when its run is complete."""
    from evalsuite.scoring.scorer import ScoreConfig, score_checkpoint

    complete = _complete_run(config, point, trainer)
    if complete is not None:
        return complete
    checkpoint = config.checkpoints / point.name
    run = config.runs / point.name
    trainer.train(config, point)
    score_checkpoint(
        checkpoint,
        ScoreConfig(
            task=config.task,
            split="test",
            data_dir=config.data_dir,
            batch_size=config.score_batch_size,
            representations=False,  # a sweep reads accuracy only
        ),
        out=run,
    )
    return PointRun(point, checkpoint, run, reused=False)


def _longest_first(point: SweepPoint) -> int:
    """Points of the costliest recipes start first (every point trains the same steps)."""
    return RECIPES_LONGEST_FIRST.index(point.recipe)


def run_sweep(
    config: SweepConfig, trainer: PointTrainer, *, jobs: int = 1, progress: Progress = _stderr
) -> list[PointRun]:
    """Run every point of :func:`plan_points`, ``jobs`` at a time, and say as each finishes.

    Every point's checkpoint is claimed first, so a point trained with other options is refused
    before any training, and a complete point is reported and left alone. The rest are trained
    and scored by :func:`evalsuite.parallel.run_side_by_side`: ``jobs=1`` one after another in
    plan order with every torch thread, more side by side with one thread each, each worker
    doing a whole point. The result is in plan order either way, and each point is trained with
    its own seed, so ``jobs`` changes when a point is done, not what it holds.
    """
    from evalsuite.parallel import check_jobs, run_side_by_side

    check_jobs(jobs)
    points = plan_points(config)
    done = {point: _complete_run(config, point, trainer) for point in points}
    finished = 0

    def say(what: str, result: PointRun) -> None:
        nonlocal finished
        finished += 1
        progress(f"[{finished}/{len(points)}] {what}: {result.point.describe()} ({result.run})")

    for result in done.values():
        if result is not None:
            say("already complete", result)
    pending = [point for point in points if done[point] is None]
    trained = run_side_by_side(
        partial(run_point, config, trainer=trainer),
        pending,
        jobs=jobs,
        longest_first=_longest_first,
        finished=lambda _, result: say("trained and scored", result),
    )
    done.update(zip(pending, trained, strict=True))
    return [result for point in points if (result := done[point]) is not None]
