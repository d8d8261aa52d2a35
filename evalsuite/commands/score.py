"""Score a checkpoint on a task split into a run directory."""

from __future__ import annotations

import argparse

from evalsuite.commands.common import NotBuilt, add_data_arguments

NAME = "score"
HELP = "score a checkpoint on a task split into a run directory"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "checkpoint", metavar="CKPT", help="checkpoint directory (from evalsuite train)"
    )
    add_data_arguments(parser, task_required=False)
    parser.add_argument(
        "--out", metavar="RUN", help="run directory to write (default: runs/<ckpt>-<task>-<split>)"
    )
    parser.add_argument("--limit", type=int, metavar="N", help="score only the first N examples")
    parser.add_argument(
        "--batch-size", type=int, default=32, metavar="N", help="examples per batch"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:i]")


def run(args: argparse.Namespace) -> int:
    raise NotBuilt(NAME, issue=4)
