"""Estimate mutual information between label and rationale representations (nats).

Reads RUN/representations.npz (written by `evalsuite score`): by default ``label_repr`` against
``rationale_repr``; --x and --y pick other keys. Each estimate comes with a 95 % interval from a
half-sample bootstrap over examples, the caveat that goes with it (InfoNCE <= log N; CLUB is an
upper bound only if its q fits; the probe bound needs a closed label set) and its bias in a
known-truth check on Gaussians of the run's n and widths; KSG's PCA components are chosen by that
check unless --ksg-components says. Estimates that contradict one another, or whose bias costs
their interval its coverage, print a warning on stderr. This is I(label representation;
rationale representation), not lm-eval's ``acc_mutual_info``.

  evalsuite mi runs/dss-anli1
  evalsuite mi runs/dss-anli1 --estimator all --json
  evalsuite mi runs/dss-anli1 --x label_prompt_repr --y rationale_prompt_repr
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from evalsuite.commands.common import add_json_argument, print_json
from evalsuite.errors import DataError, UsageError
from evalsuite.names import MI_ESTIMATORS, PROBE_LABELS

if TYPE_CHECKING:
    from evalsuite.analysis.mutual_information import RunMI

NAME = "mi"
HELP = "estimate mutual information between label and rationale representations"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory with representations.npz")
    parser.add_argument(
        "--estimator",
        default="ksg",
        choices=(*MI_ESTIMATORS, "all"),
        help=f"{', '.join(MI_ESTIMATORS)} or all (default: ksg)",
    )
    parser.add_argument("--x", default="label_repr", metavar="KEY", help="default: label_repr")
    parser.add_argument(
        "--y", default="rationale_repr", metavar="KEY", help="default: rationale_repr"
    )
    parser.add_argument(
        "--label",
        default="answer",
        choices=PROBE_LABELS.names,
        help="labels of the probe bound: the run's answers (default) or the gold labels",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every estimator")
    parser.add_argument(
        "--n-seeds", type=int, default=3, help="trainings per neural estimator (default 3)"
    )
    parser.add_argument(
        "--steps", type=int, default=600, help="training steps of each neural critic (default 600)"
    )
    parser.add_argument(
        "--ksg-components",
        type=int,
        default=None,
        metavar="K",
        help="PCA components per side before KSG (default: chosen by the known-truth check)",
    )
    parser.add_argument(
        "--n-resamples",
        type=int,
        default=None,
        metavar="B",
        help="half-samples of every bootstrap interval (default: ksg 200, probe 30, "
        "neural bounds 20)",
    )
    add_json_argument(parser)


def estimate(args: argparse.Namespace) -> RunMI:
    """Run the estimators the arguments ask for; print the warnings on stderr.

    With one estimator (not ``all``), an estimator that gives no number on this run is an
    error rather than a skip.
    """
    from evalsuite.analysis.mutual_information import (
        MissingRepresentation,
        RunMIConfig,
        estimate_run_mi,
    )
    from evalsuite.runs import REPRESENTATIONS, read_run

    every = args.estimator == "all"
    config = RunMIConfig(
        estimators=tuple(MI_ESTIMATORS) if every else (args.estimator,),
        x=args.x,
        y=args.y,
        label_field=args.label,
        n_seeds=args.n_seeds,
        steps=args.steps,
        seed=args.seed,
        ksg_components=args.ksg_components,
        n_resamples=args.n_resamples,
    )
    loaded = read_run(args.run)
    say = (lambda line: print(line, file=sys.stderr)) if every else None
    try:
        result = estimate_run_mi(loaded, config, progress=say)
    except MissingRepresentation as err:
        option = "--x" if err.key == args.x else "--y"
        raise UsageError(f"{option} {err.key}: {err}") from None
    if not every and args.estimator in result.skipped:
        why = result.skipped[args.estimator]
        if args.estimator == "probe":
            raise UsageError(f"--estimator probe: {why}")
        raise DataError(f"{loaded.path / REPRESENTATIONS}: {args.estimator}: {why}")
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    return result


def _print_table(result: RunMI) -> None:
    doc = result.as_dict()
    left_out = f" ({doc['n_dropped']} without both left out)" if doc["n_dropped"] else ""
    print(
        f"run {doc['run']}: I({doc['x']}; {doc['y']}) over {doc['n']} examples{left_out}, in nats"
    )
    print(f"  intervals: 95 %, {doc['interval']['method']}")
    for e in result.estimates:
        resamples = e.details["interval"]["n_resamples"]
        print(
            f"  {e.estimator:<8} {e.value:8.4f}  [{e.low:.4f}, {e.high:.4f}] "
            f"({resamples} half-samples)  {e.kind}"
        )
        print(f"           note: {e.caveat}")
        print(f"           {result.bias_text(e.estimator)}")
    if result.ksg is not None:
        print(f"  ksg: {result.ksg.components} PCA components per side "
              f"({result.ksg.as_dict()['chosen_by']})")  # fmt: skip
    for name, why in result.skipped.items():
        print(f"  {name:<8} skipped: {why}")


def run(args: argparse.Namespace) -> int:
    result = estimate(args)
    if args.json:
        print_json(result.as_dict())
    else:
        _print_table(result)
    return 0
