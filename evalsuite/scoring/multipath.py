"""Scoring mixed (CoT + PoT) students: sample paths of each kind, run programs, vote.

A mixed student answers through two prompts (``PromptFormat.path_prefixes``): ``cot`` writes
``"<rationale> So the answer is <label>"``, ``pot`` writes a Python program that sets ``ans``.
Path modes: ``cot`` or ``pot`` (single-path: only that kind) and ``multi`` (both kinds). With
``--num-samples K`` each kind gets K sampled paths, else one greedy path each.

PoT programs are model output, written in one line (:mod:`evalsuite.program_text`) and turned
back into programs before they run; a path's ``text`` is the program that ran. They run only in
the sandbox (:mod:`evalsuite.sandbox`),
all programs of a batch in one call on a pool that stays open across batches. A program that
breaks a limit is a failed path (``ok`` false, ``error`` with its kind); scoring goes on.

What ``ok`` means per kind: a CoT path is ok when an answer could be read from its label part;
a PoT path is ok when its program ran and set ``ans`` (its answer is ``ans`` read by the task).

The vote (:func:`vote`): the answer reached by the most paths wins (answers grouped by
``task.same_answer``); a tie goes to the answer whose supporting paths have the highest mean
sequence probability, then to an answer reached by a CoT path over one reached only by PoT,
then to the answer reached first. The record reports the winner's most probable path, its
confidence is the winner's vote share, and ``paths`` lists every path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evalsuite.checkpoint import PromptFormat
from evalsuite.errors import DataError, UsageError
from evalsuite.example import Example
from evalsuite.program_text import line_to_program
from evalsuite.sandbox import Sandbox, SandboxResult
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.formats import ScoredExample, batch_seed
from evalsuite.scoring.records import LabelScore, PathOutput, build_record
from evalsuite.scoring.student import Generated, Student
from evalsuite.tasks import Task

__all__ = ["PATH_KINDS", "PATH_MODES", "ScoredPath", "Vote", "score_mixed_batch", "vote"]

PATH_KINDS = ("cot", "pot")
PATH_MODES = ("multi", "cot", "pot")
"""``multi``: every kind's paths vote together; ``cot``/``pot``: that kind alone."""


@dataclass(frozen=True)
class ScoredPath:
    """One reasoning path of one example, read and (for PoT) executed."""

    kind: str
    text: str
    """The generation: CoT rationale and label, or the program."""
    prediction: str
    """The label text (CoT) or ``ans`` as text (PoT; empty when the program failed)."""
    answer: str | None
    ok: bool
    correct: bool
    log_prob: float
    n_tokens: int
    rationale: str | None = None
    error: dict[str, str] | None = None
    """PoT: ``{"kind", "message"}`` from the sandbox when the program failed."""

    @property
    def prob(self) -> float:
        """Sequence probability of the whole generation."""
        return math.exp(self.log_prob)

    def as_record(self) -> dict[str, Any]:
        """The record form: ``{kind, text, answer, ok, correct, sequence_confidence, error}``."""
        return {
            "kind": self.kind,
            "text": self.text,
            "answer": self.answer,
            "ok": self.ok,
            "correct": self.correct,
            "sequence_confidence": self.prob,
            "error": self.error,
        }


@dataclass(frozen=True)
class Vote:
    """The vote's outcome: the path to report, and how many of ``n_paths`` back its answer."""

    index: int
    votes: int
    n_paths: int

    @property
    def share(self) -> float:
        """Vote share of the winning answer (0 when no path had a readable answer)."""
        return self.votes / self.n_paths if self.n_paths else 0.0


def vote(paths: Sequence[ScoredPath], same_answer: Callable[[str, str], bool]) -> Vote:
    """Majority vote over every path's answer, with the tie rule of the module docstring.

    Returns the winner's most probable path (the first of equals); with no readable answer,
    path 0 with 0 votes.

    Examples
    --------
    >>> def path(kind, answer, log_prob):
    ...     return ScoredPath(kind, "", answer or "", answer, answer is not None, False,
    ...                       log_prob, 1)
    >>> same = lambda a, b: a == b
    >>> vote([path("cot", "3", -1.0), path("pot", "4", -0.1), path("pot", "3", -2.0)], same)
    Vote(index=0, votes=2, n_paths=3)
    >>> vote([path("cot", "3", -1.0), path("pot", "4", -0.1)], same).index  # 1 vs 1: prob
    1
    >>> vote([path("pot", "4", -1.0), path("cot", "3", -1.0)], same).index  # then CoT first
    1
    """
    groups: list[list[int]] = []
    for i, path in enumerate(paths):
        if path.answer is None:
            continue
        for group in groups:
            first = paths[group[0]].answer
            if first is not None and same_answer(first, path.answer):
                group.append(i)
                break
        else:
            groups.append([i])
    if not groups:
        return Vote(0, 0, len(paths))

    def strength(position: int) -> tuple[int, float, bool, int]:
        group = groups[position]
        mean_prob = math.fsum(paths[i].prob for i in group) / len(group)
        has_cot = any(paths[i].kind == "cot" for i in group)
        return (len(group), mean_prob, has_cot, -position)

    winner = groups[max(range(len(groups)), key=strength)]
    index = max(winner, key=lambda i: (paths[i].prob, -i))
    return Vote(index, len(winner), len(paths))


def _value_text(value: Any) -> str:
    """``ans`` as the text the task reads its answer from."""
    return repr(value) if isinstance(value, float) else str(value)


def _cot_path(task: Task, example: Example, text: str, lps: Sequence[float]) -> ScoredPath:
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
        rationale=rationale,
    )


def _pot_path(
    task: Task, example: Example, text: str, lps: Sequence[float], result: SandboxResult
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
        rationale=text,
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
                paths.append(
                    _cot_path(task, example, gen.texts[row], lps)
                    if kind == "cot"
                    else _pot_path(task, example, programs[row], lps, results[row])
                )
        outcome = vote(paths, task.same_answer)
        chosen = paths[outcome.index]
        several = len(paths) > 1
        record = build_record(
            task,
            example,
            PathOutput(
                chosen.prediction, chosen.rationale, LabelScore(chosen.log_prob, chosen.n_tokens)
            ),
            confidence=outcome.share if several else None,
            confidence_source="vote" if several else None,
        )
        record["paths"] = [p.as_record() for p in paths]
        record["path_mode"] = mode
        record["chosen_path"] = outcome.index
        scored.append(ScoredExample(record, {}))
    return scored
