"""What a sweep runs: its configuration, validated once, and the grid of points it trains.

A sweep is the DSS paper's data-efficiency experiment (accuracy against the fraction of training
data) and, on the synthetic task only, the teacher-noise experiment (accuracy against the share
of teacher labels that are wrong). Each point is one recipe trained at one fraction and one noise
level with one seed; every point writes a checkpoint and a run of its own under ``work``, named
after the point, so the same command resumes a sweep and never trains a finished point again.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalsuite.errors import UsageError
from evalsuite.names import PAIRED_TESTS, RECIPES

if TYPE_CHECKING:
    from evalsuite.data.arith import ArithConfig

__all__ = ["NOISE_TARGETS", "SweepConfig", "SweepPoint", "plan_points"]

NOISE_TARGETS = {
    "label": ("label_noise",),
    "rationale": ("rationale_noise",),
    "both": ("label_noise", "rationale_noise"),
}
"""What ``--noise`` corrupts in the teacher's outputs: target -> the ArithConfig fields it sets.
``label`` (the default) leaves the rationales right, so a recipe that learns from them can
keep the right answer where the label it is shown is wrong."""


@dataclass(frozen=True)
class SweepPoint:
    """One trained student: a recipe at a training fraction and a noise level, with a seed."""

    recipe: str
    fraction: float
    noise: float
    seed: int

    @property
    def name(self) -> str:
        """The directory name of its checkpoint and of its run, e.g. ``dss-f0.25-n0-s1``."""
        return f"{self.recipe}-f{self.fraction:g}-n{self.noise:g}-s{self.seed}"

    def describe(self) -> str:
        """For progress lines: ``dss, fraction 0.25, noise 0, seed 1``."""
        return f"{self.recipe}, fraction {self.fraction:g}, noise {self.noise:g}, seed {self.seed}"


def _values(option: str, values: tuple[Any, ...], *, low: float, high: float) -> None:
    if not values:
        raise UsageError(f"{option}: give at least one value")
    for value in values:
        if not (isinstance(value, int | float) and math.isfinite(value) and low <= value <= high):
            raise UsageError(f"{option}: {value!r} is not a number in [{low:g}, {high:g}]")
    if len(set(values)) != len(values):
        raise UsageError(f"{option}: a value is given twice ({', '.join(map(str, values))})")


def _default_arith() -> ArithConfig:
    """The synthetic task's default sizes, imported when a config is made: `evalsuite --help`
    builds this verb's parser without importing the data layer (and numpy with it)."""
    from evalsuite.data.arith import ArithConfig

    return ArithConfig()


@dataclass(frozen=True)
class SweepConfig:
    """Everything a sweep trains and scores. Validated once, saved in report.json.

    Attributes
    ----------
    recipes : tuple of str
        Names of :data:`evalsuite.names.RECIPES`; ``baseline`` is one of them.
    fractions : tuple of float
        Fractions of the training split, each in (0, 1].
    noises : tuple of float
        Shares of teacher outputs corrupted (arith only), each in [0, 1].
    seeds : tuple of int
        Training seeds (each also draws the fraction's subsample).
    baseline : str
        The recipe every other recipe is tested against at each point.
    label_source : {"gold", "teacher"} or None
        What the students learn as labels; None: the teacher's when some noise is above 0
        (noise corrupts only the teacher), else the gold labels.
    noise_on : {"label", "rationale", "both"}
        What the noise corrupts; see :data:`NOISE_TARGETS`.
    arith : ArithConfig
        Sizes and data seed of the synthetic task; its noise fields are set per point.
    train_options : dict
        Further :class:`trainers.config.TrainConfig` fields given on the command line
        (``max_steps``, ``lr``, ``tiny``, ...); unset ones take the student kind's defaults.
    test, alpha, n_resamples : str, float, int
        The paired test (:data:`evalsuite.names.PAIRED_TESTS`), its level and resamples.
    """

    recipes: tuple[str, ...]
    fractions: tuple[float, ...] = (1.0,)
    noises: tuple[float, ...] = (0.0,)
    seeds: tuple[int, ...] = (0,)
    baseline: str = "standard"
    task: str = "arith"
    data_dir: str | None = None
    work: str = "runs/sweep"
    out: str = "reports/sweep"
    label_source: str | None = None
    noise_on: str = "label"
    arith: ArithConfig = field(default_factory=_default_arith)
    train_options: dict[str, Any] = field(default_factory=dict)
    test: str = "bootstrap"
    alpha: float = 0.05
    n_resamples: int = 10_000
    score_batch_size: int = 64

    def __post_init__(self) -> None:
        from evalsuite.tasks import get_task

        if not self.recipes:
            raise UsageError("--recipes: give at least one recipe")
        for recipe in self.recipes:
            RECIPES.check(recipe)
        if len(set(self.recipes)) != len(self.recipes):
            raise UsageError(f"--recipes: a recipe is given twice ({', '.join(self.recipes)})")
        if self.baseline not in self.recipes:
            raise UsageError(
                f"--baseline {self.baseline!r}: not among --recipes ({', '.join(self.recipes)})"
            )
        _values("--fractions", self.fractions, low=0.0, high=1.0)
        if min(self.fractions) <= 0:
            raise UsageError(f"--fractions: {min(self.fractions)!r} is not in (0, 1]")
        _values("--noise", self.noises, low=0.0, high=1.0)
        if not self.seeds:
            raise UsageError("--seeds: give at least one seed")
        if any(s < 0 for s in self.seeds) or len(set(self.seeds)) != len(self.seeds):
            raise UsageError(
                f"--seeds: distinct integers >= 0, got {', '.join(map(str, self.seeds))}"
            )
        task = get_task(self.task)
        if max(self.noises) > 0 and not task.synthetic:
            raise UsageError(
                f"--noise: teacher noise needs the synthetic task (arith); task '{self.task}' "
                "has the release's fixed teacher outputs"
            )
        if self.noise_on not in NOISE_TARGETS:
            raise UsageError(
                f"--noise-on {self.noise_on!r}: choose from {', '.join(NOISE_TARGETS)}"
            )
        if self.label_source not in (None, "gold", "teacher"):
            raise UsageError(f"--label-source {self.label_source!r}: choose from gold, teacher")
        if self.label_source == "gold" and max(self.noises) > 0 and self.noise_on == "label":
            raise UsageError(
                "--noise corrupts the teacher's labels, which --label-source gold does not use; "
                "drop --label-source or pass --label-source teacher"
            )
        if self.arith.label_noise or self.arith.rationale_noise:
            raise UsageError("--arith: set the teacher's noise with --noise, not in --arith")
        PAIRED_TESTS.check(self.test)
        if not 0.0 < self.alpha < 1.0:
            raise UsageError(f"--alpha must be in (0, 1), got {self.alpha:g}")
        if self.n_resamples < 1:
            raise UsageError(f"--n-resamples must be >= 1, got {self.n_resamples}")

    @property
    def labels(self) -> str:
        """The label source every student trains on (see ``label_source``)."""
        if self.label_source is not None:
            return self.label_source
        return "teacher" if max(self.noises) > 0 else "gold"

    @property
    def axis(self) -> str:
        """What the figure's x axis shows: ``noise`` when only the noise varies, else
        ``fraction`` (the data-efficiency experiment)."""
        return "noise" if len(self.noises) > 1 and len(self.fractions) == 1 else "fraction"

    @property
    def checkpoints(self) -> Path:
        return Path(self.work) / "ckpt"

    @property
    def runs(self) -> Path:
        return Path(self.work) / "runs"

    def arith_at(self, noise: float) -> ArithConfig:
        """The synthetic task of a point: this sweep's sizes with ``noise`` where ``noise_on``
        says."""
        from dataclasses import replace

        noise_fields: dict[str, Any] = dict.fromkeys(NOISE_TARGETS[self.noise_on], noise)
        return replace(self.arith, **noise_fields)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for report.json (the tiny student's shape as its fields)."""
        from dataclasses import asdict, is_dataclass

        options = {
            k: asdict(v) if is_dataclass(v) and not isinstance(v, type) else v
            for k, v in self.train_options.items()
        }
        return {
            "recipes": list(self.recipes),
            "fractions": list(self.fractions),
            "noises": list(self.noises),
            "seeds": list(self.seeds),
            "baseline": self.baseline,
            "task": self.task,
            "data_dir": self.data_dir,
            "work": self.work,
            "label_source": self.labels,
            "noise_on": self.noise_on,
            "arith": asdict(self.arith),
            "train_options": options,
            "test": self.test,
            "alpha": self.alpha,
            "n_resamples": self.n_resamples,
        }


def plan_points(config: SweepConfig) -> list[SweepPoint]:
    """Every point of the grid, cheapest first (fraction, then noise, then seed, then recipe),
    so an interrupted sweep already holds whole comparisons at the small fractions.

    Examples
    --------
    >>> c = SweepConfig(recipes=("standard", "dss"), fractions=(1.0, 0.5), seeds=(0,))
    >>> [p.name for p in plan_points(c)]
    ['standard-f0.5-n0-s0', 'dss-f0.5-n0-s0', 'standard-f1-n0-s0', 'dss-f1-n0-s0']
    """
    return [
        SweepPoint(recipe, fraction, noise, seed)
        for fraction, noise, seed, recipe in itertools.product(
            sorted(config.fractions), sorted(config.noises), config.seeds, config.recipes
        )
    ]
