"""The metric registry: every scalar metric of a run with its label, direction and format.

:func:`evalsuite.metrics.summary.summarize_run` computes each registered metric; the
``evalsuite metrics`` table, the report's calibration table and the explorer's overview show
them from here, so adding a metric is one function and one entry in :data:`CALIBRATION_METRICS`
(or :data:`RATE_METRICS`), with no other edit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from evalsuite.metrics import calibration as cal
from evalsuite.metrics.rates import Rate, rate_of
from evalsuite.registry import Registry
from evalsuite.runs.records import Record

__all__ = [
    "CALIBRATION_METRICS",
    "RATE_METRICS",
    "CalibrationInputs",
    "CalibrationMetric",
    "RateMetric",
    "direction_text",
]

SameAnswer = Callable[[str, str], bool]


@dataclass(frozen=True)
class CalibrationInputs:
    """What a calibration metric is computed from (the records that carry a confidence).

    Attributes
    ----------
    y_prob, y_true : ndarray of shape (n,)
        Confidence in the answer given, and whether it is correct (0 or 1).
    label_probs, label_index : ndarray of shape (n, K) and (n,), or None
        For a closed label set: every label's probability and the gold label's column.
    """

    y_prob: np.ndarray
    y_true: np.ndarray
    label_probs: np.ndarray | None = None
    label_index: np.ndarray | None = None


@dataclass(frozen=True)
class CalibrationMetric:
    """A number computed from confidences and correctness, kept in the summary's
    ``calibration`` block under ``name``.

    Attributes
    ----------
    name : str
        Key in metrics.json's ``calibration`` and report.json's ``calibration`` entries.
    label : str
        How the ``evalsuite metrics`` table names it (spelled out).
    short : str
        Column of the report's calibration table and label in the explorer's overview.
    higher_is_better : bool or None
        Direction; None: not ranked (e.g. the mean confidence, to set against accuracy).
    compute : callable
        ``CalibrationInputs -> float or None`` (None: does not apply, e.g. classwise ECE
        without a closed label set).
    description : str
        What it is, in a few words: the report's footnote and the explorer's detail line.
    format : str
        Format spec of the value wherever it is printed.
    headline : bool
        Shown in the report's calibration table and the explorer's overview, not only in
        ``evalsuite metrics``.
    interval : str or None
        Key of the summary's ``calibration`` block holding its bootstrap interval, if any.
    """

    name: str
    label: str
    short: str
    higher_is_better: bool | None
    compute: Callable[[CalibrationInputs], float | None]
    description: str
    format: str = ".3f"
    headline: bool = False
    interval: str | None = None


@dataclass(frozen=True)
class RateMetric:
    """A proportion of records, with its Wilson interval and counts, kept at the summary's top
    level under ``name`` (null where it applies to no record).

    Attributes
    ----------
    name, label, short, higher_is_better, description
        As for :class:`CalibrationMetric`.
    compute : callable
        ``(records, same_answer) -> Rate`` on typed records (:class:`evalsuite.runs.Record`); a
        rate over no record shows as n/a.
    always : bool
        Report the rate even over no record (accuracy over an empty run is 0/0, not null).
    """

    name: str
    label: str
    short: str
    higher_is_better: bool | None
    compute: Callable[[Sequence[Record], SameAnswer], Rate]
    description: str
    always: bool = False


def direction_text(higher_is_better: bool | None) -> str:
    """ "higher is better", "lower is better" or "not ranked"."""
    if higher_is_better is None:
        return "not ranked"
    return "higher is better" if higher_is_better else "lower is better"


# -- rates -------------------------------------------------------------------------------------
def _teacher_agreement(records: Sequence[Record], agree: SameAnswer) -> Rate:
    """Over records with a teacher label; a failed extraction counts as disagreement."""
    flags: list[bool] = []
    for record in records:
        label = record.teacher_answer
        if label is not None:
            answer = record.answer
            flags.append(answer is not None and bool(agree(answer, label)))
    return rate_of(flags)


RATE_METRICS: Registry[RateMetric] = Registry(
    "rate metric",
    {
        m.name: m
        for m in (
            RateMetric(
                "accuracy", "accuracy", "Accuracy", True,
                lambda records, _: rate_of([r.correct for r in records]),
                "share of records answered correctly", always=True,
            ),
            RateMetric(
                "extraction_failure", "extraction failure", "Extraction failed", False,
                lambda records, _: rate_of([r.extraction_failed for r in records]),
                "share of outputs without a readable answer", always=True,
            ),
            RateMetric(
                "consistency", "rationale-label consistency", "Rationale consistent", True,
                lambda records, _: rate_of([r.consistent for r in records]),
                "rationale's answer equals the label (records that have both)",
            ),
            RateMetric(
                "teacher_agreement", "agreement with teacher", "Agrees with teacher", None,
                _teacher_agreement,
                "answer equals the teacher's label (records with one)",
            ),
        )
    },
)  # fmt: skip
"""The rates at the top of a run's summary, in the order tables show them."""


# -- calibration -------------------------------------------------------------------------------
def _classwise(x: CalibrationInputs) -> float | None:
    if x.label_probs is None or x.label_index is None:
        return None
    return cal.classwise_calibration_error(x.label_probs, x.label_index)


CALIBRATION_METRICS: Registry[CalibrationMetric] = Registry(
    "calibration metric",
    {
        m.name: m
        for m in (
            CalibrationMetric(
                "ece", "ECE, 10 equal-width bins", "ECE", False,
                lambda x: cal.expected_calibration_error(x.y_prob, x.y_true, n_bins=10),
                "10 equal-width bins", headline=True, interval="ece_interval",
            ),
            CalibrationMetric(
                "ece_15", "ECE, 15 equal-width bins", "ECE(15)", False,
                lambda x: cal.expected_calibration_error(x.y_prob, x.y_true, n_bins=15),
                "15 equal-width bins",
            ),
            CalibrationMetric(
                "ece_equal_mass", "ECE, 10 equal-mass bins", "ECE(mass)", False,
                lambda x: cal.expected_calibration_error(x.y_prob, x.y_true, strategy="quantile"),
                "10 equal-mass bins",
            ),
            CalibrationMetric(
                "mce", "MCE, 10 equal-width bins", "MCE", False,
                lambda x: cal.maximum_calibration_error(x.y_prob, x.y_true, n_bins=10),
                "largest gap of 10 equal-width bins",
            ),
            CalibrationMetric(
                "smooth_ece", "smooth ECE", "smECE", False,
                lambda x: cal.smooth_calibration_error(x.y_prob, x.y_true),
                "smooth ECE (relplot)", headline=True, interval="smooth_ece_interval",
            ),
            CalibrationMetric(
                "brier", "Brier score", "Brier", False,
                lambda x: cal.brier_score_loss(x.y_prob, x.y_true),
                "Brier score of the confidence in the answer given", headline=True,
                interval="brier_interval",
            ),
            CalibrationMetric(
                "debiased_ece", "debiased L2-ECE (Kumar et al. 2019)", "dECE", False,
                lambda x: cal.debiased_calibration_error(x.y_prob, x.y_true),
                "debiased L2 calibration error, 15 equal-mass bins (Kumar, Liang & Ma 2019)",
                headline=True,
            ),
            CalibrationMetric(
                "mmce", "MMCE", "MMCE", False,
                lambda x: cal.maximum_mean_calibration_error(x.y_prob, x.y_true),
                "maximum mean calibration error (kernel)",
            ),
            CalibrationMetric(
                "aurc", "AURC (risk-coverage)", "AURC", False,
                lambda x: cal.selective_prediction_curve(x.y_prob, x.y_true).aurc,
                "area under the risk-coverage curve",
            ),
            CalibrationMetric(
                "classwise_ece", "classwise ECE, 10 bins", "classwise ECE", False, _classwise,
                "over every label of a closed label set",
            ),
            CalibrationMetric(
                "mean_confidence", "mean confidence", "mean confidence", None,
                lambda x: float(x.y_prob.mean()),
                "mean confidence in the answer given, to set against accuracy", headline=True,
            ),
        )
    },
)  # fmt: skip
"""The scalar calibration metrics, in the order tables show them."""
