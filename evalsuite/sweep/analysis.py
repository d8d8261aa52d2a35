"""A sweep's numbers, from its runs: accuracy per point and each recipe against the baseline.

No statistics are written here. A point's accuracy is :func:`evalsuite.metrics.rates.rate_of`
(Wilson interval) over every test example of every seed; its spread is
:func:`evalsuite.metrics.significance.group_stats` over the seeds' accuracies; the test against
the baseline is :func:`evalsuite.metrics.comparison.compare_records` (the ``compare`` verb's),
pairing seed ``s`` of a recipe with seed ``s`` of the baseline example by example, and the
recipes' p-values at one point are Holm-adjusted together
(:func:`evalsuite.metrics.significance.holm_adjust`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from evalsuite.metrics.rates import Rate
from evalsuite.metrics.significance import GroupStats
from evalsuite.sweep.plan import SweepConfig
from evalsuite.sweep.run import PointRun

__all__ = ["BaselineTest", "SeedRun", "SweepCell", "SweepResult", "summarize_sweep"]


@dataclass(frozen=True)
class SeedRun:
    """One seed of a cell: its run directory and that run's own accuracy."""

    seed: int
    run: str
    accuracy: Rate


@dataclass(frozen=True)
class BaselineTest:
    """A recipe against the baseline at one point: ``difference`` = recipe - baseline."""

    baseline: str
    test: str
    difference: float
    low: float
    high: float
    p_value: float
    p_holm: float
    significant: bool
    """At ``alpha`` after Holm's adjustment over the recipes of the point."""
    n_shared: int


@dataclass(frozen=True)
class SweepCell:
    """A recipe at one (fraction, noise): pooled accuracy, seed spread, test against baseline."""

    recipe: str
    fraction: float
    noise: float
    accuracy: Rate
    seeds: tuple[SeedRun, ...]
    spread: GroupStats
    versus_baseline: BaselineTest | None
    """None for the baseline itself."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe,
            "fraction": self.fraction,
            "noise": self.noise,
            "accuracy": self.accuracy.as_dict(),
            "seeds": [{**asdict(s), "accuracy": s.accuracy.as_dict()} for s in self.seeds],
            "spread": self.spread.as_dict(),
            "versus_baseline": (
                None if self.versus_baseline is None else asdict(self.versus_baseline)
            ),
        }


@dataclass(frozen=True)
class SweepResult:
    """Every cell of a sweep, in the config's recipe order within each point."""

    config: SweepConfig
    cells: tuple[SweepCell, ...]

    def cell(self, recipe: str, fraction: float, noise: float) -> SweepCell:
        return next(
            c for c in self.cells if (c.recipe, c.fraction, c.noise) == (recipe, fraction, noise)
        )


def _pooled(runs: Sequence[tuple[int, Any]]) -> list[dict[str, Any]]:
    """The records of several seeds as one list, each id prefixed by its seed, so seed ``s`` of
    one recipe pairs with seed ``s`` of another."""
    return [
        {"id": f"s{seed}/{r.id}", "gold": r.gold, "correct": r.correct, "confidence": None}
        for seed, run in runs
        for r in run.records
    ]


def summarize_sweep(config: SweepConfig, runs: Sequence[PointRun]) -> SweepResult:
    """The cells of a finished sweep, read from the runs' records."""
    from evalsuite.metrics.comparison import compare_records
    from evalsuite.metrics.rates import rate_of
    from evalsuite.metrics.significance import group_stats, holm_adjust
    from evalsuite.runs import read_run

    loaded = {(r.point.recipe, r.point.fraction, r.point.noise, r.point.seed): r for r in runs}
    read = {key: read_run(r.run) for key, r in loaded.items()}
    cells: list[SweepCell] = []
    for fraction in sorted(config.fractions):
        for noise in sorted(config.noises):

            def seeds_of(recipe: str) -> list[tuple[int, Any]]:
                return [(s, read[(recipe, fraction, noise, s)]) for s in config.seeds]  # noqa: B023

            base = _pooled(seeds_of(config.baseline))
            others = [r for r in config.recipes if r != config.baseline]
            raw = [
                compare_records(
                    [(recipe, _pooled(seeds_of(recipe))), (config.baseline, base)],
                    test=config.test,
                    n_resamples=config.n_resamples,
                    rng=0,
                    alpha=config.alpha,
                )["pair"]
                for recipe in others
            ]
            holm: list[float] = list(holm_adjust([p["p_value"] for p in raw])) if raw else []
            tests = {
                recipe: BaselineTest(
                    baseline=config.baseline,
                    test=config.test,
                    difference=float(p["difference"]),  # a - b: recipe - baseline
                    low=float(p["low"]),
                    high=float(p["high"]),
                    p_value=float(p["p_value"]),
                    p_holm=float(ph),
                    significant=bool(ph <= config.alpha),
                    n_shared=int(p["n_shared"]),
                )
                for recipe, p, ph in zip(others, raw, holm, strict=True)
            }
            for recipe in config.recipes:
                members = seeds_of(recipe)
                seed_runs = tuple(
                    SeedRun(s, str(run.path), rate_of([r.correct for r in run.records]))
                    for s, run in members
                )
                cells.append(
                    SweepCell(
                        recipe=recipe,
                        fraction=fraction,
                        noise=noise,
                        accuracy=rate_of([r.correct for _, run in members for r in run.records]),
                        seeds=seed_runs,
                        spread=group_stats(recipe, [s.accuracy.value or 0.0 for s in seed_runs]),
                        versus_baseline=tests.get(recipe),
                    )
                )
    return SweepResult(config, tuple(cells))
