"""summarize_run: the metrics.json contract (keys, rates with counts, nulls) on fixture records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from evalsuite.metrics.calibration import expected_calibration_error
from evalsuite.metrics.summary import answers_agree, summarize_run
from tests.metrics.runs import record, simulated_records

TOP_LEVEL = [
    "n",
    "accuracy",
    "extraction_failure",
    "consistency",
    "teacher_agreement",
    "calibration",
    "rationale",
    "paths",
    "confidence",  # added with --confidence: which record confidence calibration used
    "settings",  # added so the report and the explorer can tell a stored summary is current
]


def test_top_level_keys_are_the_contract() -> None:
    summary = summarize_run([record(1)])
    assert list(summary) == TOP_LEVEL


def test_rates_carry_their_counts() -> None:
    records = [
        record(1, correct=True, consistent=True, teacher={"label": "1", "rationale": "r"}),
        record(2, correct=False, answer=None, extraction={"method": "none", "matched": False}),
        record(3, correct=False, consistent=False, teacher={"label": "1", "rationale": "r"}),
        record(4, correct=True, consistent=None, teacher={"label": "2", "rationale": "r"}),
    ]
    summary = summarize_run(records)
    assert summary["n"] == 4
    assert {k: summary["accuracy"][k] for k in ("value", "k", "n")} == {
        "value": 0.5,
        "k": 2,
        "n": 4,
    }
    assert summary["extraction_failure"]["k"] == 1
    assert (summary["consistency"]["k"], summary["consistency"]["n"]) == (1, 2)
    # record 1 agrees ("1"), record 3 answered "0" vs "1", record 4 answered "1" vs "2"
    assert (summary["teacher_agreement"]["k"], summary["teacher_agreement"]["n"]) == (1, 3)
    assert summary["calibration"] is None
    low, high = summary["accuracy"]["low"], summary["accuracy"]["high"]
    assert low < 0.5 < high


def test_rates_that_apply_to_no_record_are_null() -> None:
    summary = summarize_run([record(1), record(2, correct=False)])
    assert summary["consistency"] is None
    assert summary["teacher_agreement"] is None
    assert summary["rationale"] is None


def test_teacher_agreement_uses_the_given_comparison() -> None:
    records = [record(1, answer="4.0", teacher={"label": "4"})]
    assert summarize_run(records)["teacher_agreement"]["k"] == 1  # numbers compare as numbers
    never = summarize_run(records, same_answer=lambda a, b: False)
    assert never["teacher_agreement"]["k"] == 0


def test_calibration_block_uses_records_with_a_confidence() -> None:
    records = simulated_records(300, accuracy=0.7, rng=np.random.default_rng(0))
    records.append(record("no-confidence", confidence=None))
    summary = summarize_run(records)
    cal = summary["calibration"]
    assert cal["n"] == 300
    prob = [r["confidence"] for r in records[:300]]
    hit = [r["correct"] for r in records[:300]]
    assert cal["ece"] == pytest.approx(expected_calibration_error(prob, hit))
    assert cal["ece_interval"]["estimate"] == pytest.approx(cal["ece"])
    assert sum(cal["reliability"]["counts"]) == 300
    assert set(cal) >= {"ece_15", "ece_equal_mass", "mce", "smooth_ece", "brier", "mmce", "aurc"}


def test_summary_is_strict_json_and_reproducible() -> None:
    records = simulated_records(50, accuracy=0.9, rng=np.random.default_rng(1))
    summary = summarize_run(records)
    text = json.dumps(summary, allow_nan=False)  # empty bins are null, never NaN
    assert json.loads(text) == summary
    assert summarize_run(records) == summary


def test_answers_agree() -> None:
    assert answers_agree(" Yes", "yes") and answers_agree("1e3", "1000")
    assert not answers_agree("3", "4") and not answers_agree("cat", "dog")


def test_classwise_ece_for_a_closed_label_set() -> None:
    from evalsuite.metrics.calibration import classwise_calibration_error

    labels = ["contradiction", "entailment", "neutral"]
    rng = np.random.default_rng(2)
    records, matrix, gold = [], [], []
    for i in range(60):
        probs = rng.dirichlet(np.ones(3))
        g = int(rng.integers(3))
        answer = labels[int(np.argmax(probs))]
        records.append(
            record(i, gold=labels[g].upper(), answer=answer, correct=answer == labels[g],
                   confidence=float(probs.max()), label_probs=dict(zip(labels, probs, strict=True)))
        )  # fmt: skip
        matrix.append(probs)
        gold.append(g)
    cal = summarize_run(records)["calibration"]
    # gold "ENTAILMENT" is matched to the label "entailment" by the (case-folding) comparison
    assert cal["classwise_ece"] == pytest.approx(classwise_calibration_error(matrix, gold))
    records[0]["label_probs"] = {"yes": 1.0}  # label sets differ: no classwise view
    assert summarize_run(records)["calibration"]["classwise_ece"] is None


def test_selective_accuracy_summary() -> None:
    records = [record(i, correct=i < 5, confidence=1 - i / 20) for i in range(10)]
    sel = summarize_run(records)["calibration"]["selective"]
    assert sel["coverage"] == pytest.approx([0.1 * k for k in range(1, 11)])
    assert sel["accuracy"][:5] == [1.0] * 5  # the five most confident are the correct ones
    assert sel["accuracy"][-1] == 0.5
