"""Shared resampling helpers: one way to turn an injected ``rng`` into a Generator, and intervals.

Every random metric takes ``rng: np.random.Generator | int | None`` and never touches global
state, so the same seed gives the same number.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["RandomState", "as_generator", "bootstrap_index_chunks", "percentile_interval"]

RandomState = np.random.Generator | int | None


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
