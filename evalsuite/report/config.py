"""How a report is made: :class:`ReportConfig`, validated once and saved in report.json."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from evalsuite.errors import UsageError
from evalsuite.names import CONFIDENCE_VARIANTS, MI_ESTIMATORS, PAIRED_TESTS

if TYPE_CHECKING:
    from evalsuite.analysis.mutual_information import RunMIConfig
    from evalsuite.metrics.summary import ConfidenceVariant

__all__ = ["DEFAULT_EXPLORER_URL", "ReportConfig"]

DEFAULT_EXPLORER_URL = "http://localhost:8501"
"""Where ``streamlit run app.py`` serves the explorer by default; examples.md links under it.
Here rather than in :mod:`evalsuite.report.explorer.links` so the CLI's ``--help`` reads it
without importing pandas."""


@dataclass(frozen=True)
class ReportConfig:
    """How a report is made; saved in report.json.

    Attributes
    ----------
    baseline : str or None
        Method the dagger compares against (None: no significance marks).
    test : str
        Paired test of one run against one baseline run: a key of
        :data:`evalsuite.names.PAIRED_TESTS`. Methods with several runs (seeds)
        on both sides are compared by Welch's t-test across seeds instead.
    alpha : float
        Significance level of the dagger.
    n_resamples : int
        Resamples of the bootstrap and permutation tests.
    mi_estimators : tuple of str
        Names of :data:`evalsuite.names.MI_ESTIMATORS` run on every run with
        representations.npz (all by default, so that they can be read against each other);
        empty for none.
    mi_seeds : int
        Independent trainings of each neural MI bound on the full sample.
    mi_neural_resamples : int or None
        Half-samples of the neural bounds' intervals (None: their defaults); the MI table's
        notes list the half-samples each estimator used.
    intersect : bool
        Compare on the examples two runs share instead of refusing runs with different ids.
    figures : bool
        Draw the figures (the slowest part of a report).
    confidence : {"answer", "normalized", "sequence"}
        Which record confidence the calibration numbers use: a name of
        :data:`evalsuite.names.CONFIDENCE_VARIANTS` (``answer``, ``normalized``, ``sequence``).
    seed : int
        Seed of every random computation. Each comparison and summary is seeded with it afresh,
        so each equals what ``evalsuite compare/metrics/mi --seed SEED`` prints for those runs.
    overwrite : bool
        Replace an existing report at ``out``.
    methods : mapping of str to str
        ``RUN -> method`` for runs whose manifest does not say (RUN: the path or the run name).
    explorer_url : str
        Where the explorer is served; examples.md and summary.md link examples under it.
    """

    baseline: str | None = None
    test: str = "bootstrap"
    alpha: float = 0.05
    n_resamples: int = 10_000
    mi_estimators: tuple[str, ...] = tuple(MI_ESTIMATORS)
    mi_seeds: int = 3
    mi_neural_resamples: int | None = None
    intersect: bool = False
    figures: bool = True
    seed: int = 0
    confidence: ConfidenceVariant = "answer"
    overwrite: bool = False
    methods: Mapping[str, str] = field(default_factory=dict)
    explorer_url: str = DEFAULT_EXPLORER_URL

    def __post_init__(self) -> None:
        if self.test not in PAIRED_TESTS:
            raise UsageError(f"--test {self.test}: choose from {', '.join(PAIRED_TESTS)}")
        if not 0.0 < self.alpha < 1.0:
            raise UsageError(f"--alpha {self.alpha}: must be between 0 and 1 (exclusive)")
        if self.n_resamples < 1:
            raise UsageError(f"--n-resamples {self.n_resamples}: must be a positive integer")
        if self.mi_seeds < 1:
            raise UsageError(f"mi_seeds {self.mi_seeds}: must be a positive integer")
        if self.mi_neural_resamples is not None and self.mi_neural_resamples < 2:
            raise UsageError(f"mi_neural_resamples {self.mi_neural_resamples}: must be at least 2")
        if not self.explorer_url.startswith(("http://", "https://")) or any(
            c.isspace() for c in self.explorer_url
        ):
            raise UsageError(
                f"--explorer-url {self.explorer_url}: expected an http:// or https:// address "
                "without spaces, e.g. http://localhost:8501"
            )
        if self.confidence not in CONFIDENCE_VARIANTS:
            raise UsageError(
                f"--confidence {self.confidence}: choose from {', '.join(CONFIDENCE_VARIANTS)}"
            )
        unknown = [name for name in self.mi_estimators if name not in MI_ESTIMATORS]
        if unknown:
            raise UsageError(
                f"--mi-estimators {unknown[0]}: unknown estimator; "
                f"choose from {', '.join(MI_ESTIMATORS)} (comma-separated) or none"
            )

    def mi_config(self) -> RunMIConfig:
        """How each run's mutual information is estimated: as ``evalsuite mi --seed SEED``
        with every other option at its default (unless ``mi_seeds`` or ``mi_neural_resamples``
        say otherwise)."""
        from evalsuite.analysis.mutual_information import RunMIConfig

        return RunMIConfig(
            estimators=self.mi_estimators,
            seed=self.seed,
            n_seeds=self.mi_seeds,
            neural_resamples=self.mi_neural_resamples,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form for report.json."""
        return {
            **asdict(self),
            "mi_estimators": list(self.mi_estimators),
            "methods": dict(self.methods),
        }
