"""A sweep as tables: recipes by point, rendered to LaTeX and Markdown by the report's renderer.

The accuracy table gives each cell's pooled accuracy with its Wilson interval, a dagger where a
recipe is significantly better than the baseline and a ``w`` where it is significantly worse
(paired test, Holm-adjusted over the recipes of the point). With several seeds a second table
gives the mean over seeds and its standard deviation.
"""

from __future__ import annotations

from evalsuite.report.tables import Cell, Table
from evalsuite.sweep.analysis import SweepCell, SweepResult

__all__ = ["WORSE_MARK", "point_label", "sweep_tables"]

WORSE_MARK = "w"
"""The mark of a cell significantly worse than the baseline."""


def point_label(result: SweepResult, fraction: float, noise: float) -> str:
    """A column name that names what varies: ``fraction 0.25``, ``noise 0.2`` or both."""
    parts = []
    if len(result.config.fractions) > 1 or len(result.config.noises) == 1:
        parts.append(f"fraction {fraction:g}")
    if len(result.config.noises) > 1:
        parts.append(f"noise {noise:g}")
    return ", ".join(parts)


def _accuracy_cell(cell: SweepCell) -> Cell:
    test = cell.versus_baseline
    better = test is not None and test.significant and test.difference > 0
    worse = test is not None and test.significant and test.difference < 0
    rate = cell.accuracy
    interval = None if rate.low is None or rate.high is None else (100 * rate.low, 100 * rate.high)
    return Cell(
        value=100 * (rate.value if rate.value is not None else float("nan")),
        interval=interval,
        significant=better,
        mark=WORSE_MARK if worse else None,
    )


def sweep_tables(result: SweepResult) -> list[Table]:
    """The accuracy table and, with two or more seeds, the seed-spread table."""
    config = result.config
    columns = {
        point_label(result, c.fraction, c.noise): (c.fraction, c.noise) for c in result.cells
    }
    what = f"{config.task} test accuracy (%)"
    seeds = f"{len(config.seeds)} seed{'s' if len(config.seeds) > 1 else ''}"
    accuracy = Table(
        caption=f"{what} by {config.axis}, {seeds} pooled, {config.labels} labels",
        label=f"tab:sweep-{config.axis}",
        rows=list(config.recipes),
        columns=list(columns),
        cells={
            (c.recipe, point_label(result, c.fraction, c.noise)): _accuracy_cell(c)
            for c in result.cells
        },
        higher_is_better=dict.fromkeys(columns, True),
        footnote=(
            "Wilson 95 % interval over every test example of every seed. "
            f"† significantly better, {WORSE_MARK} significantly worse than {config.baseline} "
            f"(paired {config.test} test, seed against seed, Holm-adjusted over the recipes "
            f"at each point, alpha = {config.alpha:g})."
        ),
    )
    tables = [accuracy]
    if len(config.seeds) > 1:
        tables.append(
            Table(
                caption=f"{what} by {config.axis}: mean over {seeds} (sd)",
                label=f"tab:sweep-{config.axis}-seeds",
                rows=list(config.recipes),
                columns=list(columns),
                cells={
                    (c.recipe, point_label(result, c.fraction, c.noise)): Cell(
                        value=100 * c.spread.mean,
                        sd=None if c.spread.sd is None else 100 * c.spread.sd,
                    )
                    for c in result.cells
                },
                higher_is_better=dict.fromkeys(columns, True),
                footnote="Standard deviation of the seeds' accuracies (sample sd).",
            )
        )
    return tables
