"""Check and summarise one split of a dataset: examples, unique ids, teacher accuracy.

Use it to check a data set-up before training or scoring: every problem with the files is
reported as one line naming the file, line or field, with exit status 2.
"""

from __future__ import annotations

import argparse
from collections import Counter
from typing import TYPE_CHECKING, Any

from evalsuite.commands.common import add_data_arguments, add_json_argument, print_json

if TYPE_CHECKING:
    from evalsuite.data import ArithConfig

NAME = "data"
HELP = "check and summarise a dataset split (counts, teacher accuracy, labels)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)
    parser.add_argument(
        "--no-teacher", action="store_true", help="load rows without the teacher outputs"
    )
    add_json_argument(parser)


def summarize(
    task_name: str,
    split: str,
    data_dir: str | None,
    teacher: bool = True,
    *,
    arith: ArithConfig | None = None,
) -> dict[str, Any]:
    """What ``evalsuite data`` reports, as a dict (``arith``: the synthetic task's settings)."""
    from evalsuite.data import load_examples
    from evalsuite.tasks import get_task

    task = get_task(task_name)
    examples = load_examples(task, split, data_dir=data_dir, teacher=teacher, arith=arith)
    with_teacher = [e for e in examples if e.teacher_label is not None]
    teacher_correct = sum(
        task.is_correct(task.extract_answer(e.teacher_label, e).answer, e) for e in with_teacher
    )
    golds = Counter(task.normalized_gold(e) for e in examples)
    return {
        "task": task.name,
        "split": split,
        "n_examples": len(examples),
        "unique_ids": len({e.id for e in examples}) == len(examples),
        "n_with_teacher": len(with_teacher),
        "teacher_correct": teacher_correct,
        "teacher_accuracy": teacher_correct / len(with_teacher) if with_teacher else None,
        "n_distinct_gold": len(golds),
        "most_common_gold": golds.most_common(3),
    }


def run(args: argparse.Namespace) -> int:
    summary = summarize(args.task, args.split, args.data_dir, not args.no_teacher)
    if args.json:
        print_json(summary)
        return 0
    accuracy = summary["teacher_accuracy"]
    print(f"{summary['task']} / {summary['split']}: {summary['n_examples']} examples")
    print(f"  ids unique:        {summary['unique_ids']}")
    if accuracy is not None:
        print(
            f"  teacher accuracy:  {100 * accuracy:.2f} % "
            f"({summary['teacher_correct']}/{summary['n_with_teacher']})"
        )
    print(f"  distinct gold:     {summary['n_distinct_gold']}")
    return 0
