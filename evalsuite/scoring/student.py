"""Loading students: the implementation is picked from the checkpoint's config
(``is_encoder_decoder``), so scoring and training never ask which architecture they hold.

The interface and its two implementations live in :mod:`.student_interface`,
:mod:`.seq2seq_student` and :mod:`.causal_student`; they are re-exported here.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from evalsuite.errors import DataError
from evalsuite.scoring.causal_student import CausalStudent, causal_forced_outputs
from evalsuite.scoring.seq2seq_student import Seq2SeqStudent, seq2seq_forced_outputs
from evalsuite.scoring.student_interface import (
    Encoded,
    Generated,
    Student,
    TeacherForced,
    masked_mean,
)

__all__ = [
    "CausalStudent",
    "Encoded",
    "Generated",
    "Seq2SeqStudent",
    "SocraticStudents",
    "Student",
    "TeacherForced",
    "checkpoint_hash",
    "forced_outputs",
    "load_student",
    "load_students",
    "make_student",
    "masked_mean",
    "resolve_device",
]


def resolve_device(name: str, *, local_rank: int = 0) -> torch.device:
    """``"auto"`` picks ``cuda:<local rank>`` when CUDA is available, else the CPU.

    Raises
    ------
    DataError
        When the name is not a device torch knows, or CUDA is asked for and absent.
    """
    if name == "auto":
        return torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise DataError(f"--device {name!r}: not a device; use auto, cpu or cuda[:i]") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DataError(f"--device {name}: CUDA is not available on this machine")
    if device.type == "cuda" and device.index is None:
        device = torch.device(f"cuda:{local_rank}")
    return device


def checkpoint_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 over every file of a checkpoint (relative path and bytes), in path order."""
    root = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(root)).encode("utf-8") + b"\0")
        with file.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def make_student(
    model: Any, tokenizer: Any, *, device: torch.device, max_input_length: int
) -> Student:
    """The student implementation for ``model``: from ``config.is_encoder_decoder``."""
    kind = Seq2SeqStudent if getattr(model.config, "is_encoder_decoder", False) else CausalStudent
    return kind(model, tokenizer, device=device, max_input_length=max_input_length)


def forced_outputs(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    labels: torch.Tensor,
    *,
    hidden: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Training's teacher-forced pass, whatever the architecture: logits
    (batch, target length, vocab) aligned with ``labels`` and, with ``hidden``, the final states
    there. ``input_ids``/``attention_mask`` are the prompts (padded on either side), ``labels``
    the targets with ``-100`` at padding (Hugging Face's convention). The loss is then the
    cross-entropy of logits against labels, for a causal model too: its prompt carries none.
    """
    if getattr(model.config, "is_encoder_decoder", False):
        return seq2seq_forced_outputs(model, input_ids, attention_mask, labels, hidden=hidden)
    logits, states = causal_forced_outputs(
        model, input_ids, attention_mask, labels.clamp(min=0), (labels >= 0).long(), hidden=hidden
    )
    assert logits is not None  # asked for
    return logits, states


def load_student(
    path: str | os.PathLike[str],
    *,
    device: torch.device,
    max_input_length: int,
    tokenizer: str | os.PathLike[str] | None = None,
) -> Student:
    """Load a checkpoint's model and tokenizer: local files, safetensors only, no remote code.

    Call :func:`evalsuite.checkpoint.open_checkpoint` first; it names missing pieces.
    ``tokenizer`` is a directory to read the tokenizer from instead of ``path``.

    Raises
    ------
    DataError
        One line naming the checkpoint when transformers cannot load it.
    """
    from transformers import AutoTokenizer

    from evalsuite.model_loading import load_student_model, quiet_transformers

    model = load_student_model(path, what="checkpoint")
    source = path if tokenizer is None else tokenizer
    try:
        with quiet_transformers():
            loaded = AutoTokenizer.from_pretrained(
                source, local_files_only=True, trust_remote_code=False
            )
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        what = "checkpoint" if tokenizer is None else "--tokenizer"
        raise DataError(f"{what} {source}: cannot load the tokenizer ({first})") from None
    return make_student(model, loaded, device=device, max_input_length=max_input_length)


@dataclass(frozen=True)
class SocraticStudents:
    """The two students of a Socratic checkpoint, each loaded from its sub-directory."""

    decomposer: Student
    solver: Student

    def input_lengths(self, texts: Sequence[str]) -> list[int]:
        """Lengths of the decomposer's prompts: the batch plan sorts questions by them."""
        return self.decomposer.input_lengths(texts)

    @property
    def architecture(self) -> str:
        """The students' architecture; ``decomposer+solver`` spelled out when they differ."""
        kinds = (self.decomposer.architecture, self.solver.architecture)
        return kinds[0] if kinds[0] == kinds[1] else "+".join(kinds)


def load_students(
    path: str | os.PathLike[str],
    *,
    socratic: bool,
    device: torch.device,
    max_input_length: int,
    tokenizer: str | os.PathLike[str] | None = None,
    chat_template: bool = False,
) -> Student | SocraticStudents:
    """The checkpoint's student, or for a Socratic checkpoint its ``decompose`` and ``solve``
    students (sub-directories with their own model and tokenizer). ``tokenizer``: a directory
    to read a single student's tokenizer from instead of ``path``. ``chat_template``
    (``--chat-template``): every student lays its prompts out in its tokenizer's chat template.

    Raises
    ------
    DataError
        A checkpoint transformers cannot load, or ``chat_template`` with a tokenizer that has
        none.
    """
    if not socratic:
        singles: list[Student] = [
            load_student(
                path, device=device, max_input_length=max_input_length, tokenizer=tokenizer
            )
        ]
    else:
        root = Path(path)
        singles = [
            load_student(root / part, device=device, max_input_length=max_input_length)
            for part in ("decompose", "solve")
        ]
    if chat_template:
        for single in singles:
            single.use_chat_template(str(path))
    if not socratic:
        return singles[0]
    return SocraticStudents(decomposer=singles[0], solver=singles[1])
