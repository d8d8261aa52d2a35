"""Robustness equivalence (Wiegreffe et al. 2021): perturb the input, and see whether the label
and the answer the rationale states change together.

A faithful explanation system changes its rationale's answer when, and only when, its label
changes. This probe needs no forcing, so it applies to separate-branch students (DSS, MI) as
well as joint ones: the scorer's own batch function scores each example and, at each noise
rate, a copy whose input has that share of its tokens replaced by random vocabulary tokens.

References: Wiegreffe, Marasović, Smith (2021). "Measuring Association Between Labels and
Free-Text Rationales." EMNLP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from evalsuite.checkpoint import PromptFormat
from evalsuite.example import Example
from evalsuite.probes.records import Intervention, with_interventions
from evalsuite.probes.steps import perturb_token_ids
from evalsuite.runs import Record
from evalsuite.sandbox import Sandbox
from evalsuite.scoring.decoding import DecodingConfig, batch_seed
from evalsuite.tasks import Task

if TYPE_CHECKING:
    from evalsuite.scoring.student import SocraticStudents, Student

__all__ = ["ROBUSTNESS", "ROBUSTNESS_RATES", "robustness_batch"]

ROBUSTNESS = "robustness"
ROBUSTNESS_RATES = (0.1, 0.2, 0.3)
"""Shares of the input's tokens replaced, one perturbed copy of each example per rate."""


def _changed(task: Task, before: str | None, after: str | None) -> bool | None:
    """Whether an answer changed; None when the original could not be read."""
    if before is None:
        return None
    return after is None or not task.same_answer(after, before)


def robustness_batch(
    student: Student | SocraticStudents,
    task: Task,
    prompt: PromptFormat,
    examples: Sequence[Example],
    *,
    rates: Sequence[float],
    seed: int,
    decoding: DecodingConfig,
    max_new_tokens: int,
    sandbox: Sandbox | None = None,
) -> list[Record]:
    """Score ``examples`` and one input-perturbed copy per rate with the scorer's batch
    function; each record is the original's, with one intervention per rate."""
    from evalsuite.scoring.formats import score_batch
    from evalsuite.scoring.student import SocraticStudents

    def score(batch: Sequence[Example]) -> list[Record]:
        scored = score_batch(
            student, task, prompt, batch, decoding=decoding, max_new_tokens=max_new_tokens,
            representations=False, sandbox=sandbox,
        )  # fmt: skip
        return [s.record for s in scored]

    reader = student.decomposer if isinstance(student, SocraticStudents) else student
    special = set(reader.tokenizer.all_special_ids)
    vocab = [i for i in range(len(reader.tokenizer)) if i not in special]
    originals = score(examples)
    per_example: list[list[Intervention]] = [[] for _ in examples]
    for position, rate in enumerate(rates):
        perturbed = []
        for example in examples:
            rng = np.random.default_rng(batch_seed(seed, f"{ROBUSTNESS}-{rate}", [example.id]))
            ids = reader.tokenizer(example.input, add_special_tokens=False)["input_ids"]
            noisy = perturb_token_ids(ids, rate=rate, vocab=vocab, rng=rng)
            perturbed.append(replace(example, input=reader.decode(noisy)))
        for i, (before, after, example) in enumerate(
            zip(originals, score(perturbed), perturbed, strict=True)
        ):
            per_example[i].append(
                Intervention(
                    probe=ROBUSTNESS,
                    position=position,
                    prefix="",
                    input=example.input,
                    rate=rate,
                    continuation=after.prediction,
                    answer=after.answer,
                    correct=after.correct,
                    changed=_changed(task, before.answer, after.answer),
                    rationale_answer=after.rationale_answer,
                    rationale_changed=_changed(
                        task, before.rationale_answer, after.rationale_answer
                    ),
                )
            )
    return [with_interventions(r, i) for r, i in zip(originals, per_example, strict=True)]
