"""The one self-consistency vote: its tie rule on hand-built ballots, and every sampled student
that uses it (single-output, label-only and multitask here; mixed in test_multipath.py, Socratic
in test_socratic.py), on fake students whose outputs and probabilities are fixed."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from evalsuite.checkpoint import PromptFormat
from evalsuite.example import Example
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.formats import score_batch
from evalsuite.scoring.paths import Ballot, ScoredPath, Vote, vote
from evalsuite.tasks import ANSWER_MARKER, get_task
from tests.scoring.fakes import FakeStudent

ARITH = get_task("arith")
SAME = ARITH.same_answer


def _ballot(kind: str, answer: str | None, prob: float) -> Ballot:
    return Ballot(kind, answer, math.log(prob))


def test_vote_majority_then_mean_probability_then_cot_then_first():
    # majority: "3" (two paths, one written 3.0) beats a more probable "4"
    ballots = [_ballot("pot", "4", 0.9), _ballot("cot", "3", 0.2), _ballot("pot", "3.0", 0.5)]
    assert vote(ballots, SAME) == Vote(index=2, votes=2, n_paths=3)
    # 1 vs 1: the higher mean sequence probability wins
    assert vote([_ballot("cot", "3", 0.2), _ballot("pot", "4", 0.3)], SAME).index == 1
    # 2 vs 2: mean 0.35 for "5" beats mean 0.3 for "6", though "6" has the most probable path
    ballots = [_ballot("cot", "6", 0.5), _ballot("cot", "5", 0.4), _ballot("pot", "5", 0.3),
               _ballot("pot", "6", 0.1)]  # fmt: skip
    assert vote(ballots, SAME) == Vote(index=1, votes=2, n_paths=4)
    # equal probability: the answer with a CoT path wins, whichever comes first
    assert vote([_ballot("pot", "4", 0.5), _ballot("cot", "3", 0.5)], SAME).index == 1
    assert vote([_ballot("socratic", "4", 0.5), _ballot("cot", "3", 0.5)], SAME).index == 1
    # all equal, both CoT (or neither): the answer reached first
    assert vote([_ballot("cot", "4", 0.5), _ballot("cot", "3", 0.5)], SAME).index == 0
    assert vote([_ballot("label", "4", 0.5), _ballot("label", "3", 0.5)], SAME).index == 0
    # the winner's most probable path is reported; the first of equals
    ballots = [_ballot("cot", "3", 0.2), _ballot("cot", "3", 0.6), _ballot("cot", "3", 0.6)]
    assert vote(ballots, SAME) == Vote(index=1, votes=3, n_paths=3)


def test_vote_groups_answers_the_task_calls_the_same_and_skips_unreadable_paths():
    ballots = [_ballot("cot", a, 0.5) for a in ["3", None, "4", "3.0", "4", "4"]]
    assert vote(ballots, SAME) == Vote(index=2, votes=3, n_paths=6)
    ballots = [_ballot("cot", a, 0.5) for a in [None, "( 1.0 + 1.0 )", "2"]]
    assert vote(ballots, SAME) == Vote(index=1, votes=2, n_paths=3)
    assert vote([_ballot("cot", None, 0.9), _ballot("pot", "2", 0.1)], SAME).votes == 1
    outcome = vote([_ballot("cot", None, 0.9), _ballot("pot", None, 0.1)], SAME)
    assert (outcome, outcome.share) == (Vote(0, 0, 2), 0.0)
    assert vote([], SAME) == Vote(0, 0, 0)


def test_a_scored_path_votes_with_its_kind_answer_and_whole_probability():
    path = ScoredPath("pot", "ans = 3", "3", "3", True, True, math.log(0.25), 4)
    assert path.ballot == Ballot("pot", "3", math.log(0.25))
    assert path.ballot.prob == pytest.approx(0.25)


class _FakeStudent(FakeStudent):
    """Also decodes: every non-empty token prefix reads as the answer marker, so the label of a
    single-output generation is its second (last) token."""

    def decode(self, ids: Sequence[int]) -> str:
        return ANSWER_MARKER if len(ids) else ""


EXAMPLE = Example(id="t0", input="question", gold="( 2 + 2 )", split="test")
FORMATS = {
    "rationale_then_label": (
        PromptFormat(recipe="single", task="arith", output="rationale_then_label"),
        lambda answer, why: f"{why} So the answer is {answer}",
    ),
    "label": (
        PromptFormat(recipe="standard", task="arith", output="label", label_prefix="p: "),
        lambda answer, why: answer,
    ),
    "multitask": (
        PromptFormat(recipe="dss", task="arith", output="multitask", label_prefix="p: ",
                     rationale_prefix="r: "),
        lambda answer, why: answer,
    ),
}  # fmt: skip


def _score_sampled(output: str, paths: list[tuple[str, str, float]]) -> dict:
    """Score EXAMPLE with one sampled path per ``(answer, rationale, probability)``."""
    prompt, write = FORMATS[output]
    outputs = {
        f"{prompt.label_prefix}question": [(write(a, why), p) for a, why, p in paths],
        "r: question": [(why, 0.5) for _, why, _ in paths],
    }
    (scored,) = score_batch(
        _FakeStudent(outputs), ARITH, prompt, [EXAMPLE],  # type: ignore[arg-type]
        decoding=DecodingConfig(num_samples=len(paths)), max_new_tokens=8, representations=False,
    )  # fmt: skip
    return scored.record


@pytest.mark.parametrize("output", list(FORMATS))
def test_every_sampled_student_breaks_ties_by_mean_probability(output: str):
    # Regression: single-output and label students used another rule (ties to the answer
    # reached first), so 1 vs 1 went to "( 1 + 2 )" here.
    record = _score_sampled(output, [("( 1 + 2 )", "a.", 0.2), ("4", "b.", 0.5)])
    assert (record.answer, record.correct) == ("4", True)
    assert (record.confidence, record.confidence_source) == (0.5, "vote")
    assert [s.answer for s in record.samples] == ["3", "4"]
    # 2 vs 2: mean 0.35 for "3" beats 0.3 for "4", reached first; 3's most probable path is shown
    paths = [("4", "a.", 0.3), ("3", "b.", 0.5), ("4", "c.", 0.3), ("3.0", "d.", 0.2)]
    record = _score_sampled(output, paths)
    assert (record.answer, record.confidence, record.prediction) == ("3", 0.5, "3")
    if output != "label":
        assert record.rationale == "b."
    # all equal: the answer reached first
    record = _score_sampled(output, [("5", "a.", 0.4), ("4", "b.", 0.4)])
    assert record.answer == "5"
