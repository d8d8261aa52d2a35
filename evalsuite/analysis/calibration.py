"""ECE after temperature scaling: a test run's confidences scaled by a temperature fitted on the
same checkpoint's validation run, never on test.

``evalsuite metrics RUN --calibrate-on VALID_RUN`` and the report (given the test and the valid
runs of one checkpoint) both call :func:`temperature_scaling`, so the refusals are one rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from evalsuite.errors import DataError, UsageError
from evalsuite.metrics.temperature import TemperatureScaledECE
from evalsuite.runs import Run

if TYPE_CHECKING:
    from evalsuite.metrics.summary import ConfidenceVariant

__all__ = ["NO_VALIDATION_RUN", "VALIDATION_SPLIT", "temperature_scaling", "validation_partners"]

NO_VALIDATION_RUN = "n/a (no validation run)"
"""What the scaled ECE reads when no validation run of the checkpoint was given."""
VALIDATION_SPLIT = "valid"
"""The split a temperature is fitted on (:data:`evalsuite.data.SPLITS`)."""


def _confidences(run: Run, variant: ConfidenceVariant) -> tuple[list[float], list[bool]]:
    """The run's confidences of ``variant`` and correctness, over records that have one."""
    from evalsuite.metrics.summary import record_confidence

    pairs = [
        (p, r.correct) for r in run.records if (p := record_confidence(r, variant)) is not None
    ]
    return [p for p, _ in pairs], [ok for _, ok in pairs]


def temperature_scaling(
    run: Run,
    valid: Run,
    *,
    confidence: ConfidenceVariant = "answer",
    option: str = "--calibrate-on",
) -> TemperatureScaledECE:
    """ECE of ``run`` raw and after a temperature fitted on ``valid``, both on the record
    confidence ``confidence`` (:data:`evalsuite.metrics.summary.CONFIDENCE_FIELDS`).

    Raises
    ------
    UsageError
        ``valid`` is not on a validation split (a test run above all), or is another
        checkpoint's run (both manifests name a model hash and they differ).
    DataError
        Either run has no confidences, or ``valid`` only correct or only wrong answers.
    """
    from evalsuite.metrics.temperature import temperature_scaled_ece

    split = str(valid.manifest.split)
    if split != VALIDATION_SPLIT:
        raise UsageError(
            f"{option} {valid.path}: run is on split '{split}'; a temperature is fitted on the "
            "validation split only, never on test"
        )
    mine, theirs = run.manifest.model_hash, valid.manifest.model_hash
    if mine and theirs and mine != theirs:
        raise UsageError(
            f"{option} {valid.path}: model hash {theirs[:12]} differs from {run.name}'s "
            f"{mine[:12]}; calibrate on the same checkpoint's validation run"
        )
    fit_prob, fit_true = _confidences(valid, confidence)
    eval_prob, eval_true = _confidences(run, confidence)
    for which, probs in ((valid, fit_prob), (run, eval_prob)):
        if not probs:
            raise DataError(
                f"{which.path}: no record has a confidence of this kind (--confidence "
                f"{confidence}), so no temperature"
            )
    try:
        return temperature_scaled_ece(
            fit_prob, fit_true, eval_prob, eval_true,
            fit_split=split, eval_split=str(run.manifest.split),
        )  # fmt: skip
    except ValueError as err:
        raise DataError(f"{valid.path}: {err}") from None


def validation_partners(runs: Sequence[Run]) -> tuple[list[Run], dict[str, Run]]:
    """The runs to report, and each one's validation partner by run name.

    A validation-split run whose model hash equals that of a run on another split is that run's
    partner and is not reported itself; any other run is reported as given (a validation run
    without a partner is a row like any other).
    """
    shown = [r for r in runs if r.manifest.split != VALIDATION_SPLIT]
    partners: dict[str, Run] = {}
    used: set[int] = set()
    for valid in runs:
        if valid.manifest.split != VALIDATION_SPLIT:
            continue
        for r in shown:
            if valid.manifest.model_hash and r.manifest.model_hash == valid.manifest.model_hash:
                partners.setdefault(r.name, valid)
                used.add(id(valid))
    return [r for r in runs if id(r) not in used], partners
