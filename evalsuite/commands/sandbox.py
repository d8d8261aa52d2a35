"""Run one program-of-thought file in the sandbox."""

from __future__ import annotations

import argparse

from evalsuite.commands.common import NotBuilt, add_json_argument

NAME = "sandbox"
HELP = "run one program-of-thought file in the sandbox"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program", metavar="FILE.py", help="the program to run")
    add_json_argument(parser)


def run(args: argparse.Namespace) -> int:
    raise NotBuilt(NAME, issue=7)
