"""Train a student with one recipe and write a self-describing checkpoint directory.

Recipes: standard (input -> label), single (input -> "rationale So the answer is label"),
dss ("predict: x" -> label, "explain: x" -> rationale), mi (dss + beta * MI term),
mixed ("cot: x" -> rationale and label, "pot: x" -> a program setting ans; lam * L_cot +
(1 - lam) * L_pot), socratic (two students in CKPT/decompose and CKPT/solve: "decompose: x" ->
sub-questions joined by " | ", and "solve: x | Q: q1 A: a1 | ... | Q: qk" -> the k-th sub-answer;
each trained with the schedule given, one after the other, from the data's `socratic` steps).

The best model by validation accuracy is kept in CKPT; the test split is never used. An existing
CKPT with the same options is resumed from its last saved step; with other options it is refused.
Nothing is ever deleted. Under `torchrun --nproc_per_node N` the same command trains with DDP.

Defaults: --model tiny trains a small T5 from scratch, tiny-gpt2 and tiny-llama small causal
LMs (lr 1e-3, batch 16, 1000 steps, warmup 50, eval every 250); a pretrained --model PATH
uses the DSS release's (lr 5e-5, batch 64, 10000 steps, no warmup, eval every 250).
--lora-r R trains a LoRA adapter on --model PATH instead (lr 2e-4); the checkpoint holds the
adapter and names its base model, which `evalsuite score` loads under it.
accelerate launch works like torchrun.

examples:
  evalsuite train dss --task arith --out ckpt/arith-dss
  evalsuite train dss --task arith --model tiny-llama --out ckpt/arith-dss-llama
  evalsuite train mi --mi-variant infonce --task svamp --model ~/t5-v1_1-base --out ckpt/svamp-mi
  evalsuite train standard --task arith --arith n_train=500,label_noise=0.2 \\
      --label-source teacher --out ckpt/arith-distill
  evalsuite train socratic --task arith --out ckpt/arith-socratic
  evalsuite train dss --task arith --model ckpt/arith-dss-llama --lora-r 8 --out ckpt/arith-lora
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields, replace
from typing import Any

from evalsuite.commands.common import add_data_arguments
from evalsuite.errors import UsageError
from evalsuite.names import RECIPES

NAME = "train"
HELP = "train a student with one recipe"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipe", metavar="RECIPE", help=", ".join(RECIPES))
    add_data_arguments(parser, split=False)
    parser.add_argument(
        "--out", required=True, metavar="CKPT", help="checkpoint directory (resumed if it exists)"
    )
    parser.add_argument(
        "--model",
        default="tiny",
        metavar="tiny|tiny-gpt2|tiny-llama|PATH",
        help="tiny (default): a small T5 from scratch; tiny-gpt2, tiny-llama: small causal LMs "
        "(GPT-2 block; LLaMA block: RMSNorm, rotary, SwiGLU); PATH: a local Hugging Face "
        "checkpoint, encoder-decoder or causal",
    )
    parser.add_argument(
        "--label-source", choices=("gold", "teacher"), default="gold", help="(default: gold)"
    )
    parser.add_argument(
        "--train-fraction",
        type=float,
        default=1.0,
        metavar="F",
        help="train on a random fraction of the train split, drawn with --seed (default: 1)",
    )
    parser.add_argument("--alpha", type=float, default=0.5, help="DSS label weight (0.5)")
    parser.add_argument("--beta", type=float, default=0.1, help="MI weight, recipe mi (0.1)")
    parser.add_argument(
        "--lam",
        type=float,
        metavar="LAM",
        help="recipe mixed: CoT weight, PoT gets 1 - LAM (default 0.5; stored as alpha)",
    )
    parser.add_argument(
        "--mi-variant",
        choices=("released", "infonce"),
        default="released",
        help="released: the ACL 2024 release's loss; infonce: a contrastive MI bound",
    )
    schedule = parser.add_argument_group("schedule (defaults depend on --model, see above)")
    schedule.add_argument("--max-steps", type=int, metavar="N")
    schedule.add_argument("--batch-size", type=int, metavar="N", help="global batch size")
    schedule.add_argument("--lr", type=float)
    schedule.add_argument("--warmup-steps", type=int, metavar="N")
    schedule.add_argument("--eval-every", type=int, metavar="N")
    schedule.add_argument("--seed", type=int, default=0, help="(default: 0)")
    parser.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="(default: auto)"
    )
    parser.add_argument(
        "--tiny",
        metavar="KEY=VALUE,...",
        help="tiny student shape, e.g. num_layers=3,d_model=128 (fields of TinyStudentConfig)",
    )
    lora = parser.add_argument_group(
        "LoRA (peft): train an adapter on --model PATH, the base model, which stays frozen"
    )
    lora.add_argument(
        "--lora-r",
        type=int,
        metavar="R",
        help="train a LoRA adapter of rank R instead of every weight",
    )
    lora.add_argument(
        "--lora-alpha", type=int, metavar="A", help="the update is scaled by A / R (default 2 R)"
    )
    lora.add_argument(
        "--lora-targets",
        nargs="+",
        metavar="MODULE",
        help="modules to adapt, e.g. q_proj v_proj (default: peft's for the architecture)",
    )
    parser.add_argument(
        "--arith",
        metavar="KEY=VALUE,...",
        help="synthetic task, e.g. n_train=500,n_valid=50,seed=1,label_noise=0.1 "
        "(fields of ArithConfig)",
    )


def parse_overrides(text: str | None, base: Any, option: str) -> Any:
    """``base`` (a dataclass) with the ``KEY=VALUE,...`` of ``option`` applied.

    Values take the type of the field's current value (int or float).

    Raises
    ------
    UsageError
        Naming the option and the bad item: not KEY=VALUE, an unknown key, a value of the
        wrong type.
    """
    if not text:
        return base
    known = {f.name: type(getattr(base, f.name)) for f in fields(base)}
    changes: dict[str, Any] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{option} {text!r}: expected KEY=VALUE items, got {item!r}")
        if key not in known:
            raise UsageError(f"{option}: unknown key {key!r}; choose from {', '.join(known)}")
        try:
            changes[key] = known[key](value.strip())
        except ValueError:
            kind = known[key].__name__
            raise UsageError(f"{option}: {key} must be {kind}, got {value.strip()!r}") from None
    return replace(base, **changes)


def parse_tiny(text: str | None) -> Any:
    """The ``--tiny KEY=VALUE,...`` shape over ``trainers.config.DEFAULT_TINY``, where
    ``num_decoder_layers`` follows ``num_layers`` unless given too: ``--tiny num_layers=1`` is
    a 1+1-layer T5, not a 1-layer encoder under the default 2-layer decoder (which transformers'
    T5 cannot generate with: its cache is sized by the encoder)."""
    from trainers.config import DEFAULT_TINY

    tiny = parse_overrides(text, DEFAULT_TINY, "--tiny")
    given = {item.partition("=")[0].strip() for item in (text or "").split(",")}
    if "num_layers" in given and "num_decoder_layers" not in given:
        tiny = replace(tiny, num_decoder_layers=tiny.num_layers)
    return tiny


def _alpha(args: argparse.Namespace) -> float:
    """``--lam`` is the mixed recipe's name for the weight DSS calls ``--alpha``."""
    if args.lam is None:
        return float(args.alpha)
    if args.recipe != "mixed":
        raise UsageError(f"--lam {args.lam}: only recipe mixed has lam (use --alpha for dss, mi)")
    if args.alpha != 0.5:
        raise UsageError("--lam and --alpha set the same weight for recipe mixed; give one")
    if not 0.0 <= args.lam <= 1.0:  # checked here: the config would name it --alpha
        raise UsageError(f"--lam must be a number in [0.0, 1.0], got {args.lam}")
    return float(args.lam)


def run(args: argparse.Namespace) -> int:
    from evalsuite.data import ArithConfig
    from trainers.config import make_config
    from trainers.lora import LoraSettings

    config = make_config(
        recipe=args.recipe,
        task=args.task,
        out=args.out,
        data_dir=args.data_dir,
        model=args.model,
        label_source=args.label_source,
        train_fraction=args.train_fraction,
        alpha=_alpha(args),
        beta=args.beta,
        mi_variant=args.mi_variant,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        lr=args.lr,
        warmup_steps=args.warmup_steps,
        eval_every=args.eval_every,
        seed=args.seed,
        device=args.device,
        tiny=parse_tiny(args.tiny),
        arith=parse_overrides(args.arith, ArithConfig(), "--arith"),
        lora=LoraSettings.from_options(args.lora_r, args.lora_alpha, args.lora_targets),
    )
    from trainers.loop import train

    result = train(config)
    if not result.main_process:
        return 0
    if result.resumed_from == result.steps:
        print(f"{result.out}: already trained for {result.steps} steps; nothing to do",
              file=sys.stderr)  # fmt: skip
    best = (
        f"best valid accuracy {100 * result.best_accuracy:.1f} % at step {result.best_step}"
        if result.best_accuracy is not None
        else "no evaluation yet"
    )
    print(f"{result.out}: {config.recipe} student, {result.steps} steps, {best}")
    return 0
