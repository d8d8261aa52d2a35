"""How a student decodes: greedy (the default), beam search, or k sampled paths.

The settings are saved in the run manifest's ``decoding`` block and are part of a run's
identity: a run directory is resumed only with the same settings.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from evalsuite.errors import UsageError

__all__ = ["DecodingConfig", "batch_seed"]


@dataclass(frozen=True)
class DecodingConfig:
    """Decoding settings of ``evalsuite score``.

    Parameters
    ----------
    num_beams : int
        Beam width; 1 is greedy. The top beam is the prediction.
    num_samples : int
        Sampled paths per example; 1 means no sampling. With ``k > 1`` the prediction is the
        majority answer of the ``k`` paths (self-consistency, ties broken as
        :func:`evalsuite.scoring.paths.vote` says) and the confidence is its vote share.
    temperature, top_p : float
        Sampling settings, used only with ``num_samples > 1``.
    max_new_tokens : int or None
        Generation length limit; ``None`` takes the checkpoint's ``max_target_length``.
    seed : int
        Seeds sampling. Each batch draws from its own stream derived from this seed and the
        batch's position in the plan, so resumed and sharded runs sample the same paths.

    Examples
    --------
    >>> DecodingConfig().mode
    'greedy'
    >>> DecodingConfig(num_samples=5).mode
    'sample'
    """

    num_beams: int = 1
    num_samples: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.num_beams < 1:
            raise UsageError(f"--num-beams must be >= 1, got {self.num_beams}")
        if self.num_samples < 1:
            raise UsageError(f"--num-samples must be >= 1, got {self.num_samples}")
        if self.num_beams > 1 and self.num_samples > 1:
            raise UsageError(
                "--num-beams and --num-samples cannot be combined: "
                "choose beam search or sampled paths"
            )
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise UsageError(f"--temperature must be a positive number, got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise UsageError(f"--top-p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise UsageError(f"--max-new-tokens must be >= 1, got {self.max_new_tokens}")

    @property
    def mode(self) -> str:
        """``"greedy"``, ``"beam"`` or ``"sample"``."""
        if self.num_samples > 1:
            return "sample"
        return "beam" if self.num_beams > 1 else "greedy"

    def to_dict(self) -> dict[str, Any]:
        """The manifest's ``decoding`` block."""
        return {"mode": self.mode, **asdict(self)}

    def generate_kwargs(self, *, max_new_tokens: int) -> dict[str, Any]:
        """Keyword arguments for ``model.generate`` (length limit resolved by the caller)."""
        kwargs: dict[str, Any] = {"max_new_tokens": max_new_tokens}
        if self.mode == "sample":
            kwargs.update(
                do_sample=True,
                num_return_sequences=self.num_samples,
                temperature=self.temperature,
                top_p=self.top_p,
                top_k=0,
            )
        else:
            kwargs.update(do_sample=False, num_beams=self.num_beams)
        return kwargs


def batch_seed(seed: int, branch: str, ids: Sequence[str]) -> int:
    """Sampling seed of one batch and branch: independent of run order, rank and resumption.

    Examples
    --------
    >>> batch_seed(0, "label", ["a", "b"]) == batch_seed(0, "label", ["a", "b"])
    True
    >>> batch_seed(0, "label", ["a", "b"]) == batch_seed(0, "rationale", ["a", "b"])
    False
    """
    text = f"{seed}|{branch}|" + "\x1f".join(ids)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1
