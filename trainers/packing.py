"""Segment packing: every branch of a batch in one encoder pass and one decoder pass of a T5,
with (almost) no padding.

Why: a padded batch computes every row to its longest member. On arith a training step of the
tiny T5 is bound by matrix products over token positions, and about a quarter of the positions
the two-pass step computes (each branch padded to its own longest source and target, as the DSS
release does) are padding. Here each (example, branch) pair is a *segment*; the sources are packed
side by side into encoder rows and the targets into decoder rows, each by first-fit decreasing,
and attention masks keep every segment to itself. Each decoder row cross-attends to its own
segments' encoder states, gathered from the packed encoder output.

It changes no number (tested against two passes within float rounding): a T5 knows positions
only through relative attention biases, which depend on the distance between two tokens of the
same segment and not on where the segment starts in its row, and its cross-attention has no
position bias at all. An encoder-decoder with absolute positions (BART) cannot be packed this
way: :func:`supports_segment_packing`. Causal students are packed by
:mod:`trainers.causal_packing`, whose segments restart their position ids; it shares the layout
helpers here (:func:`first_fit_decreasing`, :func:`self_attention_layout`, :func:`layout_shape`,
:func:`long_tensor`, :func:`additive_mask`) and :func:`gathered_branch_outputs`.

A recipe whose loss reads the padded target positions of a branch (the released MI term takes a
maximum over them) gets them computed: its segments keep their padding
(``with_padding=True``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from trainers.losses import IGNORE_INDEX, BranchOutput
from trainers.packed_attention import packed_attention

__all__ = [
    "DECODER_ROW_FACTORS",
    "ENCODER_ROW_FACTORS",
    "SegmentPack",
    "additive_mask",
    "cheapest_layout",
    "first_fit_decreasing",
    "gathered_branch_outputs",
    "layout_shape",
    "long_tensor",
    "pack_segments",
    "packed_seq2seq_outputs",
    "self_attention_layout",
    "supports_segment_packing",
]

RELATIVE_POSITION_MODELS = frozenset({"t5", "mt5"})
"""``config.model_type`` of encoder-decoders whose only position signal is a relative bias."""

ENCODER_ROW_FACTORS = (1.25, 1.4, 1.5, 1.6, 1.75, 2.0)
"""Encoder row widths tried, in multiples of the longest source; :func:`self_attention_layout`
keeps the cheapest layout. Wider rows waste less padding but cost more attention (quadratic in row
length). On arith (dss, batch 16) one fixed width of 1.5 was the fastest of 1, 1.25, 1.5 and 2
(1 and 2: ~5 % slower); choosing per batch packed 5 % fewer positions with less attention,
~2 % faster a step. The costs below are rough ratios for the tiny T5 (d = 128)."""

ENCODER_PAIR_COST = 1 / 192
"""What one (query, key) pair of encoder self-attention costs next to one encoder position:
2 d multiply-adds at about a quarter of the speed of the matrix products, against ~12 d^2 for
a position (attention projections, the gated feed-forward block, and the keys and values the
decoder projects from it)."""

DECODER_ROW_FACTORS = (1.0, 1.25, 1.5, 2.0)
"""Decoder row widths tried, in multiples of the longest target; :func:`_decoder_rows` keeps
the cheapest layout."""

KEY_COST = 1 / 7
"""What one cross-attention key costs next to one decoder position, roughly: a key is projected
to keys and values in each layer (2 d^2 multiply-adds), a decoder position goes through self- and
cross-attention, the feed-forward block and the output layer (~14 d^2 for the tiny T5). Segments
sharing a decoder row each bring their sources as keys of that row."""

PAIR_COST = 1 / 224
"""What one (query, key) pair of cross-attention costs next to one decoder position: 2 d
multiply-adds, at about a quarter of the speed of the matrix products (14 d^2). A decoder row
attends from every position to every key of the row, masked or not. Measured on arith (dss,
batch 16): counting it picks rows as wide as the longest target, 2.7 % faster a step than
leaving it out."""


@dataclass(frozen=True)
class SegmentPack:
    """A batch's segments packed into encoder and decoder rows.

    ``encoder_mask``, ``decoder_mask`` and ``cross_mask`` are boolean ``[rows, 1, query, key]``
    (true: may attend). ``key_index [decoder rows, keys]`` picks each decoder row's keys from the
    flattened encoder output. ``positions[branch] [batch, width]`` gives, for each target
    position of the branch's padded layout, its place in the flattened decoder output, or
    ``n_decoder_positions`` (a zero row) where nothing was computed.
    """

    encoder_ids: Tensor
    encoder_mask: Tensor
    decoder_ids: Tensor
    decoder_mask: Tensor
    key_index: Tensor
    cross_mask: Tensor
    positions: dict[str, Tensor]

    @property
    def n_decoder_positions(self) -> int:
        return self.decoder_ids.numel()


def first_fit_decreasing(lengths: Sequence[int], capacity: int) -> list[tuple[int, int]]:
    """``(row, offset)`` of each length when packed into rows of ``capacity``, longest first.

    A length over ``capacity`` gets a row of its own.

    Examples
    --------
    >>> first_fit_decreasing([3, 5, 2, 4], capacity=7)
    [(1, 4), (0, 0), (0, 5), (1, 0)]
    """
    used: list[int] = []
    place = [(0, 0)] * len(lengths)
    for item in sorted(range(len(lengths)), key=lambda i: (-lengths[i], i)):
        n = lengths[item]
        row = next((r for r, u in enumerate(used) if u + n <= capacity), len(used))
        if row == len(used):
            used.append(0)
        place[item] = (row, used[row])
        used[row] += n
    return place


def cheapest_layout(
    lengths: Sequence[int],
    factors: Sequence[float],
    cost: Callable[[list[tuple[int, int]]], float],
) -> list[tuple[int, int]]:
    """The first-fit-decreasing layout of ``lengths`` into rows of ``factor`` x the longest that
    ``cost`` rates lowest (the narrowest of equally cheap ones)."""
    layouts = (first_fit_decreasing(lengths, int(f * max(lengths))) for f in factors)
    return min(layouts, key=cost)


def self_attention_layout(
    lengths: Sequence[int], factors: Sequence[float], pair_cost: float
) -> list[tuple[int, int]]:
    """The layout, among rows of ``factors`` x the longest, of the fewest positions plus
    ``pair_cost`` per (query, key) pair of a row's self-attention: T5's packed encoder rows
    (:data:`ENCODER_PAIR_COST`) and causal packed rows
    (:data:`trainers.causal_packing.CAUSAL_PAIR_COST`)."""

    def cost(place: list[tuple[int, int]]) -> float:
        n_rows, width = layout_shape(lengths, place)
        return n_rows * (width + pair_cost * width * width)

    return cheapest_layout(lengths, factors, cost)


def _decoder_rows(targets: Sequence[int], sources: Sequence[int]) -> list[tuple[int, int]]:
    """The decoder layout of :data:`DECODER_ROW_FACTORS` that costs least: padded decoder
    positions, :data:`KEY_COST` per padded cross-attention key and :data:`PAIR_COST` per
    (position, key) pair.

    Why not one width: with ``with_padding`` every label segment is as wide as the longest
    label, and rows as wide as the longest rationale fit no label beside a rationale, so
    packing at that width would cost more than two padded passes.
    """

    def cost(place: list[tuple[int, int]]) -> float:
        n_rows, width = layout_shape(targets, place)
        keys = [0] * n_rows
        for (row, _), n in zip(place, sources, strict=True):
            keys[row] += n
        n_keys = max(keys)
        return n_rows * (width + KEY_COST * n_keys + PAIR_COST * width * n_keys)

    return cheapest_layout(targets, DECODER_ROW_FACTORS, cost)


def layout_shape(lengths: Sequence[int], place: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """Number of rows and the width they need."""
    n_rows = 1 + max(row for row, _ in place)
    return n_rows, max(offset + n for (_, offset), n in zip(place, lengths, strict=True))


def pack_segments(
    batch: Mapping[str, Mapping[str, Tensor]],
    decoder_inputs: Mapping[str, Tensor],
    *,
    pad_id: int,
    with_padding: bool = False,
) -> SegmentPack:
    """Pack the sources and targets of every branch of ``batch`` (:data:`trainers.batching.Batch`).

    ``decoder_inputs[branch]`` are the branch's decoder input ids ``[batch, width]`` (the targets
    shifted right behind the start token); a segment's decoder inputs are its row of them, so
    every segment starts from the start token. ``with_padding`` keeps each target padded to its
    branch's width, for losses that read the padded positions.
    """
    branches = list(batch)
    segments: list[tuple[str, int]] = []
    sources: list[int] = []
    targets: list[int] = []
    for branch in branches:
        tensors = batch[branch]
        width = tensors["labels"].size(1)
        real = (tensors["labels"] != IGNORE_INDEX).sum(1).tolist()
        for i, n_source in enumerate(tensors["attention_mask"].sum(1).tolist()):
            segments.append((branch, i))
            sources.append(int(n_source))
            targets.append(width if with_padding else int(real[i]))

    encoder_place = self_attention_layout(sources, ENCODER_ROW_FACTORS, ENCODER_PAIR_COST)
    decoder_place = _decoder_rows(targets, sources)
    (n_enc, enc_width), (n_dec, dec_width) = (
        layout_shape(sources, encoder_place),
        layout_shape(targets, decoder_place),
    )
    # Built as Python lists, one tensor each at the end (:func:`long_tensor`): a few hundred small
    # tensor writes cost more than the step's bookkeeping should.
    source_ids = {b: batch[b]["input_ids"].tolist() for b in branches}
    target_ids = {b: decoder_inputs[b].tolist() for b in branches}
    encoder_ids = [pad_id] * (n_enc * enc_width)
    encoder_segment = [-1] * (n_enc * enc_width)
    decoder_ids = [pad_id] * (n_dec * dec_width)
    decoder_segment = [-1] * (n_dec * dec_width)
    positions = {
        b: [[n_dec * dec_width] * batch[b]["labels"].size(1) for _ in source_ids[b]]
        for b in branches
    }
    key_index: list[list[int]] = [[] for _ in range(n_dec)]
    key_segment: list[list[int]] = [[] for _ in range(n_dec)]
    for s, (branch, i) in enumerate(segments):
        (row, offset), n = encoder_place[s], sources[s]
        start = row * enc_width + offset
        encoder_ids[start : start + n] = source_ids[branch][i][:n]
        encoder_segment[start : start + n] = [s] * n
        (row, offset), m = decoder_place[s], targets[s]
        key_index[row] += range(start, start + n)
        key_segment[row] += [s] * n
        first = row * dec_width + offset
        decoder_ids[first : first + m] = target_ids[branch][i][:m]
        decoder_segment[first : first + m] = [s] * m
        positions[branch][i][:m] = range(first, first + m)
    n_keys = max(len(row) for row in key_index)
    for index, segment in zip(key_index, key_segment, strict=True):
        segment += [-2] * (n_keys - len(segment))  # padded keys: no segment's
        index += [0] * (n_keys - len(index))

    key_segments = long_tensor(key_segment)
    enc = long_tensor(encoder_segment).view(n_enc, enc_width)
    dec = long_tensor(decoder_segment).view(n_dec, dec_width)
    # Padding attends only to padding, so no query row is empty (padding never reaches a loss);
    # in the decoder, a segment's positions are in column order, so causal is column order.
    encoder_mask = enc[:, :, None] == enc[:, None, :]
    causal = torch.ones(dec_width, dec_width, dtype=torch.bool).tril()
    decoder_mask = (dec[:, :, None] == dec[:, None, :]) & causal
    cross_mask = (dec[:, :, None] == key_segments[:, None, :]) | (dec == -1)[:, :, None]
    return SegmentPack(
        encoder_ids=long_tensor(encoder_ids).view(n_enc, enc_width),
        encoder_mask=encoder_mask.unsqueeze(1),
        decoder_ids=long_tensor(decoder_ids).view(n_dec, dec_width),
        decoder_mask=decoder_mask.unsqueeze(1),
        key_index=long_tensor(key_index),
        cross_mask=cross_mask.unsqueeze(1),
        positions={b: long_tensor(rows) for b, rows in positions.items()},
    )


def long_tensor(values: Sequence[Any]) -> Tensor:
    """An int64 tensor of (nested) Python lists, through numpy: ``torch.tensor`` of a list
    took ~5x as long (1.5 ms of a packed step's bookkeeping)."""
    return torch.from_numpy(np.array(values, dtype=np.int64))


def supports_segment_packing(model: Any) -> bool:
    """Whether :func:`packed_seq2seq_outputs` computes exactly what a padded pass would: a T5
    family encoder-decoder (relative positions only) running eager or SDPA attention (the two
    that take a custom 4D mask; the packed pass itself runs :mod:`trainers.packed_attention`)."""
    config = getattr(model, "config", None)
    return (
        getattr(config, "is_encoder_decoder", False)
        and getattr(config, "model_type", None) in RELATIVE_POSITION_MODELS
        and getattr(config, "_attn_implementation", None) in ("eager", "sdpa")
    )


def additive_mask(allowed: Tensor, dtype: torch.dtype) -> Tensor:
    """A 4D mask as :func:`trainers.packed_attention.packed_t5_attention` (and transformers'
    eager attention) takes it: 0 where ``allowed``, the dtype's minimum elsewhere."""
    return torch.zeros(allowed.shape, dtype=dtype, device=allowed.device).masked_fill(
        ~allowed, torch.finfo(dtype).min
    )


def packed_seq2seq_outputs(
    model: Any,
    batch: Mapping[str, Mapping[str, Tensor]],
    *,
    hidden: bool,
    with_padding: bool,
) -> dict[str, BranchOutput]:
    """Every branch's outputs (:class:`~trainers.losses.BranchOutput`) from one packed encoder
    pass and one packed decoder pass, equal to what
    :func:`evalsuite.scoring.seq2seq_student.seq2seq_forced_outputs` gives for the branch alone.

    The output layer runs only where a loss reads it: at the loss-carrying positions
    (``token_logits``), or ``with_padding`` at every target position of the branch's padded
    layout (``logits``). With ``hidden``, the final decoder states (zeros where not computed).
    """
    device = next(iter(batch.values()))["input_ids"].device
    pack = pack_segments(
        {b: {k: v.cpu() for k, v in t.items()} for b, t in batch.items()},
        {b: model.prepare_decoder_input_ids_from_labels(labels=t["labels"].cpu())
         for b, t in batch.items()},
        pad_id=int(model.config.pad_token_id),
        with_padding=with_padding,
    )  # fmt: skip
    dtype = model.get_input_embeddings().weight.dtype
    with packed_attention(model):
        encoded = model.get_encoder()(
            input_ids=pack.encoder_ids.to(device),
            attention_mask=additive_mask(pack.encoder_mask.to(device), dtype),
        ).last_hidden_state
        keys = encoded.reshape(-1, encoded.size(-1))[pack.key_index.to(device)]
        decoded = model.get_decoder()(
            input_ids=pack.decoder_ids.to(device),
            attention_mask=additive_mask(pack.decoder_mask.to(device), dtype),
            encoder_hidden_states=keys,
            encoder_attention_mask=additive_mask(pack.cross_mask.to(device), dtype),
            use_cache=False,
        ).last_hidden_state
    return gathered_branch_outputs(
        decoded,
        pack.positions,
        batch,
        logits_of=lambda states: _lm_logits(model, states),
        hidden=hidden,
        with_padding=with_padding,
    )


def gathered_branch_outputs(
    states: Tensor,
    positions: Mapping[str, Tensor],
    batch: Mapping[str, Mapping[str, Tensor]],
    *,
    logits_of: Callable[[Tensor], Tensor],
    hidden: bool,
    with_padding: bool,
) -> dict[str, BranchOutput]:
    """Every branch's :class:`~trainers.losses.BranchOutput` from the final states of a packed
    pass ``[rows, width, d]``: ``positions[branch] [batch, target width]`` says where each
    target position's state lies in the flattened states (``rows * width``: nowhere, zeros).

    ``logits_of`` (the model's output layer) runs only where a loss reads it: at the
    loss-carrying positions (``token_logits``), or ``with_padding`` at every target position of
    the branch's padded layout (``logits``). With ``hidden``, the states there.
    """
    table = _with_zero_row(states)
    outputs = {}
    for branch, index in positions.items():
        labels = batch[branch]["labels"]
        index = index.to(table.device)
        branch_states = table[index]  # [batch, width, d]: cheap next to the logits
        if with_padding:  # the loss reads the padded logits; its token rows are among them
            logits, token_logits = logits_of(branch_states), None
        else:
            real = table.index_select(0, index[labels != IGNORE_INDEX])
            logits, token_logits = None, logits_of(real)
        outputs[branch] = BranchOutput(
            labels=labels,
            logits=logits,
            token_logits=token_logits,
            hidden=branch_states if hidden else None,
        )
    return outputs


def _lm_logits(model: Any, states: Tensor) -> Tensor:
    """What ``T5ForConditionalGeneration.forward`` makes of final decoder states: scaled by
    ``d_model ** -0.5`` where the config says so (tied embeddings), then the output layer."""
    if getattr(model.config, "scale_decoder_outputs", False):
        states = states * (model.config.d_model**-0.5)
    return model.get_output_embeddings()(states)


def _with_zero_row(values: Tensor) -> Tensor:
    """``[rows, width, d]`` flattened to ``[rows * width + 1, d]``, the last row zeros."""
    flat = values.reshape(-1, values.size(-1))
    return torch.cat([flat, flat.new_zeros(1, flat.size(-1))])
