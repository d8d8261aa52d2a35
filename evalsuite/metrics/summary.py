"""One run's summary as a JSON-ready dict: what metrics.json holds and what the explorer shows.

``summarize_run`` reads records only (:class:`~evalsuite.runs.records.Record`), so metrics.json
can be recomputed from records.jsonl at any time. Its top-level keys are a contract; add keys,
never rename them::

    {"n", "accuracy", "extraction_failure", "consistency", "teacher_agreement",
     "calibration", "rationale", "paths", "confidence", "settings"}

``confidence`` says which record confidence the calibration numbers use (``variant``, the record
``field``, and ``n``, the records that carry it): by default the answer confidence, or the
length-normalised or whole-sequence variant (docs/confidence.md). ``settings`` says what else made
the numbers: the :data:`SUMMARY_VERSION` and the bootstrap ``seed`` (null for a seed that is no
integer), so a reader can tell whether a stored summary is the one it would compute
(:func:`evalsuite.report.explorer.stored_summary`).

Rates are ``{"value", "k", "n", "low", "high"}`` (Wilson 95 %); a rate whose question applies to
no record (no rationales, no teacher) is null rather than zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

from evalsuite.metrics import calibration as cal
from evalsuite.metrics import registry
from evalsuite.metrics.calibration_bootstrap import (
    brier_score_interval,
    smooth_calibration_error_interval,
)
from evalsuite.metrics.paths import path_summary
from evalsuite.metrics.rationale import rationale_summary
from evalsuite.metrics.resampling import RandomState, as_generator
from evalsuite.registry import Registry
from evalsuite.runs.records import Record, as_records

__all__ = [
    "CONFIDENCE_FIELDS",
    "SUMMARY_VERSION",
    "ConfidenceVariant",
    "answers_agree",
    "calibration_summary",
    "record_confidence",
    "summarize_run",
]

SameAnswer = Callable[[str, str], bool]

SUMMARY_VERSION = 1
"""The version of :func:`summarize_run`'s keys and numbers, recorded in each summary's
``settings``. Raise it with any change to what a summary holds or how a number is computed: a
stored metrics.json of another version is then recomputed, never shown, by the readers that
reuse it (the report, the explorer)."""

ConfidenceVariant = Literal["answer", "normalized", "sequence"]
"""A name of :data:`evalsuite.names.CONFIDENCE_VARIANTS`."""

CONFIDENCE_FIELDS: Registry[str] = Registry(
    "confidence",
    {
        "answer": "confidence",
        "normalized": "sequence_confidence_normalized",
        "sequence": "sequence_confidence",
    },
    error=ValueError,
)
"""Confidence variant -> the record field it reads (docs/confidence.md)."""


def record_confidence(record: Record, variant: ConfidenceVariant = "answer") -> float | None:
    """The record's confidence of the chosen variant, or None when it has none.

    >>> r = as_records([{"id": "a", "gold": "1", "correct": True, "confidence": 0.9,
    ...                  "sequence_confidence": 0.2}])[0]
    >>> record_confidence(r), record_confidence(r, "sequence"), record_confidence(r, "normalized")
    (0.9, 0.2, None)
    """
    value = getattr(record, CONFIDENCE_FIELDS[variant])
    return None if value is None else float(value)


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
        ``ece_interval``, ``smooth_ece_interval`` and ``brier_interval`` (bootstrap percentile
        intervals of ECE(10), smooth ECE and Brier score, from independent streams of ``rng``;
        :mod:`evalsuite.metrics.calibration_bootstrap`);
        ``debiased_ece`` (Kumar, Liang & Ma 2019); ``classwise_ece`` (null
        without a closed label set); ``selective`` (accuracy when keeping the most confident
        10 %, 20 %, ..., 100 %); ``reliability`` (the 10-bin curve, empty bins with null
        accuracy and count 0).
    """
    prob = np.asarray(y_prob, dtype=np.float64)
    true = np.asarray(y_true, dtype=np.float64)
    inputs = registry.CalibrationInputs(prob, true, label_probs, label_index)
    # ECE's interval draws from ``rng`` itself, as before smooth ECE and Brier had intervals (so
    # the metrics.json of earlier runs recompute to the same numbers); those two draw from
    # child streams of it, independent of ECE's and of each other.
    ece_interval = cal.expected_calibration_error_interval(
        prob, true, n_bins=10, n_resamples=n_resamples, rng=rng
    )
    smooth_rng, brier_rng = as_generator(rng).spawn(2)
    selective = cal.selective_prediction_curve(prob, true)
    # the k most confident answers with k = ceil(c * n) for c = 0.1, ..., 1.0 (rounded first:
    # 0.3 * 10 is 3.0000000000000004 in floating point)
    levels = np.round(np.linspace(0.1, 1.0, 10) * prob.size, 9)
    keep = np.maximum(np.ceil(levels).astype(int), 1) - 1
    return {
        "n": int(prob.size),
        **{name: metric.compute(inputs) for name, metric in registry.CALIBRATION_METRICS.items()},
        "ece_interval": ece_interval.as_dict(),
        "smooth_ece_interval": smooth_calibration_error_interval(
            prob, true, rng=smooth_rng
        ).as_dict(),
        "brier_interval": brier_score_interval(
            prob, true, n_resamples=n_resamples, rng=brier_rng
        ).as_dict(),
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
    confidence: ConfidenceVariant = "answer",
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
    confidence : {"answer", "normalized", "sequence"}
        Which record confidence calibration uses (:data:`CONFIDENCE_FIELDS`): ``confidence``,
        ``sequence_confidence_normalized`` or ``sequence_confidence``. The classwise ECE needs
        the answer's label probabilities, so only the answer variant has it.

    Returns
    -------
    dict
        ``n``; ``accuracy`` and ``extraction_failure`` (rates over all records);
        ``consistency`` (over records where ``consistent`` is not null) or null;
        ``teacher_agreement`` (over records with a teacher label; a failed extraction counts as
        disagreement) or null; ``calibration`` (over records with a confidence; see
        :func:`calibration_summary`) or null; ``rationale`` (see
        :func:`evalsuite.metrics.rationale.rationale_summary`) or null; ``paths`` (multi-path
        students, see :func:`evalsuite.metrics.paths.path_summary`) or null; ``confidence``
        (``variant``, ``field``, ``n``: which confidence calibration used, and how many records
        carry it); ``settings`` (``version``: :data:`SUMMARY_VERSION`, ``seed``: ``rng`` when it
        is an integer, else null).

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
    field = CONFIDENCE_FIELDS[confidence]
    scored = [(r, p) for r in typed if (p := record_confidence(r, confidence)) is not None]
    calibration = None
    if scored:
        answers = [r for r, _ in scored]
        classwise = _classwise_inputs(answers, agree) if confidence == "answer" else None
        calibration = calibration_summary(
            [p for _, p in scored],
            [r.correct for r in answers],
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
        "confidence": {"variant": confidence, "field": field, "n": len(scored)},
        "settings": {"version": SUMMARY_VERSION, "seed": _integer_seed(rng)},
    }


def _integer_seed(rng: RandomState) -> int | None:
    """The seed when it is an integer (a generator's state is not recorded), else None."""
    return int(rng) if isinstance(rng, int | np.integer) and not isinstance(rng, bool) else None
