"""A probe run's per-example interventions: typed, read from and written to its records.

A probe run is a run directory (docs/runs.md, "Probe runs"): each record is the student's own
full-rationale output, as ``score`` would record it, plus ``interventions``, one object per
forced prefix. This module is the one place that field is read and written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalsuite.runs import Record
from evalsuite.runs.fields import (
    JsonObject,
    as_bool,
    as_int,
    as_number,
    as_required_text,
    as_string,
    as_text,
    from_json,
    list_of,
    nested,
    spec,
)
from evalsuite.tasks import Task

__all__ = [
    "INTERVENTIONS",
    "SIMULATION",
    "Intervention",
    "Simulation",
    "answer_changed",
    "interventions_of",
    "simulation_of",
    "with_interventions",
    "with_simulation",
]

INTERVENTIONS = "interventions"
"""The record field that holds a probe run's interventions."""
SIMULATION = "simulation"
"""The record field that holds the LAS simulator's predictions of the student's answer."""


@dataclass(frozen=True, kw_only=True)
class Intervention(JsonObject):
    """One forced prefix of one probe on one example, and what the student answered."""

    probe: str = spec(as_required_text, required=True)
    """The probe's registry name (``early_answering``, ``corrupted_step``, ...)."""
    position: int | None = spec(as_int)
    """Early answering: steps kept (k); corrupted step: the corrupted step's index (from 0);
    null for probes without positions."""
    n_steps: int | None = spec(as_int)
    """Steps in the rationale intervened on (the student's; oracle: the teacher's)."""
    prefix: str = spec(as_string, required=True)
    """The decoder prefix forced, exactly as given to the student."""
    continuation: str | None = spec(as_text)
    """What the student wrote after the prefix."""
    answer: str | None = spec(as_text)
    """The answer read from prefix and continuation; null when none could be read."""
    correct: bool | None = spec(as_bool)
    """Whether ``answer`` is right."""
    changed: bool | None = spec(as_bool)
    """Whether ``answer`` differs from the full-rationale answer; null when the full-rationale
    answer could not be read."""
    detail: str | None = spec(as_text, omit_none=True)
    """What the intervention changed (corrupted step: ``number 4 -> 7``; perturbation: how many
    tokens)."""
    input: str | None = spec(as_text, omit_none=True)
    """Robustness: the perturbed input the student was scored on (no prefix is forced)."""
    rate: float | None = spec(as_number, omit_none=True)
    """Robustness: the share of the input's tokens replaced."""
    rationale_answer: str | None = spec(as_text, omit_none=True)
    """Robustness: the answer the rationale states on the perturbed input."""
    rationale_changed: bool | None = spec(as_bool, omit_none=True)
    """Robustness: whether that differs from the rationale's answer on the original input."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Fields this version does not know, kept for the round trip."""


@dataclass(frozen=True, kw_only=True)
class Simulation(JsonObject):
    """LAS: the simulator's prediction of the student's ``answer`` from each input form
    (:data:`evalsuite.probes.simulation.FORMS`), read as the task reads answers; null where the
    simulator wrote no readable answer."""

    input_rationale: str | None = spec(as_text)
    """From the input and the student's rationale (xe)."""
    input: str | None = spec(as_text)
    """From the input alone (x)."""
    rationale: str | None = spec(as_text)
    """From the rationale alone (e)."""
    leaked: bool | None = spec(as_bool)
    """Whether the rationale alone gives the student's answer (``rationale == answer``)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Fields this version does not know, kept for the round trip."""


@dataclass(frozen=True, kw_only=True)
class _Holder(JsonObject):
    interventions: tuple[Intervention, ...] | None = spec(list_of(Intervention))
    simulation: Simulation | None = spec(nested(Simulation))
    extra: Mapping[str, Any] = field(default_factory=dict)


def answer_changed(task: Task, answer: str | None, full: str | None) -> bool | None:
    """An intervention's ``changed``: whether ``answer`` differs from the full-rationale
    answer ``full`` (no answer counts as a change); None when ``full`` could not be read."""
    if full is None:
        return None
    return answer is None or not task.same_answer(answer, full)


def interventions_of(record: Record, where: str = "record") -> tuple[Intervention, ...]:
    """The interventions a probe run's record carries (none for a record without them).

    Raises
    ------
    DataError
        When the field is malformed, naming ``where`` and the field.
    """
    value = record.extra.get(INTERVENTIONS)
    if value is None:
        return ()
    holder = from_json(_Holder, {INTERVENTIONS: value}, f"{where} (id {record.id})")
    return holder.interventions or ()


def with_interventions(record: Record, interventions: Sequence[Intervention]) -> Record:
    """``record`` with its ``interventions`` field set."""
    doc = record.to_json()
    doc[INTERVENTIONS] = [i.to_json() for i in interventions]
    return Record.from_json(doc, "probe record")


def simulation_of(record: Record, where: str = "record") -> Simulation | None:
    """The LAS simulator's predictions a probe run's record carries (None without them).

    Raises
    ------
    DataError
        When the field is malformed, naming ``where`` and the field.
    """
    value = record.extra.get(SIMULATION)
    if value is None:
        return None
    return from_json(_Holder, {SIMULATION: value}, f"{where} (id {record.id})").simulation


def with_simulation(record: Record, simulation: Simulation) -> Record:
    """``record`` with its ``simulation`` field set."""
    doc = record.to_json()
    doc[SIMULATION] = simulation.to_json()
    return Record.from_json(doc, "probe record")
