"""Checkpoints as other trainers leave them, built from one tiny random T5 (nothing downloaded).

- ``safetensors``: ``save_pretrained`` with safetensors, no train manifest (transformers 5);
- ``mi-release``: the MI distillation release's folder: config and tokenizer from
  ``save_pretrained``, the weights as ``torch.save(model.state_dict())`` in ``pytorch_model.bin``
  (transformers before 4.35), no manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from evalsuite.data import load_examples
from tests.scoring.tiny_checkpoint import TEST_STUDENT


def tiny_t5(seed: int = 0) -> tuple[Any, Any]:
    """A random tiny T5 and a tokenizer trained on arith text, both seeded."""
    from trainers.student import TinyStudentConfig, build_tiny_student

    texts = [e.input for e in load_examples("arith", "train")][:200]
    texts += ["predict: explain: So the answer is"]
    torch.manual_seed(seed)
    return build_tiny_student(texts, TinyStudentConfig(**TEST_STUDENT))


def save_safetensors(model: Any, tokenizer: Any | None, out: Path) -> Path:
    """``save_pretrained`` as transformers 5 writes it (safetensors); no tokenizer if None."""
    model.save_pretrained(out, safe_serialization=True)
    if tokenizer is not None:
        tokenizer.save_pretrained(out)
    return out


def save_mi_release(model: Any, tokenizer: Any, out: Path) -> Path:
    """The MI release's folder: config and tokenizer by ``save_pretrained``, the weights as a
    pickled state dict."""
    model.config.save_pretrained(out)
    tokenizer.save_pretrained(out)
    torch.save(model.state_dict(), out / "pytorch_model.bin")
    return out
