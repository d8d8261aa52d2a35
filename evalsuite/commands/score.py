"""Score a checkpoint on a task split into a run directory.

Reads the checkpoint's train_manifest.json for how to prompt it. A checkpoint from elsewhere
(the DSS or MI release, a Trainer's checkpoint-N) has none: describe it with --format NAME (see
`evalsuite formats`), or --output KIND and the prefix flags; --tokenizer PATH lends a tokenizer
to a folder without one. Pickled weights are never loaded: `evalsuite convert` them first.

Batches are sorted by input length; progress (examples/s, ETA) goes to stderr. Records are
appended as they are scored, so re-running the same command after an interruption resumes where
it stopped. Under
`torchrun --nproc_per_node N -m evalsuite score ...` the batches are shared across ranks and the
run directory is the one a single process writes.

Mixed (CoT + PoT) students: --paths multi (default) votes over both kinds of path, --paths cot
or pot uses one kind; --num-samples K samples K paths of each kind. Programs run in the sandbox
(no imports, files or network; time and memory limits); records list every path under `paths`.

Socratic students (CKPT/decompose and CKPT/solve): the decomposer writes the sub-questions, the
solver answers them in turn, reading its own earlier answers; the answer is read from the last
sub-answer (the text after its last "="). Records carry the steps under `socratic`. With
--num-samples K the decomposer samples K decompositions, each solved greedily, and they vote.
"""

from __future__ import annotations

import argparse

from evalsuite.commands.common import add_chat_template_argument, add_data_arguments
from evalsuite.names import PATH_MODES
from evalsuite.prompt_presets import FLAG_OUTPUTS, PRESETS, FormatRequest

NAME = "score"
HELP = "score a checkpoint on a task split into a run directory"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "checkpoint",
        metavar="CKPT",
        help="checkpoint directory (from evalsuite train, or save_pretrained with --format)",
    )
    add_data_arguments(parser, task_required=False)
    parser.add_argument(
        "--out", metavar="RUN", help="run directory to write (default: runs/<ckpt>-<task>-<split>)"
    )
    parser.add_argument("--limit", type=int, metavar="N", help="score only the first N examples")
    parser.add_argument(
        "--batch-size", type=int, default=32, metavar="N", help="examples per batch"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:i]")
    decoding = parser.add_argument_group("decoding (default: greedy)")
    decoding.add_argument("--num-beams", type=int, default=1, metavar="N", help="beam width")
    decoding.add_argument(
        "--num-samples",
        type=int,
        default=1,
        metavar="K",
        help="sample K paths per example; the answer is their majority vote",
    )
    decoding.add_argument("--temperature", type=float, default=1.0, help="sampling temperature")
    decoding.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass")
    decoding.add_argument(
        "--max-new-tokens",
        type=int,
        metavar="N",
        help="generation length limit (default: the checkpoint's max_target_length)",
    )
    decoding.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument(
        "--no-representations",
        action="store_true",
        help="skip representations.npz (pooled states for `evalsuite mi`)",
    )
    parser.add_argument(
        "--paths",
        choices=PATH_MODES.names,
        help="mixed students: vote over CoT and PoT paths (multi, default) or use one kind",
    )
    add_chat_template_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    described = parser.add_argument_group(
        "checkpoints without train_manifest.json (see `evalsuite formats`)"
    )
    described.add_argument(
        "--format", choices=PRESETS.names, help="prompt format preset (needs --task)"
    )
    described.add_argument(
        "--label-prefix", metavar="TEXT", help="prefix that asks for the label (overrides)"
    )
    described.add_argument(
        "--rationale-prefix", metavar="TEXT", help="prefix that asks for the rationale (overrides)"
    )
    described.add_argument("--output", choices=FLAG_OUTPUTS, help="output layout (overrides)")
    described.add_argument(
        "--tokenizer", metavar="PATH", help="directory to read the tokenizer from"
    )


def run(args: argparse.Namespace) -> int:
    from evalsuite.scoring.decoding import DecodingConfig
    from evalsuite.scoring.scorer import ScoreConfig, describe, score_checkpoint

    config = ScoreConfig(
        task=args.task,
        split=args.split,
        data_dir=args.data_dir,
        limit=args.limit,
        batch_size=args.batch_size,
        device=args.device,
        decoding=DecodingConfig(
            num_beams=args.num_beams,
            num_samples=args.num_samples,
            temperature=args.temperature,
            top_p=args.top_p,
            max_new_tokens=args.max_new_tokens,
            seed=args.seed,
        ),
        representations=not args.no_representations,
        progress=not args.quiet,
        paths=args.paths,
        prompt_format=FormatRequest(
            preset=args.format,
            label_prefix=args.label_prefix,
            rationale_prefix=args.rationale_prefix,
            output=args.output,
        ),
        tokenizer=args.tokenizer,
        chat_template=args.chat_template,
    )
    result = score_checkpoint(args.checkpoint, config, out=args.out)
    if result is not None:
        print(describe(result))
    return 0
