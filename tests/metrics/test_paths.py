"""Multi-path metrics on hand-made records, and agreement with a brute-force count."""

from __future__ import annotations

import random

import pytest

from evalsuite.metrics.paths import (
    path_accuracy,
    path_agreement,
    path_summary,
    pot_failure_rate,
    voting_accuracy,
)
from evalsuite.metrics.summary import summarize_run
from evalsuite.tasks import get_task


def _p(kind, answer, correct, ok=True):
    return {"kind": kind, "text": "", "answer": answer, "ok": ok, "correct": correct}


RECORDS = [
    {"id": "a", "gold": "7", "correct": True, "paths": [
        _p("cot", "7", True), _p("cot", "7.0", True), _p("pot", "7", True),
        _p("pot", None, False, ok=False)]},
    {"id": "b", "gold": "3", "correct": False, "paths": [
        _p("cot", "4", False), _p("cot", "3", True), _p("pot", "4", False), _p("pot", "5", False)]},
    {"id": "c", "gold": "1", "correct": True},  # a record without paths is left out
]  # fmt: skip


def test_hand_computed_path_metrics():
    cot = path_accuracy(RECORDS, "cot")
    assert (cot.k, cot.n) == (3, 4)
    pot = path_accuracy(RECORDS, "pot")
    assert (pot.k, pot.n) == (1, 4)
    assert (voting_accuracy(RECORDS).k, voting_accuracy(RECORDS).n) == (1, 2)
    failures = pot_failure_rate(RECORDS)
    assert (failures.k, failures.n, failures.value) == (1, 4, 0.25)
    # all pairs: a has 6 pairs, 3 agree under same_answer (7, 7.0, 7) -> 1 with string equality
    same = get_task("arith").same_answer
    assert (path_agreement(RECORDS, same_answer=same).k, path_agreement(RECORDS).n) == (4, 12)
    assert path_agreement(RECORDS).k == 2  # "7" == "7" (a) and "4" == "4" (b)
    cross = path_agreement(RECORDS, kinds=("cot", "pot"), same_answer=same)
    assert (cross.k, cross.n) == (3, 8)  # a: 7-7, 7.0-7; b: 4-4


def test_path_summary_block_and_summarize_run():
    same = get_task("arith").same_answer
    summary = path_summary(RECORDS, same_answer=same)
    assert summary is not None
    assert summary["n"] == 2
    assert set(summary["accuracy_by_kind"]) == {"cot", "pot"}
    assert summary["accuracy_by_kind"]["cot"]["value"] == 0.75
    assert summary["voting_accuracy"]["value"] == 0.5
    assert summary["pot_failure"]["value"] == 0.25
    assert summary["agreement"]["value"] == pytest.approx(4 / 12)
    assert summary["cot_pot_agreement"]["value"] == pytest.approx(3 / 8)
    assert summarize_run(RECORDS, same_answer=same)["paths"] == summary
    assert summarize_run(RECORDS[2:])["paths"] is None
    cot_only = [{"id": "a", "gold": "1", "correct": True, "paths": [_p("cot", "1", True)]}]
    block = path_summary(cot_only)
    assert block is not None
    assert (block["pot_failure"], block["agreement"], block["cot_pot_agreement"]) == (None,) * 3


def test_agreement_matches_a_brute_force_count_on_random_records():
    rng = random.Random(0)
    for _ in range(50):
        records = []
        for _ in range(rng.randint(1, 5)):
            paths = [
                _p(rng.choice(["cot", "pot"]), rng.choice(["1", "2", None]), rng.random() < 0.5)
                for _ in range(rng.randint(1, 5))
            ]
            records.append({"id": str(len(records)), "gold": "1", "correct": False, "paths": paths})
        agree = n = cross_agree = cross_n = 0
        for record in records:
            ps = record["paths"]
            for i in range(len(ps)):
                for j in range(i + 1, len(ps)):
                    same = ps[i]["answer"] is not None and ps[i]["answer"] == ps[j]["answer"]
                    agree, n = agree + same, n + 1
                    if ps[i]["kind"] != ps[j]["kind"]:
                        cross_agree, cross_n = cross_agree + same, cross_n + 1
        rate = path_agreement(records)
        assert (rate.k, rate.n) == (agree, n)
        cross = path_agreement(records, kinds=("cot", "pot"))
        assert (cross.k, cross.n) == (cross_agree, cross_n)
        assert 0 <= (rate.value or 0) <= 1
