"""The warning a run earns when too many of its answers could not be read.

A run whose outputs are in a form the task cannot read scores near 0 % accuracy, which looks like a
bad model rather than a parsing problem. Above :data:`EXTRACTION_FAILURE_WARNING_ABOVE`, ``evalsuite
metrics`` prints this line on stderr and the report puts it at the top of summary.md and in the
main table's notes, so the number is never read without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["EXTRACTION_FAILURE_WARNING_ABOVE", "extraction_warning"]

EXTRACTION_FAILURE_WARNING_ABOVE = 0.20
"""A run whose share of extraction failures exceeds this is flagged (strictly above: 20 % is
not)."""


def extraction_warning(run: str, summary: Mapping[str, Any]) -> str | None:
    """One line saying that ``run``'s answers mostly failed to parse, or ``None`` if they did not.

    Parameters
    ----------
    run : str
        The run's name, as the user knows it.
    summary : mapping
        The run's :func:`evalsuite.metrics.summary.summarize_run` (its ``extraction_failure``
        rate: ``value``, ``k``, ``n``).

    Examples
    --------
    >>> rate = {"value": 0.9, "k": 45, "n": 50}
    >>> print(extraction_warning("gpt-svamp", {"extraction_failure": rate}))
    ... # doctest: +ELLIPSIS
    warning: run gpt-svamp: no answer could be read from 45 of 50 outputs (90.0 %, more than ...
    >>> extraction_warning("ok", {"extraction_failure": {"value": 0.2, "k": 10, "n": 50}}) is None
    True
    """
    rate = summary.get("extraction_failure") or {}
    value = rate.get("value")
    if value is None or value <= EXTRACTION_FAILURE_WARNING_ABOVE:
        return None
    return (
        f"warning: run {run}: no answer could be read from {rate['k']} of {rate['n']} outputs "
        f"({100 * value:.1f} %, more than {100 * EXTRACTION_FAILURE_WARNING_ABOVE:.0f} %); they "
        "count as wrong, and the accuracy says more about the output format than the model "
        "(records.jsonl: extraction.matched is false)"
    )
