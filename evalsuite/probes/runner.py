"""``evalsuite probe``: faithfulness probes of a joint student into a probe run, batched and
resumable like ``score``.

Per batch: the student writes its own output (greedy, from an empty forced prefix); each probe
plans its interventions on that rationale (:mod:`evalsuite.probes.registry`); every
intervention of the batch is forced and decoded together (:mod:`evalsuite.probes.forcing`);
each record is the full-rationale output plus its ``interventions``, appended as the batch
lands. The run finishes with the summary (:func:`evalsuite.probes.summary.summarize_probes`)
as metrics.json. A Socratic student's chains are forced pair by pair instead
(:mod:`evalsuite.probes.chains`), into the same records.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evalsuite.errors import UsageError
from evalsuite.example import Example
from evalsuite.probes.forcing import ForcingStudent
from evalsuite.probes.layouts import LAYOUTS, Layout
from evalsuite.probes.records import Intervention, answer_changed, with_interventions
from evalsuite.probes.registry import PROBES, ProbeInput, check_applies, forcing_plan
from evalsuite.probes.robustness import ROBUSTNESS, ROBUSTNESS_RATES, robustness_batch
from evalsuite.probes.simulation import SIMULATOR_DIR, SimulatorConfig
from evalsuite.runs import Record
from evalsuite.sandbox import Sandbox
from evalsuite.scoring.decoding import DecodingConfig, batch_seed
from evalsuite.tasks import Task

if TYPE_CHECKING:
    from evalsuite.probes.simulatability import SimulatorTrainer

__all__ = ["ProbeConfig", "ProbeResult", "probe_batch", "probe_checkpoint"]


@dataclass(frozen=True)
class ProbeConfig:
    """What to probe and how. ``task``/``split`` None: the source run's, else the checkpoint's
    task and ``test``."""

    probes: tuple[str, ...] = ("early_answering",)
    task: str | None = None
    split: str | None = None
    data_dir: str | None = None
    limit: int | None = None
    batch_size: int = 32
    device: str = "auto"
    seed: int = 0
    """Seeds every random choice (corrupted steps, perturbed tokens), per example and probe."""
    perturbation_rate: float = 0.5
    """Token perturbation: share of the rationale's tokens replaced with random ones."""
    answer_tokens: int = 32
    """Tokens the student may write after a forced answer marker."""
    max_new_tokens: int | None = None
    """Full outputs and continuations after a corrupted step; None: the checkpoint's
    ``max_target_length``."""
    chat_template: bool = False
    """``--chat-template``: prompts in the tokenizer's chat template, as ``score`` lays them out
    (a source run scored with it is probed with it whatever this says)."""
    progress: bool = True
    grid: tuple[float, ...] = field(default=tuple(i / 10 for i in range(11)))
    simulator: SimulatorConfig = field(default_factory=SimulatorConfig)
    """LAS: how its simulator of the student's answers is trained."""

    def __post_init__(self) -> None:
        if not self.probes:
            raise UsageError("--probe: name at least one probe")
        for name in self.probes:
            PROBES.check(name)
        if len(set(self.probes)) != len(self.probes):
            raise UsageError(f"--probe: a probe is named twice in {', '.join(self.probes)}")
        if self.limit is not None and self.limit < 1:
            raise UsageError(f"--limit must be >= 1, got {self.limit}")
        if self.batch_size < 1:
            raise UsageError(f"--batch-size must be >= 1, got {self.batch_size}")
        if not 0.0 < self.perturbation_rate <= 1.0:
            raise UsageError(f"--rate must be in (0, 1], got {self.perturbation_rate}")
        if self.answer_tokens < 1:
            raise UsageError(f"--answer-tokens must be >= 1, got {self.answer_tokens}")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise UsageError(f"--max-new-tokens must be >= 1, got {self.max_new_tokens}")

    def block(self, source_run: str | None) -> dict[str, Any]:
        """The manifest's ``probe`` block (part of the run's identity); ``simulator`` only
        with LAS, so other probe runs keep their identity."""
        block = {
            "probes": list(self.probes),
            "perturbation_rate": self.perturbation_rate,
            "answer_tokens": self.answer_tokens,
            "seed": self.seed,
            "grid": list(self.grid),
            "source_run": source_run,
        }
        if "las" in self.probes:
            block["simulator"] = self.simulator.to_dict()
        return block


@dataclass(frozen=True)
class ProbeResult:
    """Where the probe run went, its size, how many examples this call probed, its summary."""

    path: Path
    n_examples: int
    n_probed: int
    summary: dict[str, Any]


def _read(
    task: Task, layout: Layout, example: Example, prefix: str, continuation: str
) -> str | None:
    """The answer of ``prefix + continuation``, read as the student's format reads it."""
    read = layout.read(task, f"{prefix} {continuation}".strip())
    return None if read.failure else task.extract_answer(read.answer_text, example).answer


def _decode_chunks(
    forcing: ForcingStudent,
    prompts: Sequence[str],
    prefixes: Sequence[str],
    *,
    max_new_tokens: int,
    batch_size: int,
) -> list[str]:
    out: list[str] = []
    for start in range(0, len(prompts), batch_size):
        out += forcing.continue_after(
            prompts[start : start + batch_size],
            prefixes[start : start + batch_size],
            max_new_tokens=max_new_tokens,
        )
    return out


def probe_batch(
    forcing: ForcingStudent,
    task: Task,
    prompt_prefix: str,
    examples: Sequence[Example],
    config: ProbeConfig,
    *,
    max_new_tokens: int,
    output: str = "rationale_then_label",
) -> list[Record]:
    """Probe one batch: the student's own outputs, then every planned intervention.

    ``output`` is the student's output format, one of :data:`~evalsuite.probes.layouts.LAYOUTS`
    (where the rationale ends and the answer starts). Returns one record per example
    (docs/runs.md, "Probe runs"), in the batch's order.
    """
    from evalsuite.scoring.records import PathOutput, build_record

    prompts = [f"{prompt_prefix}{e.input}" for e in examples]
    own = _decode_chunks(
        forcing, prompts, [""] * len(prompts),
        max_new_tokens=max_new_tokens, batch_size=config.batch_size,
    )  # fmt: skip
    layout = LAYOUTS[output]
    records, plans = [], []
    for example, text in zip(examples, own, strict=True):
        read = layout.read(task, text)
        rationale = read.rationale
        path = PathOutput(read.answer_text, rationale, extraction_failure=read.failure)
        record = build_record(task, example, path)
        records.append(record)
        for name in config.probes:
            given = ProbeInput(
                rationale=rationale or "",
                teacher_rationale=example.teacher_rationale,
                rng=np.random.default_rng(batch_seed(config.seed, name, [example.id])),
                token_ids=forcing.token_ids,
                text=forcing.text,
                vocabulary=forcing.vocabulary,
                perturbation_rate=config.perturbation_rate,
            )
            plans += [(len(records) - 1, name, p) for p in forcing_plan(name)(given)]

    answers: dict[int, tuple[str, str]] = {}
    for answer_now, limit in ((True, config.answer_tokens), (False, max_new_tokens)):
        chosen = [j for j, (_, _, p) in enumerate(plans) if p.answer_now == answer_now]
        prefixes = [layout.force(plans[j][2].rationale, answer_now) for j in chosen]
        texts = _decode_chunks(
            forcing, [prompts[plans[j][0]] for j in chosen], prefixes,
            max_new_tokens=limit, batch_size=config.batch_size,
        )  # fmt: skip
        answers.update(zip(chosen, zip(prefixes, texts, strict=True), strict=True))

    per_example: list[list[Intervention]] = [[] for _ in examples]
    for j, (row, name, planned) in enumerate(plans):
        prefix, continuation = answers[j]
        example, full = examples[row], records[row].answer
        answer = _read(task, layout, example, prefix, continuation)
        changed = answer_changed(task, answer, full)
        per_example[row].append(
            Intervention(
                probe=name,
                position=planned.position,
                n_steps=planned.n_steps,
                prefix=prefix,
                continuation=continuation,
                answer=answer,
                correct=task.is_correct(answer, example),
                changed=changed,
                detail=planned.detail,
            )
        )
    return [with_interventions(r, i) for r, i in zip(records, per_example, strict=True)]


def probe_checkpoint(
    target: str | os.PathLike[str],
    config: ProbeConfig,
    *,
    out: str | os.PathLike[str],
    simulator_trainer: SimulatorTrainer | None = None,
) -> ProbeResult:
    """Probe a checkpoint, or the checkpoint of a scored run, into the probe run ``out``.

    ``simulator_trainer`` trains the LAS simulator (needed with ``las`` only).

    Raises
    ------
    UsageError, DataError
        A probe the student's coupling does not allow (one line naming both), a student these
        probes cannot force, a broken checkpoint, or an ``out`` that is a different run. A
        refused call leaves nothing written: no ``out`` when it did not exist before.
    """
    created = _first_missing(Path(out).absolute())
    try:
        with contextlib.ExitStack() as resources:  # the sandbox of a mixed student's programs
            return _probe(target, config, out, resources, simulator_trainer)
    except UsageError:
        # Refusals come before the run is opened; one that comes later (a simulator that
        # cannot be loaded) takes back the directories this call made, never one it found.
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise


def _first_missing(path: Path) -> Path | None:
    """The outermost of ``path`` and its parents that does not exist yet: what opening a run
    at ``path`` creates (None when ``path`` exists)."""
    missing = None
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing = folder
    return missing


def _probe(
    target: str | os.PathLike[str],
    config: ProbeConfig,
    out: str | os.PathLike[str],
    resources: contextlib.ExitStack,
    simulator_trainer: SimulatorTrainer | None,
) -> ProbeResult:
    from evalsuite.checkpoint import TRAIN_MANIFEST, open_checkpoint
    from evalsuite.coupling import coupling_of_output
    from evalsuite.data import load_examples
    from evalsuite.probes.chains import check_oracle_data, probe_chains_batch
    from evalsuite.probes.forcing import StudentTokens, forcing_for
    from evalsuite.probes.simulatability import (
        LAS,
        ScoringSetup,
        las_batch,
        simulator_job,
        simulator_split,
    )
    from evalsuite.probes.summary import summarize_probes
    from evalsuite.prompt_presets import FormatRequest
    from evalsuite.runs import MANIFEST, RunWriter, read_manifest
    from evalsuite.runs.origin import arith_config, data_block, run_manifest
    from evalsuite.scoring.formats import get_format
    from evalsuite.scoring.plan import pending_batches, plan_batches
    from evalsuite.scoring.scorer import model_block, model_hash
    from evalsuite.scoring.student import (
        SocraticStudents,
        Student,
        load_student,
        load_students,
        resolve_device,
    )
    from evalsuite.tasks import get_task

    # -- what to probe: a scored run names its checkpoint, task and split ---------------------
    source_run, checkpoint = None, Path(target)
    task_name, split, chat_template = config.task, config.split, config.chat_template
    if (checkpoint / MANIFEST).is_file() and not (checkpoint / TRAIN_MANIFEST).is_file():
        run = read_manifest(checkpoint / MANIFEST)
        check_applies(config.probes, run.coupling, what=f"run {checkpoint}")
        if run.model is None or not run.model.path:
            raise UsageError(f"run {checkpoint}: its manifest names no checkpoint to probe")
        source_run, checkpoint = str(checkpoint.resolve()), Path(run.model.path)
        task_name, split = task_name or run.task, split or run.split
        chat_template = chat_template or bool((run.model.prompt or {}).get("chat_template"))
    ckpt = open_checkpoint(checkpoint, request=FormatRequest(), task=task_name)
    prompt = ckpt.prompt
    coupling = coupling_of_output(prompt.output)
    what = f"checkpoint {checkpoint} (recipe {prompt.recipe}, output {prompt.output})"
    check_applies(config.probes, coupling, what=what)
    simulating = LAS in config.probes  # trains a simulator, then scores the student
    if simulating and len(config.probes) > 1:
        raise UsageError(f"--probe {LAS} trains a simulator and runs alone: give it its own --out")
    if simulating and simulator_trainer is None:
        raise UsageError(f"probe '{LAS}' needs a simulator trainer (the probe verb passes one)")
    rescoring = ROBUSTNESS in config.probes or simulating  # the scorer's outputs, none forced
    if ROBUSTNESS in config.probes and len(config.probes) > 1:
        raise UsageError(
            f"--probe {ROBUSTNESS} rescores perturbed inputs and runs alone: give it its own --out"
        )
    chains = prompt.output == "socratic"  # forced pairs of a decomposer-solver chain
    if not rescoring and not chains:
        LAYOUTS.check(prompt.output)
    prompt_prefix = prompt.path_prefixes["cot"] if prompt.output == "mixed" else prompt.label_prefix
    task = get_task(task_name or prompt.task)
    split = split or "test"
    arith = (
        arith_config(ckpt.train_manifest, str(checkpoint / TRAIN_MANIFEST))
        if task.synthetic and task.name == prompt.task
        else None
    )
    examples = load_examples(task, split, data_dir=config.data_dir, arith=arith)
    examples = examples[: config.limit] if config.limit else examples
    if not examples:
        raise UsageError(f"task '{task.name}' split '{split}' has no examples")
    if chains and not rescoring:
        check_oracle_data(config.probes, task, examples)
    simulator_examples = (
        simulator_split(
            task, examples[0], split=split, config=config.simulator, data_dir=config.data_dir
        )
        if simulating
        else []
    )
    ids = [e.id for e in examples]

    device = resolve_device(config.device)
    fmt = get_format(prompt, str(checkpoint))
    student = load_students(
        checkpoint,
        socratic=fmt.two_students,
        device=device,
        max_input_length=prompt.max_input_length,
        chat_template=chat_template,
    )
    max_new_tokens = config.max_new_tokens or prompt.max_target_length
    decoding = DecodingConfig(max_new_tokens=max_new_tokens, seed=config.seed)
    sandbox = resources.enter_context(Sandbox()) if rescoring and fmt.needs_sandbox else None

    setup = ScoringSetup(
        student, task, prompt, decoding, max_new_tokens, config.batch_size, sandbox
    )
    simulator: Student | None = None  # LAS: loaded once the probe run is open

    def probe(batch: list[Example]) -> list[Record]:
        if simulator is not None:
            return las_batch(setup, simulator, batch)
        if rescoring:
            return robustness_batch(
                student, task, prompt, batch, rates=ROBUSTNESS_RATES, seed=config.seed,
                decoding=decoding, max_new_tokens=max_new_tokens, sandbox=sandbox,
            )  # fmt: skip
        if isinstance(student, SocraticStudents):
            return probe_chains_batch(
                student, StudentTokens(student.solver), task, prompt, batch,
                probes=config.probes, seed=config.seed,
                perturbation_rate=config.perturbation_rate, batch_size=config.batch_size,
                max_new_tokens=max_new_tokens,
            )  # fmt: skip
        return probe_batch(
            forcing_for(student), task, prompt_prefix, batch, config,
            max_new_tokens=max_new_tokens, output=prompt.output,
        )  # fmt: skip

    lengths = student.input_lengths([prompt_prefix + e.input for e in examples])
    batches = plan_batches(lengths, batch_size=config.batch_size)
    job = None  # LAS: the simulator to train, its refusals made before anything is written
    if simulating:
        assert simulator_trainer is not None  # refused above
        job = simulator_job(
            setup, config.simulator, simulator_examples, run=Path(out), seed=config.seed,
            data_dir=config.data_dir, device=config.device, student_path=str(checkpoint),
        )  # fmt: skip
        if job is not None:
            simulator_trainer.check(job)

    # -- open or resume the probe run --------------------------------------------------------
    manifest = run_manifest(
        kind="probe",
        task=task,
        split=split,
        out=Path(out),
        examples=examples,
        data=data_block(task, split, config.data_dir, examples, arith=arith),
        model=model_block(
            checkpoint, ckpt, architecture=student.architecture, chat_template=chat_template
        ),
        model_hash=model_hash(checkpoint, ckpt),
        limit=config.limit,
        decoding=decoding.to_dict(),
        probe=config.block(source_run),
        seed=config.seed,
        batch_size=config.batch_size,
        device=str(device),
    )
    writer = RunWriter(out, manifest)
    done = writer.done_ids
    if simulating:
        assert simulator_trainer is not None  # refused above
        if job is not None:
            simulator_trainer.train(job)
        simulator = load_student(
            Path(out) / SIMULATOR_DIR, device=device, max_input_length=prompt.max_input_length
        )
    n_probed = 0
    for index in pending_batches(batches, ids, done):
        batch = [examples[i] for i in batches[index]]
        records = probe(batch)
        writer.append(records)
        n_probed += len(records)
        if config.progress:
            import sys

            print(f"probe: {len(writer.done_ids)}/{len(ids)} examples", file=sys.stderr)
    summary = summarize_probes(
        writer.records(ids), config.probes, grid=config.grid, rng=config.seed
    )
    writer.finish(ids, summary)
    return ProbeResult(Path(out), len(ids), n_probed, summary)
