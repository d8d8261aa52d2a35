"""Accuracy with intervals, calibration and rationale metrics of a run.

Computed from records.jsonl (so always current, whatever metrics.json says). Rates carry their
counts and a Wilson 95 % interval. ``--figures DIR`` also writes the binned and the smooth
reliability diagrams as PNG and PDF.

  evalsuite metrics runs/dss-svamp
  evalsuite metrics runs/dss-svamp --json
  evalsuite metrics runs/dss-svamp --figures reports/dss-svamp
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evalsuite.commands.common import add_json_argument, print_json

NAME = "metrics"
HELP = "accuracy with intervals, calibration and rationale metrics of a run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory")
    parser.add_argument(
        "--figures",
        metavar="DIR",
        help="also write reliability diagrams (binned and smooth) as PNG and PDF into DIR",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the ECE bootstrap interval (default 0)"
    )
    add_json_argument(parser)


def format_rate(rate: dict[str, Any] | None) -> str:
    """``80.00 %  [49.02, 94.33]  (8/10)``, or ``n/a`` for a rate that applies to no record."""
    if rate is None or rate.get("value") is None:
        return "n/a"
    return (
        f"{100 * rate['value']:6.2f} %  [{100 * rate['low']:.2f}, {100 * rate['high']:.2f}]"
        f"  ({rate['k']}/{rate['n']})"
    )


def _same_answer(manifest: dict[str, Any]) -> Any:
    """The run's task comparison for teacher agreement, when the manifest names a known task."""
    from evalsuite.tasks import TASKS

    task = TASKS.get(str(manifest.get("task")))
    return task.same_answer if task is not None else None


def _print_table(name: str, summary: dict[str, Any]) -> None:
    print(f"run {name}: {summary['n']} examples")
    for label, key in (
        ("accuracy", "accuracy"),
        ("extraction failure", "extraction_failure"),
        ("rationale-label consistency", "consistency"),
        ("agreement with teacher", "teacher_agreement"),
    ):
        print(f"  {label:<28} {format_rate(summary[key])}")

    cal = summary["calibration"]
    if cal is None:
        print("calibration: no record has a confidence")
    else:
        interval = cal["ece_interval"]
        print(f"calibration ({cal['n']} records with a confidence)")
        print(
            f"  {'ECE, 10 equal-width bins':<28} {cal['ece']:.4f}  "
            f"[{interval['low']:.4f}, {interval['high']:.4f}] (bootstrap 95 %)"
        )
        for label, key in (
            ("ECE, 15 equal-width bins", "ece_15"),
            ("ECE, 10 equal-mass bins", "ece_equal_mass"),
            ("MCE, 10 equal-width bins", "mce"),
            ("smooth ECE", "smooth_ece"),
            ("Brier score", "brier"),
            ("MMCE", "mmce"),
            ("AURC (risk-coverage)", "aurc"),
        ):
            print(f"  {label:<28} {cal[key]:.4f}")
        if cal["classwise_ece"] is not None:
            print(f"  {'classwise ECE, 10 bins':<28} {cal['classwise_ece']:.4f}")
        sel = cal["selective"]
        print(
            f"  {'accuracy at 50 % coverage':<28} {100 * sel['accuracy'][4]:.2f} %  "
            f"(most confident half; all: {100 * sel['accuracy'][-1]:.2f} %)"
        )
        rel = cal["reliability"]
        print("  reliability (10 bins): bin, count, accuracy, mean confidence")
        for b, count in enumerate(rel["counts"]):
            span = f"[{rel['edges'][b]:.1f}, {rel['edges'][b + 1]:.1f}{']' if b == 9 else ')'}"
            if count == 0:
                print(f"    {span:<12} {count:>6}   (empty)")
            else:
                print(
                    f"    {span:<12} {count:>6}   {rel['accuracy'][b]:.3f}   "
                    f"{rel['confidence'][b]:.3f}"
                )

    rat = summary["rationale"]
    if rat is None:
        print("rationales: none in this run")
    else:
        length = rat["length"]
        print(f"rationales ({rat['n']} records)")
        print(
            f"  {'length (words)':<28} mean {length['mean']:.1f}, median {length['median']:.1f}, "
            f"range {length['min']}-{length['max']}"
        )
        if rat["bleu"] is None:
            print(f"  {'overlap with teacher':<28} n/a (no teacher rationales)")
        else:
            print(
                f"  {'overlap with teacher':<28} BLEU {rat['bleu']:.2f}, "
                f"ROUGE-L F1 {rat['rouge_l']:.4f}  ({rat['n_with_teacher']} pairs)"
            )
    _print_paths(summary.get("paths"))


def _print_paths(paths: dict[str, Any] | None) -> None:
    """The reasoning-paths block (mixed and Socratic students); rates count paths."""
    if paths is None:
        return
    print(f"reasoning paths ({paths['n']} records with paths)")
    for kind, rate in paths["accuracy_by_kind"].items():
        print(f"  {'accuracy of ' + kind + ' paths':<28} {format_rate(rate)}")
    for label, key in (
        ("voting accuracy", "voting_accuracy"),
        ("PoT execution failures", "pot_failure"),
        ("agreement, all path pairs", "agreement"),
        ("agreement, CoT-PoT pairs", "cot_pot_agreement"),
    ):
        if paths[key] is not None:  # e.g. no PoT failures or CoT-PoT pairs for Socratic chains
            print(f"  {label:<28} {format_rate(paths[key])}")


def _write_figures(records: list[dict[str, Any]], name: str, out: Path) -> list[Path]:
    from evalsuite.errors import UsageError
    from evalsuite.report.reliability import (
        plot_smooth_reliability_diagram,
        reliability_figure,
        save_figure,
    )

    scored = [r for r in records if r.get("confidence") is not None]
    if not scored:
        raise UsageError(
            f"--figures {out}: no record has a confidence, so there is nothing to draw"
        )
    if out.exists() and not out.is_dir():
        raise UsageError(f"--figures {out}: exists and is not a directory")
    prob = [r["confidence"] for r in scored]
    hit = [bool(r["correct"]) for r in scored]
    paths = save_figure(reliability_figure(prob, hit, title=name), out / "reliability")
    paths += save_figure(
        plot_smooth_reliability_diagram(prob, hit, title=name), out / "reliability_smooth"
    )
    return paths


def run(args: argparse.Namespace) -> int:
    from evalsuite.metrics.summary import summarize_run
    from evalsuite.scoring.rundir import read_run

    loaded = read_run(args.run)
    summary = summarize_run(
        loaded.records, same_answer=_same_answer(loaded.manifest), rng=args.seed
    )
    if args.figures:
        for path in _write_figures(loaded.records, loaded.name, Path(args.figures)):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print_json({"run": loaded.name, "path": str(loaded.path), **summary})
    else:
        _print_table(loaded.name, summary)
    return 0
