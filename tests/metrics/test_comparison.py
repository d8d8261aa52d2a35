"""compare_records: two runs, several runs, seed groups, on the same aligned examples."""

from __future__ import annotations

import numpy as np
import pytest

from evalsuite.errors import DataError
from evalsuite.metrics.comparison import compare_records
from evalsuite.metrics.significance import cochrans_q_test, mcnemar_test
from tests.metrics.runs import record


def runs_with_accuracy(accuracies: list[float], n: int = 200, seed: int = 0) -> list[tuple]:
    rng = np.random.default_rng(seed)
    return [
        (
            f"r{i}",
            [
                record(j, correct=bool(rng.random() < p), confidence=float(rng.random()))
                for j in range(n)
            ],
        )
        for i, p in enumerate(accuracies)
    ]


def test_two_runs_give_one_paired_test_and_the_ece_difference() -> None:
    runs = runs_with_accuracy([0.8, 0.6])
    result = compare_records(runs, test="mcnemar", rng=0)
    a = [r["correct"] for r in runs[0][1]]
    b = [r["correct"] for r in runs[1][1]]
    assert result["pair"]["p_value"] == pytest.approx(mcnemar_test(a, b).p_value)
    assert result["pair"]["difference"] == pytest.approx(np.mean(a) - np.mean(b))
    assert result["ece_pair"]["test"] == "bootstrap_ece"
    assert result["runs"][0]["accuracy"]["k"] == sum(a)


def test_no_ece_difference_without_confidences() -> None:
    runs = [
        ("a", [record(i) for i in range(20)]),
        ("b", [record(i, correct=i % 2 == 0) for i in range(20)]),
    ]
    result = compare_records(runs, test="bootstrap", n_resamples=500, rng=0)
    assert result["ece_pair"] is None
    assert result["pair"]["low"] <= result["pair"]["difference"] <= result["pair"]["high"]


def test_three_runs_give_cochran_and_holm_adjusted_pairs() -> None:
    runs = runs_with_accuracy([0.8, 0.6, 0.62])
    result = compare_records(runs, test="permutation", n_resamples=999, rng=0)
    table = [[r["correct"] for r in recs] for _, recs in runs]
    assert result["cochran_q"]["statistic"] == pytest.approx(cochrans_q_test(table).statistic)
    assert [(p["a"], p["b"]) for p in result["pairwise"]] == [
        ("r0", "r1"),
        ("r0", "r2"),
        ("r1", "r2"),
    ]
    for row in result["pairwise"]:
        assert row["p_holm"] >= row["p_value"]


def test_groups_give_mean_sd_and_a_test_across_seeds() -> None:
    runs = runs_with_accuracy([0.80, 0.82, 0.81, 0.60, 0.62, 0.61], n=300, seed=1)
    groups = [("good", runs[:3]), ("bad", runs[3:])]
    result = compare_records([], groups, rng=0)
    good, _ = result["groups"]
    accuracies = [np.mean([r["correct"] for r in recs]) for _, recs in runs[:3]]
    assert good["mean"] == pytest.approx(np.mean(accuracies))
    assert good["sd"] == pytest.approx(np.std(accuracies, ddof=1))
    (test,) = result["group_tests"]
    assert (test["a"], test["b"], test["test"]) == ("good", "bad", "welch")
    assert test["p_value"] < 0.01


def test_single_seed_groups_get_no_test() -> None:
    runs = runs_with_accuracy([0.8, 0.6])
    result = compare_records([], [("a", runs[:1]), ("b", runs[1:])], rng=0)
    assert result["group_tests"] is None


def test_intersect_reports_what_it_dropped() -> None:
    a = [record(i) for i in range(10)]
    b = [record(i) for i in range(2, 12)]
    with pytest.raises(DataError, match="id '0' is in a but not in b"):
        compare_records([("a", a), ("b", b)])
    result = compare_records([("a", a), ("b", b)], intersect=True, n_resamples=100)
    assert result["n"] == 8 and result["dropped"] == {"missing": 4, "gold_differs": 0}


def test_usage_errors() -> None:
    with pytest.raises(ValueError, match="unknown test 'wilcoxon'"):
        compare_records(runs_with_accuracy([0.5, 0.5]), test="wilcoxon")
    with pytest.raises(ValueError, match="need at least two runs or a group"):
        compare_records(runs_with_accuracy([0.5]))
    with pytest.raises(ValueError, match="resamples must be positive"):
        compare_records(runs_with_accuracy([0.5, 0.5]), n_resamples=0)


def test_intervals_do_not_depend_on_the_test() -> None:
    # Issue 14: "its ECE interval changes with --test": the tests and the ECE bootstrap shared
    # one Generator, so each test consumed a different number of draws before the ECE ran.
    runs = runs_with_accuracy([0.7, 0.6], n=150)
    tests = ("mcnemar", "bootstrap", "permutation")
    results = [compare_records(runs, test=t, rng=3) for t in tests]
    ece = {(r["ece_pair"]["low"], r["ece_pair"]["high"], r["ece_pair"]["p_value"]) for r in results}
    assert len(ece) == 1
    accuracy = {(r["pair"]["low"], r["pair"]["high"]) for r in results}
    assert len(accuracy) == 1 and None not in next(iter(accuracy))
    assert results[0]["pair"]["interval"]["method"] == "paired bootstrap percentile"
    assert len({r["pair"]["p_value"] for r in results}) == 3  # the tests themselves differ


def test_pairs_state_shared_examples_and_the_decision() -> None:
    runs = runs_with_accuracy([0.9, 0.5, 0.5], n=120)
    runs[2] = (runs[2][0], runs[2][1][:100])
    result = compare_records(runs, test="bootstrap", intersect=True, alpha=0.01, rng=0)
    assert result["alpha"] == 0.01
    for row in result["pairwise"]:
        assert row["n_shared"] == 100
        assert row["significant"] is (row["p_value"] <= 0.01)
        assert row["significant_holm"] is (row["p_holm"] <= 0.01)
        assert row["decision"].endswith("at alpha = 0.01")
        assert row["p_value"] >= 1 / (10_000 + 1)
    first = result["pairwise"][0]
    assert (first["a"], first["b"], first["significant"]) == ("r0", "r1", True)
