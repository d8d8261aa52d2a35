"""Run a sweep's points: train each student, score it on the test split, and resume.

Each point reuses the trainer's and the scorer's own resumption: an interrupted training picks
up from its last saved step, an interrupted scoring from its last written record. A point whose
run is complete is not trained or scored again, once its checkpoint is confirmed to hold the
same training configuration (a changed option is refused, naming the field, as ``train`` does).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from evalsuite.errors import UsageError
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


def run_point(config: SweepConfig, point: SweepPoint, trainer: PointTrainer) -> PointRun:
    """Train (or resume) and score (or resume) one point; nothing when its run is complete."""
    from evalsuite.scoring.scorer import ScoreConfig, score_checkpoint

    checkpoint = config.checkpoints / point.name
    run = config.runs / point.name
    try:
        started = trainer.claim(config, point)
    except UsageError as err:  # said in the sweep's terms: which point, under which --work
        raise UsageError(f"--work {config.work}: point {point.name}: {err}") from None
    if started and _run_is_complete(run):
        return PointRun(point, checkpoint, run, reused=True)
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


def run_sweep(
    config: SweepConfig, trainer: PointTrainer, *, progress: Progress = _stderr
) -> list[PointRun]:
    """Run every point of :func:`plan_points` in order, saying which one and how far along."""
    points = plan_points(config)
    done = []
    for k, point in enumerate(points, start=1):
        progress(f"[{k}/{len(points)}] {point.describe()}")
        result = run_point(config, point, trainer)
        if result.reused:
            progress(f"      already complete: {result.run}")
        done.append(result)
    return done
