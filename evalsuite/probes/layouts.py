"""Where a joint student's one output puts its rationale and its answer, for the forcing probes.

A probe reads the student's own output as rationale and answer, writes a forced prefix (some
rationale, then, for an immediate answer, whatever the format puts between rationale and
answer), and reads the answer of ``prefix + continuation`` the way the scorer reads the format:

* ``rationale_then_label`` and ``mixed`` (its CoT prompt): ``"<rationale> So the answer is
  <answer>"``; the prefix of an immediate answer ends with the marker;
* ``think``: ``"<think> trace </think> answer"`` (:mod:`evalsuite.scoring.think`); the prefix
  opens the trace, and for an immediate answer closes it. A trace never closed has no answer
  (an extraction failure, as in scoring), never an answer guessed from the reasoning.

Socratic chains have no layout here: their answer is the solver's last sub-answer, written by a
second model for the last sub-question, not a continuation of one forced sequence. They are
forced pair by pair in the solver's context instead (:mod:`evalsuite.probes.chains`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from evalsuite.registry import Registry
from evalsuite.scoring.think import THINK_CLOSE, THINK_OPEN, parse_think
from evalsuite.tasks import Task
from evalsuite.tasks.base import ANSWER_MARKER

__all__ = ["LAYOUTS", "Layout", "ReadOutput"]


@dataclass(frozen=True)
class ReadOutput:
    """One output read as rationale and answer text.

    ``failure``: why no answer can be read whatever the text (``unclosed_think_trace``,
    ``no_think_trace``), else None; the record's extraction method then, as in scoring.
    """

    rationale: str | None
    answer_text: str
    failure: str | None = None


def _words(*parts: str) -> str:
    """Non-empty parts joined by one space (an empty rationale leaves no double space)."""
    return " ".join(p.strip() for p in parts if p.strip())


@dataclass(frozen=True)
class Layout:
    """How to read an output and how to force a rationale.

    ``read(task, text)``: the output as :class:`ReadOutput`. ``force(rationale, answer_now)``:
    the forced prefix; with ``answer_now`` the student writes only the answer after it,
    otherwise it continues the rationale.
    """

    read: Callable[[Task, str], ReadOutput]
    force: Callable[[str, bool], str]


def _read_marked(task: Task, text: str) -> ReadOutput:
    rationale, answer_text = task.split_single_output(text)
    return ReadOutput(rationale, answer_text)


def _force_marked(rationale: str, answer_now: bool) -> str:
    return _words(rationale, ANSWER_MARKER) if answer_now else rationale.strip()


def _read_think(task: Task, text: str) -> ReadOutput:
    parsed = parse_think(text)
    if parsed.failure is not None:
        return ReadOutput(parsed.trace, text.strip(), parsed.failure)
    return ReadOutput(parsed.trace, parsed.answer or "")


def _force_think(rationale: str, answer_now: bool) -> str:
    return _words(THINK_OPEN, rationale, THINK_CLOSE if answer_now else "")


_MARKED = Layout(_read_marked, _force_marked)

LAYOUTS: Registry[Layout] = Registry(
    "forceable output format",
    {"rationale_then_label": _MARKED, "mixed": _MARKED, "think": Layout(_read_think, _force_think)},
)
"""Output formats (:data:`evalsuite.names.OUTPUT_FORMATS`) the forcing probes can force, each
with its layout; the others are refused by the runner in one line."""
