"""Tiny trained students for the scoring tests and bench/score.py.

One tiny T5 is trained for a few hundred steps on a mixture of every prompt layout (multitask
``predict:``/``explain:``, single-output ``<rationale> So the answer is <label>``) over arith and
a small synthetic NLI set, so its outputs are short, structured and sometimes right. The same
weights are then saved as several checkpoints that differ only in their prompt format.

What the trained student emits changes with the CPU's float kernels (ATEN_CPU_CAPABILITY), so no
test asserts on it: a test that needs a label or the answer marker in the output scripts the
generation (``tests.scoring.fakes.scripted_generations``).
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import asdict
from pathlib import Path

from evalsuite.checkpoint import TRAIN_MANIFEST, PromptFormat
from evalsuite.data import ArithConfig, load_examples
from evalsuite.tasks import NLI_LABELS, get_task
from evalsuite.tasks.nli import PREMISE_HYPOTHESIS_JOINER

ARITH = ArithConfig(n_train=300, n_valid=8, n_test=60, seed=3)
"""Small synthetic data: the checkpoints' manifests name it, so ``score`` reads this test split."""

_ANIMALS = ("cat", "dog", "bird", "horse", "fish", "goat", "duck", "mouse")
_COLOURS = ("red", "blue", "green", "black", "white", "brown")
_SIZES = ("big", "small", "young", "old")


def nli_rows(n: int, *, seed: int) -> list[dict[str, object]]:
    """e-SNLI-format rows whose label follows a simple rule a tiny model learns quickly."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        animal, colour = rng.choice(_ANIMALS), rng.choice(_COLOURS)
        premise = f"The {animal} is {colour}."
        label = rng.randrange(3)
        hypothesis = {
            0: f"The {animal} is {colour}.",
            1: f"The {animal} is {rng.choice(_SIZES)}.",
            2: f"The {animal} is not {colour}.",
        }[label]
        rows.append({"premise": premise, "hypothesis": hypothesis, "label": label})
    return rows


def write_nli_jsonl(path: Path, n: int, *, seed: int) -> Path:
    """A JSONL data file for ``--task esnli --data-dir FILE``."""
    path.write_text("".join(json.dumps(r) + "\n" for r in nli_rows(n, seed=seed)))
    return path


def _training_pairs() -> list[tuple[str, str]]:
    task = get_task("arith")
    pairs = []
    for e in load_examples("arith", "train", arith=ARITH):
        assert e.teacher_rationale is not None and e.teacher_label is not None
        single = task.single_output_target(e.teacher_rationale, e.teacher_label)
        pairs += [
            (f"predict: {e.input}", e.teacher_label),
            (f"explain: {e.input}", e.teacher_rationale),
            (e.input, single),
        ]
    for row in nli_rows(120, seed=11):
        text = f"{row['premise']}{PREMISE_HYPOTHESIS_JOINER}{row['hypothesis']}"
        label = NLI_LABELS[int(row["label"])]  # type: ignore[call-overload]
        pairs += [(f"predict: {text}", label), (text, f"They say so. So the answer is {label}")]
    return pairs


TEST_STUDENT = {
    "vocab_size": 200, "d_model": 32, "d_ff": 64, "num_layers": 1, "num_decoder_layers": 1,
    "num_heads": 2, "d_kv": 16,
}  # fmt: skip
"""Shape of the tests' student (smaller than ``TinyStudentConfig()``, which the bench uses)."""


def train_tiny_student(
    out: Path,
    *,
    steps: int = 200,
    seed: int = 0,
    shape: dict[str, int] | None = None,
    lr: float = 1e-2,
    kind: str = "tiny",
) -> Path:
    """Train the tiny student and save it (safetensors, tokenizer) under ``out/weights``.

    ``shape`` sets ``TinyStudentConfig`` fields (default: ``TEST_STUDENT``; ``{}`` for the
    trainer's default tiny student). ``kind``: ``tiny`` (T5) or a causal tiny student
    (``tiny-gpt2``, ``tiny-llama``), trained through the library's teacher-forced pass.
    """
    import torch

    from evalsuite.scoring.student import forced_outputs
    from trainers.student import TinyStudentConfig, build_tiny_student

    pairs = _training_pairs()
    torch.manual_seed(seed)
    config = TinyStudentConfig(**(TEST_STUDENT if shape is None else shape))
    model, tokenizer = build_tiny_student([t for pair in pairs for t in pair], config, kind=kind)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    rng = random.Random(seed)
    model.train()
    for _ in range(steps):
        batch = rng.sample(pairs, 16)
        inputs = tokenizer([x for x, _ in batch], return_tensors="pt", padding=True)
        labels = tokenizer([y for _, y in batch], return_tensors="pt", padding=True).input_ids
        labels[labels == tokenizer.pad_token_id] = -100
        if kind == "tiny":
            loss = model(**inputs, labels=labels).loss
        else:  # the prompt carries no loss; logits are aligned with the targets
            logits, _ = forced_outputs(
                model, inputs.input_ids, inputs.attention_mask, labels, hidden=False
            )
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    weights = out / "weights"
    model.save_pretrained(weights, safe_serialization=True)
    tokenizer.save_pretrained(weights)
    return weights


PROMPTS = {
    "dss": PromptFormat(
        recipe="dss", task="arith", output="multitask", label_prefix="predict: ",
        rationale_prefix="explain: ", max_target_length=40,
    ),
    "single": PromptFormat(
        recipe="single", task="arith", output="rationale_then_label", max_target_length=48
    ),
    "standard": PromptFormat(
        recipe="standard", task="arith", output="label", label_prefix="predict: ",
        max_target_length=24,
    ),
    "mixed": PromptFormat(
        recipe="mixed", task="arith", output="mixed", path_prefixes={"cot": "cot: ", "pot": "pot: "}
    ),
}  # fmt: skip


def make_checkpoint(
    weights: Path, out: Path, prompt: PromptFormat, *, arith: ArithConfig | None = ARITH
) -> Path:
    """A checkpoint directory: the trained weights plus a train manifest with ``prompt``.

    The manifest names ``arith`` as the synthetic data it was trained on (``None``: the default
    ``ArithConfig()``, whose test split has 500 examples).
    """
    shutil.copytree(weights, out)
    manifest: dict[str, object] = {
        "recipe": prompt.recipe,
        "task": prompt.task,
        "prompt": prompt.to_dict(),
    }
    if arith is not None:
        manifest["data"] = {"source": "synthetic", "arith": asdict(arith)}
    (out / TRAIN_MANIFEST).write_text(json.dumps(manifest, indent=2))
    return out


def make_checkpoints(root: Path, *, steps: int = 200) -> dict[str, Path]:
    """Train once; one checkpoint per entry of ``PROMPTS``, named by its key."""
    weights = train_tiny_student(root, steps=steps)
    return {name: make_checkpoint(weights, root / name, p) for name, p in PROMPTS.items()}
