"""The mutual-information table: every estimator's estimate for each run with representations,
with its bootstrap interval, beside the quality of that run's rationales.

A number of nats alone misleads: the estimators disagree (KSG is biased low at the widths scoring
writes, InfoNCE saturates at log N, CLUB bounds from above only when its Gaussian fits), and a
high MI between label and rationale says nothing about whether the rationales are any good. So
the table shows every estimator side by side, the rationale quality (BLEU and ROUGE-L against the
teacher, rationale-label consistency) in the same row, KSG's PCA components and every
estimator's known-truth bias in its notes, and a warning line wherever the estimates contradict
one another (:func:`evalsuite.metrics.mi_checks.contradictions`). The numbers are those of
``evalsuite mi RUN --estimator all --seed SEED --json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from evalsuite.names import MI_ESTIMATORS
from evalsuite.report.analysis import ReportAnalysis
from evalsuite.report.runs import ReportRun, ordered
from evalsuite.report.tables import Cell, Table

if TYPE_CHECKING:
    from evalsuite.analysis.mutual_information import RunMI

__all__ = ["QUALITY_COLUMNS", "mi_table"]

BLEU, ROUGE, CONSISTENT = "BLEU", "ROUGE-L", "consistent (%)"
QUALITY_COLUMNS = (BLEU, ROUGE, CONSISTENT)
"""Rationale quality shown beside the MI numbers (from the run's metric summary)."""


def _column(estimator: str) -> str:
    """The estimator's column name (its label; an unregistered one by its own name)."""
    return MI_ESTIMATORS.get(estimator, estimator)


def _quality(summary: Mapping[str, Any]) -> dict[str, Cell]:
    """BLEU, ROUGE-L F1 (x 100) against the teacher, and consistency with its Wilson interval."""
    cells: dict[str, Cell] = {}
    rationale = summary.get("rationale") or {}
    if rationale.get("bleu") is not None:
        cells[BLEU] = Cell(float(rationale["bleu"]))
    if rationale.get("rouge_l") is not None:
        cells[ROUGE] = Cell(100 * float(rationale["rouge_l"]))
    rate = summary.get("consistency")
    if rate is not None and rate.get("value") is not None:
        cells[CONSISTENT] = Cell(
            100 * rate["value"], interval=(100 * rate["low"], 100 * rate["high"])
        )
    return cells


def _ksg_note(label: str, result: RunMI) -> str | None:
    """``dss: 8+8 of 128+128 dims (chosen by the known-truth check)``."""
    if result.ksg is None:
        return None
    how = "chosen by the known-truth check" if result.ksg.chosen else "given"
    k = result.ksg.components
    return f"{label}: {k}+{k} of {result.dims[0]}+{result.dims[1]} dims ({how})"


def _bias_note(label: str, result: RunMI) -> str:
    """``dss: KSG -0.68 at 1.0, -2.03 at 3.0; InfoNCE ...`` (nats, simulated truth after at)."""
    parts = []
    for e in result.estimates:
        checks = [c for c in result.bias_checks if c.estimator == e.estimator]
        if checks:
            biases = ", ".join(f"{c.bias:+.2f} at {c.truth:.2f}" for c in checks)
            parts.append(f"{_column(e.estimator)} {biases}")
    return f"{label}: " + "; ".join(parts)


def _resamples(results: Sequence[tuple[ReportRun, RunMI]]) -> str:
    """``KSG 200, InfoNCE 20, ...``: half-samples per estimator, as used."""
    used = {
        _column(e.estimator): e.details["interval"]["n_resamples"]
        for _, result in results
        for e in result.estimates
    }
    return ", ".join(f"{name} {b}" for name, b in used.items())


def _footnote(results: Sequence[tuple[ReportRun, RunMI]], caveats: list[str]) -> str:
    n = {result.n for _, result in results}
    notes = [
        "Nats. [low, high]: 95% half-sample bootstrap interval over examples (sampling spread "
        f"only; half-samples per estimator: {_resamples(results)}; neural bounds retrained "
        f"once per half-sample); n = {', '.join(str(v) for v in sorted(n))} pairs",
        "; ".join(caveats),
        "KSG's PCA components per side: "
        + "; ".join(note for r, result in results if (note := _ksg_note(r.label, result))),
        "Known-truth bias (mean estimate minus truth, nats) on correlated Gaussians with the "
        "run's n and widths, at the simulated MI after 'at': "
        + " | ".join(_bias_note(r.label, result) for r, result in results),
        f"{BLEU}, {ROUGE} (F1 x 100): rationales against the teacher's; {CONSISTENT}: the "
        "rationale's answer equals the label, Wilson 95% interval; from the run's metric summary",
    ]
    warnings = [f"WARNING {r.label}: {line}" for r, result in results for line in result.warnings]
    return ". ".join(note for note in notes if note) + "." + "".join(f" {w}." for w in warnings)


def mi_table(analysis: ReportAnalysis) -> tuple[Table | None, dict[str, Any]]:
    """The table (None without estimates) and report.json's ``mi`` block."""
    results, mi_config = analysis.mi, analysis.config.mi_config()
    block = {
        "unit": "nats",
        "x": mi_config.x,
        "y": mi_config.y,
        "skipped": analysis.skipped,
        "estimates": [
            {"run": r.name, "label": r.label, **e.as_dict()} for r, e in analysis.estimates
        ],
        "runs": [{"run": r.name, "label": r.label, **result.as_dict()} for r, result in results],
        "warnings": [
            {"run": r.name, "warning": w} for r, result in results for w in result.warnings
        ],
    }
    results = [(r, result) for r, result in results if result.estimates]
    if not results:
        return None, block
    columns = ordered([_column(e.estimator) for _, result in results for e in result.estimates])
    cells = {
        (r.label, _column(e.estimator)): Cell(e.value, interval=(e.low, e.high))
        for r, result in results
        for e in result.estimates
    }
    for r, _ in results:
        cells.update(
            {(r.label, c): cell for c, cell in _quality(analysis.summaries[r.name]).items()}
        )
    caveats = ordered(
        [f"{_column(e.estimator)}: {e.caveat}" for _, res in results for e in res.estimates]
    )
    all_columns = [*columns, *QUALITY_COLUMNS]
    table = Table(
        caption="Mutual information between label and rationale representations (nats), beside "
        "rationale quality",
        label="tab:mi",
        rows=ordered([r.label for r, _ in results]),
        columns=all_columns,
        cells=cells,
        higher_is_better=dict.fromkeys(all_columns),
        digits=2,
        footnote=_footnote(results, caveats),
    )
    return table, block
