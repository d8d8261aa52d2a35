"""The mutual-information table: each estimator's estimate for each run with representations."""

from __future__ import annotations

from typing import Any

from evalsuite.report.analysis import MI_KEYS, ReportAnalysis
from evalsuite.report.runs import ordered
from evalsuite.report.tables import Cell, Table

__all__ = ["ESTIMATOR_NAMES", "mi_table"]

ESTIMATOR_NAMES = {
    "ksg": "KSG",
    "infonce": "InfoNCE",
    "nwj": "NWJ",
    "smile": "SMILE",
    "club": "CLUB",
    "probe": "probe",
}


def mi_table(analysis: ReportAnalysis) -> tuple[Table | None, dict[str, Any]]:
    """The table (None without estimates) and report.json's ``mi`` block."""
    estimates = analysis.estimates
    block = {
        "unit": "nats",
        "x": MI_KEYS[0],
        "y": MI_KEYS[1],
        "skipped": analysis.skipped,
        "estimates": [{"run": r.name, "label": r.label, **e.as_dict()} for r, e in estimates],
    }
    if not estimates:
        return None, block
    columns = ordered([ESTIMATOR_NAMES.get(e.estimator, e.estimator) for _, e in estimates])
    cells = {
        (r.label, ESTIMATOR_NAMES.get(e.estimator, e.estimator)): Cell(
            e.value, (e.high - e.low) / 2
        )
        for r, e in estimates
    }
    caveats = ordered(
        [f"{ESTIMATOR_NAMES.get(e.estimator, e.estimator)}: {e.caveat}" for _, e in estimates]
    )
    table = Table(
        caption="Mutual information between label and rationale representations (nats)",
        label="tab:mi",
        rows=ordered([r.label for r, _ in estimates]),
        columns=columns,
        cells=cells,
        higher_is_better=dict.fromkeys(columns),
        digits=3,
        footnote="± is half the interval's width (KSG and probe: 95% normal approximation; "
        "neural bounds: range over seeds). " + "; ".join(caveats) + ".",
    )
    return table, block
