"""The faithfulness table: one row per probe run and probe, each number with its interval.

Curve probes (early answering, corrupted step) show their area over the curve (AOC) with its
bootstrap interval; accuracy probes (filler, token perturbation, oracle) show the accuracy of
the forced answers beside the full-rationale accuracy on the same examples, and the share of
answers that changed, each with its Wilson interval; LAS (leakage-adjusted simulatability)
with its paired bootstrap interval. Every value but LAS (in [-1, 1]) is a proportion in [0, 1],
the numbers of the probe run's own summary (:mod:`evalsuite.report.faithfulness`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalsuite.names import FAITHFULNESS_PROBES
from evalsuite.report.analysis import ReportAnalysis
from evalsuite.report.tables import Cell, Table

__all__ = ["COLUMNS", "faithfulness_table"]

AOC, FORCED, FULL, CHANGED = "AOC", "forced acc.", "full acc.", "changed"
RATIONALE_CHANGED, AGREEMENT, LAS = "rationale changed", "agreement", "LAS"
COLUMNS = (AOC, FORCED, FULL, CHANGED, RATIONALE_CHANGED, AGREEMENT, LAS)


def _cell(block: Mapping[str, Any] | None) -> Cell | None:
    """A value with its ``[low, high]`` interval; None where there is no value."""
    if not block or block.get("value") is None:
        return None
    return Cell(block["value"], interval=(block["low"], block["high"]))


def faithfulness_table(analysis: ReportAnalysis) -> tuple[Table | None, list[dict[str, Any]]]:
    """The table (None without probe runs) and its numbers for report.json."""
    if not analysis.probes:
        return None, []
    cells: dict[tuple[str, str], Cell] = {}
    rows, numbers = [], []
    for run in analysis.probes:
        for probe, block in run.summary["probes"].items():
            numbers.append({"run": run.name, "path": str(run.path), "task": run.task,
                            "method": run.method, "probe": probe, **block})  # fmt: skip
            label = FAITHFULNESS_PROBES[probe]
            if block["kind"] == "robustness":  # one row per noise rate
                shown_rows = [
                    (f"{run.name}: {label} at {e['rate']:.0%} (n={e['n']})",
                     {CHANGED: _cell(e["label_changed"]),
                      RATIONALE_CHANGED: _cell(e["rationale_changed"]),
                      AGREEMENT: _cell(e["agreement"])})
                    for e in block["rates"]
                ]  # fmt: skip
            else:
                shown = {
                    AOC: _cell(block.get("aoc")),
                    FORCED: _cell(block.get("accuracy")),
                    FULL: _cell(block.get("full_accuracy")),
                    CHANGED: _cell(block.get("changed")),
                    LAS: _cell(block.get("las")),
                }
                shown_rows = [(f"{run.name}: {label} (n={block['n_examples']})", shown)]
            for row, shown in shown_rows:
                rows.append(row)
                cells.update({(row, c): cell for c, cell in shown.items() if cell is not None})
    present = [c for c in COLUMNS if any((row, c) in cells for row in rows)]
    return (
        Table(
            caption="Faithfulness probes: does the answer depend on the rationale?",
            label="tab:faithfulness",
            rows=rows,
            columns=present,
            cells=cells,
            higher_is_better=dict.fromkeys(present),  # probes describe, they do not rank
            digits=3,
            footnote="AOC: area over the curve of early answering (share of answers equal to "
            "the full-rationale answer against the fraction of the rationale forced) or of "
            "corrupted steps (share of answers changed by a corrupted step, by position); near "
            "1: the answer depends on the rationale, near 0: it does not. [low, high]: "
            "bootstrap 95% interval over examples (AOC), Wilson 95% interval (accuracies, "
            "changed). forced acc.: accuracy after forcing filler, perturbed tokens or the "
            "teacher's rationale; full acc.: the student's own rationale on the same examples; "
            "n: examples probed. Robustness equivalence, per share of input tokens replaced: "
            "labels changed, rationale answers changed, and how often the two agree. LAS: "
            "leakage-adjusted simulatability (Hase et al. 2020), in [-1, 1]: how much the "
            "rationale helps a simulator predict the student's answer beyond the input, averaged "
            "over items whose rationale alone gives the answer (leaked) and the rest; paired "
            "bootstrap 95% interval.",
        ),
        numbers,
    )
