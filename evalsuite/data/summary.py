"""What one split of a data set holds: example count, unique ids, teacher accuracy, gold labels.

``evalsuite data`` prints it and the demo shows it before training, so the teacher's accuracy is
computed here once, with the task's own answer extraction and comparison.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from evalsuite.data.arith import ArithConfig
from evalsuite.example import Example
from evalsuite.tasks import Task

__all__ = ["SplitSummary", "summarize_split", "teacher_correct"]


@dataclass(frozen=True)
class SplitSummary:
    """One split of a task's data.

    Attributes
    ----------
    task, split : str
    n_examples : int
    unique_ids : bool
        Every example has its own id.
    n_with_teacher : int
        Examples that carry a teacher label.
    teacher_correct : int
        Of those, how many the teacher answered correctly (the task's extraction and check).
    n_distinct_gold : int
    most_common_gold : list of (str or None, int)
        The three most common normalised gold labels with their counts (None: unreadable).
    """

    task: str
    split: str
    n_examples: int
    unique_ids: bool
    n_with_teacher: int
    teacher_correct: int
    n_distinct_gold: int
    most_common_gold: list[tuple[str | None, int]]

    @property
    def teacher_accuracy(self) -> float | None:
        """``teacher_correct / n_with_teacher``; None without teacher labels."""
        return self.teacher_correct / self.n_with_teacher if self.n_with_teacher else None

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of ``evalsuite data --json``."""
        return {
            "task": self.task,
            "split": self.split,
            "n_examples": self.n_examples,
            "unique_ids": self.unique_ids,
            "n_with_teacher": self.n_with_teacher,
            "teacher_correct": self.teacher_correct,
            "teacher_accuracy": self.teacher_accuracy,
            "n_distinct_gold": self.n_distinct_gold,
            "most_common_gold": self.most_common_gold,
        }


def teacher_correct(task: Task, example: Example) -> bool | None:
    """Whether the teacher's label answers ``example`` correctly; None without a teacher."""
    if example.teacher_label is None:
        return None
    return bool(
        task.is_correct(task.extract_answer(example.teacher_label, example).answer, example)
    )


def summarize_split(
    task_name: str,
    split: str,
    *,
    data_dir: str | None = None,
    teacher: bool = True,
    arith: ArithConfig | None = None,
) -> SplitSummary:
    """Load one split (``arith``: the synthetic task's settings) and summarise it."""
    from evalsuite.data import load_examples
    from evalsuite.tasks import get_task

    task = get_task(task_name)
    examples = load_examples(task, split, data_dir=data_dir, teacher=teacher, arith=arith)
    verdicts = [v for v in (teacher_correct(task, e) for e in examples) if v is not None]
    golds = Counter(task.normalized_gold(e) for e in examples)
    return SplitSummary(
        task=task.name,
        split=split,
        n_examples=len(examples),
        unique_ids=len({e.id for e in examples}) == len(examples),
        n_with_teacher=len(verdicts),
        teacher_correct=sum(verdicts),
        n_distinct_gold=len(golds),
        most_common_gold=golds.most_common(3),
    )
