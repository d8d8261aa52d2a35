"""T5 attention for packed passes (:mod:`trainers.packing`): transformers' eager formula without
its wasted passes over the attention scores.

Why: a packed pass gives every T5 attention layer a 4D mask (segments kept to themselves), and
its rows are wide, so the ``[rows, heads, query, key]`` scores are the largest tensors of a
tiny student's step. transformers' SDPA path turns bias and mask into one float mask in every
layer (``torch.where``) and, since the relative position bias needs a gradient, runs PyTorch's
math kernel with its "safe" softmax (two more passes); its eager path multiplies the scores by
T5's scale of 1 and adds bias and mask one after the other. Here the scores are computed once
with bias and mask added in the same product (``baddbmm``); cross-attention, whose T5 position
bias is all zeros, adds only the mask. Softmax, dropout and the weighted sum of values are the
eager formula's, so the outputs are equal within float rounding (tested against SDPA and eager).
Measured on arith (dss, batch 16, one thread), fwd + bwd of one layer: encoder self-attention
8.6 ms (SDPA), 5.6 (eager), 4.3 (this); cross-attention 4.8, 4.5, 4.1.

Only the packed pass uses it (:func:`packed_attention`); the model as built, and everything
saved from it, keeps its own attention implementation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F

__all__ = ["PACKED_ATTENTION", "packed_attention", "packed_t5_attention"]

PACKED_ATTENTION = "evalsuite_packed_t5"
"""The name :func:`packed_t5_attention` is registered under in transformers' attention
interface while a packed pass runs."""


def packed_t5_attention(
    module: Any,
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attention_mask: Tensor | None,
    scaling: float | None = None,
    dropout: float = 0.0,
    position_bias: Tensor | None = None,
    **kwargs: Any,
) -> tuple[Tensor, Tensor]:
    """One T5 attention layer, as ``transformers.models.t5.modeling_t5.eager_attention_forward``
    computes it: ``softmax(scaling * q k^T + position_bias + mask) v``, with an additive
    ``attention_mask [rows, 1, query, key]``. Returns the output ``[rows, query, heads, dim]``
    and the attention weights."""
    rows, heads, n_query, dim = query.shape
    n_key = key.size(2)
    scale = dim**-0.5 if scaling is None else scaling
    # T5's cross-attention (a decoder layer that is not causal) has no position bias: zeros.
    cross = bool(module.is_decoder) and not bool(module.is_causal)
    bias = position_bias if not cross else None
    if attention_mask is not None:
        bias = attention_mask if bias is None else bias + attention_mask
    queries = query.reshape(rows * heads, n_query, dim)
    keys = key.reshape(rows * heads, n_key, dim).transpose(1, 2)
    if bias is None:
        scores = torch.bmm(queries, keys) * scale
    elif bias.shape[:2] == (rows, heads):  # bias + mask: one tensor per row and head already
        scores = torch.baddbmm(
            bias.reshape(rows * heads, n_query, n_key), queries, keys, alpha=scale
        )
    else:  # shared by the rows or the heads: added in place rather than copied out first
        scores = torch.bmm(queries, keys)
        if scale != 1.0:
            scores = scores * scale
        scores = scores.view(rows, heads, n_query, n_key).add_(bias)
    weights = scores.view(rows, heads, n_query, n_key).softmax(dim=-1)
    weights = F.dropout(weights, p=dropout, training=module.training)
    output = torch.matmul(weights, value).transpose(1, 2).contiguous()
    return output, weights


def _register() -> None:
    from transformers import AttentionInterface

    AttentionInterface.register(PACKED_ATTENTION, packed_t5_attention)


@contextmanager
def packed_attention(model: Any) -> Iterator[None]:
    """Run ``model``'s attention layers on :func:`packed_t5_attention` inside the block, and on
    their own implementation again after it (also when the block raises). The attention
    layers read the implementation from their stack's config on every call, so every config in
    the model is switched."""
    _register()
    configs = {id(m.config): m.config for m in model.modules() if hasattr(m, "config")}
    before = {key: config._attn_implementation for key, config in configs.items()}
    try:
        for config in configs.values():
            config._attn_implementation = PACKED_ATTENTION
        yield
    finally:
        for key, config in configs.items():
            config._attn_implementation = before[key]
