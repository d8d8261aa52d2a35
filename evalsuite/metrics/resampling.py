"""Shared resampling helpers: one way to turn an injected ``rng`` into a Generator, and intervals.

Every random metric takes ``rng: np.random.Generator | int | None`` and never touches global
state, so the same seed gives the same number.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "Interval",
    "RandomState",
    "as_generator",
    "bootstrap_index_chunks",
    "percentile_interval",
    "resampling_p_value",
]

RandomState = np.random.Generator | int | None


@dataclass(frozen=True)
class Interval:
    """A two-sided interval and how it was obtained, so a table can say which interval it shows.

    Intervals are generally not symmetric around their estimate (Wilson, bootstrap percentile),
    so they travel as their two ends, never as a half-width.

    Attributes
    ----------
    low, high : float
        The two ends, ``low <= high``.
    method : str
        What produced it, e.g. ``"wilson"``, ``"bootstrap percentile"``.
    level : float
        Nominal coverage, ``1 - alpha``.

    Examples
    --------
    >>> Interval(0.0, 0.434, "wilson").contains(0.2)
    True
    """

    low: float
    high: float
    method: str
    level: float = 0.95

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"an interval needs low <= high, got [{self.low}, {self.high}]")
        if not 0.0 < self.level < 1.0:
            raise ValueError(f"an interval's level must be in (0, 1), got {self.level}")

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in ``[low, high]``."""
        return self.low <= value <= self.high

    def as_dict(self) -> dict[str, float | str]:
        """JSON form."""
        return {"low": self.low, "high": self.high, "method": self.method, "level": self.level}


def resampling_p_value(n_extreme: int, n_resamples: int) -> float:
    """``(n_extreme + 1) / (n_resamples + 1)``: a Monte-Carlo p-value, never 0.

    The observed data count as one of the equally likely resamples under H0 (Davison & Hinkley
    1997, eq. 4.11; Phipson & Smyth, "Permutation p-values should never be zero", 2010), so
    with ``B`` resamples the smallest reportable p-value is ``1 / (B + 1)``.

    Examples
    --------
    >>> resampling_p_value(0, 9999)
    0.0001
    >>> resampling_p_value(9999, 9999)
    1.0
    """
    if n_resamples < 1 or not 0 <= n_extreme <= n_resamples:
        raise ValueError(
            f"need 0 <= n_extreme <= n_resamples and n_resamples >= 1, "
            f"got {n_extreme} of {n_resamples}"
        )
    return (int(n_extreme) + 1) / (int(n_resamples) + 1)


def as_generator(rng: RandomState) -> np.random.Generator:
    """A Generator from a Generator (used as is), a seed, or None (fresh entropy).

    Examples
    --------
    >>> float(as_generator(0).random()) == float(as_generator(0).random())
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, int | np.integer) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {rng!r}")


def bootstrap_index_chunks(
    n: int, n_resamples: int, rng: np.random.Generator, *, max_elements: int = 4_000_000
) -> Iterator[np.ndarray]:
    """Yield bootstrap index matrices of shape (chunk, n) until ``n_resamples`` rows are drawn.

    Chunking bounds memory (``max_elements`` indices at a time) while keeping each chunk one
    vectorised draw.
    """
    per_chunk = max(1, max_elements // max(n, 1))
    done = 0
    while done < n_resamples:
        rows = min(per_chunk, n_resamples - done)
        yield rng.integers(0, n, size=(rows, n))
        done += rows


def percentile_interval(samples: ArrayLike, *, alpha: float = 0.05) -> tuple[float, float]:
    """The ``(alpha/2, 1 - alpha/2)`` percentiles of bootstrap or seed samples (NaNs ignored).

    Examples
    --------
    >>> percentile_interval(np.arange(101), alpha=0.1)
    (5.0, 95.0)
    """
    values = np.asarray(samples, dtype=np.float64)
    low, high = np.nanquantile(values, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)
