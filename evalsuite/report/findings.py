"""The findings of a set of comparisons against a baseline, as sentences made from the numbers.

A report states which methods differ significantly from its baseline; this module writes that
statement from the comparisons' own verdicts and differences, so no claim is written by hand
and a rerun with other numbers says something else. The main report (summary.md) and the
sweep report use the same sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Verdict", "comparison_findings", "findings_sentence", "verdict_of"]


@dataclass(frozen=True)
class Verdict:
    """One method against the baseline: the accuracy difference (method - baseline, a
    fraction) and whether it is significant; None ``difference`` when no test applied."""

    method: str
    difference: float | None
    significant: bool

    @property
    def outcome(self) -> str:
        """``better``, ``worse``, ``no difference`` or ``untested``."""
        if self.difference is None:
            return "untested"
        if not self.significant:
            return "no difference"
        return "better" if self.difference > 0 else "worse"


_PHRASES = (
    ("better", "significantly better than {baseline}"),
    ("worse", "significantly worse than {baseline}"),
    ("no difference", "no significant difference from {baseline}"),
    ("untested", "not tested against {baseline}"),
)


def findings_sentence(where: str, baseline: str, verdicts: Sequence[Verdict]) -> str:
    """One sentence naming, for each outcome that occurs, the methods with it and their
    differences in points.

    Examples
    --------
    >>> v = [Verdict("dss", 0.12, True), Verdict("mi", -0.051, True),
    ...      Verdict("single", 0.01, False)]
    >>> print(findings_sentence("On arith", "standard", v))  # doctest: +NORMALIZE_WHITESPACE
    On arith, significantly better than standard: dss (+12.0 points); significantly worse than
    standard: mi (-5.1 points); no significant difference from standard: single (+1.0 points).
    >>> findings_sentence("On arith", "standard", [])
    'On arith, no method was compared with standard.'
    """
    if not verdicts:
        return f"{where}, no method was compared with {baseline}."
    parts = []
    for outcome, phrase in _PHRASES:
        named = [
            v.method if v.difference is None else f"{v.method} ({100 * v.difference:+.1f} points)"
            for v in verdicts
            if v.outcome == outcome
        ]
        if named:
            parts.append(f"{phrase.format(baseline=baseline)}: {', '.join(named)}")
    return f"{where}, " + "; ".join(parts) + "."


def verdict_of(comparison: Mapping[str, Any], alpha: float) -> Verdict:
    """One entry of the main report's ``comparisons`` (report.json) as a verdict.

    Better: significant as the entry itself says (``p <= alpha`` and a positive difference).
    Worse: a negative difference with ``p <= alpha``. Untested: no test applied (``test`` None).
    """
    c = comparison
    if c["test"] is None:
        return Verdict(c["method"], None, False)
    worse = c["difference"] < 0 and c["p_value"] <= alpha
    return Verdict(c["method"], float(c["difference"]), bool(c["significant"]) or worse)


def comparison_findings(
    comparisons: Sequence[Mapping[str, Any]], *, baseline: str | None, alpha: float
) -> list[str]:
    """The main report's findings (report.json's ``findings``): one sentence per task, in the
    order its ``comparisons`` name the tasks, saying which students differ significantly from
    ``baseline`` there (:func:`verdict_of`, :func:`findings_sentence`); then, for a task with
    reference rows (``reference``: the teacher, imported predictions), a sentence of their own,
    so a reference is never listed among the students. None without a baseline.

    Examples
    --------
    >>> c = {"task": "arith", "method": "dss", "test": "mcnemar", "difference": 0.3,
    ...      "p_value": 0.001, "significant": True}
    >>> t = {**c, "method": "teacher", "difference": 0.5, "reference": True}
    >>> for line in comparison_findings([c, t], baseline="standard", alpha=0.05):
    ...     print(line)
    On arith, significantly better than standard: dss (+30.0 points).
    On arith, for reference, significantly better than standard: teacher (+50.0 points).
    """
    if baseline is None:
        return []
    by_task: dict[str, tuple[list[Verdict], list[Verdict]]] = {}
    for c in comparisons:
        students, references = by_task.setdefault(c["task"], ([], []))
        (references if c.get("reference") else students).append(verdict_of(c, alpha))
    found = []
    for task, (students, references) in by_task.items():
        if students or not references:
            found.append(findings_sentence(f"On {task}", baseline, students))
        if references:
            found.append(findings_sentence(f"On {task}, for reference", baseline, references))
    return found
