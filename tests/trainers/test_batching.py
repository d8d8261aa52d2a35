"""Batch schedule, sharding and padding."""

from __future__ import annotations

import numpy as np
import pytest

from trainers.batching import EncodedSplit, Pair, batch_indices, collate, encode_pairs, shard
from trainers.losses import IGNORE_INDEX


@pytest.mark.parametrize(("n_examples", "batch_size"), [(10, 3), (7, 7), (3, 8), (50, 16)])
def test_batch_indices_visit_every_example_once_per_epoch(n_examples, batch_size):
    n_steps = 4 * n_examples  # a whole number of epochs: n_steps * batch_size / n_examples
    stream = np.concatenate(
        [batch_indices(s, n_examples=n_examples, batch_size=batch_size, seed=5)
         for s in range(n_steps)]
    )  # fmt: skip
    epochs = stream.reshape(-1, n_examples)
    for epoch in epochs:
        assert sorted(epoch.tolist()) == list(range(n_examples))
    assert all(
        len(batch_indices(s, n_examples=n_examples, batch_size=batch_size, seed=5)) == batch_size
        for s in range(n_steps)
    )


def test_batch_indices_are_a_pure_function_of_seed_and_step():
    first = batch_indices(7, n_examples=20, batch_size=6, seed=1)
    assert np.array_equal(first, batch_indices(7, n_examples=20, batch_size=6, seed=1))
    others = [batch_indices(7, n_examples=20, batch_size=6, seed=s) for s in range(2, 6)]
    assert any(not np.array_equal(first, other) for other in others)


def test_batch_indices_are_the_seeded_permutation_of_each_epoch():
    # pins the stream to its definition: one default_rng([seed, epoch]) permutation per epoch,
    # whether the epoch's permutation is drawn afresh or reused from the previous step
    stream = np.concatenate(
        [batch_indices(s, n_examples=10, batch_size=4, seed=3) for s in range(5)]
    )
    expected = np.concatenate(
        [np.random.default_rng([3, epoch]).permutation(10) for epoch in range(2)]
    )
    assert np.array_equal(stream, expected)
    stream[0] = -1  # a caller that writes into its batch changes no later batch
    assert np.array_equal(batch_indices(0, n_examples=10, batch_size=4, seed=3), expected[:4])


def test_shards_concatenate_to_the_global_batch():
    indices = np.arange(12)
    parts = [shard(indices, rank=r, world_size=3) for r in range(3)]
    assert np.array_equal(np.concatenate(parts), indices)


def test_collate_pads_sources_with_pad_and_targets_with_ignore_index():
    encoded = EncodedSplit(
        sources={"label": [[5, 6, 1], [7, 1]]}, targets={"label": [[9, 1], [3, 4, 8, 1]]}
    )
    batch = collate(encoded, [1, 0], pad_id=0)["label"]
    assert batch["input_ids"].tolist() == [[7, 1, 0], [5, 6, 1]]
    assert batch["attention_mask"].tolist() == [[1, 1, 0], [1, 1, 1]]
    assert batch["labels"].tolist() == [[3, 4, 8, 1], [9, 1, IGNORE_INDEX, IGNORE_INDEX]]
    assert encoded.longest_target("label") == 4 and len(encoded) == 2


def test_encode_pairs_truncates_like_the_release():
    class Whitespace:
        """A stand-in tokenizer: one id per word, then eos (1), truncated at max_length."""

        def __call__(self, texts=None, *, text_target=None, max_length, truncation):
            rows = text_target if texts is None else texts
            ids = [[len(w) + 2 for w in t.split()][: max_length - 1] for t in rows]
            return {"input_ids": [[*row, 1] for row in ids]}

    pairs = [{"label": Pair("a bb ccc dddd", "x yy")}, {"label": Pair("e", "zzz w v")}]
    encoded = encode_pairs(pairs, Whitespace(), max_input_length=3, max_target_length=2)
    assert encoded.sources["label"] == [[3, 4, 1], [3, 1]]
    assert encoded.targets["label"] == [[3, 1], [5, 1]]
