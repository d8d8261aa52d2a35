"""The example record every loader produces and every scorer, trainer and analysis consumes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Example"]


@dataclass(frozen=True)
class Example:
    """One task example, already formatted the way the DSS release feeds it to a student.

    Attributes
    ----------
    id : str
        Stable and unique within its split: the dataset's own id where it has one (CQA ``id``,
        ANLI ``uid``), else ``"<split>-<row index>"``. Runs are paired by it.
    input : str
        The formatted task input, without a task prefix such as ``"predict: "``.
    gold : str
        The gold label as text (an equation for arithmetic tasks, a label name for NLI).
    split : str
        The split the example was loaded from.
    teacher_rationale, teacher_label : str or None
        The teacher's rationale and label, parsed by the release's conventions, when the data has
        them.
    choices : tuple of str or None
        The closed candidate set for multiple-choice tasks (CQA), else ``None``.
    extra : mapping
        Task-specific material, e.g. the arith teacher's program-of-thought and Socratic steps.
    """

    id: str
    input: str
    gold: str
    split: str
    teacher_rationale: str | None = None
    teacher_label: str | None = None
    choices: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
