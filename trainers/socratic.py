"""The Socratic recipe: two students, a decomposer and a solver, trained one after the other.

```
CKPT/train_config.json, train_manifest.json     the recipe's config; the prompt block
                                                (output "socratic", path_prefixes decompose/solve)
CKPT/decompose/                                 a whole training run: "decompose: x" -> the
                                                sub-questions joined by " | "
CKPT/solve/                                     a whole training run: "solve: x | Q: q1 A: a1 |
                                                ... | Q: qk" -> the k-th sub-answer
```

Each student is trained by the one training loop (:func:`trainers.loop.train`) with its own
stage recipe, schedule (the config's, for each student), tokenizer, best-by-validation model and
resumable state, so an interrupted run picks up inside whichever student it stopped in. The
solver learns from the teacher's sub-answers (teacher forcing); at inference it reads its own
(``evalsuite.scoring.socratic``). The prompt text is :mod:`evalsuite.socratic`.

Validation accuracy, which picks each student's best step: the decomposer's whole list of
sub-questions must equal the teacher's (whitespace and case aside); a solver's sub-answer must
state the teacher's value (:func:`~evalsuite.socratic.final_answer_text`, judged by the task).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from evalsuite.checkpoint import TRAIN_MANIFEST, PromptFormat
from evalsuite.example import Example
from evalsuite.io import atomic_write_json, read_json
from evalsuite.provenance import now_iso, provenance
from evalsuite.socratic import (
    DECOMPOSE_PREFIX,
    SOCRATIC_PREFIXES,
    SOLVE_PREFIX,
    decomposition_text,
    final_answer_text,
    socratic_steps,
    solver_input,
    split_decomposition,
)
from trainers.checkpointing import CONFIG_FILE, claim_output
from trainers.config import TrainConfig
from trainers.data import training_data_for
from trainers.distributed import Distributed, barrier
from trainers.manifest import MANIFEST_VERSION
from trainers.recipes import Recipe

__all__ = ["STAGES", "DecomposerRecipe", "SolverRecipe", "socratic_prompt", "train_socratic"]


class _StageRecipe(Recipe):
    """One Socratic student: ``label_prefix + input`` -> target, like a standard student."""

    name = "socratic"

    def tokenizer_texts(self, example: Example, label: str) -> list[str]:
        return [self.label_source(example)]

    @staticmethod
    def _derived(example: Example, *, suffix: str, source: str, target: str) -> Example:
        """A stage example: the teacher's Socratic text is its target, gold and teacher alike."""
        return Example(
            id=example.id + suffix,
            input=source,
            gold=target,
            split=example.split,
            teacher_label=target,
            choices=example.choices,
        )


class DecomposerRecipe(_StageRecipe):
    """question -> its sub-questions."""

    label_prefix = DECOMPOSE_PREFIX

    def training_examples(self, examples: list[Example]) -> list[Example]:
        return [
            self._derived(
                e,
                suffix="",
                source=e.input,
                target=decomposition_text([s.question for s in socratic_steps(e)]),
            )
            for e in examples
        ]

    def judge(self, generated: str, example: Example) -> bool:
        def norm(text: str) -> list[str]:
            return [" ".join(q.lower().split()) for q in split_decomposition(text)]

        return norm(generated) == norm(example.gold)


class SolverRecipe(_StageRecipe):
    """question, solved pairs, next sub-question -> its answer; one example per sub-question."""

    label_prefix = SOLVE_PREFIX

    def training_examples(self, examples: list[Example]) -> list[Example]:
        expanded = []
        for e in examples:
            steps = socratic_steps(e)
            for k, step in enumerate(steps):
                expanded.append(
                    self._derived(
                        e,
                        suffix=f"#{k + 1}",
                        source=solver_input(e.input, steps[:k], step.question),
                        target=step.answer,
                    )
                )
        return expanded

    def judge(self, generated: str, example: Example) -> bool:
        said, wanted = final_answer_text(generated), final_answer_text(example.gold)
        if " ".join(said.lower().split()) == " ".join(wanted.lower().split()):
            return bool(said)
        a = self.task.extract_answer(said, example).answer
        b = self.task.extract_answer(wanted, example).answer
        return a is not None and b is not None and self.task.same_answer(a, b)


STAGES: dict[str, type[_StageRecipe]] = {"decompose": DecomposerRecipe, "solve": SolverRecipe}
"""The two students, in training order; the keys are the checkpoint's sub-directories."""
assert tuple(STAGES) == tuple(SOCRATIC_PREFIXES)


def socratic_prompt(config: TrainConfig) -> PromptFormat:
    """The prompt block of the Socratic checkpoint's own manifest."""
    return PromptFormat(
        recipe="socratic",
        task=config.task,
        output="socratic",
        label_prefix=DECOMPOSE_PREFIX,
        path_prefixes=dict(SOCRATIC_PREFIXES),
        max_input_length=config.max_input_length,
        max_target_length=config.max_target_length,
    )


def _student_summary(stage: str, manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "path": stage,
        "status": manifest.get("status"),
        "steps": manifest.get("steps"),
        "best": manifest.get("best"),
        "n_train": manifest.get("data", {}).get("n_train"),
        "n_valid": manifest.get("data", {}).get("n_valid"),
        "throughput": manifest.get("throughput"),
    }


def _write_manifest(config: TrainConfig, root: Path, started: str) -> None:
    """The checkpoint's manifest: how to prompt it, and a summary of its two students."""
    manifests = {stage: read_json(root / stage / TRAIN_MANIFEST) for stage in STAGES}
    students = {stage: _student_summary(stage, m) for stage, m in manifests.items()}
    # One decomposer example per problem: its data block counts problems.
    data = dict(manifests["decompose"].get("data", {}))
    data["n_problems_train"] = data.pop("n_train", None)
    data["n_problems_valid"] = data.pop("n_valid", None)
    complete = all(s["status"] == "complete" for s in students.values())
    atomic_write_json(
        root / TRAIN_MANIFEST,
        {
            "manifest_version": MANIFEST_VERSION,
            "recipe": "socratic",
            "task": config.task,
            "prompt": socratic_prompt(config).to_dict(),
            "input_format": {
                "output": "socratic",
                "path_prefixes": dict(SOCRATIC_PREFIXES),
                "label_source": "teacher (Socratic steps)",
            },
            "config": config.to_dict(),
            "seed": config.seed,
            "data": data,
            "students": students,
            "status": "complete" if complete else "incomplete",
            "started": started,
            "updated": now_iso(),
            "provenance": provenance(),
        },
    )


def _check_steps(config: TrainConfig) -> None:
    """Every train and valid example has well-formed Socratic steps (else a DataError)."""
    data = training_data_for(config, teacher=False)
    for example in [*data.train, *data.valid]:
        socratic_steps(example)


def train_socratic(
    config: TrainConfig,
    ctx: Distributed,
    train_student: Callable[[TrainConfig, Distributed, Recipe], Any],
) -> dict[str, Any]:
    """Train the decomposer, then the solver, each into its sub-directory of ``config.out``.

    ``train_student(config, ctx, recipe)`` is the training loop; each student gets ``config``
    with ``out`` set to its sub-directory. Returns the loop's result per student.

    Raises
    ------
    UsageError, DataError
        An ``out`` holding a different run; data without Socratic steps (named by example).
    """
    from evalsuite.tasks import get_task

    root = Path(config.out)
    claim_output(root, config)
    _check_steps(config)  # before anything is written: a data error leaves no half-made run
    barrier(ctx)
    started = now_iso()
    if ctx.is_main:
        root.mkdir(parents=True, exist_ok=True)
        saved = root / TRAIN_MANIFEST
        if saved.is_file():
            started = str(read_json(saved).get("started", started))
        atomic_write_json(root / CONFIG_FILE, config.to_dict())
    task = get_task(config.task)
    results = {}
    for stage, recipe in STAGES.items():
        stage_config = replace(config, out=str(root / stage))
        if ctx.is_main:
            print(f"socratic {stage} student: {stage_config.out}", file=sys.stderr, flush=True)
        results[stage] = train_student(stage_config, ctx, recipe(stage_config, task))
    if ctx.is_main:
        _write_manifest(config, root, started)
    barrier(ctx)
    return results
