"""One run's summary as a JSON-ready dict: what metrics.json holds and what the explorer shows.

``summarize_run`` reads records only (:class:`~evalsuite.runs.records.Record`), so metrics.json
can be recomputed from records.jsonl at any time. Its top-level keys are a contract; add keys,
never rename them::

    {"n", "accuracy", "extraction_failure", "consistency", "teacher_agreement",
     "calibration", "rationale", "paths"}

Rates are ``{"value", "k", "n", "low", "high"}`` (Wilson 95 %); a rate whose question applies to
no record (no rationales, no teacher) is null rather than zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from evalsuite.metrics import calibration as cal
from evalsuite.metrics import registry
from evalsuite.metrics.paths import path_summary
from evalsuite.metrics.rationale import rationale_summary
from evalsuite.metrics.resampling import RandomState
from evalsuite.runs.records import Record, as_records

__all__ = ["answers_agree", "calibration_summary", "summarize_run"]

SameAnswer = Callable[[str, str], bool]


def answers_agree(a: str, b: str) -> bool:
    """Default answer comparison: numbers within 1e-6 relative, else case-folded text equality.

    Callers that know the task pass ``task.same_answer`` instead.

    Examples
    --------
    >>> answers_agree("Entailment ", "entailment"), answers_agree("3.0", "3")
    (True, True)
    >>> answers_agree("a", "b")
    False
    """
    try:
        x, y = float(a), float(b)
    except ValueError:
        return a.strip().casefold() == b.strip().casefold()
    return math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9)


def _classwise_inputs(
    records: Sequence[Record], agree: SameAnswer
) -> tuple[np.ndarray, np.ndarray] | None:
    """``label_probs`` as an (n, K) matrix and the gold label's column, when every record has
    probabilities over the same label set and its gold label is one of them; else None."""
    tables = [r.label_probs for r in records]
    if not records or any(t is None for t in tables):
        return None
    labels = sorted(tables[0] or {})
    rows, gold = [], []
    for r, probs in zip(records, tables, strict=True):
        assert probs is not None  # checked above
        if sorted(probs) != labels:
            return None
        column = next((j for j, lab in enumerate(labels) if agree(lab, r.gold)), None)
        if column is None:
            return None
        rows.append([probs[lab] for lab in labels])
        gold.append(column)
    return np.array(rows, dtype=np.float64), np.array(gold)


def calibration_summary(
    y_prob: Sequence[float] | np.ndarray,
    y_true: Sequence[bool] | np.ndarray,
    *,
    label_probs: np.ndarray | None = None,
    label_index: np.ndarray | None = None,
    n_resamples: int = 1000,
    rng: RandomState = 0,
) -> dict[str, Any]:
    """The calibration family for confidences ``y_prob`` of answers with correctness ``y_true``.

    Parameters
    ----------
    y_prob, y_true : array-like of shape (n,)
        Confidence in the answer given, and whether it is correct.
    label_probs, label_index : ndarray of shape (n, K) and (n,), optional
        For a closed label set: every label's probability and the gold label's column.

    Returns
    -------
    dict
        ``n``; ``ece`` (10 equal-width bins), ``ece_15``, ``ece_equal_mass`` (10 equal-mass bins)
        and ``mce`` (10 equal-width bins); ``smooth_ece``; ``brier``; ``mmce``; ``aurc``;
        ``mean_confidence`` (the mean of ``y_prob``, to set against accuracy);
        ``ece_interval`` (bootstrap percentile interval of ECE(10)); ``classwise_ece`` (null
        without a closed label set); ``selective`` (accuracy when keeping the most confident
        10 %, 20 %, ..., 100 %); ``reliability`` (the 10-bin curve, empty bins with null
        accuracy and count 0).
    """
    prob = np.asarray(y_prob, dtype=np.float64)
    true = np.asarray(y_true, dtype=np.float64)
    inputs = registry.CalibrationInputs(prob, true, label_probs, label_index)
    interval = cal.expected_calibration_error_interval(
        prob, true, n_bins=10, n_resamples=n_resamples, rng=rng
    )
    selective = cal.selective_prediction_curve(prob, true)
    # the k most confident answers with k = ceil(c * n) for c = 0.1, ..., 1.0 (rounded first:
    # 0.3 * 10 is 3.0000000000000004 in floating point)
    levels = np.round(np.linspace(0.1, 1.0, 10) * prob.size, 9)
    keep = np.maximum(np.ceil(levels).astype(int), 1) - 1
    return {
        "n": int(prob.size),
        **{name: metric.compute(inputs) for name, metric in registry.CALIBRATION_METRICS.items()},
        "ece_interval": interval.as_dict(),
        "selective": {
            "coverage": [float(c) for c in selective.coverage[keep]],
            "accuracy": [float(a) for a in selective.accuracy[keep]],
        },
        "reliability": cal.reliability_curve(prob, true, n_bins=10).as_dict(),
    }


def summarize_run(
    records: Sequence[Record | Mapping[str, Any]],
    *,
    same_answer: SameAnswer | None = None,
    rng: RandomState = 0,
) -> dict[str, Any]:
    """Summarise a run's records: rates with intervals, calibration and rationale quality.

    Parameters
    ----------
    records : sequence of Record (or its JSON form)
        Run records (docs/runs.md): ``correct`` is required; ``answer``, ``extraction``,
        ``confidence``, ``consistent``, ``rationale`` and ``teacher`` are used when present.
    same_answer : callable, optional
        How to compare a student answer with the teacher's label (``task.same_answer``);
        default :func:`answers_agree`.
    rng : Generator, int or None
        Seed of the ECE bootstrap interval (default 0, so metrics.json is reproducible).

    Returns
    -------
    dict
        ``n``; ``accuracy`` and ``extraction_failure`` (rates over all records);
        ``consistency`` (over records where ``consistent`` is not null) or null;
        ``teacher_agreement`` (over records with a teacher label; a failed extraction counts as
        disagreement) or null; ``calibration`` (over records with a confidence; see
        :func:`calibration_summary`) or null; ``rationale`` (see
        :func:`evalsuite.metrics.rationale.rationale_summary`) or null; ``paths`` (multi-path
        students, see :func:`evalsuite.metrics.paths.path_summary`) or null.

    Examples
    --------
    >>> recs = [{"id": "a", "gold": "1", "answer": "1", "correct": True},
    ...         {"id": "b", "gold": "2", "answer": None, "correct": False}]
    >>> s = summarize_run(recs)
    >>> s["accuracy"]["k"], s["accuracy"]["n"], s["extraction_failure"]["value"], s["calibration"]
    (1, 2, 0.5, None)
    """
    agree = same_answer or answers_agree
    typed = as_records(records)
    scored = [r for r in typed if r.confidence is not None]
    calibration = None
    if scored:
        classwise = _classwise_inputs(scored, agree)
        calibration = calibration_summary(
            [float(r.confidence) for r in scored if r.confidence is not None],
            [r.correct for r in scored],
            label_probs=classwise[0] if classwise else None,
            label_index=classwise[1] if classwise else None,
            rng=rng,
        )
    rates = {}
    for name, metric in registry.RATE_METRICS.items():
        rate = metric.compute(typed, agree)
        rates[name] = rate.as_dict() if rate.n or metric.always else None
    return {
        "n": len(typed),
        **rates,
        "calibration": calibration,
        "rationale": rationale_summary(typed),
        "paths": path_summary(typed, same_answer=agree),
    }
