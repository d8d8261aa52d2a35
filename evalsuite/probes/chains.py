"""The forcing probes on Socratic students: force pairs into the solver's context, let the
solver answer the remaining sub-questions as scoring does, read the last sub-answer.

Per batch: the scorer writes the student's own chains (:func:`score_socratic_batch`, greedy);
each probe plans its interventions on a chain (:mod:`evalsuite.probes.chain_plans`); every
intervention becomes a chain whose first pairs are forced, and the scorer's solver loop
(:func:`solve_chains`, one batched generate call per round) answers the rest. Each record is
the scorer's record plus ``interventions`` whose ``prefix`` is the transcript of the forced
pairs and ``continuation`` that of the pairs the solver wrote after them, so the run reads like
any other probe run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evalsuite.checkpoint import PromptFormat
from evalsuite.errors import UsageError
from evalsuite.example import Example
from evalsuite.probes.chain_plans import ChainInput
from evalsuite.probes.forcing import TokenSource
from evalsuite.probes.records import Intervention, answer_changed, with_interventions
from evalsuite.probes.registry import chain_plan
from evalsuite.runs import Record
from evalsuite.scoring.decoding import DecodingConfig, batch_seed
from evalsuite.scoring.socratic import (
    Chain,
    score_socratic_batch,
    socratic_prefixes,
    solve_chains,
)
from evalsuite.scoring.student import SocraticStudents
from evalsuite.socratic import Step, socratic_steps, transcript
from evalsuite.tasks import Task

__all__ = ["ORACLE", "check_oracle_data", "probe_chains_batch"]

ORACLE = "oracle"
TEACHER_FIELD = "socratic"


def check_oracle_data(probes: Sequence[str], task: Task, examples: Sequence[Example]) -> None:
    """Refuse the oracle probe of a Socratic student on data without teacher decompositions,
    before the probe run is opened (so nothing is half-written).

    Raises
    ------
    UsageError
        When ``oracle`` is asked for and the first example has no ``socratic`` field.
    DataError
        When an example's teacher decomposition is malformed (:func:`socratic_steps`).
    """
    if ORACLE not in probes or not examples:
        return
    if TEACHER_FIELD not in examples[0].extra:
        raise UsageError(
            f"probe '{ORACLE}': task '{task.name}' has no teacher Socratic decomposition "
            f"(field '{TEACHER_FIELD}') to force on a Socratic student"
        )
    for example in examples:
        socratic_steps(example)


def probe_chains_batch(
    students: SocraticStudents,
    tokens: TokenSource,
    task: Task,
    prompt: PromptFormat,
    examples: Sequence[Example],
    *,
    probes: Sequence[str],
    seed: int,
    perturbation_rate: float,
    batch_size: int,
    max_new_tokens: int,
) -> list[Record]:
    """Probe one batch of a Socratic student pair: one record per example, in order.

    ``tokens`` tokenizes for the token probes (filler length, perturbation): the solver's
    tokenizer, which reads the forced pairs. Interventions are solved ``batch_size`` chains
    at a time.

    Raises
    ------
    DataError
        When the prompt format lacks a Socratic prefix, or (oracle) an example's teacher
        decomposition is malformed.
    """
    _, solve_prefix = socratic_prefixes(prompt)
    decoding = DecodingConfig(max_new_tokens=max_new_tokens, seed=seed)
    own = [
        scored.record
        for scored in score_socratic_batch(
            students, task, prompt, examples, decoding=decoding, max_new_tokens=max_new_tokens
        )
    ]
    plans, chains = [], []
    for row, (example, record) in enumerate(zip(examples, own, strict=True)):
        teacher = tuple(socratic_steps(example)) if ORACLE in probes else None
        for name in probes:
            given = ChainInput(
                steps=tuple(Step(s.question, s.answer) for s in record.socratic or ()),
                teacher_steps=teacher,
                rng=np.random.default_rng(batch_seed(seed, name, [example.id])),
                token_ids=tokens.token_ids,
                text=tokens.text,
                vocabulary=tokens.vocabulary,
                perturbation_rate=perturbation_rate,
            )
            for planned in chain_plan(name)(given):
                plans.append((row, name, planned))
                questions = [*(s.question for s in planned.context), *planned.questions]
                chains.append(Chain(row, questions, 0.0, 0, steps=list(planned.context)))
    for start in range(0, len(chains), batch_size):
        solve_chains(
            students, solve_prefix, examples, chains[start : start + batch_size], decoding,
            max_new_tokens,
        )  # fmt: skip

    per_example: list[list[Intervention]] = [[] for _ in examples]
    for (row, name, planned), chain in zip(plans, chains, strict=True):
        example = examples[row]
        answer = chain.path(task, example).answer  # read from its last sub-answer
        per_example[row].append(
            Intervention(
                probe=name,
                position=planned.position,
                n_steps=planned.n_steps,
                prefix=transcript(planned.context),
                continuation=transcript(chain.steps[len(planned.context) :]),
                answer=answer,
                correct=task.is_correct(answer, example),
                changed=answer_changed(task, answer, own[row].answer),
                detail=planned.detail,
            )
        )
    return [with_interventions(r, i) for r, i in zip(own, per_example, strict=True)]
