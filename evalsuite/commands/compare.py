"""Paired significance tests between runs of the same examples.

Runs are aligned by example id; runs over different examples (or with different gold labels)
are refused with a message naming an id, unless --intersect keeps the shared examples.

Two runs: accuracy difference with its paired bootstrap interval (the same whatever --test) and
the decision of the chosen paired test (--test) at --alpha, with the method, B and the number
of shared examples; plus the paired bootstrap of the ECE difference when both runs have
confidences. Three or more: Cochran's Q, then every pair with the chosen test and Holm-adjusted
p-values. --group NAME=RUN,RUN,... gathers runs of one system over several seeds: mean and sd
of accuracy, and Welch's t-test across seeds. Resampling p-values are at least 1/(B+1).

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
from evalsuite.formatting import format_rate, interval_text, p_value_text
from evalsuite.names import GROUP_TEST, PAIRED_TESTS, TEST_LABELS

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
    parser.add_argument(
        "--alpha",
        type=float,
        default=0.05,
        help="level of the decisions, and 1 - the level of the intervals (default 0.05)",
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


def _method(row: dict[str, Any], label: str | None = None) -> str:
    """How a test row was obtained: ``paired bootstrap, B = 10000, n = 200 shared``."""
    parts = [label or TEST_LABELS.get(row["test"], row["test"])]
    if row.get("n_resamples"):
        parts.append(f"B = {row['n_resamples']}")
    unit = "runs" if row["test"] == GROUP_TEST else "shared"
    parts.append(f"n = {row.get('n_shared', row['n'])} {unit}")
    return ", ".join(parts)


def _difference_line(pair: dict[str, Any], what: str, scale: float, digits: int) -> str:
    """``a - b: accuracy difference +30.00 pts [+23.00, +37.00] (paired bootstrap 95 % ...)``."""
    unit = " pts" if scale == 100 else ""
    line = f"{pair['a']} - {pair['b']}: {what} difference {scale * pair['difference']:+.{digits}f}"
    line += unit
    if pair.get("low") is not None:
        interval = pair.get("interval") or {
            "level": 1 - pair["alpha"],
            "method": "paired bootstrap percentile",
        }
        ends = interval_text(scale * pair["low"], scale * pair["high"], digits=digits, signed=True)
        line += f" {ends} ({interval['method']} {100 * interval['level']:g} % interval)"
    return line


def _decision_line(row: dict[str, Any], label: str | None = None) -> str:
    """``significant at alpha = 0.05 (paired bootstrap, B = 10000, n = 200 shared), p = ...``."""
    return f"  {row['decision']} ({_method(row, label)}), p {p_value_text(row['p_value'])}"


def print_comparison(result: dict[str, Any]) -> None:
    """The readable form of a comparison result (what `evalsuite compare` prints)."""
    dropped = result["dropped"]
    note = ""
    if dropped["missing"] or dropped["gold_differs"]:
        note = (
            f" (--intersect dropped {dropped['missing'] + dropped['gold_differs']}: "
            f"{dropped['missing']} not in every run, {dropped['gold_differs']} with differing gold)"
        )
    print(f"{result['n']} shared examples, paired by id{note}")
    width = max(len(r["name"]) for r in result["runs"])
    for run in result["runs"]:
        print(f"  {run['name']:<{width}}  accuracy {format_rate(run['accuracy'])}")

    pair = result.get("pair")
    if pair:
        extra = ""
        if "only_a_correct" in pair:
            extra = f"; only a right: {pair['only_a_correct']}, only b: {pair['only_b_correct']}"
        print(_difference_line(pair, "accuracy", 100, 2))
        print(_decision_line(pair) + extra)
        ece = result.get("ece_pair")
        if ece:
            print(_difference_line(ece, "ECE", 1, 4))
            print(_decision_line(ece, "paired bootstrap of the ECE difference"))
        else:
            print("ECE difference: n/a (not every paired record has a confidence)")
    if "cochran_q" in result:
        q = result["cochran_q"]
        verdict = "significant" if q["significant"] else "not significant"
        print(
            f"Cochran's Q = {q['statistic']:.3f} (df {q['df']}, n = {result['n']} shared), "
            f"p {p_value_text(q['p_value'])}: {verdict} at alpha = {result['alpha']:g}"
        )
        print(f"pairwise {TEST_LABELS[result['test']]} tests, Holm-adjusted:")
        for row in result["pairwise"]:
            verdict = "significant" if row["significant_holm"] else "not significant"
            print(
                f"  {row['a']} - {row['b']}: {100 * row['difference']:+.2f} pts "
                f"{interval_text(100 * row['low'], 100 * row['high'], digits=2, signed=True)}, "
                f"p {p_value_text(row['p_value'])}, Holm p {p_value_text(row['p_holm'])}: "
                f"{verdict} at alpha = {result['alpha']:g} ({_method(row)})"
            )
    if "groups" in result:
        print("groups (accuracy over seeds):")
        for g in result["groups"]:
            sd = "n/a" if g["sd"] is None else f"{100 * g['sd']:.2f}"
            print(f"  {g['name']}: mean {100 * g['mean']:.2f} %, sd {sd} ({len(g['values'])} runs)")
        if result["group_tests"] is None:
            print("  no test across seeds: it needs two or more groups of two or more runs")
        else:
            for row in result["group_tests"]:
                verdict = "significant" if row["significant_holm"] else "not significant"
                print(
                    f"  {row['a']} - {row['b']}: {100 * row['difference']:+.2f} pts, Welch "
                    f"p {p_value_text(row['p_value'])}, Holm p {p_value_text(row['p_holm'])}: "
                    f"{verdict} at alpha = {result['alpha']:g} ({_method(row)})"
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
        alpha=args.alpha,
    )
    if args.json:
        print_json(result)
    else:
        print_comparison(result)
    return 0
