"""Align several runs example by example, so that paired tests compare like with like.

Runs are paired by record ``id``. Two runs over different examples, or whose gold labels disagree
on an id, are not comparable: alignment refuses, naming an id, unless asked to keep only the
examples every run shares with the same gold label, in which case it says how many it dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evalsuite.errors import DataError
from evalsuite.runs.records import Record, as_records

__all__ = ["PairedRuns", "align_runs"]


@dataclass(frozen=True)
class PairedRuns:
    """Several runs on the same examples, in the first run's order.

    Attributes
    ----------
    names : tuple of str
        One per run.
    ids : tuple of str
        The shared example ids, shape (n,).
    correct : ndarray of shape (m, n), bool
        ``correct[r, i]``: run ``r`` answered example ``i`` correctly.
    confidence : ndarray of shape (m, n), float
        The record's confidence, NaN where a record has none.
    dropped_missing : int
        Ids left out because some run lacks them (only with ``intersect``).
    dropped_gold : int
        Shared ids left out because the runs' gold labels differ (only with ``intersect``).
    """

    names: tuple[str, ...]
    ids: tuple[str, ...]
    correct: NDArray[np.bool_]
    confidence: NDArray[np.float64]
    dropped_missing: int = 0
    dropped_gold: int = 0

    @property
    def n(self) -> int:
        """Number of aligned examples."""
        return len(self.ids)

    @property
    def dropped(self) -> int:
        """All ids left out by ``intersect``."""
        return self.dropped_missing + self.dropped_gold


def _gold(record: Record) -> str:
    return record.gold.strip()


def align_runs(
    runs: Sequence[tuple[str, Sequence[Record | Mapping[str, Any]]]],
    *,
    intersect: bool = False,
    hint: str = "",
) -> PairedRuns:
    """Pair the records of several runs by ``id``.

    Parameters
    ----------
    runs : sequence of (name, records)
        At least two runs; records as read by :func:`evalsuite.runs.read_run` (or their JSON form).
    intersect : bool
        Keep the ids all runs share with equal gold labels instead of refusing.
    hint : str
        Appended to a refusal (the CLI passes how to ask for ``intersect``).

    Raises
    ------
    DataError
        Without ``intersect``: when the id sets differ (naming an id and the run lacking it) or
        a gold label differs (naming the id and both labels). With it: when nothing is shared.

    Examples
    --------
    >>> a = [{"id": "x", "gold": "1", "correct": True}, {"id": "y", "gold": "2", "correct": False}]
    >>> b = [{"id": "y", "gold": "2", "correct": True}, {"id": "x", "gold": "1", "correct": True}]
    >>> p = align_runs([("A", a), ("B", b)])
    >>> p.ids, p.correct.astype(int).tolist()
    (('x', 'y'), [[1, 0], [1, 1]])
    """
    if len(runs) < 2:
        raise DataError(f"need at least two runs to compare, got {len(runs)}")
    names = tuple(name for name, _ in runs)
    by_id = [{r.id: r for r in as_records(records)} for _, records in runs]
    first_name, first = names[0], by_id[0]
    suffix = f"; {hint}" if hint else ""

    shared = [i for i in first if all(i in other for other in by_id[1:])]
    if not intersect:
        for name, other in zip(names[1:], by_id[1:], strict=True):
            missing = next((i for i in first if i not in other), None)
            if missing is not None:
                raise DataError(
                    f"runs differ: id '{missing}' is in {first_name} but not in {name}{suffix}"
                )
            extra = next((i for i in other if i not in first), None)
            if extra is not None:
                raise DataError(
                    f"runs differ: id '{extra}' is in {name} but not in {first_name}{suffix}"
                )
    all_ids = set().union(*(set(d) for d in by_id))
    dropped_missing = len(all_ids) - len(shared)

    keep: list[str] = []
    for i in shared:
        golds = [_gold(d[i]) for d in by_id]
        differs = next((k for k, g in enumerate(golds) if g != golds[0]), None)
        if differs is None:
            keep.append(i)
        elif not intersect:
            raise DataError(
                f"runs differ: id '{i}' has gold '{golds[0]}' in {first_name} "
                f"but '{golds[differs]}' in {names[differs]}{suffix}"
            )
    if not keep:
        raise DataError(f"runs {', '.join(names)} share no example with the same gold label")

    correct = np.array([[d[i].correct for i in keep] for d in by_id], dtype=bool)
    confidence = np.array(
        [[np.nan if d[i].confidence is None else d[i].confidence for i in keep] for d in by_id],
        dtype=np.float64,
    )  # fmt: skip
    return PairedRuns(
        names=names,
        ids=tuple(keep),
        correct=correct,
        confidence=confidence,
        dropped_missing=dropped_missing,
        dropped_gold=len(shared) - len(keep),
    )
