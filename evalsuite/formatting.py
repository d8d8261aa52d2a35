"""Text forms of numbers shared by every table a person reads (CLI, summary.md, LaTeX): one
interval printer, one rate printer and one p-value printer, so ``metrics``, ``compare``,
``data``, ``demo`` and ``report`` write them alike.

Intervals are printed as their two ends, ``[low, high]``, never as a symmetric ``±``: Wilson and
bootstrap percentile intervals are not symmetric around their estimate (0/5 is [0.0, 43.4] %,
which a "0.0 ± 21.7" would misstate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["format_rate", "interval_text", "p_value_text", "rate_interval_text"]


def interval_text(low: float, high: float, *, digits: int = 1, signed: bool = False) -> str:
    """``[low, high]`` with ``digits`` decimals (``signed``: a ``+`` on positive ends, for
    differences).

    >>> interval_text(0.0, 43.4449)
    '[0.0, 43.4]'
    >>> interval_text(-2.5, 3.25, digits=2, signed=True)
    '[-2.50, +3.25]'
    """
    sign = "+" if signed else ""
    return f"[{low:{sign}.{digits}f}, {high:{sign}.{digits}f}]"


def rate_interval_text(rate: Mapping[str, Any], *, digits: int = 1) -> str:
    """A rate's interval in percent, ``[low, high]``; ``n/a`` when it applies to no record.

    >>> rate_interval_text({"value": 0.0, "low": 0.0, "high": 0.434482, "k": 0, "n": 5})
    '[0.0, 43.4]'
    """
    if rate.get("low") is None or rate.get("high") is None:
        return "n/a"
    return interval_text(100 * rate["low"], 100 * rate["high"], digits=digits)


def format_rate(rate: Mapping[str, Any] | None, *, digits: int = 2) -> str:
    """``80.00 %  [49.02, 94.33]  (8/10)``, or ``n/a`` for a rate that applies to no record.

    >>> format_rate({"value": 0.8, "low": 0.4902, "high": 0.9433, "k": 8, "n": 10})
    ' 80.00 %  [49.02, 94.33]  (8/10)'
    >>> format_rate({"value": 0.0, "low": 0.0, "high": 0.434482, "k": 0, "n": 5}, digits=1)
    '  0.0 %  [0.0, 43.4]  (0/5)'
    >>> format_rate(None)
    'n/a'
    """
    if rate is None or rate.get("value") is None:
        return "n/a"
    width = digits + 4
    return (
        f"{100 * rate['value']:{width}.{digits}f} %  {rate_interval_text(rate, digits=digits)}"
        f"  ({rate['k']}/{rate['n']})"
    )


def p_value_text(value: float) -> str:
    """``= 0.0123``, ``= 1.0e-04``: a p-value with its relation, to read after "p ".

    Resampling tests report ``(count + 1) / (B + 1)`` (:func:`evalsuite.metrics.resampling.
    resampling_p_value`), so their smallest p-value is ``1/(B+1)`` and is printed as that
    number: never ``p = 0``, and the same text in the CLI and the report.

    >>> p_value_text(0.01234), p_value_text(2e-5), p_value_text(1 / 10_001)
    ('= 0.0123', '= 2.0e-05', '= 1.0e-04')
    """
    return f"= {value:.3g}" if value >= 1e-3 else f"= {value:.1e}"
