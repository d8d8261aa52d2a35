"""The checkpoint contract between ``evalsuite train`` and ``evalsuite score``.

A checkpoint directory describes itself, so scoring needs no flags to know how to prompt it:

```
ckpt/model.safetensors, config.json, generation_config.json   save_pretrained (safetensors only)
ckpt/tokenizer.json, tokenizer_config.json                      the student's tokenizer
ckpt/train_manifest.json                                        recipe, task, prompt format,
                                                                hyperparameters, curves, provenance
```
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalsuite import names
from evalsuite.errors import DataError, UsageError
from evalsuite.io import read_json

__all__ = [
    "OUTPUT_KINDS",
    "RECIPES",
    "TRAIN_MANIFEST",
    "PromptFormat",
    "read_checkpoint",
]

TRAIN_MANIFEST = "train_manifest.json"
RECIPES = names.RECIPES.names
OUTPUT_KINDS = names.OUTPUT_FORMATS.names
"""How a student's outputs are laid out: :data:`evalsuite.names.OUTPUT_FORMATS`."""


@dataclass(frozen=True)
class PromptFormat:
    """How to prompt a student and read its outputs. Saved in ``train_manifest.json``."""

    recipe: str
    task: str
    output: str
    label_prefix: str = ""
    rationale_prefix: str | None = None
    path_prefixes: dict[str, str] = field(default_factory=dict)
    max_input_length: int = 512
    max_target_length: int = 256

    def __post_init__(self) -> None:
        self._check_types()
        names.RECIPES.check(self.recipe)
        names.OUTPUT_FORMATS.check(self.output)
        if self.output == "multitask" and self.rationale_prefix is None:
            raise UsageError("a multitask prompt format needs a rationale_prefix")
        if self.output == "socratic" and sorted(self.path_prefixes) != ["decompose", "solve"]:
            raise UsageError(
                "a socratic prompt format needs path_prefixes for exactly 'decompose' and "
                f"'solve' (its two students' directories), got {sorted(self.path_prefixes)}"
            )

    def _check_types(self) -> None:
        """A manifest edited by hand (``max_input_length: "lots"``) fails here, not in the
        tokenizer."""
        for name in ("recipe", "task", "output", "label_prefix"):
            if not isinstance(getattr(self, name), str):
                raise UsageError(f"field '{name}' must be a string, got {getattr(self, name)!r}")
        if self.rationale_prefix is not None and not isinstance(self.rationale_prefix, str):
            raise UsageError(
                f"field 'rationale_prefix' must be a string or null, got {self.rationale_prefix!r}"
            )
        prefixes = self.path_prefixes
        if not isinstance(prefixes, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in prefixes.items()
        ):
            raise UsageError(f"field 'path_prefixes' must map names to strings, got {prefixes!r}")
        for name in ("max_input_length", "max_target_length"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(f"field '{name}' must be a positive integer, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the manifest."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> PromptFormat:
        """Rebuild from the manifest's ``prompt`` block; errors name ``where``."""
        try:
            return cls(**data)
        except TypeError as err:
            raise DataError(f"{where}: field 'prompt' is malformed ({err})") from None
        except UsageError as err:
            raise DataError(f"{where}: field 'prompt': {err}") from None


def read_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, Any], PromptFormat]:
    """Validate a checkpoint directory and return ``(train_manifest, prompt_format)``.

    Raises
    ------
    DataError
        One line naming what is missing or broken: the directory, the manifest or its ``prompt``
        block, the tokenizer, or safetensors weights (pickled ``.bin`` weights are refused).
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"checkpoint {root} does not exist (not a directory)")
    manifest_path = root / TRAIN_MANIFEST
    if not manifest_path.is_file():
        raise DataError(f"{manifest_path}: checkpoint has no {TRAIN_MANIFEST}")
    manifest = read_json(manifest_path)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("prompt"), dict):
        raise DataError(f"{manifest_path}: missing field 'prompt'")
    prompt = PromptFormat.from_dict(manifest["prompt"], str(manifest_path))
    if prompt.output == "socratic":
        # Two students, each a whole model with its own tokenizer in its sub-directory.
        students = [root / sub for sub in prompt.path_prefixes]
        tokenizer_dirs = students
        for student in students:
            if not student.is_dir():
                raise DataError(
                    f"{root}: Socratic checkpoint has no '{student.name}' student directory"
                )
    else:
        students = [root] + [root / sub for sub in prompt.path_prefixes if (root / sub).is_dir()]
        tokenizer_dirs = [root]
    for directory in tokenizer_dirs:
        if not any((directory / n).is_file() for n in ("tokenizer.json", "spiece.model")):
            raise DataError(f"{directory}: checkpoint has no tokenizer (tokenizer.json)")
    for student in students:
        if not (student / "config.json").is_file():
            raise DataError(f"{student}: checkpoint has no config.json")
        if not any(student.glob("*.safetensors")):
            hint = " (pickled .bin weights are refused)" if any(student.glob("*.bin")) else ""
            raise DataError(f"{student}: checkpoint has no safetensors weights{hint}")
    return manifest, prompt
