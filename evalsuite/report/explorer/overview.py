"""The explorer's overview of one run: headline numbers from the metric registry, and its
reliability diagram and accuracy-coverage curve, drawn by the report's own figure functions.

Intervals read ``[low, high]``, never ``±``: a Wilson or bootstrap interval is not symmetric.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalsuite.metrics.calibration import assign_bins, bin_edges
from evalsuite.metrics.registry import CALIBRATION_METRICS, RATE_METRICS, direction_text
from evalsuite.report.reliability import confidence_pairs
from evalsuite.runs import Record

__all__ = [
    "RELIABILITY_BINS",
    "OverviewItem",
    "bin_choices",
    "bin_label",
    "bin_rows",
    "confidence_pairs",
    "coverage_png",
    "overview_items",
    "reliability_png",
    "reliability_table",
]

RELIABILITY_BINS = 10
"""Equal-width bins of the explorer's reliability diagram (the report's default too)."""


@dataclass(frozen=True)
class OverviewItem:
    """One headline number: its label, its value as text, and its interval and counts as text."""

    label: str
    value: str
    detail: str


def overview_items(summary: Mapping[str, Any], *, digits: int = 1) -> list[OverviewItem]:
    """The overview's headline numbers from a :func:`summarize_run` summary.

    The rates of :data:`~evalsuite.metrics.registry.RATE_METRICS` read "70.0 %" with detail
    "95 % CI [39.7, 89.2] · 7/10"; a rate that applies to no record (no rationales, no teacher)
    reads "n/a". Rationales compared with the teacher's add BLEU and ROUGE-L; the headline
    metrics of :data:`~evalsuite.metrics.registry.CALIBRATION_METRICS` (ECE with its bootstrap
    interval, smooth ECE, Brier, ...) follow, over the records that have a confidence.

    Examples
    --------
    >>> items = overview_items({"n": 10, "accuracy": {"value": 0.7, "k": 7, "n": 10,
    ...                         "low": 0.3968, "high": 0.8922}})
    >>> [(i.label, i.value, i.detail) for i in items][1]
    ('Accuracy', '70.0 %', '95 % CI [39.7, 89.2] · 7/10')
    """
    items = [OverviewItem("Examples", str(summary.get("n", 0)), "records in the run")]
    for key, metric in RATE_METRICS.items():
        label = metric.short
        rate = summary.get(key)
        if rate is None or rate.get("value") is None:
            items.append(OverviewItem(label, "n/a", "no record it applies to"))
            continue
        value = f"{100 * rate['value']:.{digits}f} %"
        detail = f"{rate['k']}/{rate['n']}"
        if rate.get("low") is not None and rate.get("high") is not None:
            low, high = 100 * rate["low"], 100 * rate["high"]
            detail = f"95 % CI [{low:.{digits}f}, {high:.{digits}f}] · " + detail
        items.append(OverviewItem(label, value, detail))
    rationale = summary.get("rationale") or {}
    if rationale.get("bleu") is not None:
        pairs = f"{rationale['n_with_teacher']} pairs"
        items.append(OverviewItem("BLEU vs teacher", f"{rationale['bleu']:.1f}", pairs))
        items.append(OverviewItem("ROUGE-L vs teacher", f"{rationale['rouge_l']:.3f}", pairs))
    calibration = summary.get("calibration")
    headline = [m for m in CALIBRATION_METRICS.values() if m.headline]
    if calibration is None:
        items += [OverviewItem(m.short, "n/a", "no confidences recorded") for m in headline]
        return items
    for m in headline:
        value = calibration.get(m.name)
        if value is None:
            items.append(OverviewItem(m.short, "n/a", "does not apply to this run"))
            continue
        detail = f"{m.description} · {direction_text(m.higher_is_better)} · n={calibration['n']}"
        interval = calibration.get(m.interval) if m.interval else None
        if interval and interval.get("low") is not None:
            low, high = format(interval["low"], m.format), format(interval["high"], m.format)
            detail = f"95 % CI [{low}, {high}] · {detail}"
        items.append(OverviewItem(m.short, format(value, m.format), detail))
    return items


def bin_label(low: float, high: float, *, last: bool) -> str:
    """``[0.90, 1.00]`` for the last bin (closed), ``[0.50, 0.60)`` for the others."""
    return f"[{low:.2f}, {high:.2f}{']' if last else ')'}"


def reliability_table(reliability: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """The bins of a reliability curve (``ReliabilityCurve.as_dict()``) as a table.

    Columns: ``bin`` ("[0.90, 1.00]"), ``count``, ``confidence`` and ``accuracy`` (null for an
    empty bin). Empty bins are kept, so the table lines up with the diagram's x axis.
    """
    edges = list(reliability["edges"])
    labels = [
        bin_label(lo, hi, last=b == len(edges) - 2)
        for b, (lo, hi) in enumerate(itertools.pairwise(edges))
    ]
    return pd.DataFrame(
        {
            "bin": labels,
            "count": [int(c) for c in reliability["counts"]],
            "confidence": pd.array(list(reliability["confidence"]), dtype="Float64"),
            "accuracy": pd.array(list(reliability["accuracy"]), dtype="Float64"),
        }
    )


def bin_choices(bins: pd.DataFrame) -> dict[str, int]:
    """The bin picker's options: ``"[0.90, 1.00] · 2"`` (bin and count) -> the bin's index, for
    the non-empty bins of a :func:`reliability_table`."""
    return {f"{row.bin} · {row.count}": i for i, row in enumerate(bins.itertuples()) if row.count}


def bin_rows(
    frame: pd.DataFrame, bin_index: int, *, n_bins: int = RELIABILITY_BINS
) -> pd.DataFrame:
    """The rows of ``frame`` (from :func:`records_frame`) whose confidence falls in bin
    ``bin_index`` of the reliability diagram, binned by the diagram's own rule
    (:func:`evalsuite.metrics.calibration.assign_bins`), so a bin lists as many rows as it counts.

    Examples
    --------
    >>> from evalsuite.report.explorer.table import records_frame
    >>> f = records_frame([{"id": i, "gold": "1", "correct": True, "confidence": c}
    ...                    for i, c in (("a", 0.95), ("b", 1.0), ("c", 0.5), ("d", None))])
    >>> list(bin_rows(f, 9)["id"]), list(bin_rows(f, 5)["id"])
    (['a', 'b'], ['c'])
    """
    scored = frame[frame["confidence"].notna()]
    if scored.empty:
        return scored
    edges = bin_edges(np.zeros(0), n_bins=n_bins, strategy="uniform")
    bins = assign_bins(scored["confidence"].to_numpy(dtype=np.float64), edges)
    return scored[bins == bin_index]


def reliability_png(
    records: Sequence[Record | Mapping[str, Any]], *, title: str | None = None, dpi: int = 110
) -> bytes | None:
    """The run's binned reliability diagram (:data:`RELIABILITY_BINS` bins) as PNG bytes; None
    without confidences.

    Drawn by :func:`evalsuite.report.reliability.reliability_figure`; PNG bytes rather than a
    Figure so the page can cache the picture instead of redrawing it on every interaction.
    """
    from evalsuite.report.reliability import reliability_figure

    y_prob, y_true = confidence_pairs(records)
    if y_prob.size == 0:
        return None
    return _png(reliability_figure(y_prob, y_true, n_bins=RELIABILITY_BINS, title=title), dpi)


def _png(figure: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def coverage_png(
    records: Sequence[Record | Mapping[str, Any]], *, label: str, dpi: int = 110
) -> bytes | None:
    """The run's accuracy-coverage curve as PNG bytes; None without confidences.

    Drawn by :func:`evalsuite.report.figures.plot_accuracy_coverage`, the report's function.
    """
    from evalsuite.metrics.calibration import selective_prediction_curve
    from evalsuite.report.figures import plot_accuracy_coverage

    y_prob, y_true = confidence_pairs(records)
    if y_prob.size == 0:
        return None
    curve = selective_prediction_curve(y_prob, y_true)
    return _png(plot_accuracy_coverage([(label, curve)]), dpi)
