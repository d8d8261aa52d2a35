"""What a training run writes, and how it picks up again.

```
CKPT/model.safetensors, config.json, generation_config.json   the best model so far (valid acc)
CKPT/tokenizer.json, tokenizer_config.json                     the student's tokenizer
CKPT/train_manifest.json                                       see evalsuite.checkpoint
CKPT/train_config.json                                         the TrainConfig, for resuming
CKPT/state/step-NNNNNNN/                                       the last saved step: model weights,
                                                               training.pt (optimizer, critic,
                                                               rng), state.json (curves, best)
```

Every file is written under a temporary name and renamed; a state directory appears whole or
not at all. An existing ``CKPT`` is resumed when its config matches, refused otherwise, and never
deleted; only superseded ``state/step-*`` directories of the run itself are removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from evalsuite.checkpoint import TRAIN_MANIFEST
from evalsuite.errors import UsageError
from evalsuite.io import atomic_write_json, read_json
from evalsuite.model_loading import quiet_transformers
from trainers.config import TrainConfig, config_differences

__all__ = [
    "CONFIG_FILE",
    "STATE_DIR",
    "claim_output",
    "latest_state",
    "load_state",
    "quiet_transformers",
    "save_model",
    "save_state",
    "write_manifest",
]

CONFIG_FILE = "train_config.json"
STATE_DIR = "state"
_TRAINING_FILE = "training.pt"
_STATE_FILE = "state.json"


def claim_output(out: Path, config: TrainConfig) -> bool:
    """Decide what to do with ``--out``: return True to resume it, False to start fresh.

    Raises
    ------
    UsageError
        When ``out`` holds a run with a different config (the differing fields are named), or
        is a non-empty directory that is not a training run of this suite, or is a file.
    """
    if not out.exists():
        return False
    if not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    saved_path = out / CONFIG_FILE
    if not saved_path.is_file():
        if any(out.iterdir()):
            raise UsageError(
                f"--out {out}: exists, is not empty and holds no {CONFIG_FILE} (not a training "
                "run); choose a new directory, nothing is ever deleted"
            )
        return False
    differences = config_differences(read_json(saved_path), config)
    if differences:
        shown = "; ".join(differences[:3]) + ("; ..." if len(differences) > 3 else "")
        raise UsageError(
            f"--out {out}: holds a run with a different config ({shown}); resume it with the "
            "same options or choose a new directory"
        )
    return True


PEFT_MODEL_CARD = "README.md"
"""peft's ``save_pretrained`` writes a model card beside an adapter; the manifest says more."""


def _save_pretrained(model: Any, directory: Path) -> None:
    with quiet_transformers():
        model.save_pretrained(directory, safe_serialization=True)
    if hasattr(model, "peft_config"):
        (directory / PEFT_MODEL_CARD).unlink(missing_ok=True)


def _replace_files(source: Path, target: Path) -> None:
    for path in sorted(source.iterdir()):
        os.replace(path, target / path.name)


def save_model(model: Any, tokenizer: Any | None, out: Path) -> None:
    """``save_pretrained`` (safetensors) into a temporary directory, then rename into ``out``.
    A peft model writes its adapter only (``adapter_model.safetensors``, ``adapter_config.json``).
    """
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".saving-") as tmp:
        _save_pretrained(model, Path(tmp))
        if tokenizer is not None:
            with quiet_transformers():
                tokenizer.save_pretrained(tmp)
        _replace_files(Path(tmp), out)


def save_state(
    out: Path,
    step: int,
    *,
    model: Any,
    training: dict[str, Any],
    state: dict[str, Any],
) -> Path:
    """Write ``state/step-NNNNNNN`` whole (through a temporary name), then drop older steps.

    ``training`` holds tensors (optimizer, critic, rng) for ``torch.save``; ``state`` is JSON.
    """
    root = out / STATE_DIR
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{step:07d}"
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".step-{step:07d}-"))
    try:
        _save_pretrained(model, tmp)
        torch.save(training, tmp / _TRAINING_FILE)
        atomic_write_json(tmp / _STATE_FILE, state)
        if final.exists():  # the same step saved again (an interrupt right after an eval)
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for older in root.glob("step-*"):
        if older != final and older.name < final.name:
            shutil.rmtree(older)
    return final


def latest_state(out: Path) -> Path | None:
    """The newest complete ``state/step-*`` directory, or None."""
    steps = sorted((out / STATE_DIR).glob("step-*"))
    return steps[-1] if steps else None


def load_state(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(training, state)`` as saved by :func:`save_state`; tensors only, never pickled code."""
    training = torch.load(path / _TRAINING_FILE, map_location="cpu", weights_only=True)
    return training, read_json(path / _STATE_FILE)


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    """Write ``train_manifest.json`` atomically."""
    atomic_write_json(out / TRAIN_MANIFEST, manifest)
