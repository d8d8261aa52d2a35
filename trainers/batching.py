"""Token ids for every branch of a recipe, the batch schedule, and padding into tensors.

Every example is tokenised once, before training. The batch of a step is a pure function of
``(seed, step)``, so a resumed run sees exactly the batches an uninterrupted one would, and data
parallel processes cut the same global batch into shards without talking to each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from trainers.losses import IGNORE_INDEX

__all__ = ["EncodedSplit", "Pair", "batch_indices", "collate", "encode_pairs", "shard"]

Batch = dict[str, dict[str, Tensor]]
"""``{branch: {"input_ids", "attention_mask", "labels"}}``, each ``[batch, length]``."""


@dataclass(frozen=True)
class Pair:
    """One seq2seq training pair of a branch: the full source text and the target text."""

    source: str
    target: str


@dataclass(frozen=True)
class EncodedSplit:
    """Token ids of every branch's sources and targets, aligned with the split's examples."""

    sources: Mapping[str, Sequence[Sequence[int]]]
    targets: Mapping[str, Sequence[Sequence[int]]]

    def __len__(self) -> int:
        return len(next(iter(self.sources.values())))

    def longest_target(self, branch: str) -> int:
        """The longest tokenised target of ``branch`` (a bound for greedy decoding)."""
        return max((len(ids) for ids in self.targets[branch]), default=1)


def encode_pairs(
    pairs: Sequence[Mapping[str, Pair]],
    tokenizer: Any,
    *,
    max_input_length: int,
    max_target_length: int,
) -> EncodedSplit:
    """Tokenise every branch's sources and targets, truncated as the DSS release does."""
    branches = list(pairs[0]) if pairs else []
    sources: dict[str, list[list[int]]] = {}
    targets: dict[str, list[list[int]]] = {}
    for branch in branches:
        src = [p[branch].source for p in pairs]
        tgt = [p[branch].target for p in pairs]
        sources[branch] = tokenizer(src, max_length=max_input_length, truncation=True)["input_ids"]
        targets[branch] = tokenizer(text_target=tgt, max_length=max_target_length, truncation=True)[
            "input_ids"
        ]
    return EncodedSplit(sources=sources, targets=targets)


def batch_indices(step: int, *, n_examples: int, batch_size: int, seed: int) -> np.ndarray:
    """Example indices of the global batch at 0-based ``step``.

    The training stream is the concatenation of one seeded permutation per epoch; step ``s``
    takes positions ``[s * batch_size, (s + 1) * batch_size)`` of it. Every batch is full, even
    when an epoch boundary falls inside it or the split is smaller than a batch.

    Examples
    --------
    >>> sorted(np.concatenate([batch_indices(s, n_examples=6, batch_size=3, seed=0)
    ...                        for s in range(2)]).tolist())
    [0, 1, 2, 3, 4, 5]
    """
    positions = np.arange(step * batch_size, (step + 1) * batch_size)
    epochs = positions // n_examples
    out = np.empty(batch_size, dtype=np.int64)
    for epoch in np.unique(epochs):
        order = np.random.default_rng([seed, int(epoch)]).permutation(n_examples)
        chosen = epochs == epoch
        out[chosen] = order[positions[chosen] % n_examples]
    return out


def shard(indices: np.ndarray, *, rank: int, world_size: int) -> np.ndarray:
    """This process's contiguous share of a global batch (sizes must divide evenly)."""
    per_rank = len(indices) // world_size
    return indices[rank * per_rank : (rank + 1) * per_rank]


def _pad(rows: Sequence[Sequence[int]], value: int) -> Tensor:
    width = max(len(r) for r in rows)
    out = torch.full((len(rows), width), value, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
    return out


def collate(encoded: EncodedSplit, indices: Sequence[int] | np.ndarray, *, pad_id: int) -> Batch:
    """Pad the chosen examples of every branch to the longest in the batch.

    Sources pad with ``pad_id`` (masked out by ``attention_mask``); targets pad with
    :data:`~trainers.losses.IGNORE_INDEX`, as ``DataCollatorForSeq2Seq`` does.
    """
    batch: Batch = {}
    for branch, sources in encoded.sources.items():
        src = [sources[i] for i in indices]
        input_ids = _pad(src, pad_id)
        batch[branch] = {
            "input_ids": input_ids,
            "attention_mask": (_pad(src, -1) != -1).long(),
            "labels": _pad([encoded.targets[branch][i] for i in indices], IGNORE_INDEX),
        }
    return batch
