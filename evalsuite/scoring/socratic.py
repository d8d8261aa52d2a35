"""Scoring Socratic students: decompose, then solve the sub-questions in turn.

Per batch: the decomposer writes each question's sub-questions (:mod:`evalsuite.socratic`);
then, round by round, the solver answers every chain's next sub-question in one batched
generate call, reading the chain's own earlier answers, until every chain has answered its
last sub-question (at most :data:`~evalsuite.socratic.MAX_SUB_QUESTIONS` rounds). The answer is
read from the last sub-answer (:func:`~evalsuite.socratic.final_answer_text`). A chain whose
decomposition has no sub-question has no answer.

Decoding: greedy or beam search in both students, as ``--num-beams`` says. With
``--num-samples K`` the decomposer samples K decompositions per question and the solver answers
each greedily; the K chains vote as every sampled student's paths do
(:func:`evalsuite.scoring.paths.vote`; ties go to the more probable chains).

The record: ``prediction`` is the answer text of the chosen chain's last sub-answer,
``rationale`` its transcript ("Q: ... A: ... Q: ... A: ..."), ``socratic`` its steps
(``[{question, answer}]``), ``paths`` one path of kind ``socratic`` per chain (its
``sequence_confidence`` is the whole chain's probability: decomposition times every
sub-answer). The record's ``confidence`` (one chain) is P(answer tokens | input, rationale):
the tokens after the last ``=`` of the last sub-answer (all of it when it has none) given the
question and the chain before them; ``sequence_confidence`` is the whole chain's probability
(docs/confidence.md). ``consistent`` compares the answer with the value of the final
sub-answer's working (:mod:`evalsuite.scoring.consistency`), null with a reason when it shows
none. No label-set probabilities and no representations: the answer comes out of a chain, not
one label prompt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from evalsuite.checkpoint import PromptFormat
from evalsuite.errors import DataError
from evalsuite.example import Example
from evalsuite.runs.records import SocraticStep
from evalsuite.scoring.answer_span import AnswerSpan, answer_span
from evalsuite.scoring.decoding import DecodingConfig, batch_seed
from evalsuite.scoring.paths import ScoredPath, vote
from evalsuite.scoring.records import ScoredExample, build_record
from evalsuite.scoring.student import SocraticStudents
from evalsuite.socratic import (
    MAX_SUB_QUESTIONS,
    SOCRATIC_PREFIXES,
    Step,
    final_answer_text,
    solver_input,
    split_decomposition,
    transcript,
)
from evalsuite.tasks import Task

__all__ = ["Chain", "score_socratic_batch", "socratic_prefixes", "solve_chains"]


@dataclass
class Chain:
    """One decomposition of one question and the answers given to it so far.

    The faithfulness probes (:mod:`evalsuite.probes.chains`) build chains whose first steps
    are forced and let :func:`solve_chains` answer the rest, as scoring does."""

    example: int
    questions: list[str]
    log_prob: float
    n_tokens: int
    steps: list[Step] = field(default_factory=list)
    last: AnswerSpan | None = None
    """The answer tokens of the last sub-answer."""

    @property
    def done(self) -> bool:
        return len(self.steps) == len(self.questions)

    def path(self, task: Task, example: Example) -> ScoredPath:
        prediction = final_answer_text(self.steps[-1].answer) if self.steps else ""
        answer = task.extract_answer(prediction, example).answer
        text = transcript(self.steps)
        return ScoredPath(
            kind="socratic",
            text=text,
            prediction=prediction,
            answer=answer,
            ok=answer is not None,
            correct=task.is_correct(answer, example),
            log_prob=self.log_prob,
            n_tokens=self.n_tokens,
            answer_score=self.last.score if self.last else None,
            answer_source=self.last.source if self.last else "answer_tokens",
            rationale=text or None,
            evidence=self.steps[-1].answer if self.steps else None,
        )


def socratic_prefixes(prompt: PromptFormat) -> tuple[str, str]:
    """The decomposer's and the solver's prefixes of a Socratic checkpoint's prompt format.

    Raises
    ------
    DataError
        When either is missing.
    """
    missing = [name for name in SOCRATIC_PREFIXES if name not in prompt.path_prefixes]
    if missing:
        raise DataError(
            f"checkpoint prompt format has no '{missing[0]}' entry in path_prefixes "
            f"(has: {', '.join(prompt.path_prefixes) or 'none'})"
        )
    return prompt.path_prefixes["decompose"], prompt.path_prefixes["solve"]


def _decompose(
    students: SocraticStudents,
    prefix: str,
    examples: Sequence[Example],
    decoding: DecodingConfig,
    max_new_tokens: int,
) -> list[Chain]:
    ids = [e.id for e in examples]
    encoded = students.decomposer.encode([prefix + e.input for e in examples])
    generated = students.decomposer.generate(
        encoded,
        decoding,
        max_new_tokens=max_new_tokens,
        seed=batch_seed(decoding.seed, "decompose", ids),
    )
    k = generated.paths_per_prompt
    return [
        Chain(
            example=row // k,
            questions=split_decomposition(text),
            log_prob=math.fsum(lps),
            n_tokens=len(lps),
        )
        for row, (text, lps) in enumerate(
            zip(generated.texts, generated.token_log_probs, strict=True)
        )
    ]


def solve_chains(
    students: SocraticStudents,
    prefix: str,
    examples: Sequence[Example],
    chains: list[Chain],
    decoding: DecodingConfig,
    max_new_tokens: int,
) -> None:
    """Answer every chain's unanswered sub-questions in turn, one batched generate call per
    round (a chain's ``steps`` already given are read as its own earlier answers)."""
    # Sampling diversifies the decompositions; each is then answered by the solver's best guess.
    solver_decoding = DecodingConfig(num_beams=decoding.num_beams, seed=decoding.seed)
    ids = [e.id for e in examples]
    for round_ in range(MAX_SUB_QUESTIONS):
        active = [chain for chain in chains if not chain.done]
        if not active:
            return
        sources = [
            prefix + solver_input(examples[c.example].input, c.steps, c.questions[len(c.steps)])
            for c in active
        ]
        generated = students.solver.generate(
            students.solver.encode(sources),
            solver_decoding,
            max_new_tokens=max_new_tokens,
            seed=batch_seed(decoding.seed, f"solve-{round_}", ids),
        )
        for chain, token_ids, text, lps in zip(
            active, generated.token_ids, generated.texts, generated.token_log_probs, strict=True
        ):
            chain.steps.append(Step(chain.questions[len(chain.steps)], text.strip()))
            chain.last = answer_span(students.solver.decode, token_ids, lps, text, "socratic")
            chain.log_prob += math.fsum(lps)
            chain.n_tokens += len(lps)


def score_socratic_batch(
    students: SocraticStudents,
    task: Task,
    prompt: PromptFormat,
    examples: Sequence[Example],
    *,
    decoding: DecodingConfig,
    max_new_tokens: int,
) -> list[ScoredExample]:
    """Score one batch of a Socratic student pair: one record per example, its chains as paths.

    Raises
    ------
    DataError
        When the checkpoint's prompt format lacks the decompose or solve prefix.
    """
    decompose_prefix, solve_prefix = socratic_prefixes(prompt)
    chains = _decompose(students, decompose_prefix, examples, decoding, max_new_tokens)
    solve_chains(students, solve_prefix, examples, chains, decoding, max_new_tokens)

    scored = []
    for i, example in enumerate(examples):
        mine = [chain for chain in chains if chain.example == i]
        paths = [chain.path(task, example) for chain in mine]
        outcome = vote([path.ballot for path in paths], task.same_answer)
        chosen, chain = paths[outcome.index], mine[outcome.index]
        several = len(paths) > 1
        record = build_record(
            task,
            example,
            chosen.output(),
            confidence=outcome.share if several else None,
            confidence_source="vote" if several else None,
        )
        record = replace(
            record,
            socratic=tuple(SocraticStep(question=s.question, answer=s.answer) for s in chain.steps),
            paths=tuple(path.as_record() for path in paths),
            path_mode="socratic",
            chosen_path=outcome.index,
        )
        scored.append(ScoredExample(record, {}))
    return scored
