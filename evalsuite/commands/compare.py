"""Paired significance tests between runs of the same examples.

Runs are aligned by example id; runs over different examples (or with different gold labels)
are refused with a message naming an id, unless --intersect keeps the shared examples.

Two runs: accuracy difference with the chosen paired test (--test), plus the paired bootstrap
of the ECE difference when both runs have confidences. Three or more: Cochran's Q, then every
pair with the chosen test and Holm-adjusted p-values. --group NAME=RUN,RUN,... gathers runs of
one system over several seeds: mean +- sd of accuracy, and Welch's t-test across seeds.

  evalsuite compare runs/dss runs/standard
  evalsuite compare runs/a runs/b runs/c --test mcnemar --json
  evalsuite compare --group dss=runs/dss-s1,runs/dss-s2,runs/dss-s3 \\
                    --group std=runs/std-s1,runs/std-s2,runs/std-s3
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from evalsuite.commands.common import add_json_argument, print_json
from evalsuite.errors import UsageError
from evalsuite.formatting import format_rate, p_value_text
from evalsuite.names import PAIRED_TESTS

NAME = "compare"
HELP = "paired significance tests between runs of the same examples"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="*", metavar="RUN", help="two or more run directories")
    parser.add_argument(
        "--test",
        default="bootstrap",
        choices=PAIRED_TESTS.names,
        help="paired test of the accuracy difference (default: bootstrap)",
    )
    parser.add_argument(
        "--intersect",
        action="store_true",
        help="compare on the examples all runs share (same id and gold) instead of refusing",
    )
    parser.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME=RUN,RUN,...",
        help="runs of one system over several seeds (repeatable)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the resampling tests")
    parser.add_argument(
        "--n-resamples",
        type=int,
        default=10_000,
        help="bootstrap / permutation resamples (default 10000)",
    )
    add_json_argument(parser)


def parse_groups(specs: Sequence[str]) -> list[tuple[str, list[str]]]:
    """``["dss=a,b"]`` -> ``[("dss", ["a", "b"])]``, refusing malformed or repeated names."""
    groups: list[tuple[str, list[str]]] = []
    for spec in specs:
        name, sep, rest = spec.partition("=")
        runs = [r for r in rest.split(",") if r.strip()]
        if not sep or not name.strip() or not runs:
            raise UsageError(f"--group {spec!r}: expected NAME=RUN,RUN,...")
        if any(name.strip() == g for g, _ in groups):
            raise UsageError(f"--group {spec!r}: group name '{name.strip()}' is given twice")
        groups.append((name.strip(), [r.strip() for r in runs]))
    return groups


def print_comparison(result: dict[str, Any]) -> None:
    """The readable form of a comparison result (what `evalsuite compare` prints)."""
    dropped = result["dropped"]
    note = ""
    if dropped["missing"] or dropped["gold_differs"]:
        note = (
            f" (--intersect dropped {dropped['missing'] + dropped['gold_differs']}: "
            f"{dropped['missing']} not in every run, {dropped['gold_differs']} with differing gold)"
        )
    print(f"{result['n']} paired examples{note}")
    width = max(len(r["name"]) for r in result["runs"])
    for run in result["runs"]:
        print(f"  {run['name']:<{width}}  accuracy {format_rate(run['accuracy'])}")

    pair = result.get("pair")
    if pair:
        line = f"{pair['a']} - {pair['b']}: accuracy difference {100 * pair['difference']:+.2f} pts"
        if pair["low"] is not None:
            line += f" [{100 * pair['low']:+.2f}, {100 * pair['high']:+.2f}]"
        extra = ""
        if "only_a_correct" in pair:
            extra = f" (b={pair['only_a_correct']}, c={pair['only_b_correct']})"
        p = p_value_text(pair["p_value"], pair.get("n_resamples"))
        print(f"{line}, {pair['test']} p {p}{extra}")
        ece = result.get("ece_pair")
        if ece:
            print(
                f"{ece['a']} - {ece['b']}: ECE difference {ece['difference']:+.4f} "
                f"[{ece['low']:+.4f}, {ece['high']:+.4f}], paired bootstrap p "
                f"{p_value_text(ece['p_value'], ece.get('n_resamples'))}"
            )
        else:
            print("ECE difference: n/a (not every paired record has a confidence)")
    if "cochran_q" in result:
        q = result["cochran_q"]
        print(f"Cochran's Q = {q['statistic']:.3f} (df {q['df']}), p {p_value_text(q['p_value'])}")
        print(f"pairwise {result['test']} tests, Holm-adjusted:")
        for row in result["pairwise"]:
            print(
                f"  {row['a']} - {row['b']}: {100 * row['difference']:+.2f} pts, "
                f"p {p_value_text(row['p_value'])}, Holm p {p_value_text(row['p_holm'])}"
            )
    if "groups" in result:
        print("groups (accuracy over seeds):")
        for g in result["groups"]:
            sd = "n/a" if g["sd"] is None else f"{100 * g['sd']:.2f}"
            print(f"  {g['name']}: {100 * g['mean']:.2f} % +- {sd} (sd, {len(g['values'])} runs)")
        if result["group_tests"] is None:
            print("  no test across seeds: it needs two or more groups of two or more runs")
        else:
            for row in result["group_tests"]:
                print(
                    f"  {row['a']} - {row['b']}: {100 * row['difference']:+.2f} pts, Welch "
                    f"p {p_value_text(row['p_value'])}, Holm p {p_value_text(row['p_holm'])}"
                )


def run(args: argparse.Namespace) -> int:
    from evalsuite.analysis.comparison import compare_runs

    result = compare_runs(
        args.runs,
        parse_groups(args.group),
        test=args.test,
        intersect=args.intersect,
        seed=args.seed,
        n_resamples=args.n_resamples,
    )
    if args.json:
        print_json(result)
    else:
        print_comparison(result)
    return 0
