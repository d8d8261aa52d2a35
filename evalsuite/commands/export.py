"""Write a run as another harness's log: ``--to lm-eval`` (``samples_<task>_<date>.jsonl``) or
``--to inspect`` (an inspect_ai ``.eval``/``.json`` log, with inspect_ai's own writer, so
``inspect view`` browses the run). Importing an export gives the same records.
"""

from __future__ import annotations

import argparse

NAME = "export"
HELP = "write a run as an lm-eval samples file or an inspect_ai log"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from evalsuite.interop import EXPORT_FORMATS

    parser.add_argument("run", metavar="RUN", help="the run directory")
    parser.add_argument("--to", required=True, choices=EXPORT_FORMATS, help="the log format")
    parser.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="lm-eval: a folder for samples_<task>_<date>.jsonl; inspect: the .eval or .json file",
    )


def run(args: argparse.Namespace) -> int:
    from evalsuite.interop.export import export_run

    path = export_run(args.run, args.to, args.out)
    print(f"{path}: {args.run} as {args.to}")
    return 0
