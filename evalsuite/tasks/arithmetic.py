"""Arithmetic word problems whose labels are SVAMP-style equations: SVAMP and the built-in arith.

Answers are equations, judged by their value: ``( 10.0 * 45.0 )`` and ``450`` are the same answer.
Values come from the ``ast`` evaluator and compare with a relative tolerance of 1e-6; answers as
large models write them (``#### 450``, ``\\boxed{\\frac{1}{2}}``) are read by :mod:`.answer_forms`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from evalsuite.example import Example
from evalsuite.tasks.answer_forms import extract_number, outermost_parentheses
from evalsuite.tasks.arithmetic_eval import evaluate_expression, format_number, numbers_equal
from evalsuite.tasks.base import Extraction, Task, TeacherOutput

__all__ = ["ArithTask", "SvampTask"]

_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")


def _to_float(text: str) -> float | None:
    return evaluate_expression(text.replace(",", ""))


class _EquationTask(Task):
    """Shared judging for every task whose gold label is an equation."""

    required_fields: ClassVar[tuple[str, ...]] = ("input", "label")

    def format_input(self, row: Mapping[str, Any]) -> str:
        return str(row["input"])

    def gold_from_row(self, row: Mapping[str, Any]) -> str:
        return str(row["label"])

    def parse_teacher(self, text: str) -> TeacherOutput:
        """Cut at the next "Q:", split at "The answer is", keep the outermost ``( ... )``.

        This is the release's SVAMP convention; a continuation that does not split in exactly two
        gets an empty label (which no evaluator accepts), as the release's does.
        """
        head = text.split("Q:")[0].rstrip()
        parts = head.split("The answer is")
        if len(parts) != 2:
            return TeacherOutput(rationale="", label="")
        label = outermost_parentheses(parts[1])
        return TeacherOutput(rationale=parts[0].rstrip(), label=label or "")

    def extract_answer(self, text: str | None, example: Example) -> Extraction:
        """The value of the whole text as an equation, else of the first answer form that reads
        (:data:`~evalsuite.tasks.answer_forms.ANSWER_FORMS`: ``#### 450``, ``\\boxed{450}``,
        ``The answer is 450``, the outermost ``( ... )``, a last line such as ``$1,000.``)."""
        if text is None or not text.strip():
            return Extraction(None, "empty", False)
        found = extract_number(text)
        if found is None:
            return Extraction(None, "unparsed", False)
        value, form = found
        return Extraction(format_number(value), form, True)

    def same_answer(self, a: str, b: str) -> bool:
        va, vb = _to_float(a), _to_float(b)
        return va is not None and vb is not None and numbers_equal(va, vb)

    def _rationale_fallback(self, rationale: str, example: Example) -> Extraction:
        """The last number the rationale writes: the result of its last computation."""
        numbers = _NUMBER.findall(rationale)
        if not numbers:
            return Extraction(None, "no_number", False)
        value = _to_float(numbers[-1])
        if value is None:
            return Extraction(None, "no_number", False)
        return Extraction(format_number(value), "last_number", True)


class SvampTask(_EquationTask):
    """SVAMP from the DSS release: body and question joined by a newline; equation labels."""

    name = "svamp"
    description = "SVAMP arithmetic word problems (DSS release; equation labels)"


class ArithTask(_EquationTask):
    """The built-in synthetic arithmetic task, judged exactly like SVAMP."""

    name = "arith"
    description = "built-in synthetic arithmetic word problems (no data needed)"
    synthetic = True
