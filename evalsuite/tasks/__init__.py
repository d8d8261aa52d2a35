"""One Task per dataset family, in a registry: the only place that knows the task names."""

from __future__ import annotations

from evalsuite.errors import UsageError
from evalsuite.tasks.arithmetic import ArithTask, SvampTask
from evalsuite.tasks.base import ANSWER_MARKER, Extraction, Task, TeacherOutput
from evalsuite.tasks.choice import CqaTask
from evalsuite.tasks.nli import NLI_LABELS, AnliTask, EsnliTask

__all__ = [
    "ANSWER_MARKER",
    "NLI_LABELS",
    "TASKS",
    "Extraction",
    "Task",
    "TeacherOutput",
    "get_task",
    "task_names",
]

TASKS: dict[str, Task] = {
    task.name: task for task in (SvampTask(), CqaTask(), AnliTask(), EsnliTask(), ArithTask())
}


def task_names() -> list[str]:
    """The registered task names, in registry order."""
    return list(TASKS)


def get_task(name: str) -> Task:
    """The task registered under ``name``.

    Raises
    ------
    UsageError
        "unknown task 'x'; choose from svamp, cqa, anli1, esnli, arith".
    """
    try:
        return TASKS[name]
    except KeyError:
        raise UsageError(f"unknown task '{name}'; choose from {', '.join(TASKS)}") from None
