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
from typing import Any

from evalsuite.commands.common import add_json_argument, print_json
from evalsuite.errors import DataError, UsageError
from evalsuite.names import MI_ESTIMATORS

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
        choices=("answer", "gold"),
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


def _matrix(reps: dict[str, Any], key: str, path: Any, option: str) -> Any:
    import numpy as np

    if key not in reps:
        raise UsageError(f"{option} {key}: {path} has no array '{key}'; it has {', '.join(reps)}")
    value = np.asarray(reps[key])
    if value.ndim not in (1, 2) or not np.issubdtype(value.dtype, np.number):
        raise DataError(
            f"{path}: '{key}' must be a numeric array of shape (n, d), got {value.shape}"
        )
    return value


def _labels(
    records: list[dict[str, Any]], ids: list[str], field: str, path: Any
) -> tuple[list[str] | None, str | None]:
    """Labels aligned with the representations' ids, or (None, why not)."""
    if not any(r.get("label_probs") for r in records):
        return None, "needs a closed label set (no record has label_probs)"
    by_id = {r["id"]: r for r in records}
    missing = next((i for i in ids if i not in by_id), None)
    if missing is not None:
        raise DataError(f"{path}: id '{missing}' has no record in records.jsonl")
    labels = [by_id[i].get(field) for i in ids]
    if any(label is None for label in labels):
        return None, f"needs a label for every example (some records have {field} = null)"
    return [str(label) for label in labels], None


def estimate(args: argparse.Namespace) -> dict[str, Any]:
    """Read the run, run the estimators, return the JSON document."""
    import numpy as np

    from evalsuite.metrics.critics import CriticConfig
    from evalsuite.metrics.mutual_info import (
        ESTIMATORS,
        MIConfig,
        complete_pairs,
        estimate_mutual_information,
    )
    from evalsuite.scoring.rundir import REPRESENTATIONS, read_run

    if args.n_seeds < 1:
        raise UsageError(f"--n-seeds: must be a positive integer, got {args.n_seeds}")
    if args.steps < 1:
        raise UsageError(f"--steps: must be a positive integer, got {args.steps}")
    loaded = read_run(args.run)
    path = loaded.path / REPRESENTATIONS
    reps = loaded.representations()
    if reps is None:
        raise UsageError(f"{path}: file not found; `evalsuite mi` needs the representations "
                         "that `evalsuite score` writes")  # fmt: skip
    x = _matrix(reps, args.x, path, "--x")
    y = _matrix(reps, args.y, path, "--y")
    if x.shape[0] != y.shape[0]:
        raise DataError(f"{path}: '{args.x}' has {x.shape[0]} rows but '{args.y}' has {y.shape[0]}")
    ids = [str(i) for i in np.asarray(reps.get("ids", []))]
    if len(ids) != x.shape[0]:
        raise DataError(
            f"{path}: 'ids' has {len(ids)} entries but '{args.x}' has {x.shape[0]} rows"
        )
    keep = complete_pairs(x, y)  # NaN rows: examples without that representation
    x, y, ids = x[keep], y[keep], [i for i, k in zip(ids, keep, strict=True) if k]
    n_dropped = int((~keep).sum())
    if x.shape[0] < 10:
        raise DataError(
            f"{path}: {x.shape[0]} complete examples ({n_dropped} without a finite "
            f"'{args.x}' or '{args.y}'); mutual information needs at least 10"
        )

    names = list(ESTIMATORS) if args.estimator == "all" else [args.estimator]
    labels, why_not = None, None
    if "probe" in names:
        labels, why_not = _labels(loaded.records, ids, args.label, path)
        if labels is None and args.estimator == "probe":
            raise UsageError(f"--estimator probe: {why_not}")
    config = MIConfig(n_seeds=args.n_seeds, critic=CriticConfig(steps=args.steps))
    estimates, skipped = [], {}
    for name in names:
        if name == "probe" and labels is None:
            skipped[name] = why_not
            continue
        if len(names) > 1:  # progress; a single estimator's error stays the only stderr line
            print(f"estimating MI with {name} on {x.shape[0]} pairs", file=sys.stderr)
        try:
            result = estimate_mutual_information(
                name, x, y, labels=labels, config=config, rng=args.seed
            )
        except ValueError as err:  # a property of this run's data, e.g. too few labels
            if args.estimator != "all":
                raise DataError(f"{path}: {name}: {err}") from None
            skipped[name] = str(err)
            continue
        estimates.append(result.as_dict())
    return {
        "run": loaded.name,
        "path": str(loaded.path),
        "x": args.x,
        "y": args.y,
        "n": int(x.shape[0]),
        "n_dropped": n_dropped,
        "unit": "nats",
        "estimates": estimates,
        "skipped": skipped,
    }


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
