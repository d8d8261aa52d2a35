"""Write LaTeX tables, figures and summary.md for a set of runs."""

from __future__ import annotations

import argparse

from evalsuite.commands.common import NotBuilt

NAME = "report"
HELP = "write LaTeX tables, figures and summary.md for a set of runs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run directories")
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="report directory, e.g. reports/NAME"
    )


def run(args: argparse.Namespace) -> int:
    raise NotBuilt(NAME, issue=6)
