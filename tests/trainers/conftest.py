"""Shared pieces of the trainer tests: a very small student and a handful of arith examples."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

TINY = "num_layers=1,num_decoder_layers=1,d_model=16,d_ff=32,num_heads=2,d_kv=8,vocab_size=120"
ARITH = "n_train=16,n_valid=4,n_test=1,max_operations=1"
FAST = ("--tiny", TINY, "--arith", ARITH, "--batch-size", "4", "--warmup-steps", "0")


def weights(ckpt: Path) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint's (or state directory's) model.safetensors."""
    return load_file(str(ckpt / "model.safetensors"))


@pytest.fixture
def train_cli(cli, tmp_path):
    """``train_cli(recipe, *options)`` trains on tiny arith into a fresh directory; returns
    ``(result, out)``. ``out=`` picks the directory instead."""

    def run(recipe: str, *options: str, out: Path | None = None):
        target = out if out is not None else tmp_path / f"ckpt-{recipe}"
        result = cli("train", recipe, "--task", "arith", "--out", target, *FAST, *options)
        return result, target

    return run
