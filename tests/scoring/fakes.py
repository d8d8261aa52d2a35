"""A stand-in for a loaded student, for scoring tests that fix what the model says."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from evalsuite.scoring.student import Generated


class FakeStudent:
    """Stands in for a model: fixed generations per prompt (k per prompt), real everything else."""

    def __init__(self, outputs: Mapping[str, Sequence[tuple[str, float]]]) -> None:
        self.outputs = outputs
        self.prompts: list[str] = []

    def encode(self, texts: Sequence[str]) -> list[str]:
        self.prompts += texts
        return list(texts)

    def generate(self, encoded, decoding, *, max_new_tokens, seed) -> Generated:
        rows = [row for prompt in encoded for row in self.outputs[prompt]]
        return Generated(
            token_ids=[[1, 2] for _ in rows],
            token_log_probs=[[math.log(p), 0.0] for _, p in rows],
            texts=[text for text, _ in rows],
            paths_per_prompt=decoding.num_samples,
        )
