"""Run the main job end to end, offline: train, score, compare, estimate MI, report.

Steps (each resumes when its output exists, so an interrupted demo picks up where it stopped):

  1. generate the arith task (seed 0; or load --task with --data-dir)
  2. train standard, single, dss, mi, mixed (CoT + PoT) and socratic (decomposer + solver) tiny
     students, each under a fixed step budget
  3. score each student on the test split; the mixed student three ways: CoT path only, PoT
     path only (both greedy), and a vote over 5 sampled paths of each kind
  4. add the teacher as a run
  5. compare the runs with paired significance tests
  6. estimate label-rationale mutual information
  7. write the report (tables, figures, summary.md)
  8. print the main table and the command that opens the explorer

Checkpoints and runs go under --work (default runs/demo), the report under --out. The same
command with --task svamp (or cqa) and a data directory runs on the DSS release.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalsuite.errors import UsageError
from evalsuite.names import RECIPES

NAME = "demo"
HELP = "run the main job end to end offline (train, score, compare, MI, report)"

TOTAL_STEPS = 8
MIXED_SAMPLES = 5
MIXED_TEMPERATURE = 0.7
"""The mixed student's vote: 5 sampled paths of each kind at temperature 0.7, the usual
self-consistency setting (sampling at 1.0 makes a tiny student's single paths much worse)."""


@dataclass(frozen=True)
class DemoConfig:
    """What the demo runs. Validated once; the CLI is the only place that builds it."""

    task: str = "arith"
    data_dir: str | None = None
    work: str = "runs/demo"
    out: str = "reports/demo"
    max_steps: int = 400
    n_train: int = 10_000
    seed: int = 0
    baseline: str = "standard"

    def __post_init__(self) -> None:
        from evalsuite.tasks import get_task

        get_task(self.task)
        if self.max_steps < 1:
            raise UsageError(f"--max-steps must be >= 1, got {self.max_steps}")
        if self.n_train < 1:
            raise UsageError(f"--arith-train must be >= 1, got {self.n_train}")

    @property
    def checkpoints(self) -> Path:
        return Path(self.work) / "ckpt"

    @property
    def runs(self) -> Path:
        return Path(self.work) / "runs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = DemoConfig()
    parser.add_argument("--task", default=defaults.task, help="task (default: arith, no data)")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="DSS release root for a release task ($EVALSUITE_DATA)"
    )
    parser.add_argument(
        "--work", default=defaults.work, metavar="DIR", help="checkpoints and runs (runs/demo)"
    )
    parser.add_argument(
        "--out", default=defaults.out, metavar="DIR", help="report directory (reports/demo)"
    )
    parser.add_argument(
        "--max-steps",
        type=int,
        default=defaults.max_steps,
        metavar="N",
        help=f"training steps per student ({defaults.max_steps})",
    )
    parser.add_argument(
        "--arith-train",
        type=int,
        default=defaults.n_train,
        metavar="N",
        help=f"arith training problems ({defaults.n_train}; fewer and the tiny students memorise)",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="training seed (0)")


def _step(k: int, text: str) -> None:
    print(f"[{k}/{TOTAL_STEPS}] {text}", file=sys.stderr, flush=True)


def _describe_data(config: DemoConfig) -> None:
    from evalsuite.commands.data import teacher_accuracy_text
    from evalsuite.data import ArithConfig
    from evalsuite.data.summary import summarize_split

    arith = ArithConfig(n_train=config.n_train)
    for split in ("train", "valid", "test"):
        s = summarize_split(config.task, split, data_dir=config.data_dir, arith=arith)
        print(
            f"      {split:5s} {s.n_examples:5d} examples, teacher accuracy "
            f"{teacher_accuracy_text(s)}",
            file=sys.stderr,
        )


def explorer_command(runs: str | Path) -> str:
    """The command that opens the explorer on ``runs``, runnable from any shell as printed: this
    interpreter's streamlit (no activated environment needed) and absolute paths.

    >>> "-m streamlit run" in explorer_command("runs/demo/runs")
    True
    """
    app = Path(__file__).resolve().parents[2] / "app.py"  # the checkout's app.py
    where = str(app) if app.is_file() else "app.py"  # installed without the checkout
    runs_dir = str(Path(runs).resolve())
    no_stats = ["--browser.gatherUsageStats", "false"]  # an offline tool sends nothing
    return shlex.join(
        [sys.executable, "-m", "streamlit", "run", where, *no_stats, "--", "--runs", runs_dir]
    )


def _train_students(config: DemoConfig) -> dict[str, Path]:
    from evalsuite.data import ArithConfig
    from trainers.config import make_config
    from trainers.loop import train

    checkpoints = {}
    for recipe in RECIPES:
        out = config.checkpoints / f"{config.task}-{recipe}"
        print(f"      {recipe}: {out}", file=sys.stderr, flush=True)
        result = train(
            make_config(
                recipe=recipe,
                task=config.task,
                data_dir=config.data_dir,
                out=out,
                max_steps=config.max_steps,
                eval_every=max(1, config.max_steps // 2),
                arith=ArithConfig(n_train=config.n_train),
                seed=config.seed,
            )
        )
        checkpoints[recipe] = result.out
    return checkpoints


def _scorings(recipe: str) -> list[tuple[str, dict[str, Any]]]:
    """(run name suffix, ScoreConfig options) for each way a student is scored."""
    from evalsuite.scoring.decoding import DecodingConfig

    if recipe != "mixed":
        return [(recipe, {})]
    vote = DecodingConfig(num_samples=MIXED_SAMPLES, temperature=MIXED_TEMPERATURE)
    return [
        ("mixed-cot", {"paths": "cot"}),
        ("mixed-pot", {"paths": "pot"}),
        ("mixed", {"paths": "multi", "decoding": vote}),
    ]


def _score_students(config: DemoConfig, checkpoints: dict[str, Path]) -> list[Path]:
    from evalsuite.scoring.scorer import ScoreConfig, score_checkpoint

    runs = []
    for recipe, checkpoint in checkpoints.items():
        for name, options in _scorings(recipe):
            out = config.runs / f"{config.task}-{name}-test"
            score_checkpoint(
                checkpoint,
                ScoreConfig(
                    task=config.task,
                    split="test",
                    data_dir=config.data_dir,
                    batch_size=64,
                    **options,
                ),
                out=out,
            )
            runs.append(out)
    return runs


def _import_teacher(config: DemoConfig) -> Path:
    from evalsuite.runs.imports import import_teacher

    out = config.runs / f"{config.task}-teacher-test"
    import_teacher(config.task, "test", out=out, data_dir=config.data_dir)
    return out


def run_demo(config: DemoConfig) -> dict[str, Any]:
    """Run every step; return where things went and the main table as Markdown."""
    from evalsuite.analysis.comparison import compare_runs
    from evalsuite.commands.compare import print_comparison
    from evalsuite.report.build import ReportConfig, build_report
    from evalsuite.report.runs import read_runs
    from evalsuite.report.tables import render_markdown

    _step(1, f"data: task {config.task}")
    _describe_data(config)
    _step(2, f"training {', '.join(RECIPES)} students ({config.max_steps} steps each)")
    checkpoints = _train_students(config)
    _step(
        3,
        "scoring each student on the test split (mixed: CoT only, PoT only, and a vote over "
        f"{MIXED_SAMPLES} sampled paths of each kind)",
    )
    runs = _score_students(config, checkpoints)
    _step(4, "adding the teacher as a run")
    runs.append(_import_teacher(config))
    _step(5, "comparing the runs (paired tests, Holm-adjusted)")
    comparison = compare_runs(
        [str(p) for p in runs], [], test="bootstrap", intersect=False, seed=0, n_resamples=10_000
    )
    print_comparison(comparison)
    _step(6, "estimating label-rationale mutual information, then 7: writing the report")
    result = build_report(
        read_runs(runs),
        config.out,
        ReportConfig(baseline=config.baseline, overwrite=True),
        progress=lambda text: print(f"      {text}", file=sys.stderr),
    )
    if result.mi is not None:
        print(render_markdown(result.mi), file=sys.stderr)
    _step(7, f"report written to {config.out}")
    _step(8, "main table, and the mixed student's single paths next to its vote")
    tables = [render_markdown(t) for t in (result.main, result.paths) if t is not None]
    return {"runs": runs, "report": result, "tables": "\n".join(tables)}


def run(args: argparse.Namespace) -> int:
    config = DemoConfig(
        task=args.task,
        data_dir=args.data_dir,
        work=args.work,
        out=args.out,
        max_steps=args.max_steps,
        n_train=args.arith_train,
        seed=args.seed,
    )
    outcome = run_demo(config)
    print(outcome["tables"])
    print(f"Report: {config.out}/summary.md (tables in {config.out}/tables, figures in "
          f"{config.out}/figures)")  # fmt: skip
    print(f"Explore the runs: {explorer_command(config.runs)}")
    return 0
