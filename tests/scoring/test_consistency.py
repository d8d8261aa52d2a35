"""Consistency per rationale kind (scoring/consistency.py), on hand-built cases."""

from __future__ import annotations

import pytest

from evalsuite.example import Example
from evalsuite.scoring.consistency import judge_consistency
from evalsuite.scoring.records import PathOutput, build_record
from evalsuite.tasks import get_task

ARITH = get_task("arith")
EXAMPLE = Example(id="test-0", input="q", gold="( 14.0 * 14.0 )", split="test")
PROGRAM = "side = 14\narea = side ** 2\nans = area"


def test_a_programs_stated_answer_is_its_executed_value():
    # Regression (mixed-pot test-0): the program computes 196, the last number in its text is 2.
    judged = judge_consistency(
        ARITH, EXAMPLE, kind="pot", rationale=PROGRAM, answer="196", evidence="196"
    )
    assert (judged.rationale_answer, judged.consistent, judged.reason) == ("196", True, None)
    as_prose = judge_consistency(ARITH, EXAMPLE, kind="cot", rationale=PROGRAM, answer="196")
    assert (as_prose.rationale_answer, as_prose.consistent) == ("2", False)


def test_a_program_that_did_not_run_is_not_judged():
    judged = judge_consistency(ARITH, EXAMPLE, kind="pot", rationale=PROGRAM, answer=None)
    assert (judged.rationale_answer, judged.consistent) == (None, None)
    assert judged.reason == "the program did not run to a value of ans"


def test_a_pot_record_reads_the_executed_value():
    output = PathOutput("196", PROGRAM, rationale_kind="pot", evidence="196")
    record = build_record(ARITH, EXAMPLE, output)
    assert (record.rationale_kind, record.rationale_answer, record.consistent) == (
        "pot", "196", True,
    )  # fmt: skip
    assert record.to_json()["rationale_kind"] == "pot"


@pytest.mark.parametrize(
    ("final", "stated", "consistent"),
    [("3 * 4 = 12", "12", True), ("3 * 4 = 13", "12", False), ("( 3 + 4 ) * 2 = 14", "14", True)],
)
def test_a_socratic_chain_is_judged_on_its_final_working(final, stated, consistent):
    answer = ARITH.extract_answer(final.rsplit("=", 1)[1], EXAMPLE).answer
    judged = judge_consistency(
        ARITH, EXAMPLE, kind="socratic", rationale=f"Q: how many? A: {final}", answer=answer,
        evidence=final,
    )  # fmt: skip
    assert (judged.rationale_answer, judged.consistent) == (stated, consistent)


def test_no_rationale_and_unknown_kind():
    judged = judge_consistency(ARITH, EXAMPLE, kind="cot", rationale="  ", answer="1")
    assert (judged.consistent, judged.reason) == (None, "no rationale")
    with pytest.raises(
        ValueError, match="unknown rationale kind 'proof'; choose from cot, pot, socratic"
    ):
        judge_consistency(ARITH, EXAMPLE, kind="proof", rationale="x", answer="1")
