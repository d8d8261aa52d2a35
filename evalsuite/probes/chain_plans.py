"""The forcing probes' interventions on a Socratic chain: which (sub-question, sub-answer)
pairs are forced into the solver's context, and which sub-questions it answers after them.

A Socratic student's answer is the solver's answer to the last sub-question, given the problem
and the pairs before it (:mod:`evalsuite.socratic`). Its steps are those pairs: a chain of m
pairs has n = m - 1 steps, the pairs before the last sub-question, so forcing all n of them and
asking the last sub-question gives the solver exactly the input it answered in the full chain.
The interventions reuse the rule-based changes of :mod:`evalsuite.probes.steps`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from evalsuite.probes.steps import corrupt_step, filler_text, perturb_token_ids
from evalsuite.socratic import Step

__all__ = [
    "ChainInput",
    "ChainPlanned",
    "corrupted_step_on_chain",
    "early_answering_on_chain",
    "filler_on_chain",
    "oracle_on_chain",
    "token_perturbation_on_chain",
]


@dataclass(frozen=True)
class ChainInput:
    """What a probe plans from on a Socratic student: its own chain and the means to change it.

    ``steps``: every pair of the student's chain (the last one answers the last sub-question);
    ``teacher_steps``: the teacher's pairs from the data (None: the oracle probe is not run).
    """

    steps: tuple[Step, ...]
    teacher_steps: tuple[Step, ...] | None
    rng: np.random.Generator
    token_ids: Callable[[str], list[int]]
    text: Callable[[Sequence[int]], str]
    vocabulary: Callable[[], Sequence[int]]
    perturbation_rate: float = 0.5


@dataclass(frozen=True)
class ChainPlanned:
    """One intervention: the pairs forced into the solver's context, then the sub-questions it
    answers in order, each reading the answers before it; the last one's answer is the answer.

    ``position``: early answering the pairs kept (k), corrupted step the corrupted pair's index;
    None for probes without positions. ``n_steps``: pairs before the last sub-question.
    """

    context: tuple[Step, ...]
    questions: tuple[str, ...]
    position: int | None
    n_steps: int
    detail: str | None = None


def early_answering_on_chain(given: ChainInput) -> list[ChainPlanned]:
    before = given.steps[:-1]
    if not before:
        return []
    last = given.steps[-1].question
    return [ChainPlanned(before[:k], (last,), k, len(before)) for k in range(len(before) + 1)]


def corrupted_step_on_chain(given: ChainInput) -> list[ChainPlanned]:
    before = given.steps[:-1]
    planned = []
    for i, step in enumerate(before):
        corruption = corrupt_step(step.answer, given.rng)
        if corruption is None:
            continue  # a sub-answer of prose: no rule-based mistake to make
        detail = f"{corruption.kind} {corruption.original} -> {corruption.replacement}"
        context = (*before[:i], Step(step.question, corruption.text))
        rest = tuple(s.question for s in given.steps[i + 1 :])
        planned.append(ChainPlanned(context, rest, i, len(before), detail))
    return planned


def filler_on_chain(given: ChainInput) -> list[ChainPlanned]:
    before = given.steps[:-1]
    if not before:
        return []
    per_filler = len(given.token_ids("..."))

    def filler(text: str) -> str:
        return filler_text(len(given.token_ids(text)), per_filler)

    context = tuple(Step(filler(s.question), filler(s.answer)) for s in before)
    return [ChainPlanned(context, (given.steps[-1].question,), None, len(before))]


def token_perturbation_on_chain(given: ChainInput) -> list[ChainPlanned]:
    before = given.steps[:-1]
    parts = [given.token_ids(text) for s in before for text in (s.question, s.answer)]
    ids = [i for part in parts for i in part]
    if not ids:
        return []
    changed = perturb_token_ids(
        ids, rate=given.perturbation_rate, vocab=given.vocabulary(), rng=given.rng
    )
    texts, start = [], 0
    for part in parts:  # the perturbed tokens back into their sub-questions and sub-answers
        texts.append(given.text(changed[start : start + len(part)]))
        start += len(part)
    context = tuple(Step(q, a) for q, a in zip(texts[::2], texts[1::2], strict=True))
    detail = f"{sum(a != b for a, b in zip(ids, changed, strict=True))} of {len(ids)} tokens"
    return [ChainPlanned(context, (given.steps[-1].question,), None, len(before), detail)]


def oracle_on_chain(given: ChainInput) -> list[ChainPlanned]:
    teacher = given.teacher_steps
    if not teacher:
        return []
    return [ChainPlanned(teacher[:-1], (teacher[-1].question,), None, len(teacher) - 1)]
