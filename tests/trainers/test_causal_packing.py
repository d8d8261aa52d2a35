"""Causal students' segment packing: one packed pass gives every recipe the loss and gradients of
one padded pass per branch (``trainers.causal_packing``)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

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
from trainers.batching import Batch
from trainers.causal_packing import (
    pack_causal_segments,
    packed_causal_outputs,
    supports_causal_packing,
)
from trainers.config import make_config
from trainers.losses import IGNORE_INDEX
from trainers.recipes import Recipe, RecipeModule, get_recipe, segment_packing
from trainers.socratic import DecomposerRecipe, SolverRecipe
from trainers.student import tiny_model

CAUSAL = ("tiny-llama", "tiny-gpt2")
ATTENTION = ("sdpa", "eager")


def _recipe(name: str, variant: str = "released") -> Recipe:
    stages = {"decompose": DecomposerRecipe, "solve": SolverRecipe}
    recipe = "socratic" if name in stages else name
    config = make_config(recipe=recipe, task="arith", out="x", mi_variant=variant, beta=0.5)
    return stages[name](config, TASK) if name in stages else get_recipe(config, TASK)


def _padding_heavy_batch(recipe: Recipe) -> tuple[Batch, object]:
    """Six examples, the first with its problem written six times: most of every padded row
    is padding."""
    examples = recipe.training_examples(EXAMPLES)[:6]
    examples[0] = dataclasses.replace(examples[0], input=" ".join([examples[0].input] * 6))
    return tokenized_batch(recipe, examples, max_input_length=512, causal=True)


def _padding_share(batch: Batch) -> float:
    """Share of the positions that one padded pass per branch computes that are padding."""
    computed = real = 0
    for tensors in batch.values():
        rows, width = tensors["input_ids"].size(0), tensors["input_ids"].size(1)
        computed += rows * (width + tensors["labels"].size(1))
        real += int(tensors["attention_mask"].sum() + (tensors["labels"] != IGNORE_INDEX).sum())
    return 1 - real / computed


def _model(tokenizer, kind: str, attention: str):
    torch.manual_seed(0)
    model = tiny_model(tokenizer, TINY, kind=kind)
    model.set_attn_implementation(attention)
    return model


RECIPE_CASES = [
    ("standard", "released"), ("single", "released"), ("dss", "released"),
    ("mi", "released"), ("mi", "infonce"), ("mixed", "released"),
    ("decompose", "released"), ("solve", "released"),
]  # fmt: skip


@pytest.mark.kernels
@pytest.mark.parametrize("attention", ATTENTION)
@pytest.mark.parametrize("kind", CAUSAL)
@pytest.mark.parametrize(("name", "variant"), RECIPE_CASES)
def test_packed_step_gives_the_padded_loss_and_gradients(name, variant, kind, attention):
    recipe = _recipe(name, variant)
    batch, tokenizer = _padding_heavy_batch(recipe)
    assert _padding_share(batch) > 0.3
    steps = {
        packed: loss_and_gradients(
            RecipeModule(_model(tokenizer, kind, attention), recipe, packed=packed), batch
        )
        for packed in (False, True)
    }
    assert_same_step(steps[True], steps[False], recipe, rtol=1e-5, atol=1e-5, grad_rtol=1e-5)


@pytest.mark.kernels
@pytest.mark.parametrize("attention", ATTENTION)
@pytest.mark.parametrize("kind", CAUSAL)
def test_packed_outputs_equal_the_padded_pass_at_every_read_position(kind, attention):
    batch, tokenizer = _padding_heavy_batch(_recipe("dss"))
    model = _model(tokenizer, kind, attention)
    assert supports_causal_packing(model)
    assert_packed_outputs_equal_padded_passes(model, batch, packed_causal_outputs)


def test_segments_share_rows_with_restarted_positions_and_block_diagonal_causal_mask(monkeypatch):
    monkeypatch.setattr(causal_packing, "CAUSAL_ROW_FACTORS", (1.0,))
    batch = {
        "label": {
            # prompts padded on either side; targets right-padded
            "input_ids": torch.tensor([[5, 6, 7], [0, 0, 8], [9, 4, 0]]),
            "attention_mask": torch.tensor([[1, 1, 1], [0, 0, 1], [1, 1, 0]]),
            "labels": torch.tensor([[10, 1], [12, 1], [1, IGNORE_INDEX]]),
        }
    }
    pack = pack_causal_segments(batch)
    # segments [5 6 7 10], [8 12] and [9 4]: the last target token is never an input
    assert pack.input_ids.tolist() == [[5, 6, 7, 10], [8, 12, 9, 4]]
    assert pack.position_ids.tolist() == [[0, 1, 2, 3], [0, 1, 0, 1]]
    lower = [[1, 0], [1, 1]]
    assert pack.mask[1, 0].long().tolist() == [
        [*lower[0], 0, 0], [*lower[1], 0, 0], [0, 0, *lower[0]], [0, 0, *lower[1]]
    ]  # fmt: skip
    assert pack.mask[0, 0].long().tolist() == torch.ones(4, 4).tril().long().tolist()
    # the last prompt token predicts target 0; 8 (past the rows) is a zero row
    assert pack.positions["label"].tolist() == [[2, 3], [4, 5], [7, 8]]
    assert pack.n_positions == 8


def test_with_padding_feeds_padded_targets_at_the_last_real_position_unseen():
    batch = {
        "label": {
            "input_ids": torch.tensor([[5, 6]]),
            "attention_mask": torch.tensor([[1, 1]]),
            "labels": torch.tensor([[1, IGNORE_INDEX, IGNORE_INDEX]]),
        }
    }
    pack = pack_causal_segments(batch, with_padding=True)
    # as the padded pass feeds it: padding read as id 0, at the position of the EOS before it
    assert pack.input_ids.tolist() == [[5, 6, 1, 0]]
    assert pack.position_ids.tolist() == [[0, 1, 2, 2]]
    # the padded input attends to every real token but not to itself
    assert pack.mask[0, 0].long().tolist() == [
        [1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 0]
    ]  # fmt: skip
    assert pack.positions["label"].tolist() == [[1, 2, 3]]
    bare = pack_causal_segments(batch)
    assert bare.input_ids.tolist() == [[5, 6]]
    assert bare.positions["label"].tolist() == [[1, 2, 2]]  # 2: the zero row


def test_row_padding_is_a_segment_of_its_own_so_no_query_row_is_empty(monkeypatch):
    monkeypatch.setattr(causal_packing, "CAUSAL_ROW_FACTORS", (1.5,))
    batch = {
        "label": {
            "input_ids": torch.tensor([[5, 6, 7], [8, 0, 0], [9, 0, 0]]),
            "attention_mask": torch.tensor([[1, 1, 1], [1, 0, 0], [1, 0, 0]]),
            "labels": torch.tensor([[1, IGNORE_INDEX], [3, 1], [4, 1]]),
        }
    }
    pack = pack_causal_segments(batch)  # segments of 3, 2 and 2 tokens in rows of 4
    assert pack.input_ids.tolist() == [[5, 6, 7, 0], [8, 3, 9, 4]]
    assert (pack.mask.sum(-1) > 0).all()
    assert pack.mask[0, 0, 3].tolist() == [False, False, False, True]  # padding sees itself


def test_a_padding_heavy_batch_packs_into_fewer_positions_reading_each_target_once():
    batch, _ = _padding_heavy_batch(_recipe("dss"))
    padded_positions = sum(t["input_ids"].numel() + t["labels"].numel() for t in batch.values())
    for with_padding in (False, True):
        pack = pack_causal_segments(batch, with_padding=with_padding)
        targets = [
            t["labels"].numel() if with_padding else int((t["labels"] != IGNORE_INDEX).sum())
            for t in batch.values()
        ]
        computed = torch.cat([i[i < pack.n_positions] for i in pack.positions.values()])
        assert computed.numel() == sum(targets) == len(set(computed.tolist()))
        assert pack.input_ids.numel() < padded_positions
    bare = pack_causal_segments(batch)
    # prompt + target - 1 tokens a segment; the rest of the rows is padding
    tokens = sum(
        int(t["attention_mask"].sum() + (t["labels"] != IGNORE_INDEX).sum()) - t["labels"].size(0)
        for t in batch.values()
    )
    assert tokens / bare.input_ids.numel() > 1 - _padding_share(batch)
    longest = max(
        int(t["attention_mask"].sum(1).max()) + t["labels"].size(1) for t in batch.values()
    )
    assert bare.input_ids.size(1) <= max(causal_packing.CAUSAL_ROW_FACTORS) * longest


def test_an_empty_prompt_is_refused_by_name():
    batch = {
        "label": {
            "input_ids": torch.tensor([[0, 0]]),
            "attention_mask": torch.tensor([[0, 0]]),
            "labels": torch.tensor([[1, 2]]),
        }
    }
    with pytest.raises(ValueError, match="needs at least one prompt token"):
        pack_causal_segments(batch)


def test_only_gpt2_and_llama_with_eager_or_sdpa_attention_are_packed():
    def model(model_type: str, attention: str, encoder_decoder: bool = False):
        config = SimpleNamespace(
            model_type=model_type,
            is_encoder_decoder=encoder_decoder,
            _attn_implementation=attention,
        )
        return SimpleNamespace(config=config)

    assert supports_causal_packing(model("llama", "sdpa"))
    assert supports_causal_packing(model("gpt2", "eager"))
    assert not supports_causal_packing(model("llama", "flex_attention"))
    assert not supports_causal_packing(model("gemma2", "sdpa"))  # soft-capped logits
    assert not supports_causal_packing(model("t5", "sdpa", encoder_decoder=True))
    assert not supports_causal_packing(SimpleNamespace())


@pytest.mark.parametrize("kind", CAUSAL)
def test_causal_students_pack_by_default(kind):
    recipe = _recipe("dss")
    _, tokenizer = _padding_heavy_batch(recipe)
    model = tiny_model(tokenizer, TINY, kind=kind)
    assert segment_packing(model) is packed_causal_outputs
    assert RecipeModule(model, recipe).packed
