"""Accuracy with intervals, calibration and rationale metrics of a run."""

from __future__ import annotations

import argparse

from evalsuite.commands.common import NotBuilt, add_json_argument

NAME = "metrics"
HELP = "accuracy with intervals, calibration and rationale metrics of a run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory")
    add_json_argument(parser)


def run(args: argparse.Namespace) -> int:
    raise NotBuilt(NAME, issue=5)
