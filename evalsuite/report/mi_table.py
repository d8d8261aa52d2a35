"""The mutual-information table: each estimator's estimate for each run with representations."""

from __future__ import annotations

from typing import Any

from evalsuite.names import MI_ESTIMATORS
from evalsuite.report.analysis import ReportAnalysis
from evalsuite.report.runs import ordered
from evalsuite.report.tables import Cell, Table

__all__ = ["mi_table"]


def _column(estimator: str) -> str:
    """The estimator's column name (its label; an unregistered one by its own name)."""
    return MI_ESTIMATORS.get(estimator, estimator)


def mi_table(analysis: ReportAnalysis) -> tuple[Table | None, dict[str, Any]]:
    """The table (None without estimates) and report.json's ``mi`` block."""
    estimates, mi_config = analysis.estimates, analysis.config.mi_config()
    block = {
        "unit": "nats",
        "x": mi_config.x,
        "y": mi_config.y,
        "skipped": analysis.skipped,
        "estimates": [{"run": r.name, "label": r.label, **e.as_dict()} for r, e in estimates],
    }
    if not estimates:
        return None, block
    columns = ordered([_column(e.estimator) for _, e in estimates])
    cells = {(r.label, _column(e.estimator)): Cell(e.value, (e.low, e.high)) for r, e in estimates}
    caveats = ordered([f"{_column(e.estimator)}: {e.caveat}" for _, e in estimates])
    table = Table(
        caption="Mutual information between label and rationale representations (nats)",
        label="tab:mi",
        rows=ordered([r.label for r, _ in estimates]),
        columns=columns,
        cells=cells,
        higher_is_better=dict.fromkeys(columns),
        digits=3,
        footnote="[low, high]: the interval (KSG and probe: 95% normal approximation; "
        "neural bounds: range over seeds). " + "; ".join(caveats) + ".",
    )
    return table, block
