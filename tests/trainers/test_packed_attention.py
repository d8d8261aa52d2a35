"""The packed passes' T5 attention computes transformers' eager formula, and is switched on only
inside a packed pass."""

from __future__ import annotations

import types

import pytest
import torch
from transformers.models.t5.modeling_t5 import eager_attention_forward

from trainers.packed_attention import PACKED_ATTENTION, packed_attention, packed_t5_attention
from trainers.packing import packed_seq2seq_outputs
from trainers.student import TinyStudentConfig, tiny_model, train_tokenizer

ROWS, HEADS, QUERIES, KEYS, DIM = 3, 2, 5, 7, 4


def _inputs(seed: int, *, bias_rows: int = 1, mask: bool = True):
    rng = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(ROWS, HEADS, n, DIM, generator=rng) for n in (QUERIES, KEYS, KEYS))
    bias = torch.randn(bias_rows, HEADS, QUERIES, KEYS, generator=rng)
    allowed = torch.rand(ROWS, 1, QUERIES, KEYS, generator=rng) > 0.4
    allowed[..., 0] = True  # every query sees a key, as in a packed pass
    additive = torch.zeros(allowed.shape).masked_fill(~allowed, torch.finfo(torch.float32).min)
    return q, k, v, bias, additive if mask else None


def _layer(*, decoder: bool, causal: bool, training: bool = False):
    return types.SimpleNamespace(is_decoder=decoder, is_causal=causal, training=training)


@pytest.mark.parametrize(
    ("decoder", "causal", "bias_rows", "mask", "scaling"),
    [(False, False, 1, True, 1.0), (True, True, 1, True, 1.0), (False, False, ROWS, True, 1.0),
     (False, False, 1, False, 1.0), (False, False, 1, True, 0.5), (True, True, 1, True, None)],
)  # fmt: skip
def test_self_attention_is_the_eager_formula(decoder, causal, bias_rows, mask, scaling):
    q, k, v, bias, additive = _inputs(0, bias_rows=bias_rows, mask=mask)
    layer = _layer(decoder=decoder, causal=causal)
    ours = packed_t5_attention(layer, q, k, v, additive, scaling=scaling, position_bias=bias)
    eager = eager_attention_forward(layer, q, k, v, additive, scaling=scaling, position_bias=bias)
    for mine, theirs in zip(ours, eager, strict=True):
        torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-6)


def test_cross_attention_leaves_out_only_t5_s_zero_bias():
    q, k, v, _, additive = _inputs(1)
    zeros = torch.zeros(1, HEADS, QUERIES, KEYS)
    layer = _layer(decoder=True, causal=False)
    ours = packed_t5_attention(layer, q, k, v, additive, scaling=1.0, position_bias=zeros)
    eager = eager_attention_forward(layer, q, k, v, additive, scaling=1.0, position_bias=zeros)
    torch.testing.assert_close(ours[0], eager[0], rtol=0, atol=0)  # adding zeros changes nothing


def test_gradients_are_the_eager_formula_s():
    grads = []
    for attention in (packed_t5_attention, eager_attention_forward):
        q, k, v, bias, additive = _inputs(2)
        leaves = [t.requires_grad_() for t in (q, k, v, bias)]
        layer = _layer(decoder=False, causal=False, training=True)
        out, _ = attention(layer, q, k, v, additive, scaling=1.0, position_bias=bias)
        (out * torch.linspace(-1, 1, out.numel()).view(out.shape)).sum().backward()
        grads.append([t.grad for t in leaves])
    for mine, theirs in zip(*grads, strict=True):
        torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-6)


def test_dropout_follows_the_layer_s_training_flag():
    q, k, v, bias, additive = _inputs(3)
    evaluating = packed_t5_attention(
        _layer(decoder=False, causal=False), q, k, v, additive, dropout=0.5, position_bias=bias
    )
    plain = packed_t5_attention(
        _layer(decoder=False, causal=False), q, k, v, additive, dropout=0.0, position_bias=bias
    )
    torch.testing.assert_close(evaluating[0], plain[0])
    torch.manual_seed(0)
    training = packed_t5_attention(
        _layer(decoder=False, causal=False, training=True), q, k, v, additive, dropout=0.5,
        position_bias=bias,
    )  # fmt: skip
    assert (training[1] == 0).any() and not torch.allclose(training[0], plain[0])


def _tiny_t5():
    texts = ["predict: 1 + 2", "explain: 1 + 2", "3", "one and two make three"]
    tokenizer = train_tokenizer(texts, vocab_size=60, pieces="bpe")
    config = TinyStudentConfig(
        vocab_size=60, d_model=8, d_ff=16, num_layers=1, num_decoder_layers=1, num_heads=2, d_kv=4
    )
    torch.manual_seed(0)
    return tiny_model(tokenizer, config), tokenizer


def test_only_the_packed_pass_runs_it_and_the_model_gets_its_own_back():
    model, tokenizer = _tiny_t5()
    configs = {id(m.config): m.config for m in model.modules() if hasattr(m, "config")}
    assert len(configs) >= 3  # the model's and its encoder's and decoder's copies
    with packed_attention(model):
        seen = [c._attn_implementation for c in configs.values()]
    assert seen == [PACKED_ATTENTION] * len(configs)
    assert [c._attn_implementation for c in configs.values()] == ["sdpa"] * len(configs)
    with pytest.raises(RuntimeError, match="inside"), packed_attention(model):
        raise RuntimeError("inside")
    assert [c._attn_implementation for c in configs.values()] == ["sdpa"] * len(configs)

    # a packed pass leaves the model as built
    ids = tokenizer(["predict: 1 + 2", "explain: 1 + 2"], return_tensors="pt", padding=True)
    labels = tokenizer(text_target=["3", "one and two make three"], return_tensors="pt",
                       padding=True)["input_ids"]  # fmt: skip
    labels[labels == tokenizer.pad_token_id] = -100
    batch = {
        branch: {"input_ids": ids["input_ids"][i : i + 1],
                 "attention_mask": ids["attention_mask"][i : i + 1], "labels": labels[i : i + 1]}
        for i, branch in enumerate(("label", "rationale"))
    }  # fmt: skip
    packed_seq2seq_outputs(model, batch, hidden=False, with_padding=False)
    assert model.config._attn_implementation == "sdpa"
