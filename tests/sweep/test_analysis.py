"""A sweep's numbers on hand-made runs: pooled accuracy, seed spread, the test against the
baseline seed by seed, Holm over the recipes, and the table, figure and findings drawn from them."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from evalsuite.report.tables import render_latex, render_markdown
from evalsuite.sweep import SweepConfig, SweepPoint, plan_points
from evalsuite.sweep.analysis import summarize_sweep
from evalsuite.sweep.figure import plot_sweep, plotted_points
from evalsuite.sweep.report import findings, trend
from evalsuite.sweep.run import PointRun
from evalsuite.sweep.table import WORSE_MARK, sweep_tables
from tests.metrics.runs import record, write_run

N = 20


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval by its formula (Wilson 1927)."""
    p, d = k / n, 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return centre - half, centre + half


def _runs(
    tmp_path: Path, config: SweepConfig, correct: dict[tuple[str, int], int]
) -> list[PointRun]:
    """One run per point; ``correct[(recipe, seed)]`` of its N examples right (the first ones)."""
    runs = []
    for point in plan_points(config):
        k = correct[(point.recipe, point.seed)]
        records = [record(i, gold=str(i), correct=i < k) for i in range(N)]
        path = write_run(tmp_path / point.name, records)
        runs.append(PointRun(point, tmp_path / "ckpt" / point.name, path, reused=False))
    return runs


def test_pooled_accuracy_spread_and_holm_adjusted_tests(tmp_path: Path) -> None:
    config = SweepConfig(
        recipes=("standard", "dss", "mi"), fractions=(1.0,), seeds=(0, 1), test="mcnemar"
    )
    # standard 5 and 7 of 20 right, dss all 20 twice, mi 6 and 6
    correct = {
        ("standard", 0): 5, ("standard", 1): 7,
        ("dss", 0): 20, ("dss", 1): 20,
        ("mi", 0): 6, ("mi", 1): 6,
    }  # fmt: skip
    result = summarize_sweep(config, _runs(tmp_path, config, correct))
    standard, dss, mi = (result.cell(r, 1.0, 0.0) for r in config.recipes)

    # pooled over 2 x 20 examples, with the Wilson interval of 12/40
    assert (standard.accuracy.k, standard.accuracy.n) == (12, 40)
    assert (standard.accuracy.low, standard.accuracy.high) == pytest.approx(_wilson(12, 40))
    # seed spread: accuracies 0.25 and 0.35 -> mean 0.30, sample sd 0.0707
    assert [s.accuracy.value for s in standard.seeds] == [0.25, 0.35]
    assert standard.spread.mean == pytest.approx(0.30)
    assert standard.spread.sd == pytest.approx(0.0707107, abs=1e-6)
    assert standard.versus_baseline is None

    # dss vs standard, seed against seed: 28 pairs only dss right, none only standard:
    # McNemar exact p = 2 * 0.5**28; Holm over 2 recipes doubles the smaller p
    test = dss.versus_baseline
    assert test is not None and test.difference == pytest.approx(0.70)
    assert test.p_value == pytest.approx(2 * 0.5**28)
    assert test.p_holm == pytest.approx(2 * test.p_value)
    assert test.significant and test.n_shared == 40
    # mi vs standard: seed 0 one more right (6 vs 5), seed 1 one fewer (6 vs 7): 1 and 1
    # discordant pairs, McNemar p = 1, not significant
    assert mi.versus_baseline is not None and mi.versus_baseline.p_value == pytest.approx(1.0)
    assert not mi.versus_baseline.significant and mi.versus_baseline.difference == 0.0

    # the table shows these numbers; dss daggered, mi not, the seed table with its sd
    accuracy_table, seeds_table = sweep_tables(result)
    assert accuracy_table.cells[("standard", "fraction 1")].value == pytest.approx(30.0)
    assert accuracy_table.cells[("dss", "fraction 1")].significant
    assert not accuracy_table.cells[("mi", "fraction 1")].significant
    assert "| dss | **100.0**<sup>†</sup> [91.2, 100.0] |" in render_markdown(accuracy_table)
    assert seeds_table.cells[("standard", "fraction 1")].sd == pytest.approx(7.07107, abs=1e-4)
    assert r"standard & \shortstack{30.0\\{\scriptsize (sd 7.1)}}" in render_latex(seeds_table)
    assert findings(result) == [
        "At fraction 1, significantly better than standard: dss (+70.0 points); "
        "no significant difference from standard: mi (+0.0 points)."
    ]


def test_a_significantly_worse_recipe_is_marked_and_the_figure_draws_every_cell(
    tmp_path: Path,
) -> None:
    config = SweepConfig(recipes=("standard", "dss"), fractions=(0.5, 1.0), test="mcnemar")
    correct = {("standard", 0): 20, ("dss", 0): 2}
    runs = []
    for point in plan_points(config):  # the same correctness at both fractions
        k = correct[(point.recipe, point.seed)]
        records = [record(i, gold=str(i), correct=i < k) for i in range(N)]
        runs.append(PointRun(point, tmp_path, write_run(tmp_path / point.name, records), False))
    result = summarize_sweep(config, runs)
    (table,) = sweep_tables(result)
    cell = table.cells[("dss", "fraction 0.5")]
    assert cell.mark == WORSE_MARK and not cell.significant
    assert findings(result)[0] == (
        "At fraction 0.5, significantly worse than standard: dss (-90.0 points)."
    )
    assert trend(result) == [
        "From fraction 0.5 to 1: standard 100.0 % -> 100.0 % (+0.0 points); "
        "dss 10.0 % -> 10.0 % (+0.0 points)."
    ]

    points = plotted_points(plot_sweep(result))
    by_label = {s["label"]: s for s in points["accuracy"]}
    assert by_label["standard"]["x"] == [0.5, 1.0] and by_label["standard"]["y"] == [1.0, 1.0]
    assert by_label["dss"]["y"] == [0.1, 0.1]
    dss = result.cell("dss", 0.5, 0.0)
    assert by_label["dss"]["low"][0] == pytest.approx(dss.accuracy.low)
    assert by_label["dss"]["high"][0] == pytest.approx(dss.accuracy.high)
    (difference,) = points["difference"]
    assert difference["label"] == "dss" and difference["y"] == pytest.approx([-0.9, -0.9])


def test_points_run_cheapest_first_and_are_named_by_their_coordinates() -> None:
    config = SweepConfig(recipes=("standard", "dss"), fractions=(1.0, 0.1), noises=(0.0, 0.2),
                         seeds=(3,))  # fmt: skip
    names = [p.name for p in plan_points(config)]
    assert names[:2] == ["standard-f0.1-n0-s3", "dss-f0.1-n0-s3"]
    assert names[-1] == "dss-f1-n0.2-s3" and len(names) == 8
    assert SweepPoint("mi", 0.25, 0.1, 1).describe() == "mi, fraction 0.25, noise 0.1, seed 1"


def test_noise_sweeps_train_on_the_teachers_labels_with_the_noise_where_asked() -> None:
    noisy = SweepConfig(recipes=("standard",), noises=(0.0, 0.4))
    assert noisy.labels == "teacher" and noisy.axis == "noise"
    assert noisy.arith_at(0.4).label_noise == 0.4 and noisy.arith_at(0.4).rationale_noise == 0.0
    both = SweepConfig(recipes=("standard",), noises=(0.0, 0.4), noise_on="both")
    assert both.arith_at(0.4).rationale_noise == 0.4
    clean = SweepConfig(recipes=("standard",), fractions=(0.5, 1.0))
    assert clean.labels == "gold" and clean.axis == "fraction"


def test_the_noise_trend_says_how_much_each_recipe_loses(tmp_path: Path) -> None:
    config = SweepConfig(recipes=("standard", "dss"), noises=(0.0, 0.2, 0.4), test="mcnemar")
    right = {("standard", 0.0): 16, ("standard", 0.2): 12, ("standard", 0.4): 8,
             ("dss", 0.0): 17, ("dss", 0.2): 16, ("dss", 0.4): 15}  # fmt: skip
    runs = []
    for point in plan_points(config):
        k = right[(point.recipe, point.noise)]
        records = [record(i, gold=str(i), correct=i < k) for i in range(N)]
        runs.append(PointRun(point, tmp_path, write_run(tmp_path / point.name, records), False))
    assert trend(summarize_sweep(config, runs)) == [
        "From noise 0 to 0.4: standard 80.0 % -> 40.0 % (-40.0 points); "
        "dss 85.0 % -> 75.0 % (-10.0 points)."
    ]
