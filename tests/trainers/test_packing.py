"""Packed branches: one forward pass over every branch gives the two-pass loss and gradients.

A T5 student packs its segments into rows with almost no padding (``trainers.packing``), a GPT-2
or LLaMA student too (``trainers.causal_packing``, tested in ``test_causal_packing.py``); other
students stack their branches (``trainers.batching.pack_branches``).
"""

from __future__ import annotations

import itertools

import pytest
import torch

from tests.trainers.packed_steps import (
    EXAMPLES,
    TASK,
    TINY,
    assert_packed_outputs_equal_padded_passes,
    assert_same_step,
    loss_and_gradients,
    tokenized_batch,
)
from trainers import causal_packing
from trainers.batching import pack_branches
from trainers.config import make_config
from trainers.losses import IGNORE_INDEX
from trainers.packing import (
    ENCODER_ROW_FACTORS,
    first_fit_decreasing,
    pack_segments,
    packed_seq2seq_outputs,
    supports_segment_packing,
)
from trainers.recipes import RecipeModule, get_recipe
from trainers.student import tiny_model, use_fused_gelu


def _batch_and_tokenizer(chosen, *, causal: bool = False):
    return tokenized_batch(chosen, EXAMPLES[:6], max_input_length=64, causal=causal)


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


def _packed_against_two_passes(chosen, kind: str, *, causal: bool) -> None:
    """The packed step of a ``kind`` student gives the two-pass loss parts and gradients."""
    batch, tokenizer = _batch_and_tokenizer(chosen, causal=causal)
    steps = {}
    for packed in (False, True):
        torch.manual_seed(0)
        module = RecipeModule(tiny_model(tokenizer, TINY, kind=kind), chosen, packed=packed)
        steps[packed] = loss_and_gradients(module, batch)
    assert_same_step(steps[True], steps[False], chosen, rtol=1e-5, atol=1e-6, grad_rtol=1e-4)


@pytest.mark.kernels
@pytest.mark.parametrize(
    ("name", "variant", "kind"),
    [("dss", "released", "tiny"), ("mi", "released", "tiny"), ("mi", "infonce", "tiny"),
     ("mixed", "released", "tiny"), ("standard", "released", "tiny"),
     ("single", "released", "tiny"), ("dss", "released", "tiny-gpt2"),
     ("mi", "infonce", "tiny-llama"), ("mixed", "released", "tiny-gpt2")],
)  # fmt: skip
def test_packed_forward_gives_the_two_pass_loss_and_gradients(name, variant, kind):
    # Causal students pack their segments too (trainers.causal_packing; tested per recipe and
    # attention in tests/trainers/test_causal_packing.py).
    chosen = get_recipe(
        make_config(recipe=name, task="arith", out="x", mi_variant=variant, beta=0.5), TASK
    )
    _packed_against_two_passes(chosen, kind, causal=kind != "tiny")


@pytest.mark.kernels
@pytest.mark.parametrize(("name", "kind"), [("dss", "tiny-gpt2"), ("mixed", "tiny-llama")])
def test_stacked_branches_give_the_two_pass_loss_where_segments_are_not_packed(
    name, kind, monkeypatch
):
    # A causal student of an architecture segment packing does not cover stacks its branches
    # when asked to pack: its packed prompts are right-padded to the widest branch, and its
    # forward left-aligns them, so stacking changes no number either.
    monkeypatch.setattr(causal_packing, "CAUSAL_PACKING_MODELS", frozenset())
    chosen = get_recipe(make_config(recipe=name, task="arith", out="x"), TASK)
    _packed_against_two_passes(chosen, kind, causal=True)


def test_first_fit_decreasing_fills_rows_without_overlap_or_overflow():
    lengths = [7, 3, 9, 2, 5, 5, 1, 8, 4]
    place = first_fit_decreasing(lengths, capacity=10)
    rows: dict[int, list[tuple[int, int]]] = {}
    for (row, offset), n in zip(place, lengths, strict=True):
        rows.setdefault(row, []).append((offset, offset + n))
    for spans in rows.values():
        spans.sort()
        assert spans[0][0] == 0 and spans[-1][1] <= 10
        assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))  # no gap, no overlap
    assert len(rows) == 5  # sum 44 over rows of 10: the fewest rows that can hold it
    assert first_fit_decreasing([12, 3], capacity=10) == [(0, 0), (1, 0)]  # too long: own row


@pytest.mark.parametrize("with_padding", [False, True])
def test_pack_segments_keeps_every_token_once_and_every_segment_to_itself(with_padding):
    chosen = get_recipe(make_config(recipe="dss", task="arith", out="x"), TASK)
    batch, _ = _batch_and_tokenizer(chosen)
    shifted = {b: t["labels"].clamp(min=0) + 1000 for b, t in batch.items()}  # recognisable
    pack = pack_segments(batch, shifted, pad_id=0, with_padding=with_padding)
    real_sources = sum(int(t["attention_mask"].sum()) for t in batch.values())
    assert int((pack.encoder_ids != 0).sum()) == real_sources  # each source token exactly once
    longest = max(int(t["attention_mask"].sum(1).max()) for t in batch.values())
    assert pack.encoder_ids.size(1) <= max(ENCODER_ROW_FACTORS) * longest
    # never more positions than one padded pass per branch computes
    assert pack.encoder_ids.numel() <= sum(t["input_ids"].numel() for t in batch.values())
    assert pack.decoder_ids.numel() <= sum(t["labels"].numel() for t in batch.values())
    flat_decoder = pack.decoder_ids.reshape(-1)
    for branch, tensors in batch.items():
        index = pack.positions[branch]
        real = tensors["labels"] != IGNORE_INDEX
        computed = index < pack.n_decoder_positions
        assert torch.equal(computed, torch.ones_like(real) if with_padding else real)
        assert torch.equal(flat_decoder[index[computed]], shifted[branch][computed])
    # one segment never sees another: masks are block diagonal, the decoder's causal within
    decoder_mask = pack.decoder_mask[:, 0]
    assert not torch.triu(decoder_mask.float(), diagonal=1).any()
    for row in range(pack.decoder_ids.size(0)):
        keys_per_query = pack.cross_mask[row, 0].sum(1)
        assert (keys_per_query > 0).all()
    assert pack.encoder_mask.shape[-1] == pack.encoder_ids.size(1)


@pytest.mark.kernels
@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_packed_outputs_equal_a_padded_pass_per_branch(attention):
    chosen = get_recipe(make_config(recipe="dss", task="arith", out="x"), TASK)
    batch, tokenizer = _batch_and_tokenizer(chosen)
    torch.manual_seed(0)
    model = tiny_model(tokenizer, TINY)
    model.set_attn_implementation(attention)
    assert supports_segment_packing(model)
    assert_packed_outputs_equal_padded_passes(model, batch, packed_seq2seq_outputs)


def test_only_the_released_mi_term_reads_padded_positions():
    reads = {
        (name, variant): get_recipe(
            make_config(recipe=name, task="arith", out="x", mi_variant=variant), TASK
        ).reads_padded_positions
        for name, variant in [("dss", "released"), ("mi", "released"), ("mi", "infonce"),
                              ("mixed", "released"), ("standard", "released")]
    }  # fmt: skip
    assert [key for key, value in reads.items() if value] == [("mi", "released")]


def test_packing_is_the_default_only_where_it_changes_no_number(monkeypatch):
    chosen = get_recipe(make_config(recipe="dss", task="arith", out="x"), TASK)
    _, tokenizer = _batch_and_tokenizer(chosen)
    assert RecipeModule(tiny_model(tokenizer, TINY), chosen).packed
    assert RecipeModule(tiny_model(tokenizer, TINY, kind="tiny-gpt2"), chosen).packed
    # a causal architecture segment packing does not cover runs one padded pass per branch
    monkeypatch.setattr(causal_packing, "CAUSAL_PACKING_MODELS", frozenset())
    assert not RecipeModule(tiny_model(tokenizer, TINY, kind="tiny-gpt2"), chosen).packed


@pytest.mark.kernels
def test_fused_gelu_swaps_t5_activations_for_the_same_function():
    chosen = get_recipe(make_config(recipe="standard", task="arith", out="x"), TASK)
    batch, tokenizer = _batch_and_tokenizer(chosen)
    torch.manual_seed(0)
    model = tiny_model(tokenizer, TINY)
    tensors = batch["label"]
    with torch.no_grad():
        before = model(**tensors).logits
        assert use_fused_gelu(model) == TINY.num_layers + TINY.num_decoder_layers
        after = model(**tensors).logits
    assert use_fused_gelu(model) == 0  # nothing left to swap
    torch.testing.assert_close(after, before, rtol=1e-5, atol=1e-6)
