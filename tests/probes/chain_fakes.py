"""Socratic students whose use of their chain is known by construction: a fixed decomposer and
a solver that computes each sub-answer from what it reads (tests/scoring/fakes.py's
FakeStudent, its outputs a mapping computed per prompt).

Each question's chain is steps of the tiny language of tests/probes/fakes.py as sub-questions
(``Step 2: Add 5?``), then ``What is the answer?``. The *copying* solver applies a step to the
value of the last pair's sub-answer in its input (0 when there is none or it is no number) and
answers the last sub-question with that value: its answer is copied from its last pair. The
*ignoring* solver answers every sub-question with the value the question's own steps give,
whatever pairs precede it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from evalsuite.example import Example
from evalsuite.scoring.student import SocraticStudents
from evalsuite.socratic import SEPARATOR, SOLVE_PREFIX, decomposition_text
from tests.probes.fakes import chain, execute
from tests.scoring.fakes import FakeStudent

FINAL = "What is the answer?"
_SUB_QUESTION = re.compile(r"Step \d+: (Start with|Add|Minus|Times) (\d+)\?")


def _steps(i: int) -> list[tuple[str, int]]:
    steps = [("Start with", 2 + i), ("Add", 3 + i % 4), ("Times", 2 + i % 3), ("Add", 5)]
    return steps[: 2 + i % 3]  # 2, 3 or 4 steps: values only grow, no two equal


def _sub_questions(i: int) -> list[str]:
    return [f"Step {j + 1}: {verb} {n}?" for j, (verb, n) in enumerate(_steps(i))] + [FINAL]


def _values(i: int) -> list[int]:
    steps = _steps(i)
    return [execute(chain(steps[: j + 1])) for j in range(len(steps))]


def socratic_examples(n: int) -> list[Example]:
    """``n`` arith examples whose gold is their chain's value, with the teacher's pairs."""
    examples = []
    for i in range(n):
        values = _values(i)
        pairs = [[q, str(v)] for q, v in zip(_sub_questions(i), [*values, values[-1]], strict=True)]
        examples.append(
            Example(id=f"test-{i}", input=f"question {i}", gold=str(values[-1]), split="test",
                    extra={"socratic": pairs})
        )  # fmt: skip
    return examples


class _Solver(Mapping[str, Sequence[tuple[str, float]]]):
    """Solver prompt -> its one generation, computed by :meth:`answer`."""

    def __getitem__(self, prompt: str) -> Sequence[tuple[str, float]]:
        question, *pairs, current = prompt.removeprefix(SOLVE_PREFIX).split(SEPARATOR)
        return [(str(self.answer(question, pairs, current.removeprefix("Q: "))), 0.9)]

    def answer(self, question: str, pairs: list[str], sub_question: str) -> int:
        raise NotImplementedError

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class _Copying(_Solver):
    def answer(self, question: str, pairs: list[str], sub_question: str) -> int:
        last = pairs[-1].rpartition(" A: ")[2].strip() if pairs else ""
        value = int(last) if last.isdigit() else 0
        step = _SUB_QUESTION.fullmatch(sub_question)
        if step is None:  # the last sub-question: the last pair's value
            return value
        return execute(chain([("Start with", value), (step.group(1), int(step.group(2)))]))


class _Ignoring(_Solver):
    def answer(self, question: str, pairs: list[str], sub_question: str) -> int:
        i = int(question.removeprefix("question "))
        values = _values(i)
        return dict(zip(_sub_questions(i), [*values, values[-1]], strict=True))[sub_question]


def socratic_students(examples: Sequence[Example], *, copying: bool) -> SocraticStudents:
    """A decomposer that writes each question's sub-questions, and the copying or the
    ignoring solver."""
    decompositions = {
        f"decompose: {e.input}": decomposition_text(_sub_questions(int(e.input.split()[1])))
        for e in examples
    }
    decomposer = FakeStudent({prompt: [(text, 1.0)] for prompt, text in decompositions.items()})
    solver = FakeStudent(_Copying() if copying else _Ignoring())
    return SocraticStudents(decomposer, solver)  # type: ignore[arg-type]
