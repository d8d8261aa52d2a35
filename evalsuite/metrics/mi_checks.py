"""Warnings when mutual-information estimates of the same data contradict one another.

Each estimator has its own kind (:attr:`MIEstimate.kind`): ``"estimate"`` (KSG), ``"lower
bound"`` (InfoNCE, NWJ, SMILE, probe) or ``"upper bound"`` (CLUB). Read together they must be
ordered, lower <= estimate <= upper, up to their intervals; and none can support more nats than
``log n`` (McAllester & Stratos 2020: no estimate from n samples can certify more) or than the
entropy of a discrete side (log of its vocabulary or label set). When they are not, at least one
of them is wrong, and the report must say so rather than show a number alone.

References
----------
McAllester & Stratos, "Formal limitations on the measurement of mutual information", AISTATS
2020. Poole et al., "On variational bounds of mutual information", ICML 2019.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evalsuite.metrics.mi_truth import BiasCheck
from evalsuite.metrics.mutual_info import MIEstimate

__all__ = ["SATURATION_SHARE", "contradictions"]

SATURATION_SHARE = 0.9
"""InfoNCE at or above this share of its ``log N`` ceiling is flagged as saturated."""


def _span(e: MIEstimate) -> str:
    return f"{e.estimator} {e.kind} {e.value:.2f} [{e.low:.2f}, {e.high:.2f}]"


def contradictions(
    estimates: Sequence[MIEstimate],
    *,
    max_information: float | None = None,
    max_information_reason: str = "the entropy of the discrete side",
    bias_checks: Sequence[BiasCheck] = (),
) -> list[str]:
    """Warning lines for every pair of estimates, or estimate and ceiling, that disagree.

    Parameters
    ----------
    estimates : sequence of MIEstimate
        Estimates of the same quantity on the same pairs (their ``n`` may differ slightly).
    max_information : float, optional
        A ceiling in nats known from the data, e.g. ``log`` of the label set or vocabulary.
    max_information_reason : str
        What that ceiling is, for the message.
    bias_checks : sequence of BiasCheck
        Known-truth checks of the same estimators
        (:func:`evalsuite.metrics.mi_truth.known_truth_bias`); one whose bias costs the
        estimate's interval its coverage adds its warning (:meth:`BiasCheck.warning`).

    Returns
    -------
    list of str
        Empty when the estimates are consistent.

    Examples
    --------
    >>> ksg = MIEstimate("ksg", 2.05, 1.9, 2.2, n=500, kind="estimate", caveat="")
    >>> nce = MIEstimate("infonce", 3.89, 3.8, 3.95, n=500, kind="lower bound", caveat="",
    ...                  details={"log_n": 4.85})
    >>> club = MIEstimate("club", 67.6, 60.0, 70.0, n=500, kind="upper bound", caveat="")
    >>> for line in contradictions([ksg, nce, club]): print(line[:72])
    infonce lower bound 3.89 [3.80, 3.95] lies above ksg estimate 2.05 [1.90
    club upper bound 67.60 [60.00, 70.00] exceeds log n = 6.21 nats, more th
    """
    lines: list[str] = []
    lower = [e for e in estimates if e.kind == "lower bound"]
    point = [e for e in estimates if e.kind == "estimate"]
    upper = [e for e in estimates if e.kind == "upper bound"]

    for bound in lower:
        for e in point:
            if bound.low > e.high:
                lines.append(
                    f"{_span(bound)} lies above {_span(e)}: {e.estimator} is biased low here, "
                    "or the bound is not one"
                )
    for bound in upper:
        for e in lower + point:
            if bound.high < e.low:
                lines.append(
                    f"{_span(bound)} lies below {_span(e)}: at least one is wrong (CLUB bounds "
                    "from above only when its Gaussian q(y|x) fits)"
                )

    for e in estimates:
        ceilings = [(float(np.log(e.n)), f"log n = {np.log(e.n):.2f} nats, more than {e.n} "
                     "pairs can support")]  # fmt: skip
        if max_information is not None:
            ceilings.append(
                (max_information, f"{max_information:.2f} nats, {max_information_reason}")
            )
        for ceiling, why in ceilings:
            if e.value > ceiling:
                lines.append(f"{_span(e)} exceeds {why}: vacuous")
        if e.high < 0:
            lines.append(f"{_span(e)} is below 0, and MI never is: the estimator failed here")
        log_n = e.details.get("log_n")
        if e.estimator == "infonce" and log_n is not None:
            if e.value > log_n + 1e-9:
                lines.append(f"{_span(e)} exceeds its own ceiling log N = {log_n:.2f}: a bug")
            elif e.value >= SATURATION_SHARE * log_n:
                lines.append(
                    f"{_span(e)} saturates near its ceiling log N = {log_n:.2f}: the MI may be "
                    "much larger"
                )

    checks = {c.estimator: c for c in bias_checks}
    for e in estimates:
        check = checks.get(e.estimator)
        if check is not None:
            warning = check.warning((e.high - e.low) / 2)
            if warning:
                lines.append(warning)
    return lines
