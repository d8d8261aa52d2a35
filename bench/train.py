"""Benchmark the trainers on the synthetic arith task with the tiny student (``make bench``).

Prints three things, each measured in this run:

1. test accuracy per recipe after the same fixed budget of steps, with the CPU training time it
   took (target: the dss student reaches >= 50 % within 3 minutes of training);
2. the step time of our dss step against a reference dss step built the way the DSS release
   builds it:
   a ``Seq2SeqTrainer`` subclass whose ``compute_loss`` runs two forward passes per batch
   (``alpha * pred_loss + (1 - alpha) * expl_loss``). Target: >= 1.3x as fast. Our loop packs
   both branches into one encoder and one decoder pass with almost no padding
   (:mod:`trainers.packing`), runs the packed pass's attention without the passes over the
   scores that transformers' kernels add (:mod:`trainers.packed_attention`), the output layer
   only where a loss reads it, and T5's ``gelu_new`` on the fused kernel of the same
   function (:func:`trainers.student.use_fused_gelu`); the reference runs the model as
   transformers builds it, as the release does. Same model shape and initial weights, training
   split, batch size, learning rate, optimizer (fused AdamW, clipping at 1) and threads;
3. the overhead of ``mi`` (both variants) over ``dss``: one optimisation step of each, taken in
   turn on the same batch, overhead = median over steps of the paired ratio (target: <= 5 %).

2 and 3 are measured in the same run, one after the other.

Speed runs take the contenders' steps in turn and report the median of the per-step ratios,
so load from other processes falls on all alike. Nothing here asserts: the numbers are for
people.

    python bench/train.py [--threads 2] [--max-steps 600] [--speed-steps 200] [--skip-accuracy]
                          [--skip-speed]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from evalsuite.data import ArithConfig, generate_arith
from evalsuite.tasks import get_task
from trainers.checkpointing import quiet_transformers
from trainers.config import TrainConfig, make_config
from trainers.evaluation import label_accuracy
from trainers.loop import train
from trainers.recipes import get_recipe

RECIPES = (("standard", "released"), ("single", "released"), ("dss", "released"),
           ("mi", "released"), ("mi", "infonce"))  # fmt: skip
ARITH = ArithConfig(n_train=10000)
"""1-3 operation problems; 10000 training problems instead of the default 2000, with which the
tiny student starts to memorise (valid loss flat from ~10 epochs on, at ~50 % accuracy)."""


def _config(out: Path, recipe: str, variant: str, **options: Any) -> TrainConfig:
    return make_config(
        recipe=recipe, task="arith", out=str(out), arith=ARITH, mi_variant=variant, device="cpu",
        **options,
    )  # fmt: skip


# --------------------------------------------------------------------------- 1. accuracy


def test_accuracy(out: Path, config: TrainConfig) -> float:
    """Greedy label accuracy of the checkpoint's best model on the arith test split."""
    from transformers import AutoTokenizer, T5ForConditionalGeneration

    with quiet_transformers():
        model = T5ForConditionalGeneration.from_pretrained(out, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(out, local_files_only=True)
    recipe = get_recipe(config, get_task("arith"))
    max_new_tokens = 128 if recipe.output == "rationale_then_label" else 48
    return label_accuracy(
        model, tokenizer, recipe, generate_arith(ARITH)["test"],
        batch_size=100, max_input_length=config.max_input_length, max_new_tokens=max_new_tokens,
    ).accuracy  # fmt: skip


def accuracy_table(root: Path, max_steps: int, recipes: list[tuple[str, str]]) -> None:
    print(f"\n1. test accuracy after {max_steps} steps (tiny student, default settings)")
    print(f"   {'recipe':<16} {'train s':>8} {'steps/s':>8} {'best valid':>10} {'test acc':>9}")
    dss: tuple[float, float] | None = None
    for recipe, variant in recipes:
        name = f"{recipe}/{variant}" if recipe == "mi" else recipe
        out = root / name.replace("/", "-")
        config = _config(out, recipe, variant, max_steps=max_steps, eval_every=max_steps // 4)
        train(config)
        manifest = json.loads((out / "train_manifest.json").read_text())
        seconds = manifest["throughput"]["train_seconds"]
        accuracy = test_accuracy(out, config)
        print(
            f"   {name:<16} {seconds:>8.0f} {max_steps / seconds:>8.2f} "
            f"{100 * manifest['best']['valid_accuracy']:>9.1f}% {100 * accuracy:>8.1f}%",
            flush=True,
        )
        if recipe == "dss":
            dss = (accuracy, seconds)
    if dss is not None:
        accuracy, seconds = dss
        print(
            f"   dss: {100 * accuracy:.1f} % test accuracy after {seconds:.0f} s of training "
            "(target: >= 50 % within 180 s)"
        )


# --------------------------------------------------------------------------- 2. reference step


def release_style_trainer(model: Any, tokenizer: Any, dataset: list[dict[str, Any]], **kw: Any):
    """A Seq2SeqTrainer doing what the DSS release's ``TaskPrefixTrainer`` does: pad the predict
    and explain branches separately (``DataCollatorForSeq2Seq`` each), then two forward passes
    per batch and ``alpha * pred.loss + (1 - alpha) * expl.loss``. Written for this benchmark.
    Everything else is Seq2SeqTrainer's default, as in the release: linear schedule, gradient
    clipping at 1, and its default optimizer (fused AdamW with torch >= 2.8, as our loop uses).
    """
    from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainer, Seq2SeqTrainingArguments

    class TwoBranchCollator:
        def __init__(self) -> None:
            self.pad = DataCollatorForSeq2Seq(tokenizer, model=model)

        def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
            branch = {
                "pred": ("input_ids", "labels"),
                "expl": ("expl_input_ids", "expl_labels"),
            }
            return {
                name: self.pad([
                    {"input_ids": f[src], "attention_mask": [1] * len(f[src]), "labels": f[tgt]}
                    for f in features
                ])
                for name, (src, tgt) in branch.items()
            }  # fmt: skip

    class TwoForwardTrainer(Seq2SeqTrainer):
        alpha = 0.5

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            pred = model(**inputs["pred"])
            expl = model(**inputs["expl"])
            loss = self.alpha * pred.loss + (1.0 - self.alpha) * expl.loss
            return (loss, {"pred": pred, "expl": expl}) if return_outputs else loss

    args = Seq2SeqTrainingArguments(
        output_dir=kw["output_dir"], per_device_train_batch_size=kw["batch_size"],
        max_steps=kw["max_steps"], learning_rate=kw["lr"],
        lr_scheduler_type="linear", warmup_steps=0, max_grad_norm=1.0, weight_decay=0.0,
        save_strategy="no", eval_strategy="no", logging_strategy="no", report_to=[],
        use_cpu=True, seed=0, dataloader_num_workers=0, remove_unused_columns=False,
        disable_tqdm=True,
    )  # fmt: skip
    return TwoForwardTrainer(
        model=model, args=args, train_dataset=dataset, data_collator=TwoBranchCollator()
    )


def _release_dataset(tokenizer: Any, recipe: Any) -> list[dict[str, Any]]:
    """The arith training split tokenised once, as the release's ``tokenize_function`` does."""
    dataset = []
    for example in generate_arith(ARITH)["train"]:
        pairs = recipe.pairs(example, example.gold)
        encode = tokenizer([pairs["label"].source, pairs["rationale"].source])["input_ids"]
        labels = tokenizer(text_target=[pairs["label"].target, pairs["rationale"].target])
        dataset.append({
            "input_ids": encode[0], "labels": labels["input_ids"][0],
            "expl_input_ids": encode[1], "expl_labels": labels["input_ids"][1],
        })  # fmt: skip
    return dataset


def our_steps(root: Path, recipes: dict[str, tuple[str, str]]) -> Callable[[str, int], float]:
    """``one_step(name, step) -> seconds``: one optimisation step of our training loop's step for
    each named ``(recipe, mi_variant)``, each with its own tiny student: learning rate,
    the step's batch (:func:`trainers.batching.batch_indices`), collate, forward (the loop's
    default: packed), backward, clip, fused AdamW, and reading the loss parts as the loop logs
    them. Only the progress bar and the curve bookkeeping of the loop are left out.
    """
    from transformers import AutoTokenizer

    from trainers.batching import batch_indices, collate, encode_pairs
    from trainers.loop import get_lr
    from trainers.recipes import RecipeModule, token_counts
    from trainers.student import tiny_model

    tokenizer = AutoTokenizer.from_pretrained(root / "ours-dss", local_files_only=True)
    examples = generate_arith(ARITH)["train"]
    steps = {}
    for name, (recipe_name, variant) in recipes.items():
        config = _config(root / name, recipe_name, variant)
        recipe = get_recipe(config, get_task("arith"))
        torch.manual_seed(config.seed)
        module = RecipeModule(tiny_model(tokenizer, config.tiny), recipe)
        optimizer = torch.optim.AdamW(module.parameters(), lr=config.lr, fused=True)
        pairs = [recipe.pairs(e, e.gold) for e in examples]
        encoded = encode_pairs(
            pairs, tokenizer, max_input_length=config.max_input_length,
            max_target_length=config.max_target_length,
        )  # fmt: skip
        steps[name] = (module, optimizer, encoded, config)

    def one_step(name: str, step: int) -> float:
        module, optimizer, encoded, config = steps[name]
        tick = time.perf_counter()
        lr = get_lr(step, lr=config.lr, warmup_steps=0, max_steps=config.max_steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        indices = batch_indices(
            step, n_examples=len(encoded), batch_size=config.batch_size, seed=config.seed
        )
        batch = collate(encoded, indices, pad_id=tokenizer.pad_token_id)
        parts = module(batch, token_counts(batch))
        parts["loss"].backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        [float(value.detach()) for value in parts.values()]
        return time.perf_counter() - tick

    return one_step


def paired_dss_seconds(root: Path, n_steps: int, skip: int) -> tuple[list[float], list[float]]:
    """Seconds per step of the release-style trainer and of our dss step, taken in turn: the
    trainer runs, and after each of its steps a callback runs one of ours. A trainer step is
    its cycle from one step's begin to the next's (fetching and collating the next batch
    included) less the time our step took inside it. The first ``skip`` steps (cache warm-up)
    are left out. Same tokenizer, model shape and initial weights, batch size and learning rate;
    the trainer draws its own batches from the same split.
    """
    from transformers import AutoTokenizer, PrinterCallback, TrainerCallback

    from trainers.student import tiny_model

    config = _config(root / "ours-dss", "dss", "released")
    tokenizer = AutoTokenizer.from_pretrained(root / "ours-dss", local_files_only=True)
    dataset = _release_dataset(tokenizer, get_recipe(config, get_task("arith")))
    ours = our_steps(root, {"dss": ("dss", "released")})
    begins: list[float] = []
    inside: list[float] = []

    class TakeTurns(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            begins.append(time.perf_counter())

        def on_step_end(self, args, state, control, **kwargs):
            inside.append(ours("dss", len(inside)))

        def on_train_end(self, args, state, control, **kwargs):
            begins.append(time.perf_counter())

    torch.manual_seed(config.seed)
    model = tiny_model(tokenizer, config.tiny)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = release_style_trainer(
            model, tokenizer, dataset, output_dir=tmp, batch_size=config.batch_size,
            max_steps=n_steps + skip, lr=config.lr,
        )  # fmt: skip
        trainer.add_callback(TakeTurns())
        trainer.remove_callback(PrinterCallback)  # its end-of-training dict is not ours to print
        trainer.train()
    cycles = [b - a for a, b in itertools.pairwise(begins)]
    reference = [cycle - mine for cycle, mine in zip(cycles, inside, strict=True)]
    return reference[skip:], inside[skip:]


def mi_step_seconds(root: Path, n_steps: int) -> dict[str, list[float]]:
    """Seconds per optimisation step (:func:`our_steps`) of dss, mi/released and mi/infonce,
    measured step by step in turn (A, B, C, B, C, A, ...) on the same batches, so load from
    other processes falls on all three alike."""
    one_step = our_steps(
        root, {"dss": ("dss", "released"), "mi/released": ("mi", "released"),
               "mi/infonce": ("mi", "infonce")},
    )  # fmt: skip
    names = ["dss", "mi/released", "mi/infonce"]
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for step in range(n_steps + 3):
        for name in names[step % 3 :] + names[: step % 3]:
            elapsed = one_step(name, step)
            if step >= 3:  # the first steps warm caches
                seconds[name].append(elapsed)
    return seconds


def _paired_ratio(numerator: list[float], denominator: list[float]) -> float:
    """Median over steps of the ratio of two step times measured side by side."""
    return statistics.median(n / d for n, d in zip(numerator, denominator, strict=True))


def speed_tables(root: Path, n_steps: int) -> None:
    load = os.getloadavg()[0]
    # a checkpoint whose tokenizer the reference and the step timings share
    train(_config(root / "ours-dss", "dss", "released", max_steps=1, eval_every=1))
    reference, ours = paired_dss_seconds(root, n_steps, skip=3)
    print(f"\n2. dss step speed ({n_steps} steps each, taken in turn; median step time)")
    for name, values in (
        ("reference dss (Seq2SeqTrainer, 2 forwards)", reference),
        ("ours dss (packed)", ours),
    ):
        print(f"   {name:<44} {1000 * statistics.median(values):7.1f} ms")  # fmt: skip
    print(f"   speed ours / reference: {_paired_ratio(reference, ours):.2f}, median of the "
          f"per-step ratios; {statistics.median(reference) / statistics.median(ours):.2f} from "
          "the medians (target >= 1.3)")  # fmt: skip

    seconds = mi_step_seconds(root, n_steps)
    dss = statistics.median(seconds["dss"])
    print(f"\n3. mi overhead over dss ({n_steps} steps each, taken in turn; median step time, "
          "overhead: median of the per-step ratios)")  # fmt: skip
    print(f"   {'dss':<12} {1000 * dss:7.1f} ms")
    for name in ("mi/released", "mi/infonce"):
        step = statistics.median(seconds[name])
        overhead = _paired_ratio(seconds[name], seconds["dss"]) - 1
        print(f"   {name:<12} {1000 * step:7.1f} ms  {100 * overhead:+6.1f} %  (target <= 5 %)")
    print(f"\n   load average (1 min) on {os.cpu_count()} CPUs: {load:.1f} before 2, "
          f"{os.getloadavg()[0]:.1f} after 3")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--max-steps", type=int, default=None, help="accuracy budget in steps")
    parser.add_argument("--speed-steps", type=int, default=200)
    parser.add_argument("--recipes", default=",".join(f"{r}/{v}" for r, v in RECIPES))
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    max_steps = args.max_steps or make_config(recipe="dss", task="arith", out="-").max_steps
    recipes = [tuple(item.split("/")) if "/" in item else (item, "released")
               for item in args.recipes.split(",")]  # fmt: skip
    print(f"bench/train.py: arith {ARITH}, torch threads {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if not args.skip_accuracy:
            accuracy_table(root, max_steps, recipes)
        if not args.skip_speed:
            speed_tables(root, args.speed_steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
