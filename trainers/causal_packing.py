"""Segment packing for causal students: every branch of a batch in one pass of a GPT-2 or LLaMA
block stack, with (almost) no padding.

Why: a padded causal pass computes every row to the batch's longest prompt plus its longest
target; on arith about 30 % of those positions are padding (standard, dss and mixed at batch
16). Here each (example, branch) pair is a *segment*: its prompt, then its target tokens but the
last (the last target token predicts nothing a loss reads). Segments are packed side by side into
rows by first-fit decreasing (:func:`trainers.packing.first_fit_decreasing`).

It changes no number (tested against one padded pass per branch within float rounding, loss and
gradients, every recipe): a segment's outputs are those of its row in the padded pass of
:func:`evalsuite.scoring.causal_student.causal_forced_outputs` because

* its position ids restart at 0: the padded pass counts positions over real tokens only
  (:func:`evalsuite.scoring.causal_student.position_ids`), so its left-padded prompt starts at
  0 too, and rotary (LLaMA) and learned absolute (GPT-2) positions see the same numbers;
* a 4-D block-diagonal causal mask keeps it to itself: a position attends to the earlier
  positions of its own segment, as it attends to the earlier real tokens of its padded row;
* its outputs are read where the padded pass reads them: the state at the last prompt token
  predicts the first target token (positions ``p - 1 .. p + m - 2`` of a segment with a ``p``
  token prompt and ``m`` target positions read), and the output layer runs only where a loss
  reads them.

Measured (tiny llama: 6 layers, d_model 128, SDPA; arith, batch 16, one thread, a full
training step, packed and padded steps taken in turn, median of 100 paired per-step ratios, on
2 CPUs shared with other jobs, load average 5 to 6): packing is 1.29x as fast for standard
(270 ms a padded step), 1.30x for dss (693 ms) and 1.24x for mixed (879 ms), so it is the default
(:class:`trainers.recipes.RecipeModule`). On these batches (40 of them) the padded passes
compute 0.71 prompt and target tokens a position, the packed rows 0.91 (standard), 0.95 (dss)
and 0.93 (mixed).

A recipe whose loss reads the padded target positions of a branch (the released MI term takes a
maximum over them) gets them computed exactly too (``with_padding=True``): each of its segments
carries its branch's padded target inputs as the padded pass feeds them (id 0,
``labels.clamp(min=0)``), at the position id of the last real token (the padded pass counts no
position at padding), attending to every real token of the segment but no padding, itself
included, as a padded position of the padded pass does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from trainers.losses import IGNORE_INDEX, BranchOutput
from trainers.packing import (
    additive_mask,
    gathered_branch_outputs,
    layout_shape,
    long_tensor,
    self_attention_layout,
)

__all__ = [
    "CAUSAL_PACKING_MODELS",
    "CAUSAL_PAIR_COST",
    "CAUSAL_ROW_FACTORS",
    "CausalPack",
    "pack_causal_segments",
    "packed_causal_outputs",
    "supports_causal_packing",
]

CAUSAL_PACKING_MODELS = frozenset({"gpt2", "llama"})
"""``config.model_type`` of the causal students packed: their logits are their output layer
applied to their final states (no logit scaling or soft-capping), tested packed against padded.
Another causal model runs one padded pass per branch."""

CAUSAL_ROW_FACTORS = (1.0, 1.25, 1.5, 2.0)
"""Row widths tried, in multiples of the longest segment; the cheapest is kept
(:func:`trainers.packing.self_attention_layout`)."""

CAUSAL_PAIR_COST = 1 / 640
"""What one (query, key) pair of self-attention costs next to one position: a pair is 2 d
multiply-adds a layer, a position about 10 d^2 (the projections, the gated feed-forward block of
width 2 d), d = 128, both at the speed of the matrix products. Measured (tiny llama, arith, batch
16, one thread, paired per-step ratios against one padded pass per branch, median of 60 steps):
this cost made standard 1.275x, dss 1.314x, mixed 1.238x faster; pairs at four times the cost
(1/160) 1.270x, 1.272x, 1.170x; no pair cost (the fewest positions) 1.272x, 1.289x, 1.205x; one
fixed width of 1.5 x the longest segment 1.267x, 1.292x, 1.218x."""


@dataclass(frozen=True)
class CausalPack:
    """A batch's (example, branch) segments packed into rows of one causal pass.

    ``input_ids`` and ``position_ids`` are ``[rows, width]``; ``mask`` is boolean
    ``[rows, 1, width, width]`` (true: may attend). ``positions[branch] [batch, target width]``
    gives, for each target position of the branch's padded layout, the place in the flattened
    rows of the state that predicts it, or ``n_positions`` (a zero row) where nothing was
    computed.
    """

    input_ids: Tensor
    position_ids: Tensor
    mask: Tensor
    positions: dict[str, Tensor]

    @property
    def n_positions(self) -> int:
        return self.input_ids.numel()


@dataclass(frozen=True)
class _Segment:
    """One (example, branch) sequence as a packed row holds it."""

    tokens: list[int]
    """The prompt, then the target inputs (the targets but the last)."""
    n_prompt: int
    n_real: int
    """Tokens that are real (the rest are padded target inputs, only ``with_padding``)."""
    n_read: int
    """Target positions whose outputs are read."""


def _segment(prompt: list[int], labels: list[int], *, with_padding: bool) -> _Segment:
    if not prompt:
        raise ValueError("a causal training example needs at least one prompt token")
    n_target = sum(1 for t in labels if t != IGNORE_INDEX)  # right-padded, as collate pads
    n_read = len(labels) if with_padding else n_target
    inputs = [max(t, 0) for t in labels[: max(n_read - 1, 0)]]  # padding read as id 0
    return _Segment(
        tokens=prompt + inputs,
        n_prompt=len(prompt),
        n_real=len(prompt) + min(n_target, len(inputs)),
        n_read=n_read,
    )


def pack_causal_segments(
    batch: Mapping[str, Mapping[str, Tensor]], *, with_padding: bool = False
) -> CausalPack:
    """Pack the prompt and target of every branch and example of ``batch``
    (:data:`trainers.batching.Batch`: prompts padded on either side with an attention mask,
    targets right-padded with :data:`~trainers.losses.IGNORE_INDEX`).

    ``with_padding`` keeps each target padded to its branch's width, for losses that read the
    padded positions. Row padding (id 0) is a segment of its own and never read.

    Raises
    ------
    ValueError
        For an example with an empty prompt (no position predicts its first target token).
    """
    owners: list[tuple[str, int]] = []
    segments: list[_Segment] = []
    for branch, tensors in batch.items():
        rows = zip(
            tensors["input_ids"].tolist(),
            tensors["attention_mask"].tolist(),
            tensors["labels"].tolist(),
            strict=True,
        )
        for i, (ids, mask, labels) in enumerate(rows):
            prompt = [t for t, keep in zip(ids, mask, strict=True) if keep]
            owners.append((branch, i))
            segments.append(_segment(prompt, labels, with_padding=with_padding))

    lengths = [len(s.tokens) for s in segments]
    place = self_attention_layout(lengths, CAUSAL_ROW_FACTORS, CAUSAL_PAIR_COST)
    n_rows, width = layout_shape(lengths, place)
    # Built as Python lists, one tensor each at the end (as trainers.packing does).
    input_ids = [0] * (n_rows * width)
    position_ids = [0] * (n_rows * width)
    segment_of = [-1] * (n_rows * width)
    visible = [True] * (n_rows * width)  # false at padded target inputs: no query sees them
    positions = {
        b: [[n_rows * width] * t["labels"].size(1) for _ in range(t["labels"].size(0))]
        for b, t in batch.items()
    }
    for s, ((branch, i), segment, (row, offset)) in enumerate(
        zip(owners, segments, place, strict=True)
    ):
        start, n, real = row * width + offset, len(segment.tokens), segment.n_real
        input_ids[start : start + n] = segment.tokens
        position_ids[start : start + n] = [*range(real), *[real - 1] * (n - real)]
        segment_of[start : start + n] = [s] * n
        visible[start + real : start + n] = [False] * (n - real)
        first = start + segment.n_prompt - 1  # the last prompt token predicts target 0
        positions[branch][i][: segment.n_read] = range(first, first + segment.n_read)

    segment_ids = long_tensor(segment_of).view(n_rows, width)
    causal = torch.ones(width, width, dtype=torch.bool).tril()
    keys = torch.tensor(visible).view(n_rows, 1, width)
    mask = (segment_ids[:, :, None] == segment_ids[:, None, :]) & causal & keys
    return CausalPack(
        input_ids=long_tensor(input_ids).view(n_rows, width),
        position_ids=long_tensor(position_ids).view(n_rows, width),
        mask=mask.unsqueeze(1),
        positions={b: long_tensor(rows) for b, rows in positions.items()},
    )


def supports_causal_packing(model: Any) -> bool:
    """Whether :func:`packed_causal_outputs` computes exactly what a padded pass would: a
    decoder-only model of :data:`CAUSAL_PACKING_MODELS` running eager or SDPA attention (the
    two that take a custom 4-D mask)."""
    config = getattr(model, "config", None)
    return (
        not getattr(config, "is_encoder_decoder", True)
        and getattr(config, "model_type", None) in CAUSAL_PACKING_MODELS
        and getattr(config, "_attn_implementation", None) in ("eager", "sdpa")
    )


def packed_causal_outputs(
    model: Any,
    batch: Mapping[str, Mapping[str, Tensor]],
    *,
    hidden: bool,
    with_padding: bool,
) -> dict[str, BranchOutput]:
    """Every branch's outputs (:class:`~trainers.losses.BranchOutput`) from one packed pass,
    equal to what :func:`evalsuite.scoring.causal_student.causal_forced_outputs` gives for the
    branch alone; the output layer runs only where a loss reads it
    (:func:`trainers.packing.gathered_branch_outputs`).
    """
    device = next(iter(batch.values()))["input_ids"].device
    pack = pack_causal_segments(
        {b: {k: v.cpu() for k, v in t.items()} for b, t in batch.items()},
        with_padding=with_padding,
    )
    mask = pack.mask.to(device)
    if model.config._attn_implementation == "eager":  # eager adds its mask to the scores
        mask = additive_mask(mask, model.get_input_embeddings().weight.dtype)
    states = model.base_model(
        input_ids=pack.input_ids.to(device),
        attention_mask=mask,
        position_ids=pack.position_ids.to(device),
        use_cache=False,
    ).last_hidden_state
    return gathered_branch_outputs(
        states,
        pack.positions,
        batch,
        logits_of=model.get_output_embeddings(),
        hidden=hidden,
        with_padding=with_padding,
    )
