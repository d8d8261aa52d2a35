"""Multi-path metrics from run records: accuracy per path kind, voting accuracy, PoT execution
failures and agreement between paths. Pure functions on records that carry ``paths``.

A path is a :class:`~evalsuite.runs.records.PathRecord` (docs/runs.md; ``correct`` is written by
the scorer). Functions take :class:`~evalsuite.runs.records.Record` objects or their JSON form.
Rates count paths, or pairs of paths, not examples: with k paths per kind an example contributes
k paths of each kind. Every rate is a :class:`~evalsuite.metrics.rates.Rate` with a Wilson
interval, None-valued when nothing applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import combinations
from typing import Any

from evalsuite.metrics.rates import Rate, rate_of
from evalsuite.runs.records import PathRecord, Record, as_records

__all__ = [
    "path_accuracy",
    "path_agreement",
    "path_summary",
    "pot_failure_rate",
    "voting_accuracy",
]

SameAnswer = Callable[[str, str], bool]
Records = Sequence[Record | Mapping[str, Any]]


def _paths(records: Records) -> list[tuple[PathRecord, ...]]:
    return [r.paths for r in as_records(records) if r.paths]


def _equal(a: str, b: str) -> bool:
    return a == b


def path_accuracy(records: Records, kind: str) -> Rate:
    """Share of the ``kind`` paths (cot, pot, socratic) whose own answer is correct.

    Examples
    --------
    >>> recs = [{"id": "a", "gold": "1", "correct": True,
    ...          "paths": [{"kind": "cot", "correct": True}, {"kind": "pot", "correct": False}]},
    ...         {"id": "b", "gold": "1", "correct": False,
    ...          "paths": [{"kind": "cot", "correct": False}]}]
    >>> path_accuracy(recs, "cot").value, path_accuracy(recs, "pot").value
    (0.5, 0.0)
    """
    return rate_of([bool(p.correct) for paths in _paths(records) for p in paths if p.kind == kind])


def voting_accuracy(records: Records) -> Rate:
    """Accuracy of the records' voted answers, over records that carry paths."""
    return rate_of([r.correct for r in as_records(records) if r.paths])


def pot_failure_rate(records: Records) -> Rate:
    """Share of PoT paths whose program did not run to a value (``ok`` false in the sandbox).

    Examples
    --------
    >>> paths = [{"kind": "pot", "ok": False}, {"kind": "pot", "ok": True},
    ...          {"kind": "cot", "ok": False}]
    >>> pot_failure_rate([{"id": "a", "gold": "1", "correct": False, "paths": paths}]).value
    0.5
    """
    return rate_of([not p.ok for paths in _paths(records) for p in paths if p.kind == "pot"])


def path_agreement(
    records: Records,
    *,
    kinds: tuple[str, str] | None = None,
    same_answer: SameAnswer | None = None,
) -> Rate:
    """Share of pairs of paths of one example that reach the same answer.

    Parameters
    ----------
    records : sequence of Record (or its JSON form)
    kinds : (str, str), optional
        Count only pairs of one path of each of these kinds (e.g. ``("cot", "pot")``); default
        every pair of paths.
    same_answer : callable, optional
        How answers compare (``task.same_answer``); default string equality. A path without an
        answer agrees with nothing.

    Examples
    --------
    >>> recs = [{"id": "a", "gold": "3", "correct": True, "paths": [
    ...     {"kind": "cot", "answer": "3"}, {"kind": "pot", "answer": "3"},
    ...     {"kind": "pot", "answer": None}]}]
    >>> r = path_agreement(recs)
    >>> r.k, r.n
    (1, 3)
    >>> r = path_agreement(recs, kinds=("cot", "pot"))
    >>> r.k, r.n
    (1, 2)
    """
    agree = same_answer or _equal
    flags: list[bool] = []
    for paths in _paths(records):
        for a, b in combinations(paths, 2):
            if kinds is not None and {a.kind, b.kind} != set(kinds):
                continue
            x, y = a.answer, b.answer
            flags.append(x is not None and y is not None and bool(agree(x, y)))
    return rate_of(flags)


def _rate(rate: Rate) -> dict[str, Any] | None:
    return rate.as_dict() if rate.n else None


def path_summary(
    records: Records, *, same_answer: SameAnswer | None = None
) -> dict[str, Any] | None:
    """The ``paths`` block of metrics.json; None when no record carries paths.

    Returns
    -------
    dict
        ``n`` (records with paths); ``accuracy_by_kind`` (kind -> rate over its paths);
        ``voting_accuracy``; ``pot_failure`` (or null without PoT paths); ``agreement`` (all
        pairs of paths of an example) and ``cot_pot_agreement`` (CoT-PoT pairs), null when no
        example has such a pair.
    """
    with_paths = [r for r in as_records(records) if r.paths]
    if not with_paths:
        return None
    kinds = sorted({p.kind for paths in _paths(with_paths) for p in paths})
    return {
        "n": len(with_paths),
        "accuracy_by_kind": {kind: path_accuracy(with_paths, kind).as_dict() for kind in kinds},
        "voting_accuracy": voting_accuracy(with_paths).as_dict(),
        "pot_failure": _rate(pot_failure_rate(with_paths)),
        "agreement": _rate(path_agreement(with_paths, same_answer=same_answer)),
        "cot_pot_agreement": _rate(
            path_agreement(with_paths, kinds=("cot", "pot"), same_answer=same_answer)
        ),
    }
