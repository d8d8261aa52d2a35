"""The benchmark's release-style reference trainer computes the same dss loss as our recipe.

If the two disagreed, bench/train.py would compare steps of different work. One real
``trainer.train()`` step also pins the Trainer API the reference relies on (``compute_loss``'s
``num_items_in_batch``), so an upstream signature change fails here, not in the benchmark.
"""

from __future__ import annotations

import pytest
import torch

from bench.train import release_style_trainer
from evalsuite.data import ArithConfig, generate_arith
from evalsuite.tasks import get_task
from trainers.batching import collate, encode_pairs
from trainers.config import make_config
from trainers.recipes import RecipeModule, get_recipe, token_counts
from trainers.student import TinyStudentConfig, tiny_model, train_tokenizer


@pytest.mark.kernels
def test_reference_trainer_matches_our_dss_loss_and_takes_a_step(tmp_path):
    examples = generate_arith(ArithConfig(n_train=4, n_valid=0, n_test=0))["train"]
    recipe = get_recipe(make_config(recipe="dss", task="arith", out="x"), get_task("arith"))
    pairs = [recipe.pairs(e, e.gold) for e in examples]
    texts = [t for p in pairs for pair in p.values() for t in (pair.source, pair.target)]
    tokenizer = train_tokenizer(texts, vocab_size=120, pieces="bpe")
    torch.manual_seed(0)
    shape = TinyStudentConfig(d_model=16, d_ff=32, num_layers=1, num_decoder_layers=1,
                              num_heads=2, d_kv=8)  # fmt: skip
    model = tiny_model(tokenizer, shape)

    encoded = encode_pairs(pairs, tokenizer, max_input_length=128, max_target_length=128)
    ours = RecipeModule(model, recipe)
    batch = collate(encoded, range(4), pad_id=tokenizer.pad_token_id)
    expected = float(ours(batch, token_counts(batch))["loss"].detach())

    dataset = [
        {"input_ids": encoded.sources["label"][i], "labels": encoded.targets["label"][i],
         "expl_input_ids": encoded.sources["rationale"][i],
         "expl_labels": encoded.targets["rationale"][i]}
        for i in range(4)
    ]  # fmt: skip
    trainer = release_style_trainer(
        model, tokenizer, dataset, output_dir=str(tmp_path), batch_size=4, max_steps=1, lr=1e-3
    )
    inputs = trainer.data_collator(dataset)
    assert float(trainer.compute_loss(model, inputs).detach()) == pytest.approx(expected, rel=1e-5)

    before = model.shared.weight.detach().clone()
    trainer.train()
    assert not torch.equal(before, model.shared.weight.detach())
