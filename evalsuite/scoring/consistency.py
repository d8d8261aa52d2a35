"""Rationale-answer consistency, defined per kind of rationale (docs/confidence.md).

A record is consistent when the answer its rationale states agrees with the answer it reports.
What "the answer a rationale states" means depends on what the rationale is:

* ``cot`` (prose): the answer the text states ("the answer is X", else the task's fallback,
  e.g. the last number computed), read by :meth:`evalsuite.tasks.Task.rationale_answer`;
* ``pot`` (a program): its executed value from the sandbox, never a number read from the
  program text. For a scored PoT path the reported answer *is* that value, so such a path is
  consistent whenever its program ran; the check has teeth for records whose answer came from
  elsewhere;
* ``socratic`` (a chain of sub-answers): the record's answer is read from the final sub-answer
  after its last ``=``; the answer read independently is the value of the working before that
  ``=`` (``"3 * 4 = 13"`` is inconsistent). A final sub-answer that shows no working has
  nothing to compare, so ``consistent`` is null and ``consistency_reason`` says why.

Whenever ``consistent`` is null, :attr:`Consistency.reason` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from evalsuite.example import Example
from evalsuite.registry import Registry
from evalsuite.tasks import Task

__all__ = ["Consistency", "judge_consistency"]


@dataclass(frozen=True)
class Consistency:
    """The answer a rationale states, and whether it agrees with the reported answer."""

    rationale_answer: str | None
    consistent: bool | None
    reason: str | None
    """Why ``consistent`` is null (None when it is not)."""


@dataclass(frozen=True)
class _Stated:
    answer: str | None
    missing: str
    """The reason to give when ``answer`` is None."""


def _cot(task: Task, example: Example, rationale: str, evidence: str | None) -> _Stated:
    stated = task.rationale_answer(rationale, example).answer
    return _Stated(stated, "no answer could be read from the rationale")


def _pot(task: Task, example: Example, rationale: str, evidence: str | None) -> _Stated:
    if evidence is None:
        return _Stated(None, "the program did not run to a value of ans")
    stated = task.extract_answer(evidence, example).answer
    return _Stated(stated, "the program's value of ans is not an answer of this task")


def _socratic(task: Task, example: Example, rationale: str, evidence: str | None) -> _Stated:
    if evidence is None or "=" not in evidence:
        return _Stated(None, "the final sub-answer shows no working to read an answer from")
    working = evidence.rsplit("=", 1)[0]
    stated = task.extract_answer(working, example).answer
    return _Stated(stated, "no answer could be read from the final sub-answer's working")


_READERS: Registry[Callable[[Task, Example, str, str | None], _Stated]] = Registry(
    "rationale kind", {"cot": _cot, "pot": _pot, "socratic": _socratic}, error=ValueError
)
"""How each kind of rationale (the path kinds, :data:`evalsuite.names.PATH_KINDS`) states its
answer."""


def judge_consistency(
    task: Task,
    example: Example,
    *,
    kind: str,
    rationale: str | None,
    answer: str | None,
    evidence: str | None = None,
) -> Consistency:
    """The stated answer of a rationale of ``kind`` and whether it agrees with ``answer``.

    Parameters
    ----------
    task, example
        How answers are read and compared.
    kind : {"cot", "pot", "socratic"}
        What the rationale is (see the module docstring).
    rationale : str or None
        The rationale text (prose, program, or Socratic transcript).
    answer : str or None
        The answer the record reports.
    evidence : str or None
        PoT: the executed value of ``ans`` as text (None when the program failed);
        Socratic: the final sub-answer. Unused for CoT.

    Raises
    ------
    ValueError
        For an unknown kind.

    Examples
    --------
    >>> from evalsuite.tasks import get_task
    >>> from evalsuite.example import Example
    >>> task, ex = get_task("arith"), Example(id="a", input="q", gold="12", split="test")
    >>> judge_consistency(task, ex, kind="pot", rationale="a = 3 * 4\\nans = a + 0 * 2",
    ...                   answer="12", evidence="12")
    Consistency(rationale_answer='12', consistent=True, reason=None)
    >>> judge_consistency(task, ex, kind="socratic", rationale="Q: x A: 3 * 4 = 13",
    ...                   answer="13", evidence="3 * 4 = 13").consistent
    False
    """
    reader = _READERS[kind]
    if not rationale or not rationale.strip():
        return Consistency(None, None, "no rationale")
    stated = reader(task, example, rationale, evidence)
    if stated.answer is None:
        return Consistency(None, None, stated.missing)
    if answer is None:
        return Consistency(stated.answer, None, "no answer could be read from the prediction")
    return Consistency(stated.answer, task.same_answer(stated.answer, answer), None)
