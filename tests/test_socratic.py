"""The Socratic prompt format: teacher steps checked, decompositions split, solver inputs built."""

from __future__ import annotations

import pytest

from evalsuite.errors import DataError
from evalsuite.example import Example
from evalsuite.socratic import (
    MAX_SUB_QUESTIONS,
    Step,
    decomposition_text,
    final_answer_text,
    socratic_steps,
    solver_input,
    split_decomposition,
    transcript,
)


def _example(socratic: object) -> Example:
    return Example(id="e7", input="q", gold="1", split="train", extra={"socratic": socratic})


def test_steps_of_a_good_example_are_stripped_pairs():
    steps = socratic_steps(_example([[" How many? ", "2 + 3 = 5 "], ("And then?", "5 * 2 = 10")]))
    assert steps == [Step("How many?", "2 + 3 = 5"), Step("And then?", "5 * 2 = 10")]


@pytest.mark.parametrize(
    ("socratic", "message"),
    [
        (None, r"train example e7: no 'socratic' field"),
        ([], r"field 'socratic' must be a non-empty list, got \[\]"),
        ("How many?", r"field 'socratic' must be a non-empty list"),
        ([["How many?"]], r"item 0 must be a \[sub-question, sub-answer\] pair"),
        ([["How many?", "2"], ["Then?", ""]], r"item 1 must be .* non-empty strings"),
        ([["How many?", 2]], r"item 0 must be"),
        ([["A | B?", "2"]], r"item 0: a sub-question may not contain '\|'"),
    ],
)
def test_bad_steps_are_named_by_example_and_item(socratic, message):
    with pytest.raises(DataError, match=message):
        socratic_steps(_example(socratic))


def test_decomposition_round_trips_and_is_capped():
    questions = ["How many at first?", "How many after buying 3?", "How many now?"]
    assert split_decomposition(decomposition_text(questions)) == questions
    many = decomposition_text([f"Q{i}?" for i in range(MAX_SUB_QUESTIONS + 5)])
    assert len(split_decomposition(many)) == MAX_SUB_QUESTIONS
    assert split_decomposition("") == [] and split_decomposition(" | | ") == []


def test_solver_input_lists_solved_pairs_then_the_next_sub_question():
    solved = [Step("How many at first?", "4"), Step("After buying 3?", "4 + 3 = 7")]
    assert solver_input("Ann has 4.\nShe buys 3.", solved, "Then doubled?") == (
        "Ann has 4.\nShe buys 3. | Q: How many at first? A: 4 | Q: After buying 3? A: 4 + 3 = 7"
        " | Q: Then doubled?"
    )
    assert solver_input("Ann has 4.", [], " How many? ") == "Ann has 4. | Q: How many?"


def test_final_answer_is_the_text_after_the_last_equals_sign():
    assert final_answer_text("7 * 2 = 14") == "14"
    assert final_answer_text("a = b = 3 ") == "3"
    assert final_answer_text(" river bank ") == "river bank"
    assert final_answer_text("7 * 2 =") == ""
    assert transcript([]) == ""
