"""The explorer's intervention view of one probe-run example: the student's own rationale and
answer, then every intervention (the prefix forced, what the student wrote after it, the answer
it produced and whether that changed), side by side in one table.

Probe runs (``evalsuite probe``, docs/runs.md "Probe runs") are run directories; their records
are read by the run reader and their interventions by :func:`evalsuite.probes.interventions_of`,
so the page needs nothing of its own to load them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evalsuite.names import FAITHFULNESS_PROBES
from evalsuite.probes.records import Intervention, interventions_of
from evalsuite.runs.records import Record

__all__ = ["INTERVENTION_COLUMNS", "OWN_RATIONALE", "InterventionTable", "intervention_table"]

INTERVENTION_COLUMNS = (
    "probe",
    "position",
    "what changed",
    "forced prefix",
    "continuation",
    "answer",
    "changed",
    "correct",
)
"""The table's columns, in order. ``changed``: ``yes``, ``no`` or ``n/a`` (the full rationale's
answer could not be read, so nothing is compared with it)."""

OWN_RATIONALE = "own rationale"
"""The first row's probe cell: the student's own output, which every other row changes."""


def _yes_no(value: bool | None) -> str:
    return "n/a" if value is None else ("yes" if value else "no")


def _position(intervention: Intervention) -> str:
    """``k of n`` steps (early answering: kept; corrupted step: the step, counted from 1)."""
    k, n = intervention.position, intervention.n_steps
    if k is None:
        return "" if intervention.rate is None else f"{intervention.rate:.0%} of input tokens"
    if intervention.probe == "corrupted_step":
        return f"step {k + 1} of {n}"
    return f"{k} of {n} steps"


def _what_changed(intervention: Intervention) -> str:
    """The intervention's detail; for robustness, the perturbed input it scored."""
    parts = [p for p in (intervention.detail, intervention.input) if p]
    return " · ".join(parts)


@dataclass(frozen=True)
class InterventionTable:
    """One example's interventions as the page draws them.

    Attributes
    ----------
    rows : DataFrame
        :data:`INTERVENTION_COLUMNS`; the first row is the student's own output (its rationale
        in the prefix column, its answer), then one row per intervention in the run's order.
    n_interventions, n_changed : int
        Interventions, and those whose answer differs from the own rationale's.
    """

    rows: pd.DataFrame
    n_interventions: int
    n_changed: int

    def headline(self) -> str:
        """One line for the page: how many interventions changed the answer."""
        return f"{self.n_changed} of {self.n_interventions} interventions changed the answer"


def intervention_table(record: Record) -> InterventionTable | None:
    """The intervention table of one probe-run record; None for a record without interventions
    (a record of a scored run).

    Raises
    ------
    DataError
        When the record's ``interventions`` field is malformed (naming the record and field).

    Examples
    --------
    >>> from evalsuite.runs.records import Record
    >>> record = Record.from_json({"id": "a", "gold": "7", "answer": "7", "correct": True,
    ...     "rationale": "3 + 4 = 7.", "interventions": [{"probe": "early_answering",
    ...     "position": 0, "n_steps": 1, "prefix": "So the answer is", "continuation": "5",
    ...     "answer": "5", "correct": False, "changed": True}]}, "doc")
    >>> table = intervention_table(record)
    >>> table.rows[["probe", "position", "answer", "changed"]].values.tolist()
    [['own rationale', '', '7', ''], ['early answering', '0 of 1 steps', '5', 'yes']]
    >>> table.headline()
    '1 of 1 interventions changed the answer'

    """
    interventions = interventions_of(record, "probe record")
    if not interventions:
        return None
    rows = [
        {
            "probe": OWN_RATIONALE,
            "position": "",
            "what changed": "",
            "forced prefix": record.rationale or "",
            "continuation": record.prediction or "",
            "answer": record.answer,
            "changed": "",
            "correct": _yes_no(record.correct),
        }
    ]
    rows += [
        {
            "probe": FAITHFULNESS_PROBES.get(i.probe, i.probe),
            "position": _position(i),
            "what changed": _what_changed(i),
            "forced prefix": i.prefix,
            "continuation": i.continuation or "",
            "answer": i.answer,
            "changed": _yes_no(i.changed),
            "correct": _yes_no(i.correct),
        }
        for i in interventions
    ]
    return InterventionTable(
        rows=pd.DataFrame(rows, columns=list(INTERVENTION_COLUMNS)),
        n_interventions=len(interventions),
        n_changed=sum(i.changed is True for i in interventions),
    )
