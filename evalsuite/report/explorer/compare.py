"""Compare mode's disagreement matrix: of the examples two runs share, how many both get right,
only A, only B, neither, with McNemar's exact p-value from :mod:`evalsuite.metrics.significance`;
and the examples of one cell, which the page lists when a cell is clicked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalsuite.errors import UsageError
from evalsuite.metrics.significance import mcnemar_test
from evalsuite.report.alignment import Alignment

__all__ = ["MATRIX_CELLS", "DisagreementMatrix", "cell_rows", "disagreement_matrix"]

# Cell name -> which pairs (rows of Alignment.frame) it holds, from the two correctness columns.
MATRIX_CELLS: dict[str, Callable[[pd.Series, pd.Series], pd.Series]] = {
    "both right": lambda a, b: a & b,
    "only A right": lambda a, b: a & ~b,
    "only B right": lambda a, b: ~a & b,
    "neither right": lambda a, b: ~a & ~b,
}


@dataclass(frozen=True)
class DisagreementMatrix:
    """The 2x2 table of two runs' correctness on their shared examples.

    Attributes
    ----------
    counts : dict of str to int
        Each of :data:`MATRIX_CELLS` and its number of examples.
    p_value : float
        McNemar's exact test on the discordant cells (1.0 when there are none).
    n : int
        Shared examples.
    """

    counts: dict[str, int]
    p_value: float
    n: int


def _correct(alignment: Alignment) -> tuple[pd.Series, pd.Series]:
    frame = alignment.frame
    return frame["correct_a"].astype(bool), frame["correct_b"].astype(bool)


def disagreement_matrix(alignment: Alignment) -> DisagreementMatrix:
    """Count the four cells and test the discordant ones with McNemar's exact test.

    Examples
    --------
    >>> from evalsuite.report.alignment import align_runs
    >>> from evalsuite.report.explorer.table import records_frame
    >>> def run(flags):
    ...     return records_frame([{"id": str(i), "gold": "1", "correct": c}
    ...                           for i, c in enumerate(flags)])
    >>> T, F = True, False
    >>> m = disagreement_matrix(align_runs(run([T, T, T, F]), run([T, F, F, F])))
    >>> m.counts, m.p_value
    ({'both right': 1, 'only A right': 2, 'only B right': 0, 'neither right': 1}, 0.5)
    """
    a, b = _correct(alignment)
    counts = {name: int(rule(a, b).sum()) for name, rule in MATRIX_CELLS.items()}
    test = mcnemar_test(np.asarray(a, dtype=bool), np.asarray(b, dtype=bool))
    return DisagreementMatrix(counts=counts, p_value=test.p_value, n=len(alignment.frame))


def cell_rows(alignment: Alignment, cell: str) -> pd.DataFrame:
    """The pairs of one cell of the matrix, in run A's order.

    Raises
    ------
    UsageError
        When ``cell`` is not one of :data:`MATRIX_CELLS`.
    """
    if cell not in MATRIX_CELLS:
        raise UsageError(f"unknown matrix cell {cell!r}; choose from {', '.join(MATRIX_CELLS)}")
    a, b = _correct(alignment)
    return alignment.frame[MATRIX_CELLS[cell](a, b)]
