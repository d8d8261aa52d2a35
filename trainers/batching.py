"""Token ids for every branch of a recipe, the batch schedule, and padding into tensors.

Every example is tokenised once, before training. The batch of a step is a pure function of
``(seed, step)``, so a resumed run sees exactly the batches an uninterrupted one would, and data
parallel processes cut the same global batch into shards without talking to each other.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from evalsuite.scoring.causal_student import causal_prompt_ids, causal_target_ids
from trainers.losses import IGNORE_INDEX

__all__ = [
    "EncodedSplit",
    "PackedBatch",
    "Pair",
    "batch_indices",
    "collate",
    "encode_pairs",
    "pack_branches",
    "shard",
]

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
    causal: bool = False,
) -> EncodedSplit:
    """Tokenise every branch's sources and targets, truncated as the DSS release does.

    ``causal``: for a decoder-only student, tokenised as its scorer tokenises them
    (:mod:`evalsuite.scoring.causal_student`: targets end with EOS whatever the tokenizer does).
    """
    branches = list(pairs[0]) if pairs else []
    sources: dict[str, list[list[int]]] = {}
    targets: dict[str, list[list[int]]] = {}
    for branch in branches:
        src = [p[branch].source for p in pairs]
        tgt = [p[branch].target for p in pairs]
        if causal:
            sources[branch] = causal_prompt_ids(tokenizer, src, max_length=max_input_length)
            targets[branch] = causal_target_ids(tokenizer, tgt, max_length=max_target_length)
            continue
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
        order = _epoch_order(n_examples, seed, int(epoch))
        chosen = epochs == epoch
        out[chosen] = order[positions[chosen] % n_examples]
    return out


@functools.lru_cache(maxsize=2)
def _epoch_order(n_examples: int, seed: int, epoch: int) -> np.ndarray:
    """The seeded permutation of one epoch, drawn once: drawing it again for every step cost
    ~0.5 ms of a 180 ms step on arith (10000 examples). Read-only, as it is shared."""
    order = np.random.default_rng([seed, epoch]).permutation(n_examples)
    order.flags.writeable = False
    return order


def shard(indices: np.ndarray, *, rank: int, world_size: int) -> np.ndarray:
    """This process's contiguous share of a global batch (sizes must divide evenly)."""
    per_rank = len(indices) // world_size
    return indices[rank * per_rank : (rank + 1) * per_rank]


def _pad(rows: Sequence[Sequence[int]], value: int) -> Tensor:
    # filled as one numpy array and handed to torch once: a tensor write per row cost ~1 ms of
    # a tiny student's step
    width = max(len(r) for r in rows)
    out = np.full((len(rows), width), value, dtype=np.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return torch.from_numpy(out)


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


@dataclass(frozen=True)
class PackedBatch:
    """Every branch of a batch stacked into one, for a single forward pass over all of them.

    ``rows[branch]`` is the branch's slice of the stacked rows and ``widths[branch]`` its own
    padded target width, so :meth:`unpack` gives back exactly the tensor shape a forward pass
    over the branch alone would have had.
    """

    tensors: dict[str, Tensor]
    rows: dict[str, slice]
    widths: dict[str, int]

    def unpack(self, values: Tensor, branch: str) -> Tensor:
        """The branch's part of a per-target-position output ``[rows, width, ...]``."""
        return values[self.rows[branch], : self.widths[branch]]


def _pad_to(values: Tensor, width: int, fill: int) -> Tensor:
    extra = width - values.size(1)
    return torch.nn.functional.pad(values, (0, extra), value=fill) if extra else values


def pack_branches(batch: Batch, *, pad_id: int) -> PackedBatch:
    """Stack the branches of ``batch`` along the batch axis, padded to the widest of them.

    Why: where a step is dominated by per-call overhead rather than arithmetic, one forward
    and backward over ``2 x batch`` rows costs less than two over ``batch`` rows (on CPU the
    tiny student is not such a case: see :class:`trainers.recipes.RecipeModule`). Students
    whose segments can be packed (T5: :mod:`trainers.packing`; GPT-2 and LLaMA:
    :mod:`trainers.causal_packing`) never come here.
    It changes no number: padded source positions are masked out of attention (T5's relative
    position bias does not depend on the length), and padded target positions come after the
    real ones, which a causal decoder never attends to, and carry no loss.
    """
    inputs = max(t["input_ids"].size(1) for t in batch.values())
    targets = max(t["labels"].size(1) for t in batch.values())
    rows, widths, start = {}, {}, 0
    for branch, t in batch.items():
        rows[branch] = slice(start, start + t["labels"].size(0))
        widths[branch] = t["labels"].size(1)
        start += t["labels"].size(0)
    fills = {"input_ids": (inputs, pad_id), "attention_mask": (inputs, 0)}
    fills["labels"] = (targets, IGNORE_INDEX)
    tensors = {
        name: torch.cat([_pad_to(t[name], width, fill) for t in batch.values()])
        for name, (width, fill) in fills.items()
    }
    return PackedBatch(tensors=tensors, rows=rows, widths=widths)
