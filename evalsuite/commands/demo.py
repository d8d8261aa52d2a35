"""Run the main job end to end, offline: train, score, compare, estimate MI, report.

Steps (each resumes when its output exists, so an interrupted demo picks up where it stopped):

  1. generate the arith task (seed 0; or load --task with --data-dir)
  2. train standard, single, dss, mi, mixed (CoT + PoT) and socratic (decomposer + solver) tiny
     students, each under a fixed step budget, two at a time (--jobs), and score each on the
     test split as soon as it is trained; the mixed student three ways: CoT path only, PoT
     path only (both greedy), and a vote over 5 sampled paths of each kind; the single and
     mixed (CoT prompt) students are then probed on their first 100 test examples: early
     answering and a corrupted step (``evalsuite probe``), read by the report's faithfulness
     and rationale-dependence tables
  3. add the teacher as a run
  4. summarise the runs and compare each with the baseline (paired tests, Holm-adjusted)
  5. estimate label-rationale mutual information (every estimator, with its interval)
  6. write the report (tables, figures, summary.md)
  7. print the comparisons, the main table and the command that opens the explorer

Steps 4-6 are one report (``evalsuite report``); the comparisons printed are the report's own.

Checkpoints and runs go under --work (default runs/demo), the report under --out. The same
command with --task svamp (or cqa) and a data directory runs on the DSS release.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from evalsuite.errors import UsageError
from evalsuite.names import RECIPES, RECIPES_LONGEST_FIRST

NAME = "demo"
HELP = "run the main job end to end offline (train, score, compare, MI, report)"

TOTAL_STEPS = 7
MIXED_SAMPLES = 5
MIXED_TEMPERATURE = 0.7
"""The mixed student's vote: 5 sampled paths of each kind at temperature 0.7, the usual
self-consistency setting (sampling at 1.0 makes a tiny student's single paths much worse)."""
PROBED_RECIPES = ("single", "mixed")
DEMO_PROBES = ("early_answering", "corrupted_step")
DEMO_PROBE_LIMIT = 100
"""The joint students probed, the probes, and on how many test examples: enough for an AOC
interval that tells a dependent student from one that ignores its rationale, at a small
share of the demo's time."""
DEMO_NEURAL_SEEDS = 1
DEMO_NEURAL_RESAMPLES = 5
"""Fewer trainings of the neural MI bounds than a full report (3 seeds, 20 half-samples each):
the demo's MI table shows every estimator with an interval in seconds, not minutes."""


@dataclass(frozen=True)
class DemoConfig:
    """What the demo runs. Validated once; the CLI is the only place that builds it."""

    task: str = "arith"
    data_dir: str | None = None
    work: str = "runs/demo"
    out: str = "reports/demo"
    model: str = "tiny-llama"
    """The students' architecture (a name of ``trainers.student.TINY_MODELS``). Measured on
    arith (standard, 1200 steps, batch 16, lr 1e-3, 1.2 and 1.3 M parameters): the tiny llama
    (6 layers, rotary positions) 96.0 % test accuracy, the tiny 3+3 T5 64.2 %. The T5 copies
    numbers from the wrong place (its cross-attention sees no positions); the llama does not."""
    max_steps: int = 800
    """Measured on arith with the tiny llama (batch 16, lr 1e-3, 10 000 problems), test accuracy
    after 400 steps: dss 95.8 %, mi 95.0 %, single 94.6 %, but the mixed student's vote 12.0 %
    (valid 13.5 %; each of its two paths learns at half weight) and socratic 8.0 % (neither of
    its students copies numbers yet); after 800 the mixed student's vote 96.2 %, and socratic
    39.8 % with equation sub-answers (decomposer valid 50.0 %, solver 82.2 %). Cheaper budgets
    tried for the 5-minute demo of issue 15 all fell short (valid accuracy): mixed after 400
    steps at lr 2e-3 32.0 %, at 3e-3 31.0 %; 600 steps at 2e-3 36.0 %; batch 8 for 800 steps at
    2e-3 32.0 %; 2+2 layers for 600 steps 33.5 %; width 64 (2.1x faster steps) for 600 steps
    at 3e-3 33.0 %; standard after 600 steps at 1e-3 67.0 %. Mixed crosses over between 400
    (48.0 %, valid loss 0.23) and 800 steps (96.0 %, 0.09): each budget that is cheaper in
    examples seen leaves its CoT path copying the wrong numbers from its own wrong arithmetic."""
    n_train: int = 10_000
    seed: int = 0
    baseline: str = "standard"
    jobs: int = 2

    def __post_init__(self) -> None:
        from evalsuite.parallel import check_jobs
        from evalsuite.tasks import get_task
        from trainers.student import TINY_MODELS

        get_task(self.task)
        if self.max_steps < 1:
            raise UsageError(f"--max-steps must be >= 1, got {self.max_steps}")
        if self.n_train < 1:
            raise UsageError(f"--arith-train must be >= 1, got {self.n_train}")
        check_jobs(self.jobs)
        if self.model not in TINY_MODELS:
            raise UsageError(f"--model must be one of {', '.join(TINY_MODELS)}, got {self.model!r}")

    @property
    def checkpoints(self) -> Path:
        return Path(self.work) / "ckpt"

    @property
    def runs(self) -> Path:
        return Path(self.work) / "runs"


def _field_defaults() -> Any:
    """DemoConfig's field defaults, read without building one: validating a config imports the
    trainer (torch), and `evalsuite --help` builds every verb's parser without importing it."""
    return argparse.Namespace(**{field.name: field.default for field in fields(DemoConfig)})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = _field_defaults()
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
        "--model",
        default=defaults.model,
        metavar="NAME",
        help=f"tiny student architecture: tiny (T5), tiny-gpt2 or tiny-llama ({defaults.model})",
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
    parser.add_argument(
        "--jobs",
        type=int,
        default=defaults.jobs,
        metavar="N",
        help=f"students trained side by side, one torch thread each ({defaults.jobs}; "
        "1: one after another with every thread)",
    )


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


def _train_student(config: DemoConfig, recipe: str) -> Path:
    from evalsuite.data import ArithConfig
    from trainers.config import make_config
    from trainers.loop import train

    out = config.checkpoints / f"{config.task}-{recipe}"
    print(f"      {recipe}: {out}", file=sys.stderr, flush=True)
    result = train(
        make_config(
            recipe=recipe,
            task=config.task,
            data_dir=config.data_dir,
            out=out,
            model=config.model,
            max_steps=config.max_steps,
            eval_every=max(1, config.max_steps // 2),
            arith=ArithConfig(n_train=config.n_train),
            seed=config.seed,
        )
    )
    return result.out


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


def _score_student(config: DemoConfig, recipe: str, checkpoint: Path) -> list[Path]:
    from evalsuite.scoring.scorer import ScoreConfig, score_checkpoint

    runs = []
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
    if recipe in PROBED_RECIPES:
        runs.append(_probe_student(config, recipe, checkpoint))
    return runs


def _probe_student(config: DemoConfig, recipe: str, checkpoint: Path) -> Path:
    """Early answering and a corrupted step on the student's first test examples."""
    from evalsuite.probes.runner import ProbeConfig, probe_checkpoint

    out = config.runs / f"{config.task}-{recipe}-probe-test"
    probes = ProbeConfig(probes=DEMO_PROBES, task=config.task, split="test",
                         data_dir=config.data_dir, limit=DEMO_PROBE_LIMIT, batch_size=64,
                         progress=False)  # fmt: skip
    probe_checkpoint(checkpoint, probes, out=out)
    return out


def student_job(config: DemoConfig, recipe: str) -> list[Path]:
    """Train one student, then score it: the unit of work a worker process takes."""
    return _score_student(config, recipe, _train_student(config, recipe))


def _train_and_score(config: DemoConfig) -> list[Path]:
    """Every student trained and scored, ``config.jobs`` at a time, one torch thread each (or
    one after another with every thread, for ``jobs=1``; :mod:`evalsuite.parallel`). The runs
    come back in :data:`~evalsuite.names.RECIPES` order whatever order they finish in."""
    from functools import partial

    from evalsuite.parallel import run_side_by_side

    done = run_side_by_side(
        partial(student_job, config),
        list(RECIPES),
        jobs=config.jobs,
        longest_first=RECIPES_LONGEST_FIRST.index,
    )
    return [run for runs in done for run in runs]


def _import_teacher(config: DemoConfig) -> Path:
    from evalsuite.runs.imports import import_teacher

    out = config.runs / f"{config.task}-teacher-test"
    import_teacher(config.task, "test", out=out, data_dir=config.data_dir)
    return out


class ReportProgress:
    """The report's progress lines, with the demo's step line printed as each phase begins
    (summaries and comparisons, mutual information, then tables and figures)."""

    PHASES = (
        ("summarising", 4, "summarising the runs and comparing each with {baseline} (paired "
         "bootstrap, Holm-adjusted)"),
        ("choosing KSG", 5, "estimating label-rationale mutual information (every estimator)"),
        ("estimating MI", 5, "estimating label-rationale mutual information (every estimator)"),
        ("fitting a temperature", 6, "writing the report's tables and figures"),
        ("drawing figures", 6, "writing the report's tables and figures"),
    )  # fmt: skip

    def __init__(self, baseline: str) -> None:
        self.baseline = baseline
        self.step = 3

    def __call__(self, text: str) -> None:
        for marker, step, title in self.PHASES:
            if marker in text and step > self.step:
                self.step = step
                _step(step, title.format(baseline=self.baseline))
        print(f"      {text}", file=sys.stderr)


def demo_report_config(config: DemoConfig) -> Any:
    """The demo's ReportConfig: every MI estimator with its interval, but each neural bound
    (InfoNCE, NWJ, SMILE, CLUB) trained once on the full sample and on
    :data:`DEMO_NEURAL_RESAMPLES` half-samples, where ``evalsuite report`` trains three and 20.
    report.json records it, and the MI table's notes say so."""
    from evalsuite.report.config import ReportConfig

    return ReportConfig(
        baseline=config.baseline,
        overwrite=True,
        mi_seeds=DEMO_NEURAL_SEEDS,
        mi_neural_resamples=DEMO_NEURAL_RESAMPLES,
    )


def run_demo(config: DemoConfig) -> dict[str, Any]:
    """Run every step; return where things went and the main table as Markdown."""
    from evalsuite.commands.compare import print_comparison
    from evalsuite.report.build import build_report
    from evalsuite.report.runs import read_runs
    from evalsuite.report.tables import render_markdown

    _step(1, f"data: task {config.task}")
    _describe_data(config)
    _step(
        2,
        f"training {', '.join(RECIPES)} {config.model} students ({config.max_steps} steps each, "
        f"{config.jobs} at a time), each scored on the test split once trained (mixed: CoT "
        f"only, PoT only, and a vote over {MIXED_SAMPLES} sampled paths of each kind)",
    )
    runs = _train_and_score(config)
    _step(3, "adding the teacher as a run")
    runs.append(_import_teacher(config))
    result = build_report(
        read_runs(runs),
        config.out,
        demo_report_config(config),
        progress=ReportProgress(config.baseline),
    )
    for comparison in result.document["comparisons"]:  # computed once, by the report
        print_comparison(comparison["result"])
    if result.mi is not None:
        print(render_markdown(result.mi), file=sys.stderr)
    _step(7, f"report written to {config.out}; the main table, the mixed student's single "
          "paths next to its vote, which students' answers depend on their rationale")  # fmt: skip
    dependence = result.tables["dependence"]
    tables = [render_markdown(t) for t in (result.main, result.paths, dependence) if t is not None]
    tables += result.document["dependence"]["findings"]
    return {"runs": runs, "report": result, "tables": "\n".join(tables)}


def run(args: argparse.Namespace) -> int:
    config = DemoConfig(
        task=args.task,
        data_dir=args.data_dir,
        work=args.work,
        out=args.out,
        model=args.model,
        max_steps=args.max_steps,
        n_train=args.arith_train,
        seed=args.seed,
        jobs=args.jobs,
    )
    outcome = run_demo(config)
    print(outcome["tables"])
    print(f"Report: {config.out}/summary.md (tables in {config.out}/tables, figures in "
          f"{config.out}/figures)")  # fmt: skip
    print(f"Explore the runs: {explorer_command(config.runs)}")
    return 0
