"""Numeric answers as large models write them: ``#### 450``, ``\\boxed{450}``, ``$450``.

One ordered registry, :data:`ANSWER_FORMS`, says where in a text the answer sits; one reader,
:func:`read_number`, turns that span into a value. Every numeric task reads student labels,
imported predictions and teacher labels through :func:`extract_number`, so a form learnt here is
learnt everywhere. The ``name`` of the form that matched is the record's ``extraction.method``.

Values come from the ``ast`` evaluator (:mod:`.arithmetic_eval`: numbers, + - * /, so SVAMP
equations keep their meaning) and, for LaTeX it cannot read (``\\frac{1}{2}``, ``\\dfrac``,
``1\\frac{1}{2}``, ``\\text{...}``, ``\\times``), from ``math-verify``'s LaTeX parser (ANTLR, no
``eval``). ``math-verify``'s plain-expression reader is not used: it goes through sympy's
``parse_expr``, which calls ``eval`` on model output.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from evalsuite.tasks.arithmetic_eval import evaluate_expression

__all__ = [
    "ANSWER_FORMS",
    "MAX_LATEX_CHARS",
    "AnswerForm",
    "extract_number",
    "outermost_parentheses",
    "read_number",
]

MAX_LATEX_CHARS = 200
"""Longer LaTeX spans are not handed to math-verify. Its parser runs without its own timeout
(that timeout is ``signal.alarm``: main thread only, and it cancels pytest-timeout's alarm), so the
length bound is what keeps a pathological span cheap."""

_GSM8K_MARKER = re.compile(r"####")
_STATED_MARKER = re.compile(r"\banswer\s*(?:is|:)\s*:?", re.IGNORECASE)
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_PARENTHESISED = re.compile(r"\(.*\)", re.DOTALL)
_SENTENCE_END = re.compile(r"[.!?;](?:\s|$)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_DECORATION = re.compile(r"\*\*|__|`|\\\$|\$|\\%|%|€|£")
_MATH_DELIMITERS = re.compile(r"\\[()\[\]]")
_TEXT_COMMAND = re.compile(r"\\(?:text|textbf|mathrm|mathbf)\s*\{([^{}]*)\}")
_OPERATOR_SIGNS = str.maketrans({"×": "*", "÷": "/", "−": "-"})
_NUMBER_WITH_UNITS = re.compile(r"^(-?\d+(?:\.\d+)?)\s*[^\W\d_][^\W\d_\s]*(?:\s+[^\W\d_]+)*$")


@dataclass(frozen=True)
class AnswerForm:
    """One way of writing an answer: where in the text its span is.

    Attributes
    ----------
    name : str
        The record's ``extraction.method`` when this form gives the answer.
    find : callable
        ``text -> span or None``: the text that states the answer, before :func:`read_number`.
    example : str
        A text in this form, for the docs and the tests.
    """

    name: str
    find: Callable[[str], str | None]
    example: str


def _after_last(marker: re.Pattern[str]) -> Callable[[str], str | None]:
    """The rest of the sentence after the last ``marker`` (the final statement wins)."""

    def find(text: str) -> str | None:
        matches = list(marker.finditer(text))
        if not matches:
            return None
        line = text[matches[-1].end() :].split("\n", 1)[0]
        return _SENTENCE_END.split(line.strip(), 1)[0]

    return find


def _last_boxed(text: str) -> str | None:
    """The contents of the last ``\\boxed{...}``, braces balanced."""
    matches = list(_BOXED.finditer(text))
    if not matches:
        return None
    start = matches[-1].end()
    depth = 1
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i]
    return None


def _whole(text: str) -> str | None:
    """The whole text, when it is an equation as it stands (no cleaning: a SVAMP label)."""
    return text if evaluate_expression(text) is not None else None


def outermost_parentheses(text: str) -> str | None:
    """From the first ``(`` to the last ``)``: where the DSS release keeps an equation."""
    match = _PARENTHESISED.search(text)
    return match.group(0) if match else None


def _last_line(text: str) -> str | None:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else None


ANSWER_FORMS: tuple[AnswerForm, ...] = (
    AnswerForm("equation", _whole, "( 10.0 * 45.0 )"),
    AnswerForm("gsm8k", _after_last(_GSM8K_MARKER), "10 * 45 = 450\n#### 450"),
    AnswerForm("boxed", _last_boxed, "So she has $\\boxed{450}$ apples."),
    AnswerForm("stated", _after_last(_STATED_MARKER), "10 * 45 = 450. The answer is 450."),
    AnswerForm("parenthesised", outermost_parentheses, "She has ( 10 * 45 ) apples"),
    AnswerForm("last_line", _last_line, "10 * 45 = 450\n**$450**"),
)
"""Tried in this order; the first whose span reads as a number gives the answer. ``equation``
first, so a SVAMP-style label keeps its value; the explicit final-answer markers before any
guess; ``last_line`` last: a text whose final line is the bare answer (``450.``, ``$1,000``,
``**450**``, ``450 apples``). A text matching none is an extraction failure, never a guess at
the last number it mentions."""


def _plain(span: str) -> str:
    """The span without what surrounds a number in prose: Markdown bold, currency and percent
    signs, math delimiters, ``\\text{...}`` wrappers, thousands separators, a final period, and
    the worked arithmetic before ``=`` (``10 * 45 = 450``; only when every left side is
    arithmetic, so that prose such as ``Ben has 4 = 5`` is not read as an answer)."""
    text = _MATH_DELIMITERS.sub(" ", _DECORATION.sub("", _TEXT_COMMAND.sub(r"\1", span)))
    text = _THOUSANDS.sub("", text.replace("{,}", ","))
    text = text.translate(_OPERATOR_SIGNS).strip().rstrip(".,:").strip()
    *worked, result = text.split("=")
    if worked and all(evaluate_expression(side) is not None for side in worked):
        return result.strip()
    return text


def _latex_value(latex: str) -> float | None:
    """The value of a LaTeX expression by math-verify's parser, if it is a finite real number."""
    if len(latex) > MAX_LATEX_CHARS:
        return None
    from math_verify import LatexExtractionConfig, parse

    # The "timeout is disabled" warning on every call: MAX_LATEX_CHARS stands in for the timeout.
    logging.getLogger("math_verify.parser").setLevel(logging.ERROR)
    parsed = parse(
        f"${latex}$",
        extraction_config=[LatexExtractionConfig()],
        fallback_mode="no_fallback",
        extraction_mode="first_match",
        parsing_timeout=None,  # type: ignore[arg-type,unused-ignore]  # None: no signal.alarm
    )
    if not parsed or not getattr(parsed[0], "is_number", False):
        return None
    try:
        value = float(parsed[0])
    except (TypeError, ValueError, OverflowError):  # complex, zoo, nan
        return None
    return value if math.isfinite(value) else None


def read_number(span: str) -> float | None:
    """The value a span of answer text states, or ``None`` if it states none.

    Parameters
    ----------
    span : str
        Text found by an :class:`AnswerForm`, e.g. ``"$1,234.50."`` or ``"\\frac{1}{2}"``.

    Returns
    -------
    float or None

    Examples
    --------
    >>> read_number("$1,234.50."), read_number("**450** apples"), read_number("10 * 45 = 450")
    (1234.5, 450.0, 450.0)
    >>> read_number("\\\\dfrac{3}{4}"), read_number("50%"), read_number("many") is None
    (0.75, 50.0, True)
    """
    text = _plain(span)
    value = evaluate_expression(text)
    if value is None:
        units = _NUMBER_WITH_UNITS.match(text)
        value = evaluate_expression(units.group(1)) if units else None
    if value is None and "\\" in text:
        value = _latex_value(text)
    return value


def extract_number(text: str) -> tuple[float, str] | None:
    """``(value, form name)`` of the first :data:`ANSWER_FORMS` entry that reads, else ``None``.

    Examples
    --------
    >>> extract_number("( 10.0 * 45.0 )"), extract_number("Work...\\n#### 1,000")
    ((450.0, 'equation'), (1000.0, 'gsm8k'))
    >>> extract_number("I cannot tell") is None
    True
    """
    for form in ANSWER_FORMS:
        span = form.find(text)
        if span is not None and (value := read_number(span)) is not None:
            return value, form.name
    return None
