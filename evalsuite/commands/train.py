"""Train a student with one recipe."""

from __future__ import annotations

import argparse

from evalsuite.commands.common import NotBuilt, add_data_arguments

NAME = "train"
HELP = "train a student with one recipe"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "recipe", metavar="RECIPE", help="standard, single, dss, mi, mixed or socratic"
    )
    add_data_arguments(parser)
    parser.add_argument(
        "--model", default="tiny", metavar="PATH_OR_CONFIG", help="tiny or a local HF T5 checkpoint"
    )
    parser.add_argument(
        "--out", required=True, metavar="CKPT", help="checkpoint directory to write"
    )


def run(args: argparse.Namespace) -> int:
    raise NotBuilt(NAME, issue=3)
