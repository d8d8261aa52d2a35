"""Compare mode of the explorer: two runs paired by example id, and the views over the pairs.

Pure functions on the tables :func:`evalsuite.report.explorer.records_frame` makes, so the page
draws and the tests check the pairing without a browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalsuite.errors import UsageError

__all__ = ["COMPARE_VIEWS", "PAIRED_COLUMNS", "Alignment", "align_runs", "compare_rows"]


@dataclass(frozen=True)
class Alignment:
    """Two runs paired by example id.

    Attributes
    ----------
    frame : DataFrame
        One row per id present in both runs, in run A's order: ``id``, ``gold`` (A's), and for
        each run (suffix ``_a``/``_b``) ``answer``, ``correct``, ``confidence``, ``consistent``,
        ``prediction`` and ``index`` (the row in that run's :func:`records_frame`). ``disagree``
        is true where the two answers differ (a failed extraction differs from any answer);
        ``correct_differs`` where exactly one of the two is correct.
    only_a, only_b : int
        How many ids only one of the runs has.
    """

    frame: pd.DataFrame
    only_a: int
    only_b: int


PAIRED_COLUMNS = ("answer", "correct", "confidence", "consistent", "prediction")


def _same_answer(a: Any, b: Any, same: Callable[[str, str], bool]) -> bool:
    if pd.isna(a) or pd.isna(b):
        return bool(pd.isna(a) and pd.isna(b))
    return bool(same(str(a), str(b)))


def align_runs(
    frame_a: pd.DataFrame,
    frame_b: pd.DataFrame,
    *,
    same_answer: Callable[[str, str], bool] | None = None,
) -> Alignment:
    """Pair two runs' tables (from :func:`records_frame`) on ``id``.

    Parameters
    ----------
    frame_a, frame_b : DataFrame
        The two runs' tables; A's order is kept.
    same_answer : callable, optional
        How two answers are compared (the task's ``same_answer``, which allows a tolerance for
        numbers); default exact string equality.

    Examples
    --------
    >>> from evalsuite.report.explorer import records_frame
    >>> a = records_frame([{"id": "x", "gold": "1", "answer": "1", "correct": True},
    ...                    {"id": "y", "gold": "2", "answer": "3", "correct": False}])
    >>> b = records_frame([{"id": "y", "gold": "2", "answer": "2", "correct": True}])
    >>> al = align_runs(a, b)
    >>> list(al.frame["id"]), list(al.frame["disagree"]), al.only_a, al.only_b
    (['y'], [True], 1, 0)
    """
    same = same_answer or str.__eq__
    keep = ["id", *PAIRED_COLUMNS]
    left = frame_a[keep].assign(index=frame_a.index)
    right = frame_b[keep].assign(index=frame_b.index)
    merged = left.merge(right, on="id", how="inner", suffixes=("_a", "_b"), sort=False)
    merged.insert(1, "gold", frame_a.loc[merged["index_a"], "gold"].to_numpy())
    merged["disagree"] = [
        not _same_answer(a, b, same)
        for a, b in zip(merged["answer_a"], merged["answer_b"], strict=True)
    ]
    merged["correct_differs"] = merged["correct_a"] != merged["correct_b"]
    shared = len(merged)
    return Alignment(frame=merged, only_a=len(frame_a) - shared, only_b=len(frame_b) - shared)


# Compare-mode views: the label the page shows -> which pairs it keeps.
COMPARE_VIEWS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "all shared examples": lambda frame: pd.Series(True, index=frame.index),
    "answers differ": lambda frame: frame["disagree"].astype(bool),
    "one correct, one not": lambda frame: frame["correct_differs"].astype(bool),
}


def compare_rows(alignment: Alignment, shown_a: pd.DataFrame, *, view: str) -> pd.DataFrame:
    """The pairs whose run-A record passes the browser's filters (``shown_a``) and ``view``.

    Raises
    ------
    UsageError
        When ``view`` is not one of :data:`COMPARE_VIEWS`.
    """
    if view not in COMPARE_VIEWS:
        raise UsageError(f"unknown compare view {view!r}; choose from {', '.join(COMPARE_VIEWS)}")
    frame = alignment.frame
    keep = frame["index_a"].isin(shown_a.index) & COMPARE_VIEWS[view](frame)
    return frame[keep]
