"""Pickled Hugging Face weights (``pytorch_model.bin``) to safetensors, without running the pickle.

Checkpoints from older transformers (before 4.35) and from Trainer runs carry their weights as a
pickle, and unpickling can run any code the file names. Here they are read with
``torch.load(weights_only=True)``, which refuses every global but tensors and plain containers,
checked to be a flat ``name -> tensor`` mapping, and written as safetensors beside a copy of the
config and tokenizer files. ``evalsuite score`` itself never reads a pickle.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalsuite.checkpoint import TOKENIZER_FILES, TRAIN_MANIFEST, WEIGHTS_FILE
from evalsuite.errors import DataError, UsageError
from evalsuite.io import output_error, read_json

__all__ = ["BIN_FILE", "BIN_INDEX", "Conversion", "convert_checkpoint"]

BIN_FILE = "pytorch_model.bin"
BIN_INDEX = "pytorch_model.bin.index.json"
SAFETENSORS_INDEX = "model.safetensors.index.json"
COPIED_FILES = ("config.json", "generation_config.json", *TOKENIZER_FILES, TRAIN_MANIFEST)
"""What travels with the weights; nothing else of the source (optimizer or Trainer state,
``training_args.bin``) is read."""


@dataclass(frozen=True)
class Conversion:
    """What ``convert`` wrote: the directory, its weight files, tensors and copied files."""

    out: Path
    weight_files: tuple[str, ...]
    n_tensors: int
    copied: tuple[str, ...]


def _shards(source: Path) -> list[tuple[str, str]]:
    """``(bin file, safetensors file)`` pairs: one file, or the shards an index names."""
    if (source / BIN_INDEX).is_file():
        index = read_json(source / BIN_INDEX)
        weight_map = index.get("weight_map") if isinstance(index, dict) else None
        if not isinstance(weight_map, dict) or not weight_map:
            raise DataError(f"{source / BIN_INDEX}: missing field 'weight_map'")
        names = sorted({str(v) for v in weight_map.values()})
        for name in names:
            if Path(name).name != name or not name.endswith(".bin"):
                raise DataError(f"{source / BIN_INDEX}: shard {name!r} is not a .bin file name")
            if not (source / name).is_file():
                raise DataError(f"{source / BIN_INDEX}: shard {name} does not exist")
        renamed = [n.replace("pytorch_model", "model", 1)[: -len(".bin")] for n in names]
        return [(n, r + ".safetensors") for n, r in zip(names, renamed, strict=True)]
    if (source / BIN_FILE).is_file():
        return [(BIN_FILE, WEIGHTS_FILE)]
    if any(source.glob("*.safetensors")):
        raise UsageError(f"{source}: already holds safetensors weights; score it as it is")
    raise DataError(f"{source}: no {BIN_FILE} or {BIN_INDEX} to convert")


def _load_tensors(path: Path) -> dict[str, Any]:
    """A pickled state dict, tensors only: anything else in the pickle is refused unrun."""
    import pickle

    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise DataError(
            f"{path}: refused, not a pickle of tensors only (torch.load weights_only: {first})"
        ) from None
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise DataError(f"{path}: refused, not a state dict (a mapping of names to tensors)")
    # safetensors refuses tensors that share memory (T5's tied embeddings): one copy each.
    return {name: tensor.detach().clone().contiguous() for name, tensor in state.items()}


def convert_checkpoint(source: str | os.PathLike[str], out: str | os.PathLike[str]) -> Conversion:
    """Write ``out``: ``source``'s pickled weights as safetensors, its config and tokenizer.

    A single ``pytorch_model.bin`` becomes ``model.safetensors``; shards named by
    ``pytorch_model.bin.index.json`` become ``model-*.safetensors`` shards with a
    ``model.safetensors.index.json`` (transformers reads both). ``out`` is built under a
    temporary name beside it and renamed into place, so it appears whole or not at all.

    Raises
    ------
    DataError, UsageError
        One line: ``source`` missing or without pickled weights, a pickle that holds anything
        but tensors (nothing in it is run), an ``out`` that exists.
    """
    from safetensors.torch import save_file

    source, out = Path(source), Path(out)
    if not source.is_dir():
        raise DataError(f"checkpoint {source} does not exist (not a directory)")
    if out.exists():
        raise UsageError(f"--out {out}: exists; choose a new directory (nothing is replaced)")
    shards = _shards(source)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.converting-"))
    except OSError as err:
        raise output_error(out, err) from None
    try:
        weight_map: dict[str, str] = {}
        total_size = 0
        for bin_name, st_name in shards:
            tensors = _load_tensors(source / bin_name)
            save_file(tensors, str(tmp / st_name), metadata={"format": "pt"})
            weight_map.update({name: st_name for name in tensors})
            total_size += sum(t.numel() * t.element_size() for t in tensors.values())
        if len(shards) > 1:
            index = {"metadata": {"total_size": total_size}, "weight_map": weight_map}
            (tmp / SAFETENSORS_INDEX).write_text(json.dumps(index, indent=2, sort_keys=True))
        copied = tuple(name for name in COPIED_FILES if (source / name).is_file())
        for name in copied:
            shutil.copyfile(source / name, tmp / name)
        os.replace(tmp, out)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise output_error(out, err) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Conversion(out, tuple(st for _, st in shards), len(weight_map), copied)
