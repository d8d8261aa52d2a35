"""Accuracy with intervals, calibration and rationale metrics of a run.

Computed from records.jsonl (so always current, whatever metrics.json says). Rates carry their
counts and a Wilson 95 % interval, printed as [low, high]. ``--confidence`` chooses which record
confidence the calibration numbers use: the answer's (default), the length-normalised or the
whole-sequence one (docs/confidence.md). ``--figures DIR`` also writes the binned and the smooth
reliability diagrams as PNG and PDF.

  evalsuite metrics runs/dss-svamp
  evalsuite metrics runs/dss-svamp --json
  evalsuite metrics runs/dss-svamp --confidence sequence
  evalsuite metrics runs/dss-svamp --figures reports/dss-svamp
  evalsuite metrics runs/dss-svamp-test --calibrate-on runs/dss-svamp-valid

``--calibrate-on VALID_RUN`` fits a temperature on the same checkpoint's validation run (never a
test run: refused) and prints the ECE after temperature scaling beside the raw ECE.

A run whose extraction failures exceed 20 % (:mod:`evalsuite.metrics.extraction`) gets one warning
line on stderr, with ``--json`` too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalsuite.commands.common import add_confidence_argument, add_json_argument, print_json
from evalsuite.formatting import format_rate
from evalsuite.names import CONFIDENCE_VARIANTS

if TYPE_CHECKING:
    from evalsuite.metrics.summary import ConfidenceVariant
    from evalsuite.runs import Manifest, Record, Run

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
    add_confidence_argument(parser)
    parser.add_argument(
        "--calibrate-on",
        metavar="VALID_RUN",
        help="the same checkpoint's validation run: fit a temperature there and show the ECE "
        "after temperature scaling (never fitted on test)",
    )
    add_json_argument(parser)


def confidence_text(block: dict[str, Any]) -> str:
    """``answer confidence, P(answer tokens | input, rationale) ('confidence')``: what the
    calibration numbers of a summary were computed on."""
    return f"{CONFIDENCE_VARIANTS[block['variant']]} ('{block['field']}')"


def _coverage_note(loaded: Run) -> str:
    """`` (partial: n = 5 of 200, scored with --limit 5)`` for a partial run, else empty."""
    from evalsuite.report.coverage import run_coverage

    coverage = run_coverage(loaded)
    return f" (partial: {coverage.text})" if coverage.partial else ""


def _same_answer(manifest: Manifest) -> Any:
    """The run's task comparison for teacher agreement, when the manifest names a known task."""
    from evalsuite.tasks import TASKS

    task = TASKS.get(str(manifest.task))
    return task.same_answer if task is not None else None


def _print_table(name: str, summary: dict[str, Any], coverage: str = "") -> None:
    """The readable form of a run's summary; every metric's label and format come from
    :mod:`evalsuite.metrics.registry`."""
    from evalsuite.metrics.registry import CALIBRATION_METRICS, RATE_METRICS

    print(f"run {name}: {summary['n']} examples{coverage}")
    for key, rate_metric in RATE_METRICS.items():
        print(f"  {rate_metric.label:<28} {format_rate(summary.get(key))}")

    cal, used = summary["calibration"], summary["confidence"]
    if cal is None:
        print(
            f"calibration: n/a, no record has a confidence of this kind: "
            f"{confidence_text(used)}, --confidence {used['variant']}"
        )
    else:
        print(f"calibration of the {confidence_text(used)}, {cal['n']} records with one")
        for key, metric in CALIBRATION_METRICS.items():
            value = cal.get(key)
            if value is None:  # e.g. classwise ECE without a closed label set
                continue
            line = f"  {metric.label:<28} {value:{metric.format}}"
            interval = cal.get(metric.interval) if metric.interval else None
            if interval and interval.get("low") is not None:
                low, high = interval["low"], interval["high"]
                line += f"  [{low:{metric.format}}, {high:{metric.format}}] (bootstrap 95 %)"
            print(line)
        _print_temperature(summary.get("temperature_scaling"))
        _print_selective(cal["selective"])
        _print_reliability(cal["reliability"])

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
            print(f"  {'overlap with teacher':<28} n/a (no teacher rationale of the same kind)")
        else:
            print(
                f"  {'overlap with teacher':<28} BLEU {rat['bleu']:.2f}, "
                f"ROUGE-L F1 {rat['rouge_l']:.4f}  ({rat['n_with_teacher']} pairs)"
            )
        skipped = rat.get("skipped_kinds") or {}
        if skipped:
            counts = ", ".join(f"{kind} {n}" for kind, n in skipped.items())
            print(f"  {'not compared (other kind)':<28} {counts} (the teacher's are prose)")
    _print_paths(summary.get("paths"))


def _print_temperature(scaled: dict[str, Any] | None) -> None:
    """ECE after temperature scaling, or why there is none."""
    from evalsuite.analysis.calibration import NO_VALIDATION_RUN

    label = "ECE after temperature scaling"
    if scaled is None:
        print(f"  {label:<28} {NO_VALIDATION_RUN}; pass --calibrate-on VALID_RUN")
        return
    print(
        f"  {label:<28} {scaled['ece_scaled']:.3f}  (raw {scaled['ece_raw']:.3f}; "
        f"T = {scaled['temperature']:.3f} fitted on split '{scaled['fitted_on']}')"
    )


def _print_selective(selective: dict[str, list[float]]) -> None:
    """Accuracy of the most confident half (the coverage level nearest 50 %) and of all."""
    coverage, accuracy = selective["coverage"], selective["accuracy"]
    half = min(range(len(coverage)), key=lambda i: abs(coverage[i] - 0.5))
    print(
        f"  {f'accuracy at {100 * coverage[half]:.0f} % coverage':<28} "
        f"{100 * accuracy[half]:.2f} %  (the most confident; all: {100 * accuracy[-1]:.2f} %)"
    )


def _print_reliability(reliability: dict[str, list[Any]]) -> None:
    """The reliability curve's bins: span, count, accuracy and mean confidence."""
    edges, counts = reliability["edges"], reliability["counts"]
    print(f"  reliability ({len(counts)} bins): bin, count, accuracy, mean confidence")
    for b, count in enumerate(counts):
        last = b == len(counts) - 1
        span = f"[{edges[b]:.1f}, {edges[b + 1]:.1f}{']' if last else ')'}"
        if count == 0:
            print(f"    {span:<12} {count:>6}   (empty)")
        else:
            print(
                f"    {span:<12} {count:>6}   {reliability['accuracy'][b]:.3f}   "
                f"{reliability['confidence'][b]:.3f}"
            )


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


def _write_figures(
    records: list[Record], name: str, out: Path, confidence: ConfidenceVariant
) -> list[Path]:
    from evalsuite.errors import UsageError
    from evalsuite.metrics.summary import record_confidence
    from evalsuite.report.reliability import (
        plot_smooth_reliability_diagram,
        reliability_figure,
        save_figure,
    )

    scored = [
        (p, r.correct) for r in records if (p := record_confidence(r, confidence)) is not None
    ]
    if not scored:
        raise UsageError(
            f"--figures {out}: no record has a confidence of this kind (--confidence "
            f"{confidence}), so there is nothing to draw"
        )
    if out.exists() and not out.is_dir():
        raise UsageError(f"--figures {out}: exists and is not a directory")
    prob = [float(c) for c, _ in scored]
    hit = [ok for _, ok in scored]
    paths = save_figure(reliability_figure(prob, hit, title=name), out / "reliability")
    paths += save_figure(
        plot_smooth_reliability_diagram(prob, hit, title=name), out / "reliability_smooth"
    )
    return paths


def run(args: argparse.Namespace) -> int:
    from evalsuite.metrics.extraction import extraction_warning
    from evalsuite.metrics.summary import summarize_run
    from evalsuite.runs import read_run

    loaded = read_run(args.run)
    scaled = None
    if args.calibrate_on:
        from evalsuite.analysis.calibration import temperature_scaling

        scaled = temperature_scaling(
            loaded, read_run(args.calibrate_on), confidence=args.confidence
        )
    summary = summarize_run(
        loaded.records,
        same_answer=_same_answer(loaded.manifest),
        rng=args.seed,
        confidence=args.confidence,
    )
    if scaled is not None:  # only then: without it the document is the run's metrics.json
        summary["temperature_scaling"] = scaled.as_dict()
    warning = extraction_warning(loaded.name, summary)
    if warning:
        print(warning, file=sys.stderr)
    if args.figures:
        figures = _write_figures(loaded.records, loaded.name, Path(args.figures), args.confidence)
        for path in figures:
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print_json({"run": loaded.name, "path": str(loaded.path), **summary})
    else:
        _print_table(loaded.name, summary, _coverage_note(loaded))
    return 0
