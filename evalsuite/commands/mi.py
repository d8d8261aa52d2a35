"""Estimate mutual information between label and rationale representations."""

from __future__ import annotations

import argparse

from evalsuite.commands.common import NotBuilt, add_json_argument

NAME = "mi"
HELP = "estimate mutual information between label and rationale representations"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory with representations.npz")
    parser.add_argument(
        "--estimator", default="ksg", help="ksg, infonce, nwj, smile, club, probe or all"
    )
    add_json_argument(parser)


def run(args: argparse.Namespace) -> int:
    raise NotBuilt(NAME, issue=5)
