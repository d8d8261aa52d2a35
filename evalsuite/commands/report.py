"""Write LaTeX tables, figures and summary.md for a set of runs.

Rows of the main table are methods (a student's recipe, ``teacher``, or --method RUN=NAME for
imported predictions), columns are tasks; several runs of one method and task are seeds and show
as mean and sd. --baseline METHOD daggers the results significantly better than that method:
one run against one run by the paired test on the shared examples (--test), several seeds
against several by Welch's t-test across seeds.

The report is built beside --out and renamed into place; an existing report is replaced only
with --overwrite. Progress goes to stderr; the main table (Markdown) to stdout.

  evalsuite report runs/standard runs/dss runs/teacher --out reports/arith --baseline standard
  evalsuite report runs/*-svamp --out reports/svamp --baseline standard --test mcnemar
  evalsuite report runs/gpt4 runs/dss --method runs/gpt4=gpt4 --out reports/x --mi-estimators none
"""

from __future__ import annotations

import argparse
import sys

from evalsuite.commands.common import add_confidence_argument
from evalsuite.names import MI_ESTIMATORS, PAIRED_TESTS
from evalsuite.report.config import DEFAULT_EXPLORER_URL

NAME = "report"
HELP = "write LaTeX tables, figures and summary.md for a set of runs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="*", metavar="RUN", help="run directories")
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="report directory, e.g. reports/NAME"
    )
    parser.add_argument(
        "--baseline", metavar="METHOD", help="dagger the results significantly better than this"
    )
    parser.add_argument(
        "--test",
        default="bootstrap",
        choices=PAIRED_TESTS.names,
        help="paired test of one run against the baseline run (default: bootstrap)",
    )
    parser.add_argument(
        "--alpha", type=float, default=0.05, help="significance level of the dagger (0.05)"
    )
    parser.add_argument(
        "--method",
        action="append",
        default=[],
        metavar="RUN=METHOD",
        help="the method of a run whose manifest does not say (repeatable)",
    )
    parser.add_argument(
        "--mi-estimators",
        default=",".join(MI_ESTIMATORS),
        metavar="NAMES",
        help="comma-separated: ksg, infonce, nwj, smile, club, probe (default: all); or none",
    )
    parser.add_argument(
        "--intersect",
        action="store_true",
        help="compare on the examples runs share instead of refusing runs with different ids",
    )
    parser.add_argument(
        "--n-resamples",
        type=int,
        default=10_000,
        help="bootstrap / permutation resamples (default 10000)",
    )
    add_confidence_argument(parser)
    parser.add_argument("--seed", type=int, default=0, help="seed of every random computation")
    parser.add_argument("--no-figures", action="store_true", help="write tables and text only")
    parser.add_argument(
        "--explorer-url",
        default=DEFAULT_EXPLORER_URL,
        metavar="URL",
        help=f"where the explorer runs; examples.md links examples there ({DEFAULT_EXPLORER_URL})",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing report at --out"
    )


def _estimators(spec: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in spec.split(",") if name.strip())
    return () if names == ("none",) else names


def run(args: argparse.Namespace) -> int:
    from evalsuite.report.build import ReportConfig, build_report
    from evalsuite.report.runs import parse_method_overrides, read_runs
    from evalsuite.report.tables import render_markdown

    config = ReportConfig(
        baseline=args.baseline,
        test=args.test,
        alpha=args.alpha,
        n_resamples=args.n_resamples,
        mi_estimators=_estimators(args.mi_estimators),
        intersect=args.intersect,
        figures=not args.no_figures,
        seed=args.seed,
        confidence=args.confidence,
        overwrite=args.overwrite,
        methods=parse_method_overrides(args.method),
        explorer_url=args.explorer_url,
    )
    runs = read_runs(args.runs)
    result = build_report(
        runs, args.out, config, progress=lambda line: print(line, file=sys.stderr)
    )
    sys.stdout.write(render_markdown(result.main))
    return 0
