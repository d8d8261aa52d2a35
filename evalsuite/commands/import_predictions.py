"""Turn any model's predictions (JSONL) into a run.

One JSON object per line: `id` (or the formatted `input`; where ids are positional, `3` and `"3"`
name the split's fourth example, like `"test-3"`) and `prediction`; optionally
`rationale`, `confidence` (in [0, 1]) and `label_probs` (label -> probability over the task's
closed label set). Every line is validated; the first bad one is reported with its line number
(exit status 2) and nothing is written.
"""

from __future__ import annotations

import argparse

from evalsuite.commands.common import add_data_arguments

NAME = "import-predictions"
HELP = "turn any model's predictions (JSONL) into a run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("predictions", metavar="FILE.jsonl", help="one JSON object per line")
    add_data_arguments(parser)
    parser.add_argument("--out", required=True, metavar="RUN", help="run directory to write")


def run(args: argparse.Namespace) -> int:
    from evalsuite.runs.imports import describe, import_predictions

    result = import_predictions(
        args.predictions, args.task, args.split, out=args.out, data_dir=args.data_dir
    )
    print(describe(result))
    return 0
