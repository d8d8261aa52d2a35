"""Recipes: what each student reads and writes, its prompt format, and its loss on a real model."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from evalsuite.checkpoint import PromptFormat
from evalsuite.data import ArithConfig, generate_arith
from evalsuite.errors import DataError, UsageError
from evalsuite.tasks import get_task
from trainers.batching import collate, encode_pairs
from trainers.config import make_config
from trainers.data import training_label
from trainers.recipes import RecipeModule, get_recipe, token_counts
from trainers.student import TinyStudentConfig, tiny_model, train_tokenizer

TASK = get_task("arith")
EXAMPLES = generate_arith(ArithConfig(n_train=6, n_valid=0, n_test=0, label_noise=1.0))["train"]
TINY = TinyStudentConfig(
    vocab_size=120, d_model=16, d_ff=32, num_layers=1, num_decoder_layers=1, num_heads=2, d_kv=8
)


def recipe(name: str, **options):
    return get_recipe(make_config(recipe=name, task="arith", out="x", **options), TASK)


def test_standard_reads_the_input_and_writes_the_label():
    example = EXAMPLES[0]
    standard = recipe("standard")
    pairs = standard.pairs(example, example.gold)
    assert list(pairs) == ["label"]
    assert (pairs["label"].source, pairs["label"].target) == (example.input, example.gold)
    assert standard.prompt_format() == PromptFormat(
        recipe="standard", task="arith", output="label", label_prefix="", max_input_length=1024
    )


def test_teacher_label_source_trains_on_the_teacher_label():
    example = EXAMPLES[0]  # label_noise=1.0: every teacher label is wrong
    assert example.teacher_label != example.gold
    assert training_label(example, "teacher") == example.teacher_label
    assert training_label(example, "gold") == example.gold
    with pytest.raises(DataError, match="train example train-0: no teacher label"):
        training_label(replace(example, teacher_label=None), "teacher")


def test_single_writes_rationale_then_label_and_reads_the_label_back():
    example = EXAMPLES[1]
    single = recipe("single")
    target = single.pairs(example, example.gold)["label"].target
    assert target == f"{example.teacher_rationale} So the answer is {example.gold}"
    assert single.label_text(target) == example.gold
    assert single.prompt_format().output == "rationale_then_label"


@pytest.mark.parametrize("name", ["dss", "mi"])
def test_multitask_recipes_use_the_release_prefixes(name):
    example = EXAMPLES[2]
    chosen = recipe(name)
    pairs = chosen.pairs(example, example.gold)
    assert pairs["label"].source == "predict: " + example.input
    assert pairs["label"].target == example.gold
    assert pairs["rationale"].source == "explain: " + example.input
    assert pairs["rationale"].target == example.teacher_rationale
    assert chosen.label_source(example) == "predict: " + example.input
    prompt = chosen.prompt_format()
    assert (prompt.output, prompt.label_prefix, prompt.rationale_prefix) == (
        "multitask", "predict: ", "explain: "
    )  # fmt: skip


def test_rationale_recipes_refuse_examples_without_a_rationale():
    example = replace(EXAMPLES[0], teacher_rationale=None)
    with pytest.raises(DataError, match="recipe 'dss' trains on the teacher's rationales"):
        recipe("dss").pairs(example, example.gold)


def test_socratic_is_two_stage_recipes_not_one():
    with pytest.raises(UsageError, match="recipe 'socratic' is two students"):
        recipe("socratic")


@pytest.mark.kernels
@pytest.mark.parametrize(
    ("name", "variant"),
    [("standard", "released"), ("single", "released"), ("dss", "released"),
     ("mi", "released"), ("mi", "infonce")],
)  # fmt: skip
def test_recipe_loss_on_a_tiny_model(name, variant):
    chosen = recipe(name, mi_variant=variant, alpha=0.3, beta=0.5)
    texts = [t for e in EXAMPLES for t in (e.input, e.gold, e.teacher_rationale or "")]
    tokenizer = train_tokenizer(["predict: explain: So the answer is", *texts], vocab_size=120)
    torch.manual_seed(0)
    module = RecipeModule(tiny_model(tokenizer, TINY), chosen)
    pairs = [chosen.pairs(e, e.gold) for e in EXAMPLES]
    encoded = encode_pairs(pairs, tokenizer, max_input_length=64, max_target_length=64)
    batch = collate(encoded, range(4), pad_id=tokenizer.pad_token_id)
    parts = module(batch, token_counts(batch))
    assert tuple(sorted(parts)) == tuple(sorted(chosen.parts))
    assert all(math.isfinite(float(v.detach())) for v in parts.values())
    if name in ("dss", "mi"):
        dss = 0.3 * parts["label"] + 0.7 * parts["rationale"]
        extra = 0.5 * parts["mi"] if name == "mi" else 0.0
        assert float(parts["loss"].detach()) == pytest.approx(
            float((dss + extra).detach()), rel=1e-6
        )
    parts["loss"].backward()
    assert module.model.shared.weight.grad.abs().sum() > 0
    if variant == "infonce" and name == "mi":
        assert module.extra is not None
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.extra.parameters())
    else:
        assert module.extra is None
