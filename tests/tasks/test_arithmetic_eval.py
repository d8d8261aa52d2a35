"""The ast evaluator: exact values, refusals, and the tolerance used to judge answers."""

from __future__ import annotations

import math
import random

import pytest

from evalsuite.tasks.arithmetic_eval import evaluate_expression, format_number, numbers_equal


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("( 10.0 * 45.0 )", 450.0),
        ("( 10.0 - ( 6.0 + 3.0 ) )", 1.0),
        ("(10 - (3 + 6))", 1.0),
        ("7 / 2", 3.5),
        ("-3 + +4", 1.0),
        ("  42 ", 42.0),
        ("((((1))))", 1.0),
    ],
)
def test_evaluates_numbers_and_four_operators(text: str, value: float) -> None:
    assert evaluate_expression(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hacked')",
        "open('x')",
        "2 ** 10",
        "10 // 3",
        "10 % 3",
        "x + 1",
        "(1).__class__",
        "[1, 2]",
        "3 / 0",
        "3 / (2 - 2)",
        "True + 1",
        "'a' * 3",
        "1e308 * 10",
        "",
        "   ",
        "( 1 + ",
        None,
        "(" * 5000 + "1" + ")" * 5000,
    ],
)
def test_refuses_everything_else(text: str | None) -> None:
    assert evaluate_expression(text) is None


def test_matches_python_arithmetic_on_random_expressions() -> None:
    # Property: on expressions the evaluator accepts, it agrees with exact rational arithmetic.
    from fractions import Fraction

    rng = random.Random(0)
    ops = {
        "+": lambda a, b: a + b,
        "-": lambda a, b: a - b,
        "*": lambda a, b: a * b,
        "/": lambda a, b: a / b,
    }
    for _ in range(300):
        text, exact = str(rng.randint(1, 50)), Fraction(0)
        exact = Fraction(int(text))
        for _ in range(rng.randint(1, 4)):
            op, b = rng.choice(list(ops)), rng.randint(1, 50)
            text, exact = f"( {text} {op} {b}.0 )", ops[op](exact, Fraction(b))
        value = evaluate_expression(text)
        assert value is not None
        assert math.isclose(value, float(exact), rel_tol=1e-12)


def test_tolerance_is_relative_one_in_a_million() -> None:
    assert numbers_equal(1.0, 1.0 + 5e-7)
    assert not numbers_equal(1.0, 1.0 + 5e-6)
    assert numbers_equal(1e6, 1e6 + 0.5)
    assert numbers_equal(0.0, 1e-12)


def test_format_number_is_canonical() -> None:
    assert format_number(450.0) == "450"
    assert format_number(-3.0) == "-3"
    assert format_number(2.5) == "2.5"
    assert format_number(1 / 3) == "0.3333333333"


def test_a_chain_of_1200_additions_is_evaluated_not_a_recursion_error():
    # Regression: a label of 1,200 chained additions in a user's JSONL hit the recursive
    # evaluator's depth limit; the walk keeps its own stack now.
    chain = " + ".join(["1.0"] * 1200)
    assert evaluate_expression(chain) == 1200.0
    assert evaluate_expression(f"( {chain} ) - 200") == 1000.0
    assert evaluate_expression("-" * 999 + "2") == -2.0
    assert evaluate_expression(" - ".join(["2"] * 1500)) == 2.0 - 2 * 1499


def test_nesting_beyond_the_parser_or_the_length_limit_is_a_non_match():
    assert evaluate_expression("(" * 300 + "1" + ")" * 300) is None  # parser: too many parens
    assert evaluate_expression("+".join(["1"] * 6000)) is None  # over MAX_EXPRESSION_CHARS
    assert evaluate_expression("-" * 5000 + "1") is None  # parser: recursion in ast building
