"""Faithfulness probes: does the student's answer depend on its rationale?

Probes a joint student (single-task, think, a mixed student's CoT paths, Socratic): the
student writes its own rationale, then each probe forces a changed start of its output and
reads the answer again.
early_answering: the first k steps of the rationale (sentences; one per equation) and the
answer marker, k = 0..n; corrupted_step: one step with a number or operator changed, after
which the student continues; filler: "..." of the rationale's length; token_perturbation:
--rate of the rationale's tokens replaced with random ones; oracle: the teacher's rationale.
A Socratic student's steps are its (sub-question, sub-answer) pairs before the last
sub-question: they are forced into the solver's context, and the solver answers the remaining
sub-questions (early answering: the last one at once) as scoring does.
robustness (any student with a rationale, DSS and MI included; runs alone): inputs scored again
with 10, 20 and 30 % of their tokens replaced: do label and rationale answer change together?
las (any student with a rationale, tasks with closed label sets; runs alone): leakage-adjusted
simulatability. A simulator (--simulator-model, trained into RUN/simulator/) learns the
student's answers on --simulator-split from input and rationale, input alone, rationale alone;
LAS is how much the rationale helps it beyond leaking the label, with a bootstrap interval.

CKPT is a checkpoint, or a scored run (its checkpoint, task and split). A probe that does not
apply to the student's coupling (DSS and MI students decode their answer without the rationale)
is refused in one line. The probe run is resumable like `score`: re-run the same command.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from evalsuite.commands.common import add_chat_template_argument, add_data_arguments

if TYPE_CHECKING:
    from evalsuite.probes.simulatability import SimulatorJob
    from trainers.config import TrainConfig

NAME = "probe"
HELP = "faithfulness probes of a student's rationale into a probe run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from evalsuite.names import FAITHFULNESS_PROBES as PROBES

    parser.add_argument(
        "checkpoint", metavar="CKPT", help="checkpoint directory, or a run scored from one"
    )
    add_data_arguments(parser, task_required=False, split=False)
    parser.add_argument(
        "--split", help="train, valid or test (default: the run's split, else test)"
    )
    parser.add_argument(
        "--probe",
        action="append",
        required=True,
        choices=PROBES.names,
        metavar="NAME",
        help=f"a probe to run (repeat for several): {', '.join(PROBES.names)}",
    )
    parser.add_argument("--out", required=True, metavar="RUN", help="probe run directory")
    parser.add_argument("--limit", type=int, metavar="N", help="probe only the first N examples")
    parser.add_argument(
        "--batch-size", type=int, default=32, metavar="N", help="examples per batch"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:i]")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of corrupted steps and perturbed tokens"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.5,
        help="token_perturbation: share of rationale tokens replaced (default 0.5)",
    )
    parser.add_argument(
        "--answer-tokens",
        type=int,
        default=32,
        metavar="N",
        help="tokens the student may write after a forced answer marker (default 32)",
    )
    parser.add_argument(
        "--max-new-tokens",
        type=int,
        metavar="N",
        help="own outputs and continuations (default: the checkpoint's max_target_length)",
    )
    add_chat_template_argument(parser, source_run=True)
    las = parser.add_argument_group("las: the simulator of the student's answers")
    las.add_argument(
        "--simulator-model",
        default="tiny",
        metavar="MODEL",
        help="tiny (default), tiny-gpt2, tiny-llama or a local checkpoint directory",
    )
    las.add_argument("--simulator-steps", type=int, default=300, metavar="N", help="default 300")
    las.add_argument(
        "--simulator-lr", type=float, metavar="LR", help="default: the trainer's for the model"
    )
    las.add_argument("--simulator-batch-size", type=int, default=16, metavar="N")
    las.add_argument(
        "--simulator-split",
        default="train",
        help="train (default) or valid: the split whose student answers it learns",
    )
    las.add_argument(
        "--simulator-examples",
        type=int,
        default=1000,
        metavar="N",
        help="the first N examples of that split (default 1000; a tenth selects the best step)",
    )
    las.add_argument(
        "--explanation-dropout",
        type=float,
        default=0.4,
        metavar="P",
        help="share of training examples shown without the rationale (default 0.4)",
    )
    las.add_argument(
        "--input-dropout",
        type=float,
        default=0.2,
        metavar="P",
        help="share of training examples shown as the rationale alone (default 0.2)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def run(args: argparse.Namespace) -> int:
    from evalsuite.probes.describe import describe_probe_run
    from evalsuite.probes.runner import ProbeConfig, probe_checkpoint
    from evalsuite.probes.simulation import SimulatorConfig

    config = ProbeConfig(
        probes=tuple(args.probe),
        task=args.task,
        split=args.split,
        data_dir=args.data_dir,
        limit=args.limit,
        batch_size=args.batch_size,
        device=args.device,
        seed=args.seed,
        perturbation_rate=args.rate,
        answer_tokens=args.answer_tokens,
        max_new_tokens=args.max_new_tokens,
        chat_template=args.chat_template,
        progress=not args.quiet,
        simulator=SimulatorConfig(
            model=args.simulator_model,
            steps=args.simulator_steps,
            lr=args.simulator_lr,
            batch_size=args.simulator_batch_size,
            split=args.simulator_split,
            examples=args.simulator_examples,
            explanation_dropout=args.explanation_dropout,
            input_dropout=args.input_dropout,
        ),
    )
    result = probe_checkpoint(
        args.checkpoint, config, out=args.out, simulator_trainer=TrainersSimulator()
    )
    for line in describe_probe_run(result.path, result.summary):
        print(line)
    return 0


class TrainersSimulator:
    """The LAS simulator trained by ``trainers``: recipe ``standard`` (input -> label) on the
    job's examples, whose label is the student's answer (``label_source`` teacher: the student
    is the simulator's teacher); resumed when its directory holds the same unfinished run."""

    def check(self, job: SimulatorJob) -> None:
        """Refuse, before the probe run is opened, settings the trainer refuses (a
        ``--simulator-model`` that is neither a tiny model nor a local checkpoint)."""
        from evalsuite.errors import UsageError

        try:
            self._config(job)
        except UsageError as err:
            raise UsageError(f"probe 'las' simulator: {err}") from None

    def train(self, job: SimulatorJob) -> None:
        from evalsuite.tasks import get_task
        from trainers.data import TrainingData
        from trainers.loop import train

        data = TrainingData(get_task(job.task), job.train, job.valid, job.fingerprint)
        train(self._config(job), data=data)

    @staticmethod
    def _config(job: SimulatorJob) -> TrainConfig:
        from trainers.config import make_config

        settings = job.config
        return make_config(
            recipe="standard",
            task=job.task,
            out=str(job.out),
            model=settings.model,
            max_steps=settings.steps,
            lr=settings.lr,
            batch_size=settings.batch_size,
            eval_every=max(1, settings.steps // 4),
            warmup_steps=settings.steps // 10,
            label_source="teacher",
            seed=job.seed,
            data_dir=job.data_dir,
            max_input_length=job.max_input_length,
            max_target_length=job.max_target_length,
            device="cuda" if job.device.startswith("cuda") else job.device,
        )
