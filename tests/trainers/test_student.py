"""The tiny student's tokenizer and model."""

from __future__ import annotations

import pytest
import torch

from evalsuite.data import ArithConfig, generate_arith
from evalsuite.errors import UsageError
from trainers.student import TinyStudentConfig, tiny_model, train_tokenizer

EXAMPLES = generate_arith(ArithConfig(n_train=300, n_valid=0, n_test=0))["train"]
TEXTS = [t for e in EXAMPLES for t in ("predict: " + e.input, e.gold, e.teacher_rationale or "")]


def test_bpe_pieces_keep_words_and_numbers_whole():
    tokenizer = train_tokenizer(TEXTS, vocab_size=800, pieces="bpe")
    example = EXAMPLES[0]
    label = tokenizer.convert_ids_to_tokens(tokenizer(example.gold)["input_ids"])
    numbers = [t for t in label if t.strip("\u2581").isdigit()]
    assert len(numbers) == example.gold.count(".0")  # each number one piece, then ".0"
    assert label.count(".0") == len(numbers)
    unigram = train_tokenizer(TEXTS, vocab_size=800, pieces="unigram")
    assert len(tokenizer(example.input)["input_ids"]) < len(unigram(example.input)["input_ids"])


def test_a_label_number_is_the_token_of_the_problem_number():
    # "( 49.0 + 3.0 )" holds the token of the problem's "49": a student copies numbers
    # instead of learning, number by number, that 49 is written 49.0 (issue 15)
    tokenizer = train_tokenizer(TEXTS, vocab_size=800, pieces="bpe")
    for example in EXAMPLES[:50]:
        problem = set(tokenizer(example.input)["input_ids"])
        label = tokenizer.convert_ids_to_tokens(tokenizer(example.gold)["input_ids"])
        numbers = [t for t in label if t.strip("\u2581").isdigit()]
        assert numbers
        assert set(tokenizer.convert_tokens_to_ids(numbers)) <= problem, example.gold


def test_bpe_pieces_keep_every_number_of_the_texts_whole():
    # a small vocabulary: BPE alone would spell most numbers in fragments
    tokenizer = train_tokenizer(TEXTS, vocab_size=200, pieces="bpe")
    numbers = {w.rstrip(".") for t in TEXTS for w in t.split() if w.rstrip(".")[:1].isdigit()}
    assert len(numbers) > 100  # integers and the labels' 41.0 forms
    assert any("." in n for n in numbers)
    whole_then_fraction = {n: ["\u2581" + n.partition(".")[0]] for n in numbers}
    for n in numbers:
        if "." in n:
            whole_then_fraction[n].append("." + n.partition(".")[2])
    split = {n for n in numbers if tokenizer.tokenize(n) != whole_then_fraction[n]}
    assert split == set()
    # a number inside a sentence, before a full stop, and in an equation is one piece too
    number = max((n for n in numbers if "." not in n), key=len)
    assert "\u2581" + number in tokenizer.tokenize(f"Mei has {number}.")
    assert tokenizer.tokenize(f"( {number}.0 + 3.0 )")[1:3] == ["\u2581" + number, ".0"]
    # a number the texts never hold is still spelled, in pieces
    assert "".join(tokenizer.tokenize("987654321")).lstrip("\u2581") == "987654321"


@pytest.mark.parametrize("pieces", ["unigram", "bpe"])
def test_tokenizer_round_trips_and_keeps_t5_special_ids(pieces):
    tokenizer = train_tokenizer(TEXTS, vocab_size=400, pieces=pieces)
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (0, 1, 2)
    for text in TEXTS[:30]:
        ids = tokenizer(text)["input_ids"]
        assert ids[-1] == 1
        assert tokenizer.decode(ids, skip_special_tokens=True) == " ".join(text.split())


@pytest.mark.kernels
def test_tiny_model_decodes_from_the_pad_token():
    tokenizer = train_tokenizer(TEXTS, vocab_size=200, pieces="bpe")
    torch.manual_seed(0)
    shape = TinyStudentConfig(
        d_model=16, d_ff=32, num_layers=1, num_decoder_layers=1, num_heads=2, d_kv=8
    )
    model = tiny_model(tokenizer, shape)
    shifted = model.prepare_decoder_input_ids_from_labels(labels=torch.tensor([[5, 6, 1]]))
    assert shifted.tolist() == [[0, 5, 6]]
    out = model.generate(torch.tensor([[5, 6, 1]]), max_new_tokens=3, do_sample=False)
    assert out[0, 0].item() == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [({"d_model": 0}, "d_model must be positive, got 0"),
     ({"dropout_rate": 1.0}, r"dropout_rate must be in \[0, 1\), got 1.0"),
     ({"pieces": "word"}, "pieces must be one of unigram, bpe, got 'word'")],
)  # fmt: skip
def test_invalid_tiny_shapes_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message):
        TinyStudentConfig(**options)


def test_relative_attention_buckets_reach_the_t5_config():
    tokenizer = train_tokenizer(TEXTS, vocab_size=200, pieces="bpe")
    shape = TinyStudentConfig(
        d_model=16, d_ff=32, num_layers=1, num_decoder_layers=1, num_heads=2, d_kv=8,
        relative_attention_num_buckets=64, relative_attention_max_distance=96,
    )  # fmt: skip
    config = tiny_model(tokenizer, shape).config
    assert (config.relative_attention_num_buckets, config.relative_attention_max_distance) == (
        64,
        96,
    )
    with pytest.raises(UsageError, match="relative_attention_num_buckets must be positive"):
        TinyStudentConfig(relative_attention_num_buckets=0)
