"""The checkpoint contract between ``evalsuite train`` and ``evalsuite score``.

A checkpoint directory describes itself, so scoring needs no flags to know how to prompt it:

```
ckpt/model.safetensors, config.json, generation_config.json   save_pretrained (safetensors only)
ckpt/tokenizer.json, tokenizer_config.json                      the student's tokenizer
ckpt/train_manifest.json                                        recipe, task, prompt format,
                                                                hyperparameters, curves, provenance,
                                                                SHA-256 of model.safetensors
```

A LoRA checkpoint holds ``adapter_model.safetensors`` and ``adapter_config.json`` (peft) in place
of the model; its manifest's ``base_model`` block names the base model's directory and hash, and
scoring loads base + adapter (:func:`adapter_base`, :func:`check_base`).

A checkpoint from elsewhere (no manifest) is described by a format preset or flags
(:mod:`evalsuite.prompt_presets`); a folder without a tokenizer borrows one (``--tokenizer``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from evalsuite import names
from evalsuite.errors import DataError, UsageError
from evalsuite.io import read_json
from evalsuite.provenance import file_sha256

__all__ = [
    "ADAPTER_CONFIG",
    "ADAPTER_WEIGHTS_FILE",
    "BASE_MODEL_FIELD",
    "OUTPUT_KINDS",
    "RECIPES",
    "TOKENIZER_FILES",
    "TRAIN_MANIFEST",
    "WEIGHTS_FILE",
    "WEIGHTS_HASH_FIELD",
    "BaseModel",
    "Checkpoint",
    "FormatRequest",
    "PromptFormat",
    "adapter_base",
    "base_model_hash",
    "check_base",
    "convert_command",
    "is_adapter",
    "open_checkpoint",
    "read_checkpoint",
    "student_manifest",
    "tokenizer_hash",
    "trainer_checkpoints",
    "weights_file",
]

TRAIN_MANIFEST = "train_manifest.json"
WEIGHTS_FILE = "model.safetensors"
WEIGHTS_HASH_FIELD = "weights_sha256"
"""The train manifest's field holding the SHA-256 of the weights it describes
(:func:`weights_file`)."""
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors"
"""A LoRA checkpoint's files (peft's names), in place of config.json and :data:`WEIGHTS_FILE`."""
BASE_MODEL_FIELD = "base_model"
"""The train manifest's block naming a LoRA checkpoint's base model: ``path`` and ``sha256``."""
TOKENIZER_FILES = (
    "tokenizer.json",
    "spiece.model",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
)
"""The files a T5 tokenizer is read from; the first two each hold a whole vocabulary."""
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


class FormatRequest(Protocol):
    """A prompt format asked for on the command line
    (:class:`evalsuite.prompt_presets.FormatRequest`, which builds on this module)."""

    @property
    def given(self) -> bool: ...

    @property
    def source(self) -> str: ...

    def prompt(self, task: str) -> PromptFormat: ...

    def differences(self, prompt: PromptFormat) -> list[str]: ...


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint ready to load: its directory, how to prompt it, where that came from."""

    path: Path
    train_manifest: dict[str, Any]
    """The train manifest; empty when the checkpoint is described by a format instead."""
    prompt: PromptFormat
    format_source: str
    """``checkpoint`` (its train_manifest.json), ``preset NAME``, ``flags`` or
    ``preset NAME + flags``."""
    tokenizer: Path | None = None
    """``--tokenizer``: a directory to read the tokenizer from instead of the checkpoint's."""

    @property
    def tokenizer_dirs(self) -> list[Path]:
        """Where the tokenizer files are: ``--tokenizer``, each Socratic student, or the root."""
        if self.tokenizer is not None:
            return [self.tokenizer]
        if self.prompt.output == "socratic":
            return [self.path / sub for sub in self.prompt.path_prefixes]
        return [self.path]


def trainer_checkpoints(root: Path) -> list[Path]:
    """The ``checkpoint-N`` folders a Hugging Face ``Trainer`` wrote into ``root``, by N."""
    found = [p for p in root.glob("checkpoint-*") if re.fullmatch(r"checkpoint-\d+", p.name)]
    return sorted((p for p in found if p.is_dir()), key=lambda p: int(p.name.split("-")[1]))


def convert_command(path: Path) -> str:
    """The ``evalsuite convert`` command that turns ``path``'s pickled weights into safetensors."""
    target = path.parent / f"{path.name}-safetensors"
    return f"evalsuite convert {shlex.quote(str(path))} --out {shlex.quote(str(target))}"


def tokenizer_hash(directories: list[Path]) -> str:
    """SHA-256 over the tokenizer files (:data:`TOKENIZER_FILES`) of ``directories``: each
    file's name and bytes, in order; the directory's name too when there are several (a
    Socratic checkpoint's ``decompose`` and ``solve``), so one tokenizer hashes alike wherever
    it lies."""
    return _files_hash(
        (f"{directory.name}/{name}" if len(directories) > 1 else name, directory / name)
        for directory in directories
        for name in TOKENIZER_FILES
        if (directory / name).is_file()
    )


def _files_hash(files: Iterable[tuple[str, Path]]) -> str:
    """SHA-256 over ``(shown name, file)`` pairs: each name and the SHA-256 of its bytes."""
    digest = hashlib.sha256()
    for shown, path in files:
        digest.update(shown.encode() + b"\0")
        digest.update(file_sha256(path).encode() + b"\0")
    return digest.hexdigest()


def base_model_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a base model: its config.json and safetensors weights (names and bytes), the
    files that decide what an adapter on it computes. Its tokenizer, manifest and training
    state are left out, so a base that only gains a resume state keeps its hash."""
    root = Path(path)
    files = [root / "config.json", *sorted(root.glob("*.safetensors"))]
    return _files_hash((f.name, f) for f in files if f.is_file())


def is_adapter(directory: Path) -> bool:
    """Whether ``directory`` holds a LoRA adapter (peft's ``adapter_config.json``)."""
    return (directory / ADAPTER_CONFIG).is_file()


def weights_file(directory: Path) -> Path:
    """The weights a manifest's ``weights_sha256`` describes: the adapter's or the model's."""
    return directory / (ADAPTER_WEIGHTS_FILE if is_adapter(directory) else WEIGHTS_FILE)


@dataclass(frozen=True)
class BaseModel:
    """The base model a LoRA adapter was trained on: its directory and, when recorded, the
    :func:`base_model_hash` it had then."""

    path: Path
    sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The manifest's :data:`BASE_MODEL_FIELD` block."""
        return {"path": str(self.path), "sha256": self.sha256}


def adapter_base(directory: Path, manifest: dict[str, Any]) -> BaseModel:
    """The base model of the adapter in ``directory``: the manifest's ``base_model`` block, or
    for an adapter from elsewhere (no block) peft's ``base_model_name_or_path``, unhashed.

    Raises
    ------
    DataError
        One line naming the path looked for when the base model's directory is missing, or
        the block or adapter config when it is malformed.
    """
    block = manifest.get(BASE_MODEL_FIELD)
    where = directory / TRAIN_MANIFEST
    if block is not None:
        if not isinstance(block, dict) or not isinstance(block.get("path"), str):
            raise DataError(f"{where}: field '{BASE_MODEL_FIELD}' must hold a 'path' string")
        recorded = block.get("sha256")
        if recorded is not None and not isinstance(recorded, str):
            raise DataError(f"{where}: field '{BASE_MODEL_FIELD}.sha256' must be a string")
        base = BaseModel(Path(block["path"]), recorded)
    else:
        where = directory / ADAPTER_CONFIG
        config = read_json(where)
        name = config.get("base_model_name_or_path") if isinstance(config, dict) else None
        if not isinstance(name, str) or not name:
            raise DataError(f"{where}: names no base model (base_model_name_or_path)")
        base = BaseModel(Path(name))
    if is_adapter(base.path):
        raise DataError(
            f"{directory}: the adapter's base model {base.path} is itself an adapter; stacked "
            "adapters are not supported (train on a merged model)"
        )
    if not base.path.is_dir():
        raise DataError(
            f"{directory}: the adapter's base model {base.path} is missing (not a directory; "
            f"named in {where.name})"
        )
    return base


def check_base(directory: Path, base: BaseModel) -> None:
    """Refuse a base model whose files are not those the adapter was trained on.

    An adapter's low-rank update is meaningful only on the weights it was trained with; on any
    other base it would score without an error and mean nothing, so a changed base is an
    error, not a warning. A base with no recorded hash (an adapter from elsewhere) is trusted.

    Raises
    ------
    DataError
        One line naming both directories and the two hashes.
    """
    if base.sha256 is None:
        return
    actual = base_model_hash(base.path)
    if actual != base.sha256:
        raise DataError(
            f"{directory}: base model {base.path} has changed since the adapter was trained "
            f"(sha256 {actual[:12]}..., recorded {base.sha256[:12]}...)"
        )


def _has_tokenizer(directory: Path) -> bool:
    return any((directory / n).is_file() for n in TOKENIZER_FILES[:2])


def _check_weights(student: Path) -> None:
    if is_adapter(student):
        if not (student / ADAPTER_WEIGHTS_FILE).is_file():
            pickled = (student / "adapter_model.bin").is_file()
            raise DataError(
                f"{student}: adapter has no {ADAPTER_WEIGHTS_FILE}"
                + (" (pickled adapter_model.bin weights are refused)" if pickled else "")
            )
        base = adapter_base(student, student_manifest(student))
        check_base(student, base)
        _check_weights(base.path)
        return
    if not (student / "config.json").is_file():
        raise DataError(f"{student}: checkpoint has no config.json")
    if not any(student.glob("*.safetensors")):
        if (student / "pytorch_model.bin").is_file() or any(student.glob("pytorch_model-*.bin")):
            raise DataError(
                f"{student}: checkpoint has no safetensors weights (pickled .bin weights are "
                f"refused); convert them first: {convert_command(student)}"
            )
        raise DataError(f"{student}: checkpoint has no safetensors weights")


def _weights_match(root: Path, manifest: dict[str, Any], where: Path) -> bool:
    """Whether the manifest's recorded weights hash (if any) is that of ``root``'s weights.
    A manifest from before the hash was recorded matches anything."""
    recorded = manifest.get(WEIGHTS_HASH_FIELD)
    if recorded is None:
        return True
    if not isinstance(recorded, str):
        raise DataError(f"{where}: field '{WEIGHTS_HASH_FIELD}' must be a string, got {recorded!r}")
    weights = weights_file(root)
    return weights.is_file() and file_sha256(weights) == recorded


def _read_manifest(root: Path) -> dict[str, Any]:
    manifest_path = root / TRAIN_MANIFEST
    manifest = read_json(manifest_path)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("prompt"), dict):
        raise DataError(f"{manifest_path}: missing field 'prompt'")
    return manifest


def _described(
    root: Path, request: FormatRequest | None, task: str | None, manifest_path: Path
) -> tuple[PromptFormat, str]:
    """The prompt format given on the command line for a checkpoint without its own."""
    if request is None or not request.given:
        raise DataError(
            f"{manifest_path}: checkpoint has no {TRAIN_MANIFEST}; describe it with --format "
            "NAME (see `evalsuite formats`) or --output KIND"
        )
    if task is None:
        raise UsageError(f"{root}: --task is required for a checkpoint without {TRAIN_MANIFEST}")
    return request.prompt(task), request.source


def open_checkpoint(
    path: str | os.PathLike[str],
    *,
    request: FormatRequest | None = None,
    task: str | None = None,
    tokenizer: str | os.PathLike[str] | None = None,
) -> Checkpoint:
    """Validate a checkpoint directory and say how to prompt it, before any model is loaded.

    The prompt format is the checkpoint's own (``train_manifest.json``) or, for a checkpoint
    without one, ``request`` (``--format`` and its flags) for ``task``. A request on a checkpoint
    with a manifest must agree with it. A manifest whose recorded weights hash is not that of
    the weights beside it is refused, unless ``request`` describes the checkpoint instead.

    Raises
    ------
    DataError, UsageError
        One line naming what is missing or wrong: the directory (a Trainer output directory is
        named with its ``checkpoint-N`` folders), the manifest or its ``prompt`` block, a
        manifest of other weights, a disagreeing ``--format``, the tokenizer, or safetensors
        weights (pickled ``.bin`` weights are refused, with the ``convert`` command to run).
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"checkpoint {root} does not exist (not a directory)")
    manifest_path = root / TRAIN_MANIFEST
    inner = trainer_checkpoints(root)
    if inner and not (root / "config.json").is_file() and not manifest_path.is_file():
        listed = ", ".join(p.name for p in inner)
        raise DataError(
            f"{root}: a Trainer output directory with {len(inner)} checkpoints ({listed}); "
            f"score one of them, e.g. {root / inner[-1].name}"
        )
    manifest: dict[str, Any] = {}
    if manifest_path.is_file():
        manifest = _read_manifest(root)
        if not _weights_match(root, manifest, manifest_path):
            if request is None or not request.given:
                raise DataError(
                    f"{manifest_path} describes other weights (sha256 "
                    f"{str(manifest[WEIGHTS_HASH_FIELD])[:12]}...); score with --format to "
                    "describe this checkpoint"
                )
            manifest = {}  # another checkpoint's manifest: the request describes this one
    if manifest:
        prompt = PromptFormat.from_dict(manifest["prompt"], str(manifest_path))
        source = "checkpoint"
        if request is not None and request.given:
            differences = request.differences(prompt)
            if differences:
                raise UsageError(
                    f"--format: {manifest_path} prompts otherwise ({'; '.join(differences)}); "
                    "drop --format to use the checkpoint's own"
                )
    else:
        prompt, source = _described(root, request, task, manifest_path)
    checkpoint = Checkpoint(
        root, manifest, prompt, source, Path(tokenizer) if tokenizer is not None else None
    )
    _check_layout(checkpoint)
    return checkpoint


def _check_layout(checkpoint: Checkpoint) -> None:
    root, prompt = checkpoint.path, checkpoint.prompt
    if prompt.output == "socratic":
        # Two students, each a whole model with its own tokenizer in its sub-directory.
        if checkpoint.tokenizer is not None:
            raise UsageError("--tokenizer: a Socratic checkpoint's students carry their own")
        students = [root / sub for sub in prompt.path_prefixes]
        for student in students:
            if not student.is_dir():
                raise DataError(
                    f"{root}: Socratic checkpoint has no '{student.name}' student directory"
                )
            if not _weights_match(student, student_manifest(student), student / TRAIN_MANIFEST):
                raise DataError(
                    f"{student / TRAIN_MANIFEST} describes other weights; the Socratic "
                    "checkpoint's students do not belong together"
                )
    else:
        students = [root] + [root / sub for sub in prompt.path_prefixes if (root / sub).is_dir()]
    for directory in checkpoint.tokenizer_dirs:
        if not directory.is_dir() or not _has_tokenizer(directory):
            hint = "" if checkpoint.tokenizer is not None else "; give one with --tokenizer PATH"
            what = "--tokenizer" if checkpoint.tokenizer is not None else "checkpoint"
            raise DataError(f"{directory}: {what} has no tokenizer (tokenizer.json){hint}")
    for student in students:
        _check_weights(student)


def student_manifest(student: Path) -> dict[str, Any]:
    """``student``'s train manifest, or ``{}`` when it has none (a checkpoint from elsewhere)."""
    path = student / TRAIN_MANIFEST
    manifest = read_json(path) if path.is_file() else {}
    return manifest if isinstance(manifest, dict) else {}


def read_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, Any], PromptFormat]:
    """Validate a checkpoint that describes itself; return ``(train_manifest, prompt_format)``.

    :func:`open_checkpoint` without a format request; its errors, one line each.
    """
    checkpoint = open_checkpoint(path)
    return checkpoint.train_manifest, checkpoint.prompt
