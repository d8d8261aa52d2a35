"""The Socratic prompt format, shared by the trainer and the scorer so that both read it alike.

A Socratic student is two students (Shridhar et al., 2022, "Distilling reasoning capabilities
into smaller language models"):

* the **decomposer** reads ``"decompose: " + question`` and writes every sub-question at once,
  joined by ``" | "`` (:func:`decomposition_text`);
* the **solver** reads ``"solve: " + question`` followed by the sub-question/answer pairs solved
  so far and the next sub-question (:func:`solver_input`), and writes that sub-question's answer.

At inference they work in turn: decompose once, then solve the sub-questions one by one, each
seeing its own earlier answers. The final answer is the last sub-answer. A sub-answer may show
its working as ``"<expression> = <value>"`` (e.g. ``"12 + 5 = 17"``); the answer read from it is
the text after its last ``=`` (:func:`final_answer_text`). The arith teacher's sub-answers are
equations of the steps so far (``"( 12.0 + 5.0 )"``), whose answer is their value.

Training material is ``Example.extra["socratic"]``: a list of ``[sub-question, sub-answer]``
pairs, from the arith teacher or a JSONL row's ``socratic`` field (:func:`socratic_steps`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evalsuite.errors import DataError
from evalsuite.example import Example

__all__ = [
    "DECOMPOSE_PREFIX",
    "MAX_SUB_QUESTIONS",
    "SEPARATOR",
    "SOCRATIC_PREFIXES",
    "SOLVE_PREFIX",
    "Step",
    "decomposition_text",
    "final_answer_text",
    "socratic_steps",
    "solver_input",
    "split_decomposition",
    "transcript",
]

DECOMPOSE_PREFIX = "decompose: "
SOLVE_PREFIX = "solve: "
SOCRATIC_PREFIXES = {"decompose": DECOMPOSE_PREFIX, "solve": SOLVE_PREFIX}
"""``PromptFormat.path_prefixes`` of a Socratic checkpoint: student (sub-directory) -> prefix."""

SEPARATOR = " | "
"""Between sub-questions in a decomposition, and between the parts of a solver's input."""

MAX_SUB_QUESTIONS = 16
"""Sub-questions solved per example at most: a decomposer that never stops costs bounded time."""


@dataclass(frozen=True)
class Step:
    """One sub-question and its answer."""

    question: str
    answer: str


def socratic_steps(example: Example) -> list[Step]:
    """The teacher's Socratic steps of one example, checked.

    Raises
    ------
    DataError
        Naming the example, when it has no ``socratic`` field, or the field is not a non-empty
        list of ``[sub-question, sub-answer]`` string pairs, or a sub-question contains ``|``
        (the separator of a decomposition).
    """
    where = f"{example.split} example {example.id}"
    raw = example.extra.get("socratic")
    if raw is None:
        raise DataError(
            f"{where}: no 'socratic' field (a list of [sub-question, sub-answer] pairs); "
            "recipe 'socratic' trains on the teacher's decompositions"
        )
    if not isinstance(raw, list) or not raw:
        raise DataError(f"{where}: field 'socratic' must be a non-empty list, got {raw!r}")
    steps = []
    for position, pair in enumerate(raw):
        ok = (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(isinstance(part, str) and part.strip() for part in pair)
        )
        if not ok:
            raise DataError(
                f"{where}: field 'socratic' item {position} must be a [sub-question, sub-answer] "
                f"pair of non-empty strings, got {pair!r}"
            )
        question, answer = (part.strip() for part in pair)
        if "|" in question:
            raise DataError(
                f"{where}: field 'socratic' item {position}: a sub-question may not contain '|' "
                "(it separates sub-questions)"
            )
        steps.append(Step(question, answer))
    return steps


def decomposition_text(questions: Sequence[str]) -> str:
    """The decomposer's target: the sub-questions joined by :data:`SEPARATOR`.

    Examples
    --------
    >>> decomposition_text(["How many at first?", "How many after?"])
    'How many at first? | How many after?'
    """
    return SEPARATOR.join(question.strip() for question in questions)


def split_decomposition(text: str) -> list[str]:
    """The sub-questions of a decomposer's output (empty pieces dropped, at most
    :data:`MAX_SUB_QUESTIONS`).

    Examples
    --------
    >>> split_decomposition("How many at first? | | How many after? ")
    ['How many at first?', 'How many after?']
    >>> split_decomposition("  ")
    []
    """
    questions = [piece.strip() for piece in text.split("|")]
    return [question for question in questions if question][:MAX_SUB_QUESTIONS]


def solver_input(question: str, solved: Sequence[Step], sub_question: str) -> str:
    """What the solver reads (after its prefix) to answer ``sub_question``.

    Examples
    --------
    >>> solver_input("Tom has 2. He buys 3. How many?", [Step("How many at first?", "2")],
    ...              "How many after buying?")
    'Tom has 2. He buys 3. How many? | Q: How many at first? A: 2 | Q: How many after buying?'
    """
    parts = [question.strip()]
    parts += [f"Q: {step.question} A: {step.answer}" for step in solved]
    parts.append(f"Q: {sub_question.strip()}")
    return SEPARATOR.join(parts)


def final_answer_text(sub_answer: str) -> str:
    """The answer a sub-answer states: the text after its last ``=``, else all of it.

    Examples
    --------
    >>> final_answer_text("12 + 5 = 17")
    '17'
    >>> final_answer_text("the bank")
    'the bank'
    """
    return sub_answer.rsplit("=", 1)[-1].strip()


def transcript(steps: Sequence[Step]) -> str:
    """The chain as one text (a Socratic student's rationale).

    Examples
    --------
    >>> transcript([Step("How many at first?", "2"), Step("How many after?", "2 + 3 = 5")])
    'Q: How many at first? A: 2 Q: How many after? A: 2 + 3 = 5'
    """
    return " ".join(f"Q: {step.question} A: {step.answer}" for step in steps)
