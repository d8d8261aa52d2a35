"""Leakage-adjusted simulatability (LAS, Hase et al. 2020): does a rationale help a simulator
predict the student, beyond what the input alone and a label leaked in the rationale give?

A simulator is asked to predict the *student's* answer from (input, rationale), from the input
alone and from the rationale alone. An item is *leaked* when the rationale alone already gives
the student's answer. Then

    LAS = 1/2 * [ mean over leaked items of (xe - x) + mean over non-leaked items of (xe - x) ]

where ``xe`` and ``x`` say whether the simulator matched the student with and without the
rationale. Averaging the two groups with equal weight keeps a rationale that just states its
label from scoring well by leakage alone. A group without items drops out of the average.

References
----------
Hase, Zhang, Xie, Bansal (2020). "Leakage-Adjusted Simulatability: Can Models Generate
Non-Trivial Explanations of Their Behavior in Natural Language?" Findings of EMNLP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evalsuite.metrics.resampling import (
    RandomState,
    as_generator,
    bootstrap_index_chunks,
    percentile_interval,
)

__all__ = ["LeakageGroup", "Simulatability", "leakage_adjusted_simulatability"]


@dataclass(frozen=True)
class LeakageGroup:
    """The items of one leakage group: how many, and the simulator's agreement with the
    student with the rationale (``xe``) and without it (``x``)."""

    n: int
    xe_accuracy: float | None
    x_accuracy: float | None

    @property
    def difference(self) -> float | None:
        """``mean(xe - x)`` over the group; None for an empty group."""
        if self.xe_accuracy is None or self.x_accuracy is None:
            return None
        return self.xe_accuracy - self.x_accuracy


@dataclass(frozen=True)
class Simulatability:
    """LAS with its paired bootstrap interval and the two groups it averages."""

    las: float
    low: float
    high: float
    leaked: LeakageGroup
    non_leaked: LeakageGroup


def _las(xe: np.ndarray, x: np.ndarray, leaked: np.ndarray) -> np.ndarray:
    """LAS along the last axis (rows are bootstrap resamples); NaN where no item at all."""
    diff = xe.astype(np.float64) - x.astype(np.float64)
    means = []
    for mask in (leaked, ~leaked):
        n = mask.sum(axis=-1)
        total = (diff * mask).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            means.append(np.where(n > 0, total / np.maximum(n, 1), np.nan))
    stacked = np.stack(means)
    with np.errstate(invalid="ignore"):
        return np.nanmean(stacked, axis=0) if stacked.size else stacked


def _group(xe: np.ndarray, x: np.ndarray, mask: np.ndarray) -> LeakageGroup:
    n = int(mask.sum())
    if n == 0:
        return LeakageGroup(0, None, None)
    return LeakageGroup(n, float(xe[mask].mean()), float(x[mask].mean()))


def leakage_adjusted_simulatability(
    y_student: Sequence[str],
    y_input_rationale: Sequence[str],
    y_input: Sequence[str],
    y_rationale: Sequence[str],
    *,
    n_resamples: int = 10_000,
    alpha: float = 0.05,
    rng: RandomState = None,
) -> Simulatability:
    """LAS of a student's rationales from a simulator's three predictions per item.

    Parameters
    ----------
    y_student : sequence of str, length n
        The student's answers (what the simulator is trained to predict).
    y_input_rationale, y_input, y_rationale : sequence of str, length n
        The simulator's predictions from (input, rationale), from the input alone and from the
        rationale alone (which decides leakage).
    n_resamples : int
        Paired bootstrap resamples: items are resampled once and both ``xe`` and ``x`` (and the
        leakage split) are recomputed on the same resample.
    alpha : float
        One minus the interval's coverage.
    rng : numpy Generator, int or None

    Returns
    -------
    Simulatability

    Raises
    ------
    ValueError
        For sequences of different lengths or no items.

    Examples
    --------
    >>> s = leakage_adjusted_simulatability(
    ...     ["a", "b", "a", "b"], ["a", "b", "a", "a"], ["b", "b", "a", "a"], ["a", "a", "b", "b"],
    ...     n_resamples=100, rng=0)
    >>> s.leaked.n, s.non_leaked.n, s.las
    (2, 2, 0.25)
    """
    arrays = [np.asarray(list(v), dtype=object) for v in
              (y_student, y_input_rationale, y_input, y_rationale)]  # fmt: skip
    n = len(arrays[0])
    if n == 0 or any(len(a) != n for a in arrays):
        raise ValueError(
            "LAS needs four prediction sequences of one non-zero length, got lengths "
            + ", ".join(str(len(a)) for a in arrays)
        )
    student, with_rationale, alone, rationale_only = arrays
    xe = with_rationale == student
    x = alone == student
    leaked = rationale_only == student
    value = float(_las(xe, x, leaked))
    generator = as_generator(rng)
    samples = np.concatenate(
        [
            _las(xe[idx], x[idx], leaked[idx])
            for idx in bootstrap_index_chunks(n, n_resamples, generator)
        ]
    )
    low, high = percentile_interval(samples, alpha=alpha)
    return Simulatability(
        las=value,
        low=low,
        high=high,
        leaked=_group(xe, x, leaked),
        non_leaked=_group(xe, x, ~leaked),
    )
