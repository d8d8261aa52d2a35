"""Rates with their counts and a Wilson 95 % interval: accuracy, extraction failure, agreement.

Every rate a report shows travels with ``k`` and ``n`` so that a reader can judge it, and with an
interval so that two rates are not compared by eye. The interval is statsmodels' Wilson score
interval, which stays inside [0, 1] and behaves at 0/n and n/n where the normal one does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from statsmodels.stats.proportion import proportion_confint

from evalsuite.metrics.resampling import Interval

__all__ = ["Rate", "proportion_rate", "rate_of"]


@dataclass(frozen=True)
class Rate:
    """A proportion ``k / n`` with its Wilson interval; ``value``/``low``/``high`` are None at n=0.

    Attributes
    ----------
    value : float or None
        ``k / n``.
    k, n : int
        Successes and trials.
    low, high : float or None
        The two-sided Wilson score interval at level ``1 - alpha``.
    """

    value: float | None
    k: int
    n: int
    low: float | None
    high: float | None

    @property
    def interval(self) -> Interval | None:
        """The Wilson interval as an :class:`Interval` (None at n=0), for tables that say which.

        >>> proportion_rate(0, 5).interval.high  # doctest: +ELLIPSIS
        0.4344...
        """
        if self.low is None or self.high is None:
            return None
        return Interval(self.low, self.high, "wilson")

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``{"value", "k", "n", "low", "high"}``."""
        return asdict(self)


def proportion_rate(k: int, n: int, *, alpha: float = 0.05) -> Rate:
    """``k`` successes out of ``n`` with a Wilson interval (statsmodels ``proportion_confint``).

    Parameters
    ----------
    k, n : int
        Successes and trials, ``0 <= k <= n``.
    alpha : float
        One minus the interval's coverage (0.05 gives 95 %).

    Returns
    -------
    Rate
        With ``value = low = high = None`` when ``n == 0`` (no data, not a rate of zero).

    Raises
    ------
    ValueError
        When the counts are negative or ``k > n``.

    Examples
    --------
    >>> r = proportion_rate(8, 10)
    >>> round(r.value, 3), round(r.low, 6), round(r.high, 6)
    (0.8, 0.490162, 0.943318)
    """
    k, n = int(k), int(n)
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"counts must satisfy 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return Rate(value=None, k=0, n=0, low=None, high=None)
    low, high = proportion_confint(k, n, alpha=alpha, method="wilson")
    return Rate(value=k / n, k=k, n=n, low=float(low), high=float(high))


def rate_of(flags: Iterable[Any], *, alpha: float = 0.05) -> Rate:
    """The rate of true values among ``flags``; None entries (not applicable) are left out.

    Parameters
    ----------
    flags : iterable of bool or None, length n
        One flag per record, None where the question does not apply (e.g. no rationale).

    Examples
    --------
    >>> rate_of([True, False, None, True]).as_dict()["k"], rate_of([True, False, None]).n
    (2, 2)
    """
    values = [bool(f) for f in flags if f is not None]
    return proportion_rate(sum(values), len(values), alpha=alpha)
