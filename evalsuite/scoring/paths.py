"""Sampled reasoning paths and the one self-consistency vote that every sampled student uses.

A student that answers through several paths (``--num-samples K`` on any student, a mixed
student's CoT and PoT paths, a Socratic student's sampled chains) reports the answer that
:func:`vote` picks: the answer reached by the most paths wins (answers grouped by
``task.same_answer``; a path without a readable answer does not vote); votes that tie go to
the answer whose paths have the higher mean sequence probability, then to an answer reached by
a CoT path over one reached by none, then to the answer reached first. The record reports the
winner's most probable path (the first of equals), and its confidence is the winner's vote
share.

What a path's sequence probability is: the probability of the whole generation that holds its
answer (a CoT path's rationale and label, a PoT path's program, a Socratic chain's
decomposition and every sub-answer, a label-only path's label).

Why the tie rule weighs paths by that whole-sequence probability and not by the answer's
probability given the rationale (the record's ``confidence`` of a single path,
docs/confidence.md): self-consistency marginalises over rationales, so a path counts as one
sample of (rationale, answer) together. An answer stated with certainty after an improbable
rationale should not outweigh a probable path; and paths of different kinds (a program and a
prose rationale) are compared on the same footing, the probability of everything they wrote.
The answer-given-rationale probability of each path is kept in its record (``confidence``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evalsuite.runs.records import PathError, PathRecord
from evalsuite.scoring.records import LabelScore, PathOutput

__all__ = ["Ballot", "ScoredPath", "Vote", "vote"]


@dataclass(frozen=True)
class Ballot:
    """What one path brings to the vote."""

    kind: str
    """The path's kind: ``cot`` (a rationale, then the label), ``pot``, ``socratic``, ``label``."""
    answer: str | None
    """The answer read from the path; None when none could be read (it does not vote)."""
    log_prob: float
    """Log sequence probability of the generation that holds the answer."""

    @property
    def prob(self) -> float:
        """Sequence probability ``exp(log_prob)``."""
        return math.exp(self.log_prob)


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
    """Log-probability of the whole generation (the vote's weight)."""
    n_tokens: int
    answer_score: LabelScore | None = None
    """The answer tokens given the input and the rest of the path (docs/confidence.md)."""
    answer_source: str = "answer_tokens"
    """The ``confidence_source`` that ``answer_score`` stands for."""
    rationale: str | None = None
    evidence: str | None = None
    """What the rationale's stated answer is read from: PoT the executed value, Socratic the
    final sub-answer (:mod:`evalsuite.scoring.consistency`)."""
    error: dict[str, str] | None = None
    """PoT: ``{"kind", "message"}`` from the sandbox when the program failed."""

    @property
    def prob(self) -> float:
        """Sequence probability of the whole generation."""
        return math.exp(self.log_prob)

    @property
    def ballot(self) -> Ballot:
        """The path's vote."""
        return Ballot(self.kind, self.answer, self.log_prob)

    def output(self) -> PathOutput:
        """What the record of an example reports when this path is chosen."""
        return PathOutput(
            self.prediction,
            self.rationale,
            self.answer_score,
            sequence_score=LabelScore(self.log_prob, self.n_tokens),
            label_source=self.answer_source,
            rationale_kind=self.kind,
            evidence=self.evidence,
        )

    def as_record(self) -> PathRecord:
        """The record form: kind, text, answer, ok, correct, sequence_confidence, confidence,
        error."""
        return PathRecord(
            kind=self.kind,
            text=self.text,
            answer=self.answer,
            ok=self.ok,
            correct=self.correct,
            sequence_confidence=self.prob,
            confidence=self.answer_score.prob if self.answer_score is not None else None,
            error=None
            if self.error is None
            else PathError(kind=self.error["kind"], message=self.error["message"]),
        )


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


def vote(ballots: Sequence[Ballot], same_answer: Callable[[str, str], bool]) -> Vote:
    """Majority vote over every path's answer, with the tie rule of the module docstring.

    Parameters
    ----------
    ballots : sequence of Ballot
        One per path, in the order the paths were generated.
    same_answer : callable
        ``task.same_answer``: whether two answers are the same (``"3"`` and ``"3.0"``).

    Returns
    -------
    Vote
        The winner's most probable path (the first of equals) and its answer's votes; with no
        readable answer, path 0 with 0 votes.

    Examples
    --------
    >>> same = lambda a, b: a == b
    >>> vote([Ballot("cot", "3", -1.0), Ballot("pot", "4", -0.1), Ballot("pot", "3", -2.0)],
    ...      same)
    Vote(index=0, votes=2, n_paths=3)
    >>> vote([Ballot("cot", "3", -1.0), Ballot("pot", "4", -0.1)], same).index  # 1 vs 1: prob
    1
    >>> vote([Ballot("pot", "4", -1.0), Ballot("cot", "3", -1.0)], same).index  # then CoT
    1
    """
    groups: list[list[int]] = []
    for i, ballot in enumerate(ballots):
        if ballot.answer is None:
            continue
        for group in groups:
            first = ballots[group[0]].answer
            if first is not None and same_answer(first, ballot.answer):
                group.append(i)
                break
        else:
            groups.append([i])
    if not groups:
        return Vote(0, 0, len(ballots))

    def strength(position: int) -> tuple[int, float, bool, int]:
        group = groups[position]
        mean_prob = math.fsum(ballots[i].prob for i in group) / len(group)
        has_cot = any(ballots[i].kind == "cot" for i in group)
        return (len(group), mean_prob, has_cot, -position)

    winner = groups[max(range(len(groups)), key=strength)]
    index = max(winner, key=lambda i: (ballots[i].prob, -i))
    return Vote(index, len(winner), len(ballots))
