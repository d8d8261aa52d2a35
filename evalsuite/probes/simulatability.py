"""The LAS probe (``evalsuite probe --probe las``): train a simulator of the student's answers,
then ask it to predict them on the probed examples from input and rationale, input alone and
rationale alone.

The student is scored by the scorer's own batch function (any coupling: a DSS student's
rationale comes from its ``explain:`` prompt, a single-task student's precedes its answer). The
simulator learns the student's answers on the first ``--simulator-examples`` examples of
``--simulator-split`` (train by default; never the probed split), with the project's trainer
(the ``probe`` verb's :class:`SimulatorTrainer` runs :func:`trainers.loop.train` on these
examples, recipe ``standard``: input -> label), into ``RUN/simulator/``, a checkpoint with its
train manifest. A rerun reuses a finished simulator and resumes an unfinished one. Then each
probed batch is scored and the simulator's three predictions are added to each record
(:class:`~evalsuite.probes.records.Simulation`); the summary is
:func:`~evalsuite.probes.summary.summarize_simulatability`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from evalsuite.checkpoint import TRAIN_MANIFEST, PromptFormat
from evalsuite.errors import UsageError
from evalsuite.example import Example
from evalsuite.io import read_json
from evalsuite.probes.records import Simulation, with_simulation
from evalsuite.probes.simulation import (
    FORMS,
    SIMULATOR_DIR,
    SIMULATOR_SPLITS,
    SimulatorConfig,
    StudentOutput,
    simulator_examples,
    simulator_input,
)
from evalsuite.runs import Record
from evalsuite.sandbox import Sandbox
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.formats import score_batch
from evalsuite.tasks import Task

if TYPE_CHECKING:
    from evalsuite.scoring.student import SocraticStudents, Student

__all__ = [
    "LAS",
    "ScoringSetup",
    "SimulatorJob",
    "SimulatorTrainer",
    "las_batch",
    "simulator_job",
    "simulator_split",
    "student_records",
]

LAS = "las"
SIMULATOR_TARGET_TOKENS = 32
"""The simulator writes a label: a choice's text or an NLI label name."""


@dataclass(frozen=True)
class ScoringSetup:
    """How the student is scored, as ``score`` would: its prompt, decoding and sandbox."""

    student: Student | SocraticStudents
    task: Task
    prompt: PromptFormat
    decoding: DecodingConfig
    max_new_tokens: int
    batch_size: int
    sandbox: Sandbox | None = None


def student_records(setup: ScoringSetup, examples: Sequence[Example]) -> list[Record]:
    """The student's records on ``examples`` (the scorer's batch function, no representations)."""
    records: list[Record] = []
    for start in range(0, len(examples), setup.batch_size):
        scored = score_batch(
            setup.student, setup.task, setup.prompt, examples[start : start + setup.batch_size],
            decoding=setup.decoding, max_new_tokens=setup.max_new_tokens,
            representations=False, sandbox=setup.sandbox,
        )  # fmt: skip
        records += [s.record for s in scored]
    return records


def _finished(folder: Path) -> bool:
    path = folder / TRAIN_MANIFEST
    return path.is_file() and read_json(path).get("status") == "complete"


@dataclass(frozen=True)
class SimulatorJob:
    """One simulator to train: where, on which examples, and how."""

    out: Path
    task: str
    config: SimulatorConfig
    seed: int
    data_dir: str | None
    max_input_length: int
    max_target_length: int
    device: str
    train: list[Example]
    valid: list[Example]
    fingerprint: dict[str, Any]
    """The train manifest's ``data`` block: where the examples came from."""


class SimulatorTrainer(Protocol):
    """Trains a simulator (the ``probe`` verb builds one on ``trainers``: the library never
    imports the trainer itself). ``check`` refuses settings it cannot train before the probe
    run is opened, so a refusal leaves nothing written; ``train`` writes ``job.out``."""

    def check(self, job: SimulatorJob) -> None: ...

    def train(self, job: SimulatorJob) -> None: ...


def simulator_job(
    setup: ScoringSetup,
    config: SimulatorConfig,
    examples: Sequence[Example],
    *,
    run: Path,
    seed: int,
    data_dir: str | None,
    device: str,
    student_path: str,
) -> SimulatorJob | None:
    """The simulator to train into ``run/simulator`` on the student's answers to ``examples``
    (of ``config.split``), or None when a finished one is there to reuse. Scores the student
    but writes nothing, so its refusals come before the probe run is opened.

    Raises
    ------
    UsageError, DataError
        Fewer than two readable student answers.
    """
    folder = run / SIMULATOR_DIR
    if _finished(folder):
        return None
    records = student_records(setup, examples)
    outputs = [
        StudentOutput(r.answer, r.rationale or "") if r.answer is not None else None
        for r in records
    ]
    train, valid = simulator_examples(examples, outputs, config, seed=seed)
    fingerprint: dict[str, Any] = {
        "source": "student predictions",
        "student": student_path,
        "split": config.split,
        "n_examples": len(examples),
        "n_readable": sum(o is not None for o in outputs),
        "forms": {f: sum(e.id.endswith(f"#{f}") for e in train) for f in FORMS},
        "explanation_dropout": config.explanation_dropout,
        "input_dropout": config.input_dropout,
    }
    return SimulatorJob(
        out=folder,
        task=setup.task.name,
        config=config,
        seed=seed,
        data_dir=data_dir,
        max_input_length=setup.prompt.max_input_length,
        max_target_length=SIMULATOR_TARGET_TOKENS,
        device=device,
        train=train,
        valid=valid,
        fingerprint=fingerprint,
    )


def _simulate(
    simulator: Student, task: Task, examples: Sequence[Example], texts: Sequence[str]
) -> list[str | None]:
    """The simulator's greedy answers to ``texts``, read as the task reads answers."""
    generated = simulator.generate(
        simulator.encode(list(texts)),
        DecodingConfig(),
        max_new_tokens=SIMULATOR_TARGET_TOKENS,
        seed=0,
    )
    return [
        task.extract_answer(text, example).answer
        for text, example in zip(generated.texts, examples, strict=True)
    ]


def las_batch(setup: ScoringSetup, simulator: Student, examples: Sequence[Example]) -> list[Record]:
    """Score ``examples`` and add the simulator's prediction of each answer from every form."""
    records = student_records(setup, examples)
    rationales = [r.rationale or "" for r in records]
    predicted = {
        form: _simulate(
            simulator,
            setup.task,
            examples,
            [simulator_input(form, e, r) for e, r in zip(examples, rationales, strict=True)],
        )
        for form in FORMS
    }
    out = []
    for i, record in enumerate(records):
        from_rationale = predicted["rationale"][i]
        simulation = Simulation(
            input_rationale=predicted["input_rationale"][i],
            input=predicted["input"][i],
            rationale=from_rationale,
            leaked=None if record.answer is None else from_rationale == record.answer,
        )
        out.append(with_simulation(record, simulation))
    return out


def simulator_split(
    task: Task, probed: Example, *, split: str, config: SimulatorConfig, data_dir: str | None
) -> list[Example]:
    """The examples whose student answers the simulator learns, after refusing, in one line, a
    task without a closed label set or a simulator that would learn on the probed split.

    Raises
    ------
    UsageError, DataError
        Those refusals, or a split the data does not have.
    """
    from evalsuite.data import load_examples

    if task.label_set(probed) is None:
        raise UsageError(
            f"probe '{LAS}' needs a task with a closed label set (NLI, CQA); task "
            f"'{task.name}' has open answers"
        )
    if config.split == split:
        raise UsageError(
            f"--simulator-split {split} is the split probed: the simulator must not learn on the "
            "examples whose LAS is reported; choose another"
        )
    try:
        examples = load_examples(task, config.split, data_dir=data_dir, teacher=False)
    except UsageError as err:  # a release without that split (the DSS copy of anli1: no train)
        other = next(s for s in SIMULATOR_SPLITS if s != config.split)
        raise UsageError(f"{err} (the LAS simulator's; try --simulator-split {other})") from None
    if not examples:
        raise UsageError(f"--simulator-split {config.split}: task '{task.name}' has no examples")
    return examples[: config.examples]
