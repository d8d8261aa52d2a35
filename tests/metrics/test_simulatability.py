"""LAS (Hase et al. 2020) on a 12-item table computed by hand, the leakage split, the paired
bootstrap interval, and its error path."""

from __future__ import annotations

import numpy as np
import pytest

from evalsuite.metrics.simulatability import leakage_adjusted_simulatability

# item:         0    1    2    3    4    5    6    7    8    9    10   11
STUDENT = ["e", "e", "n", "n", "c", "c", "e", "n", "c", "e", "n", "c"]
# the simulator from the rationale alone matches the student on items 0-4: they are leaked
RATIONALE = ["e", "e", "n", "n", "c", "e", "n", "c", "e", "n", "c", "e"]
# with input and rationale: right on 0-3 (leaked) and 5, 6, 8, 10, 11 (non-leaked)
WITH = ["e", "e", "n", "n", "e", "c", "e", "c", "c", "n", "n", "c"]
# the input alone: right on 0 and 3 (leaked) and 6 and 10 (non-leaked)
ALONE = ["e", "n", "c", "n", "e", "e", "e", "c", "n", "n", "n", "n"]


def test_las_of_a_twelve_item_table_by_hand() -> None:
    result = leakage_adjusted_simulatability(STUDENT, WITH, ALONE, RATIONALE, rng=0)
    # leaked 0-4:     xe = 1 1 1 1 0, x = 1 0 0 1 0 -> mean(xe - x) = 2/5
    # non-leaked 5-11: xe = 1 1 0 1 0 1 1, x = 0 1 0 0 0 1 0 -> mean(xe - x) = 3/7
    assert (result.leaked.n, result.non_leaked.n) == (5, 7)
    assert result.leaked.xe_accuracy == pytest.approx(4 / 5)
    assert result.leaked.x_accuracy == pytest.approx(2 / 5)
    assert result.leaked.difference == pytest.approx(2 / 5)
    assert result.non_leaked.xe_accuracy == pytest.approx(5 / 7)
    assert result.non_leaked.x_accuracy == pytest.approx(2 / 7)
    assert result.non_leaked.difference == pytest.approx(3 / 7)
    assert result.las == pytest.approx(0.5 * (2 / 5 + 3 / 7))  # 0.4142857...
    assert result.low <= result.las <= result.high


def test_the_groups_weigh_equally_whatever_their_sizes() -> None:
    # the plain mean of xe - x over all 12 items is 5/12; LAS weighs the two groups equally
    result = leakage_adjusted_simulatability(STUDENT, WITH, ALONE, RATIONALE, rng=0)
    assert result.las != pytest.approx(5 / 12)


def test_an_empty_group_drops_out_of_the_average() -> None:
    result = leakage_adjusted_simulatability(["a", "b"], ["a", "b"], ["b", "b"], ["c", "c"], rng=0)
    assert result.leaked.n == 0 and result.leaked.difference is None
    assert result.las == pytest.approx(0.5)  # the non-leaked group alone: (1 + 0) / 2


def test_the_interval_is_a_paired_bootstrap_with_the_same_seed_the_same() -> None:
    rng = np.random.default_rng(3)
    labels = np.array(["a", "b", "c"])
    student = rng.choice(labels, 200)
    with_rationale = np.where(rng.random(200) < 0.8, student, rng.choice(labels, 200))
    alone = np.where(rng.random(200) < 0.5, student, rng.choice(labels, 200))
    rationale = np.where(rng.random(200) < 0.3, student, rng.choice(labels, 200))
    args = (student, with_rationale, alone, rationale)
    first = leakage_adjusted_simulatability(*args, n_resamples=2000, rng=7)
    assert first == leakage_adjusted_simulatability(*args, n_resamples=2000, rng=7)
    assert first.low < first.las < first.high and first.high - first.low < 0.4
    # the rationale adds information here, so the interval lies above zero
    assert first.low > 0


def test_sequences_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="one non-zero length, got lengths 2, 2, 1, 2"):
        leakage_adjusted_simulatability(["a", "b"], ["a", "b"], ["a"], ["a", "b"])
