"""The explorer's LAS view of one probe-run example: the student's answer, the simulator's
prediction of it from input and rationale, from the input alone and from the rationale alone,
and whether the example is leaked (the rationale alone gives the answer away).

LAS records (``evalsuite probe --probe las``, docs/runs.md "Probe runs") carry no
interventions; their ``simulation`` field is read by
:func:`evalsuite.probes.records.simulation_of`, so the page needs nothing of its own to load it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evalsuite.probes.records import simulation_of
from evalsuite.probes.simulation import FORMS
from evalsuite.runs.records import Record

__all__ = ["SIMULATION_COLUMNS", "STUDENT_ROW", "SimulationTable", "simulation_table"]

SIMULATION_COLUMNS = ("from", "simulator's prediction", "matches the student")
"""The table's columns: the simulator's input form, what it predicted, and whether that is the
student's answer (``yes``, ``no``, or ``n/a`` when the student's answer could not be read)."""

STUDENT_ROW = "the student's answer"
"""The first row's ``from`` cell: what the simulator is asked to predict."""

FORM_LABELS = {
    "input_rationale": "input + rationale (xe)",
    "input": "input alone (x)",
    "rationale": "rationale alone (e)",
}
"""How the page names each of :data:`~evalsuite.probes.simulation.FORMS`."""


@dataclass(frozen=True)
class SimulationTable:
    """One example's simulation as the page draws it.

    Attributes
    ----------
    rows : DataFrame
        :data:`SIMULATION_COLUMNS`; the student's answer, then one row per input form in
        :data:`~evalsuite.probes.simulation.FORMS` order.
    leaked : bool or None
        Whether the rationale alone predicts the student's answer (None: that answer could not
        be read, so the example is in neither LAS group).
    """

    rows: pd.DataFrame
    leaked: bool | None

    def headline(self) -> str:
        """One line for the page: is the example leaked, and what that means for LAS."""
        if self.leaked is None:
            return "leaked: n/a (the student's answer could not be read; not in LAS)"
        if self.leaked:
            return "leaked: yes (the rationale alone gives the student's answer)"
        return "leaked: no (the rationale alone does not give the student's answer)"


def _matches(prediction: str | None, answer: str | None) -> str:
    if answer is None:
        return "n/a"
    return "yes" if prediction == answer else "no"


def simulation_table(record: Record) -> SimulationTable | None:
    """The LAS view of one probe-run record; None for a record without a ``simulation`` (a
    scored run's, or another probe's).

    Raises
    ------
    DataError
        When the record's ``simulation`` field is malformed (naming the record and field).

    Examples
    --------
    >>> from evalsuite.runs.records import Record
    >>> record = Record.from_json({"id": "a", "gold": "yes", "answer": "no", "correct": False,
    ...     "rationale": "It is not.", "simulation": {"input_rationale": "no",
    ...     "input": "yes", "rationale": "no", "leaked": True}}, "doc")
    >>> table = simulation_table(record)
    >>> table.rows.values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [["the student's answer", 'no', ''], ['input + rationale (xe)', 'no', 'yes'],
     ['input alone (x)', 'yes', 'no'], ['rationale alone (e)', 'no', 'yes']]
    >>> table.headline()
    "leaked: yes (the rationale alone gives the student's answer)"
    """
    simulation = simulation_of(record, "probe record")
    if simulation is None:
        return None
    predictions = {form: getattr(simulation, form) for form in FORMS.names}  # fields by form
    rows = [{"from": STUDENT_ROW, "simulator's prediction": record.answer,
             "matches the student": ""}]  # fmt: skip
    rows += [
        {
            "from": FORM_LABELS[form],
            "simulator's prediction": predictions[form],
            "matches the student": _matches(predictions[form], record.answer),
        }
        for form in FORMS.names
    ]
    return SimulationTable(
        rows=pd.DataFrame(rows, columns=list(SIMULATION_COLUMNS)), leaked=simulation.leaked
    )
