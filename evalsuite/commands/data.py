"""Check and summarise one split of a dataset: examples, unique ids, teacher accuracy.

Use it to check a data set-up before training or scoring: every problem with the files is
reported as one line naming the file, line or field, with exit status 2.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from evalsuite.commands.common import add_data_arguments, add_json_argument, print_json
from evalsuite.formatting import format_rate

if TYPE_CHECKING:
    from evalsuite.data.summary import SplitSummary

NAME = "data"
HELP = "check and summarise a dataset split (counts, teacher accuracy, labels)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)
    parser.add_argument(
        "--no-teacher", action="store_true", help="load rows without the teacher outputs"
    )
    add_json_argument(parser)


def teacher_accuracy_text(summary: SplitSummary) -> str:
    """The teacher's accuracy with its Wilson 95 % interval and counts, ``n/a`` without teacher
    labels: ``74.00 %  [65.62, 80.96]  (74/100)``. The demo prints the same."""
    from evalsuite.metrics.rates import proportion_rate

    rate = proportion_rate(summary.teacher_correct, summary.n_with_teacher)
    return format_rate(rate.as_dict()).strip()


def run(args: argparse.Namespace) -> int:
    from evalsuite.data.summary import summarize_split

    summary = summarize_split(
        args.task, args.split, data_dir=args.data_dir, teacher=not args.no_teacher
    )
    if args.json:
        print_json(summary.as_dict())
        return 0
    print(f"{summary.task} / {summary.split}: {summary.n_examples} examples")
    print(f"  ids unique:        {summary.unique_ids}")
    if summary.teacher_accuracy is not None:
        print(f"  teacher accuracy:  {teacher_accuracy_text(summary)} (Wilson 95 % interval)")
    print(f"  distinct gold:     {summary.n_distinct_gold}")
    return 0
