"""Train recipes over a grid of training fractions, teacher-noise levels and seeds; score each
student on the test split; report accuracy against the fraction (the DSS paper's
data-efficiency experiment) or against the noise (the teacher-noise experiment, arith only).

Each point carries its pooled accuracy with a Wilson 95 % interval and the spread over seeds;
at each point every recipe is compared with --baseline by a paired test (seed s against seed s,
example by example), Holm-adjusted over the recipes. Written to --out: report.json (config,
provenance, every number), figures/sweep-<axis>.png and .pdf, tables/sweep-<axis>.tex and .md,
and summary.md with the findings in words.

Checkpoints and runs go under --work, one per point (e.g. dss-f0.25-n0-s1). The same command
resumes: an interrupted point continues from its last saved step or record, a finished point
is not redone, and a point trained with other options is refused before any training.

--jobs points are trained and scored side by side (default 2), each in its own process with one
torch thread, the costliest recipes first; a line is printed as each point finishes. Each
point trains with its own seed whichever worker takes it, so --jobs changes when a point is
done, not what it trains, and the report lists the points in the same order (with one torch
thread, --jobs 1 writes the same records).

--noise corrupts the teacher's labels (--noise-on label, the default: the rationales stay
right) of that share of examples; students then learn from the teacher's labels.

examples:
  evalsuite sweep --recipes standard,dss --fractions 0.1,0.25,1 --seeds 0,1
  evalsuite sweep --recipes standard,dss,mi --noise 0,0.1,0.2,0.4 --out reports/noise \\
      --work runs/noise
  evalsuite sweep --task svamp --recipes standard,dss --fractions 0.125,0.25,0.5,1 \\
      --model ~/t5-v1_1-base
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import MISSING, fields
from types import SimpleNamespace
from typing import Any

from evalsuite.commands.common import add_data_arguments
from evalsuite.names import PAIRED_TESTS, RECIPES
from evalsuite.sweep.plan import NOISE_TARGETS, SweepConfig, SweepPoint

NAME = "sweep"
HELP = "accuracy against the training fraction or the teacher's noise, recipes vs a baseline"


def _listed(kind: Callable[[str], Any], what: str) -> Callable[[str], tuple[Any, ...]]:
    """An argparse type for ``a,b,c``: a tuple of ``kind`` values; a bad item is named."""

    def parse(text: str) -> tuple[Any, ...]:
        items = [item.strip() for item in text.split(",")]
        try:
            return tuple(kind(item) for item in items if item)
        except ValueError:
            bad = next(i for i in items if not _parses(kind, i))
            raise argparse.ArgumentTypeError(f"{bad!r} is not {what}") from None

    return parse


def _parses(kind: Callable[[str], Any], text: str) -> bool:
    try:
        kind(text)
    except ValueError:
        return False
    return True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # The class's field defaults, not an instance: making one would import the data layer.
    defaults = SimpleNamespace(
        **{f.name: f.default for f in fields(SweepConfig) if f.default is not MISSING}
    )
    parser.add_argument(
        "--recipes",
        type=_listed(str, "a recipe"),
        default=("standard", "dss"),
        metavar="R,R,...",
        help=f"recipes to train, among {', '.join(RECIPES)} (default: standard,dss)",
    )
    parser.add_argument(
        "--baseline",
        default=defaults.baseline,
        metavar="RECIPE",
        help=f"the recipe the others are tested against (default: {defaults.baseline})",
    )
    parser.add_argument(
        "--fractions",
        type=_listed(float, "a number"),
        default=defaults.fractions,
        metavar="F,F,...",
        help="fractions of the training split, each in (0, 1] (default: 1)",
    )
    parser.add_argument(
        "--noise",
        type=_listed(float, "a number"),
        default=defaults.noises,
        metavar="P,P,...",
        help="shares of teacher outputs corrupted, arith only (default: 0)",
    )
    parser.add_argument(
        "--noise-on",
        choices=tuple(NOISE_TARGETS),
        default=defaults.noise_on,
        help="what --noise corrupts: the teacher's labels (default), rationales, or both",
    )
    parser.add_argument(
        "--seeds",
        type=_listed(int, "an integer"),
        default=defaults.seeds,
        metavar="S,S,...",
        help="training seeds; each also draws the fraction's subsample (default: 0)",
    )
    parser.add_argument(
        "--label-source",
        choices=("gold", "teacher"),
        help="labels the students learn (default: teacher when some --noise is above 0, else gold)",
    )
    add_data_arguments(parser, task_required=False, split=False)
    parser.set_defaults(task=defaults.task)
    parser.add_argument(
        "--work",
        default=defaults.work,
        metavar="DIR",
        help=f"checkpoints and runs, one per point; resumed (default: {defaults.work})",
    )
    parser.add_argument(
        "--out",
        default=defaults.out,
        metavar="DIR",
        help=f"report directory; an earlier sweep report there is replaced (default: "
        f"{defaults.out})",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        metavar="N",
        help="points trained and scored side by side, one torch thread each (default: 2; 1: "
        "one after another with every thread)",
    )
    training = parser.add_argument_group("training (as `evalsuite train`; unset: its defaults)")
    training.add_argument(
        "--model",
        metavar="NAME|PATH",
        help="tiny (default, a T5), tiny-gpt2, tiny-llama or a local checkpoint directory",
    )
    training.add_argument("--max-steps", type=int, metavar="N")
    training.add_argument("--batch-size", type=int, metavar="N")
    training.add_argument("--lr", type=float)
    training.add_argument("--warmup-steps", type=int, metavar="N")
    training.add_argument("--eval-every", type=int, metavar="N", help="(default: --max-steps)")
    training.add_argument("--tiny", metavar="KEY=VALUE,...", help="tiny student shape")
    training.add_argument(
        "--arith",
        metavar="KEY=VALUE,...",
        help="synthetic task sizes and data seed, e.g. n_train=2000,n_test=500",
    )
    testing = parser.add_argument_group("the tests against the baseline")
    testing.add_argument(
        "--test",
        default=defaults.test,
        choices=PAIRED_TESTS.names,
        help=f"paired test (default: {defaults.test})",
    )
    testing.add_argument("--alpha", type=float, default=defaults.alpha, help="(default: 0.05)")
    testing.add_argument(
        "--n-resamples", type=int, default=defaults.n_resamples, metavar="N",
        help=f"resamples of the bootstrap test and intervals (default: {defaults.n_resamples})",
    )  # fmt: skip


def config_from(args: argparse.Namespace) -> SweepConfig:
    """The validated SweepConfig of the command line (bad values raise UsageError)."""
    from evalsuite.commands.train import parse_overrides, parse_tiny
    from evalsuite.data.arith import ArithConfig

    options: dict[str, Any] = {
        "model": args.model,
        "max_steps": args.max_steps,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "warmup_steps": args.warmup_steps,
        "eval_every": args.eval_every,
    }
    if args.tiny:
        options["tiny"] = parse_tiny(args.tiny)
    return SweepConfig(
        recipes=args.recipes,
        fractions=args.fractions,
        noises=args.noise,
        seeds=args.seeds,
        baseline=args.baseline,
        task=args.task,
        data_dir=args.data_dir,
        work=args.work,
        out=args.out,
        label_source=args.label_source,
        noise_on=args.noise_on,
        arith=parse_overrides(args.arith, ArithConfig(), "--arith"),
        train_options={k: v for k, v in options.items() if v is not None},
        test=args.test,
        alpha=args.alpha,
        n_resamples=args.n_resamples,
    )


class Trainer:
    """The sweep's :class:`evalsuite.sweep.run.PointTrainer` on ``trainers``: each point is a
    ``train`` run (the same config, resume and refusal), evaluated only at its last step unless
    --eval-every says otherwise, so a point's time goes into training."""

    def config(self, config: SweepConfig, point: SweepPoint) -> Any:
        from dataclasses import replace

        from trainers.config import make_config

        training = make_config(
            **config.train_options,
            recipe=point.recipe,
            task=config.task,
            data_dir=config.data_dir,
            out=config.checkpoints / point.name,
            label_source=config.labels,
            train_fraction=point.fraction,
            seed=point.seed,
            arith=config.arith_at(point.noise),
        )
        if "eval_every" in config.train_options:
            return training
        return replace(training, eval_every=training.max_steps)

    def claim(self, config: SweepConfig, point: SweepPoint) -> bool:
        from trainers.checkpointing import claim_output

        return claim_output(config.checkpoints / point.name, self.config(config, point))

    def train(self, config: SweepConfig, point: SweepPoint) -> None:
        from trainers.loop import train

        train(self.config(config, point))


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from evalsuite.parallel import check_jobs
    from evalsuite.report.publish import check_out
    from evalsuite.sweep.analysis import summarize_sweep
    from evalsuite.sweep.plan import plan_points
    from evalsuite.sweep.report import write_sweep_report
    from evalsuite.sweep.run import run_sweep

    config = config_from(args)
    check_jobs(args.jobs)
    check_out(Path(config.out), overwrite=True)  # before any training, not after hours of it
    trainer = Trainer()
    points = plan_points(config)
    for point in points:  # every point's training options are valid before the first trains
        trainer.config(config, point)
    print(f"sweep: {len(points)} students ({len(config.recipes)} recipes x "
          f"{len(config.fractions)} fractions x {len(config.noises)} noise levels x "
          f"{len(config.seeds)} seeds) under {config.work}, {args.jobs} at a time",
          file=sys.stderr)  # fmt: skip
    runs = run_sweep(config, trainer, jobs=args.jobs)
    result = summarize_sweep(config, runs)
    report = write_sweep_report(result, runs, Path(config.out))
    print(report.markdown)
    print("\n".join(report.findings))
    print(f"Report: {report.out}/summary.md (figure in {report.out}/figures)")
    return 0
