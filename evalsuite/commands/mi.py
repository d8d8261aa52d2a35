"""Estimate mutual information between label and rationale representations (nats).

Reads RUN/representations.npz (written by `evalsuite score`): by default ``label_repr`` against
``rationale_repr``; --x and --y pick other keys. Each estimate comes with an interval and the
caveat that goes with it (InfoNCE <= log N; CLUB is an upper bound only if its q fits; the probe
bound needs a closed label set). This is I(label representation; rationale representation), not
lm-eval's ``acc_mutual_info``.

  evalsuite mi runs/dss-anli1
  evalsuite mi runs/dss-anli1 --estimator all --json
  evalsuite mi runs/dss-anli1 --x label_encoder_repr --y rationale_encoder_repr
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from evalsuite.commands.common import add_json_argument, print_json
from evalsuite.errors import DataError, UsageError
from evalsuite.names import MI_ESTIMATORS, PROBE_LABELS

if TYPE_CHECKING:
    pass

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
    add_json_argument(parser)


def estimate(args: argparse.Namespace) -> dict[str, Any]:
    """Run the estimators the arguments ask for; return the JSON document.

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
    return result.as_dict()


def _print_table(doc: dict[str, Any]) -> None:
    left_out = f" ({doc['n_dropped']} without both left out)" if doc["n_dropped"] else ""
    print(
        f"run {doc['run']}: I({doc['x']}; {doc['y']}) over {doc['n']} examples{left_out}, in nats"
    )
    for e in doc["estimates"]:
        interval = "seed range" if "seed_values" in e else "95 % normal approx."
        print(
            f"  {e['estimator']:<8} {e['value']:8.4f}  [{e['low']:.4f}, {e['high']:.4f}] "
            f"({interval})  {e['kind']}"
        )
        print(f"           note: {e['caveat']}")
    for name, why in doc["skipped"].items():
        print(f"  {name:<8} skipped: {why}")


def run(args: argparse.Namespace) -> int:
    doc = estimate(args)
    if args.json:
        print_json(doc)
    else:
        _print_table(doc)
    return 0
