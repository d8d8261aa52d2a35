"""Text forms of numbers shared by every table a person reads (CLI, summary.md): one rate
printer and one p-value printer, so ``metrics``, ``compare`` and ``report`` write them alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["format_rate", "p_value_text"]


def format_rate(rate: Mapping[str, Any] | None) -> str:
    """``80.00 %  [49.02, 94.33]  (8/10)``, or ``n/a`` for a rate that applies to no record.

    >>> format_rate({"value": 0.8, "low": 0.4902, "high": 0.9433, "k": 8, "n": 10})
    ' 80.00 %  [49.02, 94.33]  (8/10)'
    >>> format_rate(None)
    'n/a'
    """
    if rate is None or rate.get("value") is None:
        return "n/a"
    return (
        f"{100 * rate['value']:6.2f} %  [{100 * rate['low']:.2f}, {100 * rate['high']:.2f}]"
        f"  ({rate['k']}/{rate['n']})"
    )


def p_value_text(value: float, n_resamples: int | None = None) -> str:
    """``= 0.0123``; a resampling test's 0 reads ``< 1e-04`` (under one in ``n_resamples``).

    The relation is part of the text, so it reads after "p ": ``f"p {p_value_text(p)}"``.

    >>> p_value_text(0.01234), p_value_text(2e-5), p_value_text(0.0, 10_000)
    ('= 0.0123', '= 2.0e-05', '< 1e-04')
    """
    if value == 0 and n_resamples:
        return f"< {1 / n_resamples:.0e}"
    return f"= {value:.3g}" if value >= 1e-3 else f"= {value:.1e}"
