"""Paired significance tests between runs of the same examples."""

from __future__ import annotations

import argparse

from evalsuite.commands.common import NotBuilt, add_json_argument

NAME = "compare"
HELP = "paired significance tests between runs of the same examples"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", metavar="RUN", help="two or more run directories")
    parser.add_argument("--test", default="bootstrap", help="bootstrap, mcnemar or permutation")
    add_json_argument(parser)


def run(args: argparse.Namespace) -> int:
    raise NotBuilt(NAME, issue=5)
