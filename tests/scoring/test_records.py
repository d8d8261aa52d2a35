"""Records from model outputs: confidence choice, label-set normalisation, votes, fields."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import softmax

from evalsuite.example import Example
from evalsuite.runs import Record
from evalsuite.scoring.records import (
    LabelScore,
    PathOutput,
    build_record,
    choose_confidence,
    normalize_log_probs,
)
from evalsuite.tasks import get_task

ARITH = get_task("arith")
NLI = get_task("esnli")
CQA = get_task("cqa")


def _example(gold: str, **kwargs) -> Example:
    return Example(id="x-1", input="q", gold=gold, split="test", **kwargs)


def test_label_score_hand_values():
    score = LabelScore(log_prob=math.log(0.25), n_tokens=2)
    assert score.prob == pytest.approx(0.25)
    assert score.prob_per_token == pytest.approx(0.5)  # geometric mean of the two tokens
    assert LabelScore(0.0, 0).prob_per_token == 1.0


@pytest.mark.parametrize("seed", range(10))
def test_normalize_log_probs_matches_scipy_softmax(seed):
    rng = np.random.default_rng(seed)
    log_probs = (rng.normal(size=int(rng.integers(2, 6))) * 30 - 50).tolist()
    probs = normalize_log_probs(log_probs)
    np.testing.assert_allclose(probs, softmax(log_probs), rtol=1e-12, atol=1e-300)
    assert math.fsum(probs) == pytest.approx(1.0, abs=1e-12)
    # Reordering candidates reorders their probabilities and nothing else.
    assert normalize_log_probs(log_probs[::-1]) == pytest.approx(probs[::-1], abs=1e-15)


def test_confidence_is_the_chosen_labels_probability_in_the_set():
    probs = {"entailment": 0.1, "neutral": 0.7, "contradiction": 0.2}
    score = LabelScore(math.log(0.3), 2)
    assert choose_confidence(NLI, "neutral", label_probs=probs, label_score=score) == (
        0.7,
        "label_set",
    )
    # An answer outside the set falls back to the generated sequence's own probability.
    assert choose_confidence(NLI, None, label_probs=probs, label_score=score) == (
        pytest.approx(0.3),
        "answer_tokens",
    )
    assert choose_confidence(ARITH, "5", label_probs=None, label_score=None) == (None, None)


def test_cqa_candidates_are_matched_with_the_tasks_comparison():
    example = _example("Michigan", choices=("Ohio", "Michigan", "Texas", "Utah", "Iowa"))
    answer = CQA.extract_answer("(b) Michigan.", example).answer
    probs = dict(zip(example.choices or (), [0.1, 0.5, 0.2, 0.1, 0.1], strict=True))
    assert choose_confidence(CQA, answer, label_probs=probs, label_score=None) == (
        0.5,
        "label_set",
    )


def test_build_record_hand_case():
    example = _example(
        "( 2.0 + 3.0 )", teacher_rationale="2 + 3 = 5.", teacher_label="( 2.0 + 3.0 )"
    )
    output = PathOutput("( 3.0 + 2.0 )", "She has 2 + 3 = 5 apples.", LabelScore(math.log(0.5), 4))
    record = build_record(ARITH, example, output)
    assert Record.from_json(record.to_json(), "record") == record  # valid, and round-trips
    assert record.answer == "5" and record.correct is True
    assert record.rationale_answer == "5" and record.consistent is True
    assert record.confidence == pytest.approx(0.5)
    assert record.confidence_source == "answer_tokens"
    assert record.sequence_confidence_normalized == pytest.approx(0.5**0.25)
    assert record.to_json()["extraction"] == {"method": "equation", "matched": True}
    assert record.to_json()["teacher"] == {
        "rationale": "2 + 3 = 5.",
        "label": "( 2.0 + 3.0 )",
        "answer": "5",
    }
    assert "samples" not in record.to_json()


def test_teacher_agreement_compares_normalised_answers():
    # Regression: the teacher block held only the raw label "(10 * 45)", so the summary's
    # agreement compared it with the student's "450" and counted every example as disagreeing.
    from evalsuite.metrics.summary import summarize_run

    example = _example("( 10.0 * 45.0 )", teacher_rationale="10 * 45.", teacher_label="(10 * 45)")
    record = build_record(ARITH, example, PathOutput("( 45.0 * 10.0 )", None, None))
    assert summarize_run([record])["teacher_agreement"]["k"] == 1


def test_build_record_failed_extraction_and_explicit_vote():
    example = _example("neutral")
    paths = [PathOutput("maybe", None), PathOutput("neutral", "it is neutral")]
    record = build_record(
        NLI, example, paths[0], confidence=0.5, confidence_source="vote", samples=paths
    )
    assert record.answer is None and record.correct is False
    assert record.to_json()["extraction"] == {"method": "not_a_label", "matched": False}
    assert record.consistent is None and record.rationale is None
    assert record.confidence == 0.5 and record.confidence_source == "vote"
    assert [s.answer for s in record.samples] == [None, "neutral"]
    assert record.teacher is None and "teacher" not in record.to_json()


def test_every_confidence_source_and_rationale_kind_is_documented():
    from pathlib import Path

    from evalsuite.names import CONFIDENCE_SOURCES, PATH_KINDS
    from evalsuite.scoring import answer_span, consistency

    emitted = {*answer_span._SOURCES.values(), *answer_span._UNMARKED_SOURCES.values()}
    assert emitted <= set(CONFIDENCE_SOURCES)
    assert list(consistency._READERS) == list(PATH_KINDS) == list(answer_span._MARKERS)
    page = (Path(__file__).parents[2] / "docs" / "confidence.md").read_text()
    for name in (*CONFIDENCE_SOURCES, *PATH_KINDS):
        assert f"`{name}`" in page, name
