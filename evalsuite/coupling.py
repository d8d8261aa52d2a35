"""How a student couples its rationale and its answer: the one place that derives it.

Faithfulness probes (``evalsuite probe``) intervene on a rationale and read the answer again;
that only means something when the answer conditions on the rationale. A *joint* student writes
the rationale and then the answer in one sequence (single-task, a mixed student's CoT paths,
Socratic chains); a *separate* student decodes label and rationale from two prompts (DSS, MI),
so at test time its answer never sees the rationale; a label-only student has no rationale.
The coupling follows from the checkpoint's output format (docs/checkpoints.md) and is recorded
in every student run's manifest (``model.coupling``); runs written before it derive it here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalsuite.registry import Registry

__all__ = ["COUPLINGS", "OUTPUT_COUPLING", "coupling_of_output", "coupling_of_prompt"]

COUPLINGS: Registry[str] = Registry(
    "coupling",
    {
        "joint": "rationale then answer in one sequence: the answer conditions on the rationale",
        "separate": "label and rationale from different prompts: the answer never sees the "
        "rationale",
        "none": "no rationale: the student writes the label only",
    },
)
"""Couplings of rationale and answer: name -> what it means."""

OUTPUT_COUPLING: Registry[str] = Registry(
    "output format",
    {
        "label": "none",
        "rationale_then_label": "joint",
        "multitask": "separate",
        "think": "joint",
        "mixed": "joint",
        "socratic": "joint",
    },
)
"""Output format (:data:`evalsuite.names.OUTPUT_FORMATS`) -> coupling; a new format is added
here too (``tests/test_coupling.py`` checks that every format has one)."""


def coupling_of_output(output: str) -> str:
    """The coupling of a checkpoint's output format.

    Examples
    --------
    >>> coupling_of_output("multitask"), coupling_of_output("rationale_then_label")
    ('separate', 'joint')
    """
    return OUTPUT_COUPLING[output]


def coupling_of_prompt(prompt: Mapping[str, Any] | None) -> str | None:
    """The coupling of a run manifest's ``model.prompt`` block; None without one (teacher and
    imported runs) or with an output format this version does not know."""
    output = (prompt or {}).get("output")
    return OUTPUT_COUPLING.get(output) if isinstance(output, str) else None
