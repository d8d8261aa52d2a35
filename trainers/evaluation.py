"""Validation during training: the recipe's loss, and label accuracy from greedy decoding.

Accuracy judges the decoded label the way scoring does: the recipe says where the label is
(``predict:`` branch, plain input, or the text after "So the answer is"), the task extracts and
normalises the answer and compares it with the gold label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from evalsuite.example import Example
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.student import make_student
from trainers.batching import EncodedSplit, collate
from trainers.distributed import Distributed, all_reduce_sum
from trainers.recipes import Recipe, RecipeModule, token_counts

__all__ = ["LabelAccuracy", "decode_labels", "label_accuracy", "validation_loss"]

GREEDY = DecodingConfig()
"""Validation decodes greedily: one path, no beams."""

_ONE_PROCESS = Distributed(rank=0, world_size=1, device=torch.device("cpu"))


@dataclass(frozen=True)
class LabelAccuracy:
    """Correct answers out of examples judged."""

    n_correct: int
    n_examples: int

    @property
    def accuracy(self) -> float:
        """Fraction correct; 0.0 for no examples."""
        return self.n_correct / self.n_examples if self.n_examples else 0.0


def _eval_mode(model: torch.nn.Module) -> bool:
    was_training = model.training
    model.eval()
    return was_training


@torch.no_grad()
def decode_labels(
    model: Any,
    tokenizer: Any,
    recipe: Recipe,
    examples: Sequence[Example],
    *,
    batch_size: int,
    max_input_length: int,
    max_new_tokens: int,
    device: torch.device,
) -> list[str]:
    """Greedy generations of the label branch, in the order of ``examples``.

    Decoded by the scorer's own generate (:class:`evalsuite.scoring.student.Student`), so the
    checkpoint kept as best is judged on what ``evalsuite score`` will read: for a causal
    student, the continuation alone, never the prompt decoded into the answer. Examples are
    batched in order of input length so that little padding is decoded.
    """
    was_training = _eval_mode(model)
    student = make_student(model, tokenizer, device=device, max_input_length=max_input_length)
    sources = [recipe.label_source(e) for e in examples]
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    texts: list[str] = [""] * len(sources)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        encoded = student.encode([sources[i] for i in chunk])
        generated = student.generate(encoded, GREEDY, max_new_tokens=max_new_tokens, seed=0)
        for i, text in zip(chunk, generated.texts, strict=True):
            texts[i] = text
    model.train(was_training)
    return texts


def label_accuracy(
    model: Any,
    tokenizer: Any,
    recipe: Recipe,
    examples: Sequence[Example],
    *,
    batch_size: int,
    max_input_length: int,
    max_new_tokens: int,
    ctx: Distributed = _ONE_PROCESS,
) -> LabelAccuracy:
    """Greedy-decode every example's label and judge it against the gold label.

    Under data parallelism each process decodes every ``world_size``-th example and the counts
    are summed, so every process returns the same totals.
    """
    mine = list(examples[ctx.rank :: ctx.world_size])
    texts = decode_labels(
        model,
        tokenizer,
        recipe,
        mine,
        batch_size=batch_size,
        max_input_length=max_input_length,
        max_new_tokens=max_new_tokens,
        device=ctx.device,
    )
    correct = sum(recipe.judge(text, example) for text, example in zip(texts, mine, strict=True))
    # on the process's device: NCCL reduces CUDA tensors only
    counts = torch.tensor([correct, len(mine)], dtype=torch.float64, device=ctx.device)
    counts = all_reduce_sum(counts, ctx)
    return LabelAccuracy(n_correct=int(counts[0]), n_examples=int(counts[1]))


@torch.no_grad()
def validation_loss(
    module: RecipeModule,
    encoded: EncodedSplit,
    *,
    batch_size: int,
    pad_id: int,
    ctx: Distributed = _ONE_PROCESS,
) -> dict[str, float]:
    """The recipe's loss and its parts on a split, averaged over examples.

    Each batch's token losses are averaged over its own tokens, then batches are weighted by
    their number of examples. Takes the unwrapped module: no collective runs inside forward.
    """
    was_training = _eval_mode(module)
    indices = list(range(ctx.rank, len(encoded), ctx.world_size))
    sums: dict[str, float] = {}
    for start in range(0, len(indices), batch_size):
        chunk = indices[start : start + batch_size]
        batch = {
            branch: {k: v.to(ctx.device) for k, v in tensors.items()}
            for branch, tensors in collate(encoded, chunk, pad_id=pad_id).items()
        }
        parts = module(batch, token_counts(batch))
        for name, value in parts.items():
            sums[name] = sums.get(name, 0.0) + float(value) * len(chunk)
    module.train(was_training)
    names = module.recipe.parts  # the same on every process, even one with no examples
    values = [sums.get(n, 0.0) for n in names] + [len(indices)]
    totals = all_reduce_sum(torch.tensor(values, dtype=torch.float64, device=ctx.device), ctx)
    n = float(totals[-1]) or 1.0
    return {name: float(totals[i]) / n for i, name in enumerate(names)}
