"""Turn the teacher outputs of a dataset into a run.

The teacher's rationale and label become a run's records (answer, correctness, consistency; no
confidence, which the release does not have), so the teacher can be compared, reported and
browsed like any student. Works for the DSS release tasks and for the synthetic `arith`.
"""

from __future__ import annotations

import argparse

from evalsuite.commands.common import add_data_arguments

NAME = "import-teacher"
HELP = "turn the teacher outputs of a dataset into a run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)
    parser.add_argument("--out", required=True, metavar="RUN", help="run directory to write")


def run(args: argparse.Namespace) -> int:
    from evalsuite.runs.imports import describe, import_teacher

    result = import_teacher(args.task, args.split, out=args.out, data_dir=args.data_dir)
    print(describe(result))
    return 0
