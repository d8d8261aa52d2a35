"""Benchmark the trainers on the synthetic arith task with the tiny student (``make bench``).

Prints three things, each measured in this run:

1. test accuracy per recipe after the same fixed budget of steps, with the CPU training time it
   took (target: the dss student reaches >= 50 % within 3 minutes of training);
2. steps/s of our dss step against a reference dss step built the way the DSS release builds it:
   a ``Seq2SeqTrainer`` subclass whose ``compute_loss`` runs two forward passes per batch
   (``alpha * pred_loss + (1 - alpha) * expl_loss``). Target: ratio >= 1.3. Our loop runs
   one pass per branch: packing both into one (``RecipeModule(packed=True)``) was the slower
   on CPU (see ``trainers.recipes.RecipeModule``);
3. the overhead of ``mi`` (both variants) over ``dss``: median time of one optimisation step,
   the three recipes' steps taken in turn (target: <= 5 %).

2 and 3 are measured in the same run, one after the other.

Speed runs alternate between the contenders and report medians, so load from other processes
falls on all alike. Nothing here asserts: the numbers are for people.

    python bench/train.py [--threads 2] [--max-steps 600] [--skip-accuracy] [--skip-speed]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
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


class _StepClock:
    """Records when each Trainer step begins; a step's cycle runs to the next step's begin, so
    it includes fetching and collating the next batch, as our loop's step time does."""

    def __init__(self) -> None:
        from transformers import TrainerCallback

        begins: list[float] = []
        self.begins = begins

        class Callback(TrainerCallback):
            def on_step_begin(self, args, state, control, **kwargs):
                begins.append(time.perf_counter())

            def on_train_end(self, args, state, control, **kwargs):
                begins.append(time.perf_counter())

        self.callback = Callback()

    def step_seconds(self) -> list[float]:
        return [b - a for a, b in zip(self.begins, self.begins[1:], strict=False)]


def reference_steps_per_second(root: Path, n_steps: int, skip: int) -> float:
    """Steps/s of the release-style trainer on the same data, tokenizer, model and batch: one
    over the median step time, the first ``skip`` steps (cache warm-up) left out."""
    from transformers import AutoTokenizer, PrinterCallback

    from trainers.student import tiny_model

    config = _config(root / "ours-dss", "dss", "released")
    tokenizer = AutoTokenizer.from_pretrained(root / "ours-dss", local_files_only=True)
    train_split = generate_arith(ARITH)["train"]
    recipe = get_recipe(config, get_task("arith"))
    dataset = []
    for example in train_split:
        pairs = recipe.pairs(example, example.gold)
        encode = tokenizer([pairs["label"].source, pairs["rationale"].source])["input_ids"]
        labels = tokenizer(text_target=[pairs["label"].target, pairs["rationale"].target])
        dataset.append({
            "input_ids": encode[0], "labels": labels["input_ids"][0],
            "expl_input_ids": encode[1], "expl_labels": labels["input_ids"][1],
        })  # fmt: skip
    torch.manual_seed(config.seed)
    model = tiny_model(tokenizer, config.tiny)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = release_style_trainer(
            model, tokenizer, dataset, output_dir=tmp, batch_size=config.batch_size,
            max_steps=n_steps + skip, lr=config.lr,
        )  # fmt: skip
        clock = _StepClock()
        trainer.add_callback(clock.callback)
        trainer.remove_callback(PrinterCallback)  # its end-of-training dict is not ours to print
        trainer.train()
    return 1.0 / statistics.median(clock.step_seconds()[skip:])


def our_steps_per_second(root: Path, n_steps: int, skip: int, run: int) -> float:
    """Steps/s of our training loop for dss: one over the median of the step times its
    manifest records, the first ``skip`` steps left out as for the reference."""
    out = root / f"speed-dss-{run}"
    train(_config(out, "dss", "released", max_steps=n_steps + skip, eval_every=n_steps + skip))
    manifest = json.loads((out / "train_manifest.json").read_text())
    seconds = [row["seconds"] for row in manifest["curves"]["train"]]
    return 1.0 / statistics.median(seconds[skip:])


def mi_step_seconds(root: Path, n_steps: int) -> dict[str, list[float]]:
    """Seconds per optimisation step of dss, mi/released and mi/infonce, measured step by step
    in turn (A, B, C, B, C, A, ...) on the same batches, so load from other processes falls on
    all three alike. Each step is the loop's: collate, forward, backward, clip, AdamW.
    """
    from transformers import AutoTokenizer

    from trainers.batching import batch_indices, collate, encode_pairs
    from trainers.recipes import RecipeModule, token_counts
    from trainers.student import tiny_model

    tokenizer = AutoTokenizer.from_pretrained(root / "ours-dss", local_files_only=True)
    examples = generate_arith(ARITH)["train"]
    steps = {}
    for name, (recipe_name, variant) in {
        "dss": ("dss", "released"),
        "mi/released": ("mi", "released"),
        "mi/infonce": ("mi", "infonce"),
    }.items():
        config = _config(root / name, recipe_name, variant)
        recipe = get_recipe(config, get_task("arith"))
        torch.manual_seed(0)
        module = RecipeModule(tiny_model(tokenizer, config.tiny), recipe)
        optimizer = torch.optim.AdamW(module.parameters(), lr=config.lr, fused=True)
        pairs = [recipe.pairs(e, e.gold) for e in examples]
        encoded = encode_pairs(pairs, tokenizer, max_input_length=1024, max_target_length=256)
        steps[name] = (module, optimizer, encoded, config.batch_size)

    def one_step(name: str, step: int) -> float:
        module, optimizer, encoded, batch_size = steps[name]
        tick = time.perf_counter()
        indices = batch_indices(step, n_examples=len(encoded), batch_size=batch_size, seed=0)
        batch = collate(encoded, indices, pad_id=tokenizer.pad_token_id)
        module(batch, token_counts(batch))["loss"].backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return time.perf_counter() - tick

    names = list(steps)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for step in range(n_steps + 3):
        for name in names[step % 3 :] + names[: step % 3]:
            elapsed = one_step(name, step)
            if step >= 3:  # the first steps warm caches
                seconds[name].append(elapsed)
    return seconds


def speed_tables(root: Path, n_steps: int, rounds: int) -> None:
    # a checkpoint whose tokenizer the reference and the step timings share
    train(_config(root / "ours-dss", "dss", "released", max_steps=1, eval_every=1))
    contenders = {
        "reference dss (Seq2SeqTrainer, 2 forwards)": lambda r: reference_steps_per_second(
            root, n_steps, skip=3
        ),
        "ours dss (the training loop)": lambda r: our_steps_per_second(root, n_steps, 3, r),
    }
    measured: dict[str, list[float]] = {name: [] for name in contenders}
    for r in range(rounds):
        for name, measure in contenders.items():
            measured[name].append(measure(r))
    median = {name: statistics.median(values) for name, values in measured.items()}
    print(f"\n2. dss step speed ({rounds} alternating rounds of {n_steps} steps; steps/s from the "
          "median step time)")  # fmt: skip
    for name, value in median.items():
        runs = ", ".join(f"{v:.2f}" for v in measured[name])
        print(f"   {name:<44} {value:6.2f}   ({runs})")
    reference, ours = median.values()
    print(f"   ratio ours / reference: {ours / reference:.2f}  (target >= 1.3)")

    seconds = mi_step_seconds(root, 5 * n_steps)
    dss = statistics.median(seconds["dss"])
    print(f"\n3. mi overhead over dss ({5 * n_steps} interleaved steps each; median step time)")
    print(f"   {'dss':<12} {1000 * dss:7.1f} ms")
    for name in ("mi/released", "mi/infonce"):
        step = statistics.median(seconds[name])
        print(f"   {name:<12} {1000 * step:7.1f} ms  {100 * (step / dss - 1):+6.1f} %"
              "  (target <= 5 %)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--max-steps", type=int, default=None, help="accuracy budget in steps")
    parser.add_argument("--speed-steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
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
            speed_tables(root, args.speed_steps, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
