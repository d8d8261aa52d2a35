"""Shared pieces of the packing tests (``test_packing.py`` for T5 segments and stacked branches,
``test_causal_packing.py`` for causal segments): a handful of arith examples, a very small
student, a batch tokenised by a tokenizer trained on its own text, and the one comparison they
all make: a packed step's loss parts and gradients against one padded pass per branch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
import torch

from evalsuite.data import ArithConfig, generate_arith
from evalsuite.example import Example
from evalsuite.tasks import get_task
from trainers.batching import Batch, collate, encode_pairs
from trainers.recipes import Recipe, RecipeModule, token_counts
from trainers.student import TinyStudentConfig, train_tokenizer

TASK = get_task("arith")
EXAMPLES = generate_arith(ArithConfig(n_train=8, n_valid=0, n_test=0))["train"]
TINY = TinyStudentConfig(
    vocab_size=150, d_model=16, d_ff=32, num_layers=2, num_decoder_layers=2, num_heads=2, d_kv=8
)

Step = tuple[dict[str, float], dict[str, torch.Tensor]]
"""A step's loss parts and the gradient of every parameter that has one."""


def tokenized_batch(
    recipe: Recipe, examples: Sequence[Example], *, max_input_length: int, causal: bool
) -> tuple[Batch, Any]:
    """``examples``' training pairs under ``recipe`` as one padded batch, and the tokenizer
    (trained on the pairs' own text) that encoded it."""
    pairs = [recipe.pairs(e, e.gold) for e in examples]
    texts = [p.source for pair in pairs for p in pair.values()]
    texts += [p.target for pair in pairs for p in pair.values()]
    tokenizer = train_tokenizer(texts, vocab_size=150, pieces="bpe")
    encoded = encode_pairs(
        pairs, tokenizer, max_input_length=max_input_length, max_target_length=64, causal=causal
    )
    return collate(encoded, range(len(examples)), pad_id=tokenizer.pad_token_id), tokenizer


def loss_and_gradients(module: RecipeModule, batch: Batch) -> Step:
    """One forward and backward pass of ``module`` on ``batch``."""
    parts = module(batch, token_counts(batch))
    parts["loss"].backward()
    grads = {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
    return {k: float(v.detach()) for k, v in parts.items()}, grads


def assert_same_step(
    packed: Step, padded: Step, recipe: Recipe, *, rtol: float, atol: float, grad_rtol: float
) -> None:
    """The packed step has every loss part of ``recipe`` and the padded step's values and
    gradients, within the tolerances."""
    (packed_parts, packed_grads), (padded_parts, padded_grads) = packed, padded
    assert set(packed_parts) == set(recipe.parts)
    for part, value in padded_parts.items():
        assert packed_parts[part] == pytest.approx(value, rel=rtol, abs=atol), part
    assert set(packed_grads) == set(padded_grads)
    for parameter, grad in padded_grads.items():
        torch.testing.assert_close(packed_grads[parameter], grad, rtol=grad_rtol, atol=atol)


def assert_packed_outputs_equal_padded_passes(
    model: Any, batch: Batch, packed_outputs: Callable[..., dict[str, Any]]
) -> None:
    """``packed_outputs(model, batch, ...)`` (a packing's forward pass) gives each branch the
    logits and states one padded pass per branch gives: at every position with the padding a
    loss may read (``with_padding``), and, without it, the output layer only at real targets."""
    from evalsuite.scoring.student import forced_outputs
    from trainers.losses import IGNORE_INDEX

    with torch.no_grad():
        padded_passes = {
            b: forced_outputs(model, t["input_ids"], t["attention_mask"], t["labels"], hidden=True)
            for b, t in batch.items()
        }
        padded = packed_outputs(model, batch, hidden=True, with_padding=True)
        bare = packed_outputs(model, batch, hidden=True, with_padding=False)
    for branch, tensors in batch.items():
        real = tensors["labels"] != IGNORE_INDEX
        logits, states = padded_passes[branch]
        assert states is not None
        # the padded pass's outputs past a target's end are real numbers a loss may read
        assert (logits[~real].abs().sum(-1) > 0).all()
        torch.testing.assert_close(padded[branch].logits, logits, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(padded[branch].hidden, states, rtol=1e-5, atol=1e-5)
        # the output layer runs only where a loss reads it
        assert padded[branch].token_logits is None and bare[branch].logits is None
        torch.testing.assert_close(bare[branch].token_logits, logits[real], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(bare[branch].hidden[real], states[real], rtol=1e-5, atol=1e-5)
        assert (bare[branch].hidden[~real] == 0).all()
