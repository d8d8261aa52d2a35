"""Turn any model's predictions (JSONL) into a run."""

from __future__ import annotations

import argparse

from evalsuite.commands.common import NotBuilt, add_data_arguments

NAME = "import-predictions"
HELP = "turn any model's predictions (JSONL) into a run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("predictions", metavar="FILE.jsonl", help="one JSON object per line")
    add_data_arguments(parser)
    parser.add_argument("--out", required=True, metavar="RUN", help="run directory to write")


def run(args: argparse.Namespace) -> int:
    raise NotBuilt(NAME, issue=4)
