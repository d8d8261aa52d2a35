"""The probe summary on hand-computed interventions: curves with Wilson bands, AOC, accuracies."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from evalsuite.errors import DataError
from evalsuite.probes.records import Intervention, interventions_of, with_interventions
from evalsuite.probes.summary import area_over_curve, summarize_probes
from evalsuite.runs import Record


def _record(i: int, correct: bool, interventions: list[Intervention]) -> Record:
    base = Record.from_json({"id": f"e{i}", "gold": "1", "correct": correct, "answer": "1"}, "r")
    return with_interventions(base, interventions)


def _early(same: list[bool]) -> list[Intervention]:
    n = len(same) - 1
    return [
        Intervention(probe="early_answering", position=k, n_steps=n, prefix="p", changed=not s)
        for k, s in enumerate(same)
    ]


def test_early_answering_curve_and_aoc_by_hand() -> None:
    # e0: 2 steps, same only at the end (AOC 1); e1: 4 steps, same from k=2 on (AOC 0.5);
    # e2: 1 step, same already at k=0 (AOC 0)
    records = [
        _record(0, True, _early([False, False, True])),
        _record(1, True, _early([False, False, True, True, True])),
        _record(2, True, _early([True, True])),
    ]
    block = summarize_probes(records, ["early_answering"], grid=(0.0, 0.5, 1.0),
                             n_resamples=500)["probes"]["early_answering"]  # fmt: skip
    assert block["aoc"]["value"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert block["aoc"]["low"] <= block["aoc"]["value"] <= block["aoc"]["high"]
    # x=0: k=0 for all -> 1 of 3; x=0.5: k=1, 2, 0 -> e0 no, e1 yes, e2 yes -> 2 of 3; x=1: 3/3
    assert [(p["k"], p["n"]) for p in block["curve"]] == [(1, 3), (2, 3), (3, 3)]
    low, high = proportion_confint(1, 3, alpha=0.05, method="wilson")
    assert block["curve"][0]["low"] == pytest.approx(low)
    assert block["curve"][0]["high"] == pytest.approx(high)


def test_corrupted_step_curve_reads_the_step_at_each_fraction() -> None:
    def corrupted(flags):
        return [Intervention(probe="corrupted_step", position=i, n_steps=len(flags), prefix="p",
                             changed=f) for i, f in enumerate(flags)]  # fmt: skip

    records = [_record(0, True, corrupted([True, False])),
               _record(1, True, corrupted([True, True, True, False]))]  # fmt: skip
    block = summarize_probes(records, ["corrupted_step"], grid=(0.0, 0.5, 1.0),
                             n_resamples=200)["probes"]["corrupted_step"]  # fmt: skip
    assert block["aoc"]["value"] == pytest.approx((0.5 + 0.75) / 2)
    # x=0: step 0 of both (changed, changed); x=0.5: step 1, step 2; x=1: the last steps
    assert [(p["k"], p["n"]) for p in block["curve"]] == [(2, 2), (1, 2), (0, 2)]


def test_accuracy_probes_compare_with_the_full_rationale_on_the_same_examples() -> None:
    def filler(correct, changed):
        return [Intervention(probe="filler", prefix="...", correct=correct, changed=changed)]

    records = [_record(0, True, filler(False, True)), _record(1, True, filler(True, False)),
               _record(2, False, filler(False, None)), _record(3, False, [])]  # fmt: skip
    summary = summarize_probes(records, ["filler"])
    block = summary["probes"]["filler"]
    assert (block["accuracy"]["k"], block["accuracy"]["n"]) == (1, 3)
    assert (block["full_accuracy"]["k"], block["full_accuracy"]["n"]) == (2, 3)
    assert (block["changed"]["k"], block["changed"]["n"]) == (1, 2)  # null: not judged
    assert summary["accuracy"]["n"] == 4


def test_the_same_seed_gives_the_same_intervals() -> None:
    records = [_record(i, True, _early([False] * (i % 3) + [True])) for i in range(10)]
    first = summarize_probes(records, ["early_answering"], rng=5, n_resamples=300)
    assert first == summarize_probes(records, ["early_answering"], rng=5, n_resamples=300)


def test_area_over_curve_needs_a_step() -> None:
    with pytest.raises(ValueError, match="at least one step"):
        area_over_curve([])


def test_malformed_interventions_name_the_field() -> None:
    record = Record.from_json(
        {"id": "e7", "gold": "1", "correct": True, "interventions": [{"probe": "filler"}]}, "r"
    )
    with pytest.raises(DataError, match=r"records.jsonl \(id e7\): missing field "
                       r"'interventions\[0\]\.prefix'"):  # fmt: skip
        interventions_of(record, "records.jsonl")
