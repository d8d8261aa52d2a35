"""Faithfulness probes: does the student's answer depend on its rationale?

Probes a joint student (single-task, a mixed student's CoT paths): the student writes its own
rationale, then each probe forces a changed start of its output and reads the answer again.
early_answering: the first k steps of the rationale (sentences; one per equation) and the
answer marker, k = 0..n; corrupted_step: one step with a number or operator changed, after
which the student continues; filler: "..." of the rationale's length; token_perturbation:
--rate of the rationale's tokens replaced with random ones; oracle: the teacher's rationale.
robustness (any student with a rationale, DSS and MI included; runs alone): inputs scored again
with 10, 20 and 30 % of their tokens replaced: do label and rationale answer change together?

CKPT is a checkpoint, or a scored run (its checkpoint, task and split). A probe that does not
apply to the student's coupling (DSS and MI students decode their answer without the rationale)
is refused in one line. The probe run is resumable like `score`: re-run the same command.
"""

from __future__ import annotations

import argparse

from evalsuite.commands.common import add_data_arguments

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
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def run(args: argparse.Namespace) -> int:
    from evalsuite.probes.describe import describe_probe_run
    from evalsuite.probes.runner import ProbeConfig, probe_checkpoint

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
        progress=not args.quiet,
    )
    result = probe_checkpoint(args.checkpoint, config, out=args.out)
    for line in describe_probe_run(result.path, result.summary):
        print(line)
    return 0
