"""Numeric answers as large models write them, read by every numeric task (svamp, arith).

Hand-written generations, one per form; LaTeX values checked against math-verify's own reading;
texts that state no answer stay extraction failures instead of becoming a guess.
"""

from __future__ import annotations

import pytest

from evalsuite.example import Example
from evalsuite.tasks import TASKS, get_task
from evalsuite.tasks.answer_forms import ANSWER_FORMS, MAX_LATEX_CHARS, extract_number, read_number

GOLD_450 = Example(id="test-0", input="q", gold="( 10.0 * 45.0 )", split="test")

_WITH_CHOICES = Example(id="test-0", input="q", gold="a", split="test", choices=("a", "b"))
NUMERIC_TASKS = [name for name, task in TASKS.items() if task.label_set(_WITH_CHOICES) is None]
"""The tasks with open (numeric) answers; a closed label set has its own reading."""

# (generation, the form that reads it): every way of writing 450 the issue names, and more.
FORMS_OF_450 = [
    ("( 10.0 * 45.0 )", "equation"),
    ("450", "equation"),
    ("450.", "equation"),
    ("She plants 10 * 45 = 450 seeds.\n#### 450", "gsm8k"),
    ("#### 10 * 45 = 450", "gsm8k"),
    ("10 rows of 45 give 450. The answer is 450", "stated"),
    ("The answer is 450.", "stated"),
    ("The answer is: $450. She spent it all.", "stated"),
    ("Final answer: 450 seeds", "stated"),
    ("Answer: **450**", "stated"),
    ("The answer is 10 * 45 = 450.", "stated"),
    ("The answer is 5, no wait, the answer is 450", "stated"),
    ("So she has $\\boxed{450}$ seeds.", "boxed"),
    ("\\boxed{450}", "boxed"),
    ("The final answer is \\boxed{\\text{450}}", "boxed"),
    ("She plants ( 10 * 45 ) seeds", "parenthesised"),
    ("$450", "last_line"),
    ("**450**", "last_line"),
    ("450 seeds", "last_line"),
    ("Each row has 45 seeds.\n10 × 45 = 450", "last_line"),
    ("Rows: 10\nTotal:\n$450.00", "last_line"),
]


@pytest.mark.parametrize("task_name", NUMERIC_TASKS)
@pytest.mark.parametrize(("text", "form"), FORMS_OF_450)
def test_every_form_of_an_answer_is_read_by_every_numeric_task(task_name, text, form) -> None:
    task = get_task(task_name)
    extraction = task.extract_answer(text, GOLD_450)
    assert (extraction.answer, extraction.method, extraction.matched) == ("450", form, True)
    assert task.is_correct(extraction.answer, GOLD_450)


def test_the_numeric_tasks_are_svamp_and_arith() -> None:
    # Pins the parametrisation above: a new open-answer task is tested without being listed.
    assert NUMERIC_TASKS == ["svamp", "arith"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,000", 1000.0),
        ("The answer is $1,234,567.", 1234567.0),
        ("#### 1,000.50", 1000.5),
        ("\\boxed{1{,}000}", 1000.0),
        ("-7", -7.0),
        ("The answer is −7.", -7.0),  # a Unicode minus sign
        ("The answer is 3.5 dollars.", 3.5),
        ("Answer: 1/4", 0.25),
        ("50%", 50.0),  # SVAMP golds state percentages as numbers
    ],
)
def test_thousands_separators_signs_and_decimals(text, value) -> None:
    found = extract_number(text)
    assert found is not None and found[0] == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(
    ("latex", "value"),
    [
        ("\\frac{1}{2}", 0.5),
        ("\\dfrac{3}{4}", 0.75),
        ("\\tfrac{7}{8}", 0.875),
        ("\\frac12", 0.5),
        ("1\\frac{1}{2}", 1.5),  # a mixed number, not 1 * 1/2
        ("450\\text{ seeds}", 450.0),
        ("10 \\times 45", 450.0),
        ("\\left(\\frac{9}{3}\\right)", 3.0),
        ("\\sqrt{16}", 4.0),
    ],
)
def test_latex_values_come_from_math_verify(latex, value) -> None:
    from math_verify import LatexExtractionConfig, parse

    # The independent reference: math-verify's own reading of the same LaTeX.
    reference = parse(f"${latex}$", extraction_config=[LatexExtractionConfig()])
    assert float(reference[0]) == pytest.approx(value)
    assert read_number(latex) == pytest.approx(value)
    found = extract_number(f"The answer is $\\boxed{{{latex}}}$.")
    assert found is not None and found == (pytest.approx(value), "boxed")


def test_fractions_are_judged_equal_to_their_decimal_gold() -> None:
    task = get_task("svamp")
    half = Example(id="test-1", input="q", gold="( 1.0 / 2.0 )", split="test")
    third = Example(id="test-2", input="q", gold="( 1.0 / 3.0 )", split="test")
    for text in ("\\boxed{\\frac{1}{2}}", "The answer is \\(\\dfrac{1}{2}\\).", "#### 0.5", "1/2"):
        assert task.is_correct(task.extract_answer(text, half).answer, half), text
    assert task.is_correct(task.extract_answer("$\\frac{1}{3}$", third).answer, third)
    # 0.33 is not a third: numbers compare with a relative tolerance of 1e-6.
    assert not task.is_correct(task.extract_answer("#### 0.33", third).answer, third)


@pytest.mark.parametrize(
    "text",
    [
        "I cannot tell how many seeds there are.",
        "about four hundred",
        # Prose that mentions numbers but states no answer is not guessed at (a regression test:
        # real student output from tests/runs/fixtures/schema1 that must stay unparsed).
        "Ben starts with 40 / 50 / 50 = 5. After that, Ben has 4 = 5 = 50",
        "Kira starts with 7 an 26 stamps. After that, Emma has 27",
        "( ) ) ) ) ) ) ) ) )",
        "450 seeds and 3 pots",
        "The answer is \\boxed{x + 1}",  # not a number
        "\\boxed{\\frac{1}{0}}",
        "The answer is ( 3 / 0 )",
        "#### ",
        "__import__('os').system('touch pwned')",  # model output is data, never evaluated
    ],
)
def test_texts_that_state_no_number_are_extraction_failures(text) -> None:
    extraction = get_task("svamp").extract_answer(text, GOLD_450)
    assert (extraction.answer, extraction.method, extraction.matched) == (None, "unparsed", False)


def test_overlong_latex_is_not_parsed() -> None:
    long_latex = "\\frac{1}{2}" + " + \\frac{1}{2}" * MAX_LATEX_CHARS
    assert read_number(long_latex) is None
    assert read_number("\\frac{1}{2}" + " + \\frac{1}{2}" * 3) == pytest.approx(2.0)


def test_each_form_reads_its_own_example_and_names_are_unique() -> None:
    names = [form.name for form in ANSWER_FORMS]
    assert len(set(names)) == len(names)
    for form in ANSWER_FORMS:
        found = extract_number(form.example)
        assert found is not None and found[1] == form.name, form.name


def test_rationale_consistency_reads_the_same_forms() -> None:
    task = get_task("arith")
    stated = task.rationale_answer("10 * 45 = 450 seeds. So the answer is **450**.", GOLD_450)
    assert (stated.answer, stated.method) == ("450", "stated")
