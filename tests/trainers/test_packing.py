"""Packed branches: one forward pass over every branch gives the two-pass loss and gradients."""

from __future__ import annotations

import pytest
import torch

from evalsuite.data import ArithConfig, generate_arith
from evalsuite.tasks import get_task
from trainers.batching import collate, encode_pairs, pack_branches
from trainers.config import make_config
from trainers.losses import IGNORE_INDEX
from trainers.recipes import RecipeModule, get_recipe, token_counts
from trainers.student import TinyStudentConfig, tiny_model, train_tokenizer

TASK = get_task("arith")
EXAMPLES = generate_arith(ArithConfig(n_train=8, n_valid=0, n_test=0))["train"]
TINY = TinyStudentConfig(
    vocab_size=150, d_model=16, d_ff=32, num_layers=2, num_decoder_layers=2, num_heads=2, d_kv=8
)


def _batch_and_tokenizer(chosen, *, causal: bool = False):
    pairs = [chosen.pairs(e, e.gold) for e in EXAMPLES]
    texts = [p.source for pair in pairs for p in pair.values()]
    texts += [p.target for pair in pairs for p in pair.values()]
    tokenizer = train_tokenizer(texts, vocab_size=150, pieces="bpe")
    encoded = encode_pairs(
        pairs, tokenizer, max_input_length=64, max_target_length=64, causal=causal
    )
    return collate(encoded, range(6), pad_id=tokenizer.pad_token_id), tokenizer


def test_pack_branches_stacks_and_unpacks_each_branch_to_its_own_shape():
    chosen = get_recipe(make_config(recipe="dss", task="arith", out="x"), TASK)
    batch, tokenizer = _batch_and_tokenizer(chosen)
    packed = pack_branches(batch, pad_id=tokenizer.pad_token_id)
    widths = {b: t["labels"].size(1) for b, t in batch.items()}
    assert widths["rationale"] > widths["label"]  # the label branch is padded in the pack
    assert packed.tensors["labels"].shape == (12, widths["rationale"])
    for branch, tensors in batch.items():
        assert torch.equal(packed.unpack(packed.tensors["labels"], branch), tensors["labels"])
        rows = packed.tensors["labels"][packed.rows[branch]]
        assert (rows[:, widths[branch] :] == IGNORE_INDEX).all()
        ids = packed.tensors["input_ids"][packed.rows[branch]]
        mask = packed.tensors["attention_mask"][packed.rows[branch]]
        n = tensors["input_ids"].size(1)
        assert torch.equal(ids[:, :n], tensors["input_ids"])
        assert torch.equal(mask[:, :n], tensors["attention_mask"])
        assert (ids[:, n:] == tokenizer.pad_token_id).all() and (mask[:, n:] == 0).all()


@pytest.mark.kernels
@pytest.mark.parametrize(
    ("name", "variant", "kind"),
    [("dss", "released", "tiny"), ("mi", "released", "tiny"), ("mi", "infonce", "tiny"),
     ("mixed", "released", "tiny"), ("dss", "released", "tiny-gpt2"),
     ("mi", "infonce", "tiny-llama"), ("mixed", "released", "tiny-gpt2")],
)  # fmt: skip
def test_packed_forward_gives_the_two_pass_loss_and_gradients(name, variant, kind):
    # A causal student's packed prompts are right-padded to the widest branch; its forward
    # left-aligns them, so packing changes no number there either.
    chosen = get_recipe(
        make_config(recipe=name, task="arith", out="x", mi_variant=variant, beta=0.5), TASK
    )
    batch, tokenizer = _batch_and_tokenizer(chosen, causal=kind != "tiny")
    results = {}
    for packed in (False, True):
        torch.manual_seed(0)
        module = RecipeModule(tiny_model(tokenizer, TINY, kind=kind), chosen, packed=packed)
        parts = module(batch, token_counts(batch))
        parts["loss"].backward()
        grads = {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
        results[packed] = ({k: float(v.detach()) for k, v in parts.items()}, grads)
    (two_pass, two_grads), (one_pass, one_grads) = results[False], results[True]
    assert set(one_pass) == set(chosen.parts)
    for part, value in two_pass.items():
        assert one_pass[part] == pytest.approx(value, rel=1e-5, abs=1e-6), part
    assert set(one_grads) == set(two_grads)
    for parameter, grad in two_grads.items():
        torch.testing.assert_close(one_grads[parameter], grad, rtol=1e-4, atol=1e-6)
