"""Scoring mixed (CoT + PoT) students: sample paths of each kind, run programs, vote.

A mixed student answers through two prompts (``PromptFormat.path_prefixes``): ``cot`` writes
``"<rationale> So the answer is <label>"``, ``pot`` writes a Python program that sets ``ans``.
Path modes: ``cot`` or ``pot`` (single-path: only that kind) and ``multi`` (both kinds). With
``--num-samples K`` each kind gets K sampled paths, else one greedy path each.

PoT programs are model output, written in one line (:mod:`evalsuite.program_text`) and turned
back into programs before they run; a path's ``text`` is the program that ran. They run only in
the sandbox (:mod:`evalsuite.sandbox`), all programs of a batch in one call on a pool that stays
open across batches. A program that
breaks a limit is a failed path (``ok`` false, ``error`` with its kind); scoring goes on.

What ``ok`` means per kind: a CoT path is ok when an answer could be read from its label part;
a PoT path is ok when its program ran and set ``ans`` (its answer is ``ans`` read by the task).

The vote is the one every sampled student uses (:func:`evalsuite.scoring.paths.vote`): the
answer reached by the most paths wins; a tie goes to the answer whose paths have the higher mean
sequence probability, then to one reached by a CoT path, then to the one reached first. The
record reports the winner's most probable path, its confidence is the winner's vote share, and
``paths`` lists every path.

With one path (``--paths cot`` or ``pot`` without sampling) the record's confidence is that
path's answer tokens given the input and the rest of the path (docs/confidence.md): a CoT
path's label after ``"So the answer is"``, a PoT path's expression after its last ``ans =``.
``sequence_confidence`` is the whole path's probability. A PoT record's ``rationale_answer``
is the program's executed value, never a number read from the program's text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from evalsuite import names
from evalsuite.checkpoint import PromptFormat
from evalsuite.errors import DataError, UsageError
from evalsuite.example import Example
from evalsuite.program_text import line_to_program
from evalsuite.sandbox import Sandbox, SandboxResult
from evalsuite.scoring.answer_span import AnswerSpan, answer_span
from evalsuite.scoring.decoding import DecodingConfig, batch_seed
from evalsuite.scoring.paths import ScoredPath, vote
from evalsuite.scoring.records import ScoredExample, build_record
from evalsuite.scoring.student import Generated, Student
from evalsuite.tasks import Task

__all__ = ["PATH_KINDS", "PATH_MODES", "score_mixed_batch"]

PATH_KINDS = names.MIXED_PATH_KINDS
PATH_MODES = names.PATH_MODES.names
"""``multi``: every kind's paths vote together; ``cot``/``pot``: that kind alone."""


def _value_text(value: Any) -> str:
    """``ans`` as the text the task reads its answer from."""
    return repr(value) if isinstance(value, float) else str(value)


def _cot_path(
    task: Task, example: Example, text: str, lps: Sequence[float], span: AnswerSpan
) -> ScoredPath:
    rationale, label_text = task.split_single_output(text)
    answer = task.extract_answer(label_text, example).answer
    return ScoredPath(
        kind="cot",
        text=text,
        prediction=label_text,
        answer=answer,
        ok=answer is not None,
        correct=task.is_correct(answer, example),
        log_prob=float(math.fsum(lps)),
        n_tokens=len(lps),
        answer_score=span.score,
        answer_source=span.source,
        rationale=rationale,
    )


def _pot_path(
    task: Task,
    example: Example,
    text: str,
    lps: Sequence[float],
    span: AnswerSpan,
    result: SandboxResult,
) -> ScoredPath:
    prediction = _value_text(result.value) if result.ok else ""
    answer = task.extract_answer(prediction, example).answer if result.ok else None
    error = None
    if not result.ok:
        error = {"kind": str(result.error_kind), "message": str(result.error_message or "")}
    return ScoredPath(
        kind="pot",
        text=text,
        prediction=prediction,
        answer=answer,
        ok=result.ok,
        correct=task.is_correct(answer, example),
        log_prob=float(math.fsum(lps)),
        n_tokens=len(lps),
        answer_score=span.score,
        answer_source=span.source,
        rationale=text,
        # The program's stated answer is what it computed, not a number in its text.
        evidence=prediction if result.ok else None,
        error=error,
    )


def score_mixed_batch(
    student: Student,
    task: Task,
    prompt: PromptFormat,
    examples: Sequence[Example],
    *,
    decoding: DecodingConfig,
    max_new_tokens: int,
    sandbox: Sandbox | None,
    mode: str = "multi",
) -> list[ScoredExample]:
    """Score one batch of a mixed student: one record per example, with every path in it.

    Raises
    ------
    UsageError
        For an unknown path mode, or PoT paths without a sandbox.
    DataError
        When the checkpoint's prompt format lacks a prefix the mode needs.
    """
    if mode not in PATH_MODES:
        raise UsageError(f"--paths {mode!r}: choose from {', '.join(PATH_MODES)}")
    kinds = PATH_KINDS if mode == "multi" else (mode,)
    ids = [e.id for e in examples]
    missing = [kind for kind in kinds if kind not in prompt.path_prefixes]
    if missing:
        raise DataError(
            f"checkpoint prompt format has no '{missing[0]}' entry in path_prefixes "
            f"(has: {', '.join(prompt.path_prefixes) or 'none'})"
        )
    generated: dict[str, Generated] = {}
    for kind in kinds:
        encoded = student.encode([prompt.path_prefixes[kind] + e.input for e in examples])
        generated[kind] = student.generate(
            encoded,
            decoding,
            max_new_tokens=max_new_tokens,
            seed=batch_seed(decoding.seed, kind, ids),
        )

    programs: list[str] = []
    results: list[SandboxResult] = []
    if "pot" in generated:
        if sandbox is None:
            raise UsageError("scoring PoT paths needs a sandbox")
        # Students write programs in one line (tokenizers drop newlines): restore them first.
        programs = [line_to_program(text) for text in generated["pot"].texts]
        results = sandbox.run(programs)  # the whole batch's programs at once

    scored = []
    for i, example in enumerate(examples):
        paths: list[ScoredPath] = []
        for kind, gen in generated.items():
            k = gen.paths_per_prompt
            for row in range(i * k, (i + 1) * k):
                lps = gen.token_log_probs[row]
                # Answer tokens are found in the generation as written (one-line programs).
                span = answer_span(student.decode, gen.token_ids[row], lps, gen.texts[row], kind)
                paths.append(
                    _cot_path(task, example, gen.texts[row], lps, span)
                    if kind == "cot"
                    else _pot_path(task, example, programs[row], lps, span, results[row])
                )
        outcome = vote([path.ballot for path in paths], task.same_answer)
        chosen = paths[outcome.index]
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
            paths=tuple(p.as_record() for p in paths),
            path_mode=mode,
            chosen_path=outcome.index,
        )
        scored.append(ScoredExample(record, {}))
    return scored
