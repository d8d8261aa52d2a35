"""Programs in one line and back: every program the suite trains on survives the round trip."""

from __future__ import annotations

import ast

import pytest

from evalsuite.data import ArithConfig, load_examples
from evalsuite.program_text import line_to_program, program_to_line

PROGRAMS = [
    "ans = 2 + 3",
    "a = 3\nb = a + 4\nans = b",
    "def solution():\n    total = 0\n    for i in range(3):\n        total += i\n    return total\n"
    "ans = solution()",
    "def f(x):\n  if x:\n    return 1\n  return 2\n\n\nans = f(0)",  # 2-space indentation
    "x = 1\n\tif x:\n\t\tans = 2".replace("\n\t", "\n", 1),  # tabs
]


@pytest.mark.parametrize("program", PROGRAMS)
def test_round_trip_is_the_same_program(program: str) -> None:
    line = program_to_line(program)
    assert "\n" not in line
    back = line_to_program(line)
    assert ast.dump(ast.parse(back)) == ast.dump(ast.parse(program.expandtabs(4)))


def test_round_trip_survives_whitespace_normalisation() -> None:
    # what a T5-style tokenizer does: every run of whitespace becomes one space
    line = " ".join(program_to_line(PROGRAMS[2]).split())
    assert ast.dump(ast.parse(line_to_program(line))) == ast.dump(ast.parse(PROGRAMS[2]))


def test_the_arith_teacher_programs_survive_exactly() -> None:
    examples = load_examples("arith", "train", arith=ArithConfig(n_train=30, n_valid=1, n_test=1))
    for program in (e.extra["pot"] for e in examples):
        assert line_to_program(program_to_line(program)) == program


def test_text_without_markers_is_left_alone() -> None:
    assert line_to_program("ans = 2\nprint(ans)") == "ans = 2\nprint(ans)"
    assert line_to_program("ans = 2 ans = 3") == "ans = 2 ans = 3"  # fails in the sandbox, as is
