"""Mutual information of one run: its representations.npz paired up, every estimator run on it.

``evalsuite mi``, the report and the demo all call :func:`estimate_run_mi`, so the minimum number
of pairs, the rows left out for missing representations and the probe's labels are decided in
one place. The estimators themselves are :data:`evalsuite.metrics.mutual_info.ESTIMATORS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evalsuite.errors import DataError, UsageError
from evalsuite.metrics.critics import CriticConfig
from evalsuite.metrics.mutual_info import MIConfig, MIEstimate
from evalsuite.names import MI_ESTIMATORS, PROBE_LABELS
from evalsuite.runs import REPRESENTATIONS, Record, Representations, Run

__all__ = [
    "MIN_PAIRS",
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


class MissingRepresentation(UsageError):
    """representations.npz has no array of the asked name (e.g. a label-only student has no
    rationale representation)."""

    def __init__(self, path: Any, key: str, available: Sequence[str]) -> None:
        super().__init__(f"{path} has no array '{key}'; it has {', '.join(available)}")
        self.key = key


class TooFewPairs(DataError):
    """Fewer than :data:`MIN_PAIRS` examples have both representations."""


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
    """

    estimators: tuple[str, ...] = ("ksg",)
    x: str = "label_repr"
    y: str = "rationale_repr"
    label_field: str = "answer"
    n_seeds: int = 3
    steps: int = 600
    seed: int = 0

    def __post_init__(self) -> None:
        for name in self.estimators:
            MI_ESTIMATORS.check(name)
        PROBE_LABELS.check(self.label_field)
        if self.n_seeds < 1:
            raise UsageError(f"--n-seeds: must be a positive integer, got {self.n_seeds}")
        if self.steps < 1:
            raise UsageError(f"--steps: must be a positive integer, got {self.steps}")

    def mi_config(self) -> MIConfig:
        """The estimators' own settings."""
        return MIConfig(n_seeds=self.n_seeds, critic=CriticConfig(steps=self.steps))


@dataclass(frozen=True)
class RepresentationPairs:
    """The complete (x, y) pairs of a run, with their example ids."""

    x: np.ndarray
    y: np.ndarray
    ids: list[str]
    n_dropped: int
    """Examples left out because one of their representations is missing (NaN rows)."""


@dataclass(frozen=True)
class RunMI:
    """What :func:`estimate_run_mi` found: the pairs, each estimate, each estimator skipped."""

    run: Run
    config: RunMIConfig
    n: int
    n_dropped: int
    estimates: list[MIEstimate]
    skipped: dict[str, str] = field(default_factory=dict)
    """Estimator -> why it gives no number on this run (no closed label set, degenerate data)."""

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of ``evalsuite mi --json``."""
        return {
            "run": self.run.name,
            "path": str(self.run.path),
            "x": self.config.x,
            "y": self.config.y,
            "n": self.n,
            "n_dropped": self.n_dropped,
            "unit": "nats",
            "estimates": [e.as_dict() for e in self.estimates],
            "skipped": dict(self.skipped),
        }


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


def estimate_run_mi(
    run: Run, config: RunMIConfig, *, progress: Callable[[str], None] | None = None
) -> RunMI:
    """Every estimator of ``config`` on the run's complete representation pairs.

    An estimator that cannot give a number on this run (the probe without a closed label set,
    or data its estimator refuses) is skipped with its reason in :attr:`RunMI.skipped`.

    Raises
    ------
    UsageError, DataError
        From :func:`representation_pairs`.
    """
    from evalsuite.metrics.mutual_info import estimate_mutual_information

    pairs = representation_pairs(run, config.x, config.y)
    labels, why_not = None, None
    if "probe" in config.estimators:
        labels, why_not = _probe_labels(run.records, pairs.ids, config.label_field)
    estimates, skipped = [], {}
    for name in config.estimators:
        if name == "probe" and labels is None:
            skipped[name] = str(why_not)
            continue
        if progress is not None:
            progress(f"estimating MI with {name} on {len(pairs.ids)} pairs")
        try:
            estimate = estimate_mutual_information(
                name, pairs.x, pairs.y, labels=labels, config=config.mi_config(), rng=config.seed
            )
        except ValueError as err:  # a property of this run's data, e.g. too few labels
            skipped[name] = str(err)
            continue
        estimates.append(estimate)
    return RunMI(run, config, len(pairs.ids), pairs.n_dropped, estimates, skipped)
