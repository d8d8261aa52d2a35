"""Aligning runs by id: order, refusal naming an id, and --intersect's counts."""

from __future__ import annotations

import numpy as np
import pytest

from evalsuite.errors import DataError
from evalsuite.metrics.pairing import align_runs
from tests.metrics.runs import record


def test_aligns_by_id_in_the_first_runs_order() -> None:
    a = [record("x", correct=True, confidence=0.9), record("y", correct=False)]
    b = [record("y", correct=True, confidence=0.2), record("x", correct=False)]
    paired = align_runs([("A", a), ("B", b)])
    assert paired.ids == ("x", "y")
    assert paired.correct.tolist() == [[True, False], [False, True]]
    assert paired.confidence[0, 0] == 0.9 and np.isnan(paired.confidence[0, 1])
    assert paired.confidence[1, 1] == 0.2
    assert paired.dropped == 0


def test_refuses_an_id_missing_from_the_second_run() -> None:
    a = [record("x"), record("y")]
    b = [record("x")]
    with pytest.raises(DataError, match="id 'y' is in A but not in B; use --intersect"):
        align_runs([("A", a), ("B", b)], hint="use --intersect")


def test_refuses_an_extra_id_in_the_second_run() -> None:
    with pytest.raises(DataError, match="id 'z' is in B but not in A"):
        align_runs([("A", [record("x")]), ("B", [record("x"), record("z")])])


def test_refuses_differing_gold_labels() -> None:
    a = [record("x", gold="3"), record("y", gold="4")]
    b = [record("x", gold="3"), record("y", gold="5")]
    with pytest.raises(DataError, match="id 'y' has gold '4' in A but '5' in B"):
        align_runs([("A", a), ("B", b)])


def test_intersect_keeps_shared_ids_with_equal_gold_and_counts_the_rest() -> None:
    a = [record("x"), record("y", gold="4"), record("only-a")]
    b = [record("y", gold="5"), record("x"), record("only-b")]
    c = [record("x"), record("y", gold="4"), record("only-a"), record("only-b")]
    paired = align_runs([("A", a), ("B", b), ("C", c)], intersect=True)
    assert paired.ids == ("x",)
    assert (paired.dropped_missing, paired.dropped_gold, paired.dropped) == (2, 1, 3)


def test_intersect_with_nothing_shared_is_an_error() -> None:
    with pytest.raises(DataError, match="share no example"):
        align_runs([("A", [record("x")]), ("B", [record("y")])], intersect=True)


def test_one_run_is_not_a_comparison() -> None:
    with pytest.raises(DataError, match="need at least two runs"):
        align_runs([("A", [record("x")])])
