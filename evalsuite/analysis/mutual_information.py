"""Mutual information of one run: its representations.npz paired up, every estimator run on it.

``evalsuite mi``, the report and the demo all call :func:`estimate_run_mi`, so the minimum number
of pairs, the rows left out for missing representations and the probe's labels are decided in
one place. The estimators themselves are :data:`evalsuite.metrics.mutual_info.ESTIMATORS`.

Each estimate is made so that it can be trusted or is flagged:

- its interval is a half-sample bootstrap over examples
  (:func:`evalsuite.metrics.mi_bootstrap.mutual_information_with_interval`);
- KSG's PCA components per side are chosen by a known-truth check on correlated Gaussians with
  the run's n and widths (:func:`evalsuite.metrics.mi_truth.choose_ksg_components`), unless
  given, and the bias measured at the components used is reported;
- every estimator is run on the same simulated data at :data:`CHECK_TRUTHS` nats, and a bias
  that costs its interval its coverage, or estimates that contradict one another, become
  warning lines (:func:`evalsuite.metrics.mi_checks.contradictions`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from evalsuite.errors import DataError, UsageError
from evalsuite.metrics.critics import CriticConfig
from evalsuite.metrics.mi_bootstrap import INTERVAL_METHOD
from evalsuite.metrics.mi_truth import BiasCheck
from evalsuite.metrics.mutual_info import MIConfig, MIEstimate
from evalsuite.names import MI_ESTIMATORS, PROBE_LABELS
from evalsuite.runs import REPRESENTATIONS, Record, Representations, Run

__all__ = [
    "CHECK_TRUTHS",
    "MIN_PAIRS",
    "KSGChoice",
    "KnownTruthChecks",
    "MissingRepresentation",
    "RepresentationPairs",
    "RunMI",
    "RunMIConfig",
    "TooFewPairs",
    "estimate_run_mi",
    "representation_pairs",
]

MIN_PAIRS = 10
"""Fewer complete pairs than this give no estimate."""
CHECK_TRUTHS: tuple[float, ...] = (1.0, 3.0)
"""Nats simulated in the known-truth checks (those above ``0.8 log n`` are left out: no
estimator can certify them from n pairs). Two levels, because the bias of every estimator
grows with the MI, and the run's own MI is what is unknown."""
SIGNAL_DIMS = 8
"""Directions the simulated MI lives in (fewer when a side is narrower)."""


class MissingRepresentation(UsageError):
    """representations.npz has no array of the asked name (e.g. a label-only student has no
    rationale representation)."""

    def __init__(self, path: Any, key: str, available: Sequence[str]) -> None:
        super().__init__(f"{path} has no array '{key}'; it has {', '.join(available)}")
        self.key = key


class TooFewPairs(DataError):
    """Fewer than :data:`MIN_PAIRS` examples have both representations."""


CRITIC_ESTIMATORS = ("infonce", "nwj", "smile", "club")
"""The neural bounds: each trains a critic per seed and per half-sample (the costly ones)."""


@dataclass(frozen=True)
class RunMIConfig:
    """Which mutual information to estimate on a run, and how.

    Attributes
    ----------
    estimators : tuple of str
        Names of :data:`evalsuite.names.MI_ESTIMATORS`, run in this order.
    x, y : str
        Arrays of representations.npz to pair (default: label against rationale).
    label_field : str
        Record field the probe bound takes its labels from (:data:`evalsuite.names.PROBE_LABELS`).
    n_seeds : int
        Independent trainings of each neural estimator.
    steps : int
        Training steps of each neural critic.
    seed : int
        Seed of every estimator.
    ksg_components : int or None
        PCA components per side before KSG; None: the number of
        :data:`evalsuite.metrics.mi_truth.KSG_COMPONENT_GRID` with the smallest bias in the
        known-truth check at the run's n and widths.
    n_resamples : int or None
        Half-samples of every estimator's bootstrap interval; None: each estimator's
        :data:`evalsuite.metrics.mi_bootstrap.DEFAULT_RESAMPLES`.
    neural_resamples : int or None
        Half-samples of the neural bounds' intervals only (they train a critic per half-sample,
        the other estimators do not); None: as ``n_resamples``.
    check_replicates : int
        Simulated data sets per truth in the known-truth checks.
    """

    estimators: tuple[str, ...] = ("ksg",)
    x: str = "label_repr"
    y: str = "rationale_repr"
    label_field: str = "answer"
    n_seeds: int = 3
    steps: int = 600
    seed: int = 0
    ksg_components: int | None = None
    n_resamples: int | None = None
    neural_resamples: int | None = None
    check_replicates: int = 3

    def __post_init__(self) -> None:
        for name in self.estimators:
            MI_ESTIMATORS.check(name)
        PROBE_LABELS.check(self.label_field)
        if self.n_seeds < 1:
            raise UsageError(f"--n-seeds: must be a positive integer, got {self.n_seeds}")
        if self.steps < 1:
            raise UsageError(f"--steps: must be a positive integer, got {self.steps}")
        if self.ksg_components is not None and self.ksg_components < 1:
            raise UsageError(
                f"--ksg-components: must be a positive integer, got {self.ksg_components}"
            )
        if self.n_resamples is not None and self.n_resamples < 2:
            raise UsageError(f"--n-resamples: must be at least 2, got {self.n_resamples}")
        if self.neural_resamples is not None and self.neural_resamples < 2:
            raise UsageError(f"neural_resamples: must be at least 2, got {self.neural_resamples}")
        if self.check_replicates < 1:
            raise UsageError(
                f"check_replicates: must be a positive integer, got {self.check_replicates}"
            )

    def mi_config(self, ksg_components: int | None = None) -> MIConfig:
        """The estimators' own settings (KSG's components: ``ksg_components``, else the
        configured ones, else :class:`MIConfig`'s default)."""
        components = ksg_components or self.ksg_components
        extra = {} if components is None else {"ksg_components": components}
        return MIConfig(n_seeds=self.n_seeds, critic=CriticConfig(steps=self.steps), **extra)

    def resamples(self, estimator: str) -> int:
        """Half-samples of ``estimator``'s bootstrap interval."""
        from evalsuite.metrics.mi_bootstrap import DEFAULT_RESAMPLES

        if self.neural_resamples is not None and estimator in CRITIC_ESTIMATORS:
            return self.neural_resamples
        return self.n_resamples or DEFAULT_RESAMPLES[estimator]


@dataclass(frozen=True)
class RepresentationPairs:
    """The complete (x, y) pairs of a run, with their example ids."""

    x: np.ndarray
    y: np.ndarray
    ids: list[str]
    n_dropped: int
    """Examples left out because one of their representations is missing (NaN rows)."""


@dataclass(frozen=True)
class KSGChoice:
    """How KSG's PCA components were chosen: given, or by the smallest known-truth bias.

    Attributes
    ----------
    components : int
        PCA components per side used.
    chosen : bool
        True when the known-truth check chose them (False: given in the configuration).
    candidates : list of BiasCheck
        The check of every candidate, at every truth of :data:`CHECK_TRUTHS` that applies.
    """

    components: int
    chosen: bool
    candidates: list[BiasCheck]

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "components": self.components,
            "chosen_by": "smallest mean |bias| in the known-truth check" if self.chosen else
            "given",
            "candidates": [c.as_dict() for c in self.candidates],
        }  # fmt: skip


@dataclass(frozen=True)
class RunMI:
    """What :func:`estimate_run_mi` found: the pairs, each estimate with its bootstrap interval,
    the known-truth checks, the warnings, and each estimator skipped."""

    run: Run
    config: RunMIConfig
    n: int
    n_dropped: int
    estimates: list[MIEstimate]
    skipped: dict[str, str] = field(default_factory=dict)
    """Estimator -> why it gives no number on this run (no closed label set, degenerate data)."""
    dims: tuple[int, int] = (0, 0)
    """Widths of x and y."""
    ksg: KSGChoice | None = None
    bias_checks: list[BiasCheck] = field(default_factory=list)
    """Each estimator at each truth of :data:`CHECK_TRUTHS`, as run on this run's data."""
    warnings: list[str] = field(default_factory=list)
    """Contradictions between the estimates, and biases that cost an interval its coverage."""

    def bias_of(self, estimator: str) -> BiasCheck | None:
        """The check of ``estimator`` with the largest absolute bias (None: not checked)."""
        return _worst(self.bias_checks, estimator)

    def bias_text(self, estimator: str) -> str:
        """``known-truth bias: -0.68 at 1.00 nats, -2.03 at 3.00 nats`` (or "not checked")."""
        parts = [
            f"{c.bias:+.2f} at {c.truth:.2f} nats"
            for c in self.bias_checks
            if c.estimator == estimator
        ]
        return "known-truth bias: " + (", ".join(parts) or "not checked")

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of ``evalsuite mi --json``."""
        return {
            "run": self.run.name,
            "path": str(self.run.path),
            "x": self.config.x,
            "y": self.config.y,
            "n": self.n,
            "n_dropped": self.n_dropped,
            "dims": list(self.dims),
            "unit": "nats",
            "interval": {"method": INTERVAL_METHOD, "level": 0.95},
            "estimates": [e.as_dict() for e in self.estimates],
            "ksg": None if self.ksg is None else self.ksg.as_dict(),
            "bias_checks": [c.as_dict() for c in self.bias_checks],
            "warnings": list(self.warnings),
            "skipped": dict(self.skipped),
        }


def _worst(checks: Sequence[BiasCheck], estimator: str) -> BiasCheck | None:
    """The check of ``estimator`` with the largest absolute bias, or None."""
    mine = [c for c in checks if c.estimator == estimator]
    return max(mine, key=lambda c: abs(c.bias)) if mine else None


def _matrix(reps: Representations, key: str, path: Any) -> np.ndarray:
    if key not in reps:
        raise MissingRepresentation(path, key, reps.keys())
    value = np.asarray(reps.array(key))
    if value.ndim not in (1, 2) or not np.issubdtype(value.dtype, np.number):
        raise DataError(
            f"{path}: '{key}' must be a numeric array of shape (n, d), got {value.shape}"
        )
    return value


def representation_pairs(run: Run, x_key: str, y_key: str) -> RepresentationPairs:
    """The examples of ``run`` with both representations, as paired matrices.

    Raises
    ------
    UsageError
        No representations.npz (:class:`MissingRepresentation` for a missing array).
    DataError
        From :func:`evalsuite.runs.read_representations` (arrays whose rows disagree with
        ``ids``, an id given twice or without a record), a non-numeric array, or fewer than
        :data:`MIN_PAIRS` complete pairs (:class:`TooFewPairs`).
    """
    from evalsuite.metrics.mutual_info import complete_pairs

    path = run.path / REPRESENTATIONS
    reps = run.representations()
    if reps is None:
        raise UsageError(f"{path}: file not found; mutual information needs the representations "
                         "that `evalsuite score` writes")  # fmt: skip
    x, y = _matrix(reps, x_key, path), _matrix(reps, y_key, path)
    ids = list(reps.ids)  # one row each, each naming one record: read_representations checks
    keep = complete_pairs(x, y)  # NaN rows: examples without that representation
    n_dropped = int((~keep).sum())
    if int(keep.sum()) < MIN_PAIRS:
        raise TooFewPairs(
            f"{path}: {int(keep.sum())} complete examples ({n_dropped} without a finite "
            f"'{x_key}' or '{y_key}'); mutual information needs at least {MIN_PAIRS}"
        )
    kept_ids = [i for i, k in zip(ids, keep, strict=True) if k]
    return RepresentationPairs(x[keep], y[keep], kept_ids, n_dropped)


def _probe_labels(
    records: Sequence[Record], ids: Sequence[str], field_name: str
) -> tuple[list[str] | None, str | None]:
    """Labels aligned with the representations' ids, or (None, why not)."""
    if not any(r.label_probs for r in records):
        return None, "needs a closed label set (no record has label_probs)"
    by_id = {r.id: r for r in records}  # every id has one: read_representations checks
    labels = [getattr(by_id[i], field_name) for i in ids]
    if any(label is None for label in labels):
        return None, f"needs a label for every example (some records have {field_name} = null)"
    return [str(label) for label in labels], None


class KnownTruthChecks:
    """The known-truth checks made so far, by everything that shapes one (estimator, n, widths,
    truth, settings, replicates, seed): not the run's data, which a check never sees.

    A report hands one to the :func:`estimate_run_mi` of each of its runs, so runs of the same
    size (every student of the demo, scored on one test split by students of one width) share
    their simulated checks instead of simulating them again; each check is seeded, so a shared
    one equals the one a run alone would make.
    """

    def __init__(self) -> None:
        self._made: dict[tuple[Any, ...], Any] = {}

    def get(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """The check made under ``key``, made by ``make()`` the first time."""
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]


def _check_truths(n: int) -> tuple[float, ...]:
    """The truths of :data:`CHECK_TRUTHS` that n pairs can support (at least the smallest)."""
    usable = tuple(t for t in CHECK_TRUTHS if t <= 0.8 * np.log(n))
    return usable or CHECK_TRUTHS[:1]


def _choose_ksg(
    pairs: RepresentationPairs,
    config: RunMIConfig,
    truths: Sequence[float],
    made: KnownTruthChecks,
) -> KSGChoice:
    """KSG's components: given, or those with the smallest mean |bias| over ``truths``."""
    from evalsuite.metrics.mi_truth import KSG_COMPONENT_GRID, choose_ksg_components

    n, dx, dy = len(pairs.ids), pairs.x.shape[1], pairs.y.shape[1]
    signal = min(SIGNAL_DIMS, dx, dy)
    if config.ksg_components is not None:
        grid: tuple[int, ...] = (config.ksg_components,)
    else:
        grid = KSG_COMPONENT_GRID
    candidates = []
    for truth in truths:
        settings = (n, dx, dy, truth, grid, config.mi_config(), signal, config.check_replicates)
        _, checks = made.get(
            ("ksg components", *settings, config.seed),
            partial(
                choose_ksg_components,
                n=n,
                dx=dx,
                dy=dy,
                mi=truth,
                grid=grid,
                config=config.mi_config(),
                signal_dims=signal,
                replicates=config.check_replicates,
                rng=config.seed,
            ),
        )
        candidates += checks
    by_components: dict[int, list[float]] = {}
    for check in candidates:
        by_components.setdefault(check.settings["ksg_components"], []).append(abs(check.bias))
    best = min(by_components, key=lambda c: float(np.mean(by_components[c])))
    return KSGChoice(best, config.ksg_components is None, candidates)


def _bias_checks(
    name: str, pairs: RepresentationPairs, config: MIConfig, run_config: RunMIConfig,
    truths: Sequence[float], made: KnownTruthChecks,
) -> list[BiasCheck]:  # fmt: skip
    """``name`` as configured, on simulated data with the run's n and widths at each truth."""
    from dataclasses import replace

    from evalsuite.metrics.mi_truth import known_truth_bias

    n, dx, dy = len(pairs.ids), pairs.x.shape[1], pairs.y.shape[1]
    one_seed = replace(config, n_seeds=1)
    signal = min(SIGNAL_DIMS, dx, dy)
    replicates, seed = run_config.check_replicates, run_config.seed
    return [
        made.get(
            ("bias", name, n, dx, dy, truth, one_seed, signal, replicates, seed),
            partial(
                known_truth_bias,
                name,
                n=n,
                dx=dx,
                dy=dy,
                mi=truth,
                config=one_seed,
                signal_dims=signal,
                replicates=replicates,
                rng=seed,
            ),
        )
        for truth in truths
    ]


def estimate_run_mi(
    run: Run,
    config: RunMIConfig,
    *,
    progress: Callable[[str], None] | None = None,
    checks: KnownTruthChecks | None = None,
) -> RunMI:
    """Every estimator of ``config`` on the run's complete representation pairs, each with a
    bootstrap interval and a known-truth check, and the warnings they give together.

    ``checks`` holds known-truth checks already made (by the other runs of a report); the
    checks this run needs and it lacks are made and added.

    An estimator that cannot give a number on this run (the probe without a closed label set,
    or data its estimator refuses) is skipped with its reason in :attr:`RunMI.skipped`.

    Raises
    ------
    UsageError, DataError
        From :func:`representation_pairs`.
    """
    from evalsuite.metrics.mi_bootstrap import mutual_information_with_interval
    from evalsuite.metrics.mi_checks import contradictions

    say = progress or (lambda _: None)
    made = checks if checks is not None else KnownTruthChecks()
    pairs = representation_pairs(run, config.x, config.y)
    x = pairs.x if pairs.x.ndim == 2 else pairs.x[:, None]
    y = pairs.y if pairs.y.ndim == 2 else pairs.y[:, None]
    pairs = RepresentationPairs(x, y, pairs.ids, pairs.n_dropped)
    truths = _check_truths(len(pairs.ids))
    labels, why_not = None, None
    if "probe" in config.estimators:
        labels, why_not = _probe_labels(run.records, pairs.ids, config.label_field)
    ksg = None
    if "ksg" in config.estimators:
        say(f"choosing KSG's components by a known-truth check at {x.shape[1]}+{y.shape[1]} dims")
        ksg = _choose_ksg(pairs, config, truths, made)
    mi_config = config.mi_config(ksg.components if ksg else None)
    estimates, skipped, bias = [], {}, []
    for name in config.estimators:
        if name == "probe" and labels is None:
            skipped[name] = str(why_not)
            continue
        resamples = config.resamples(name)
        say(f"estimating MI with {name} on {len(pairs.ids)} pairs ({resamples} half-samples)")
        try:
            estimate = mutual_information_with_interval(
                name,
                x,
                y,
                labels=labels,
                config=mi_config,
                n_resamples=resamples,
                rng=config.seed,
            )
        except ValueError as err:  # a property of this run's data, e.g. too few labels
            skipped[name] = str(err)
            continue
        estimates.append(estimate)
        if name == "ksg" and ksg is not None:
            bias += [c for c in ksg.candidates if c.settings["ksg_components"] == ksg.components]
        else:
            bias += _bias_checks(name, pairs, mi_config, config, truths, made)
    worst = [c for e in estimates if (c := _worst(bias, e.estimator)) is not None]
    return RunMI(
        run,
        config,
        len(pairs.ids),
        pairs.n_dropped,
        estimates,
        skipped,
        dims=(x.shape[1], y.shape[1]),
        ksg=ksg,
        bias_checks=bias,
        warnings=contradictions(estimates, bias_checks=worst),
    )
