"""A loaded student and the three model passes scoring needs: encode, generate, teacher-force.

The encoder runs once per prompt; generation, candidate scoring and representations all reuse
its states. Token log-probabilities of generated text come from the generate pass itself
(its raw logits, i.e. the model's distribution at temperature 1), never from a second forward.
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
from evalsuite.scoring.decoding import DecodingConfig

__all__ = [
    "Encoded",
    "Generated",
    "SocraticStudents",
    "Student",
    "TeacherForced",
    "load_student",
    "load_students",
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


@dataclass(frozen=True)
class Encoded:
    """Encoder inputs and states of one batch of prompts."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    hidden: torch.Tensor
    """Final encoder states, shape (batch, length, d_model)."""

    def pooled(self) -> torch.Tensor:
        """Mean of the encoder states over non-pad positions, shape (batch, d_model)."""
        return masked_mean(self.hidden, self.attention_mask)


@dataclass(frozen=True)
class Generated:
    """Outputs of one generate call; row ``i * k + j`` is path ``j`` of prompt ``i``."""

    token_ids: list[list[int]]
    """Generated ids up to and including the first EOS (no start token, no padding)."""
    token_log_probs: list[list[float]]
    """Model log-probability of each generated token (temperature 1)."""
    texts: list[str]
    paths_per_prompt: int


@dataclass(frozen=True)
class TeacherForced:
    """Decoder outputs for given target sequences (padded to a common length)."""

    token_log_probs: torch.Tensor
    """Log-probability of each target token, shape (n, length); 0 at padding."""
    hidden: torch.Tensor
    """Final decoder states, shape (n, length, d_model)."""
    mask: torch.Tensor
    """1 at real target positions, 0 at padding, shape (n, length)."""


def masked_mean(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over positions where ``mask`` is 1; NaN rows where the mask is empty."""
    weights = mask.to(states.dtype).unsqueeze(-1)
    return (states * weights).sum(dim=1) / weights.sum(dim=1)


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


class Student:
    """A seq2seq student on a device, with the passes scoring composes.

    Parameters
    ----------
    model, tokenizer
        A Hugging Face encoder-decoder (T5 family) and its tokenizer.
    device : torch.device
    max_input_length : int
        Prompts are truncated to this many tokens, as in training.
    """

    def __init__(
        self, model: Any, tokenizer: Any, *, device: torch.device, max_input_length: int
    ) -> None:
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        self.max_input_length = max_input_length
        self.pad_id = int(tokenizer.pad_token_id)
        self.eos_id = int(tokenizer.eos_token_id)
        start = getattr(model.generation_config, "decoder_start_token_id", None)
        # T5 starts decoding from the pad token; some saved configs leave the start id unset.
        self.start_id = int(start) if start is not None else self.pad_id

    # -- tokens ------------------------------------------------------------------------------
    def input_lengths(self, texts: Sequence[str]) -> list[int]:
        """Prompt lengths in tokens after truncation (the batch plan sorts by them)."""
        ids = self.tokenizer(list(texts), truncation=True, max_length=self.max_input_length)
        return [len(row) for row in ids["input_ids"]]

    def target_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of target texts as training saw them (EOS appended)."""
        return [list(row) for row in self.tokenizer(list(texts))["input_ids"]]

    def decode(self, ids: Sequence[int]) -> str:
        """Text of token ids without special tokens."""
        return str(self.tokenizer.decode(list(ids), skip_special_tokens=True)).strip()

    # -- passes ------------------------------------------------------------------------------
    @torch.inference_mode()
    def encode(self, texts: Sequence[str]) -> Encoded:
        """Run the encoder once over a batch of prompts."""
        batch = self.tokenizer(
            list(texts),
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.max_input_length,
        ).to(self.device)
        hidden = self.model.get_encoder()(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).last_hidden_state
        return Encoded(batch["input_ids"], batch["attention_mask"], hidden)

    @torch.inference_mode()
    def generate(
        self, encoded: Encoded, decoding: DecodingConfig, *, max_new_tokens: int, seed: int
    ) -> Generated:
        """Decode every prompt, with each generated token's log-probability from the same pass.

        ``seed`` seeds sampling for this call only (the global RNG is restored afterwards).
        """
        from transformers.modeling_outputs import BaseModelOutput

        kwargs = decoding.generate_kwargs(max_new_tokens=max_new_tokens)
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            out = self.model.generate(
                encoder_outputs=BaseModelOutput(last_hidden_state=encoded.hidden),
                attention_mask=encoded.attention_mask,
                decoder_start_token_id=self.start_id,
                pad_token_id=self.pad_id,
                eos_token_id=self.eos_id,
                return_dict_in_generate=True,
                output_logits=True,
                **kwargs,
            )
        beams = out.beam_indices if decoding.mode == "beam" else None
        scores = self.model.compute_transition_scores(
            out.sequences, out.logits, beams, normalize_logits=True
        )
        sequences = out.sequences[:, 1:].tolist()
        log_probs = scores.float().tolist()
        token_ids, token_log_probs = [], []
        for ids, lps in zip(sequences, log_probs, strict=True):
            end = ids.index(self.eos_id) + 1 if self.eos_id in ids else len(ids)
            token_ids.append(ids[:end])
            token_log_probs.append(lps[:end])
        texts = [self.decode(ids) for ids in token_ids]
        return Generated(token_ids, token_log_probs, texts, kwargs.get("num_return_sequences", 1))

    @torch.inference_mode()
    def teacher_force(
        self,
        encoded: Encoded,
        rows: Sequence[int],
        targets: Sequence[Sequence[int]],
        *,
        scores: bool = True,
    ) -> TeacherForced:
        """One decoder pass over ``targets``; target ``j`` attends to prompt ``rows[j]``.

        Used for candidate labels (their token log-probabilities) and for representations
        (the decoder states of generated text, as the generate pass saw them). With
        ``scores=False`` only the decoder runs (no output layer) and the log-probabilities are
        left at zero.
        """
        length = max(1, max(len(t) for t in targets))
        labels = torch.full((len(targets), length), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(targets), length), dtype=torch.long)
        for j, target in enumerate(targets):
            labels[j, : len(target)] = torch.tensor(list(target), dtype=torch.long)
            mask[j, : len(target)] = 1
        labels, mask = labels.to(self.device), mask.to(self.device)
        decoder_input = torch.full_like(labels, self.pad_id)
        decoder_input[:, 0] = self.start_id
        decoder_input[:, 1:] = labels[:, :-1]
        index = torch.tensor(list(rows), dtype=torch.long, device=self.device)
        memory = encoded.hidden.index_select(0, index)
        memory_mask = encoded.attention_mask.index_select(0, index)
        if not scores:
            hidden = self.model.get_decoder()(
                input_ids=decoder_input,
                attention_mask=mask,
                encoder_hidden_states=memory,
                encoder_attention_mask=memory_mask,
                use_cache=False,
            ).last_hidden_state
            return TeacherForced(torch.zeros(mask.shape, device=self.device), hidden, mask)
        out = self.model(
            encoder_outputs=(memory,),
            attention_mask=memory_mask,
            decoder_input_ids=decoder_input,
            decoder_attention_mask=mask,
            output_hidden_states=True,
            use_cache=False,
        )
        log_probs = torch.log_softmax(out.logits.float(), dim=-1)
        token_log_probs = log_probs.gather(-1, labels.unsqueeze(-1)).squeeze(-1) * mask
        return TeacherForced(token_log_probs, out.decoder_hidden_states[-1], mask)


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
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from evalsuite.model_loading import load_pretrained, quiet_transformers

    model = load_pretrained(AutoModelForSeq2SeqLM, path, what="checkpoint")
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
    return Student(model, loaded, device=device, max_input_length=max_input_length)


@dataclass(frozen=True)
class SocraticStudents:
    """The two students of a Socratic checkpoint, each loaded from its sub-directory."""

    decomposer: Student
    solver: Student

    def input_lengths(self, texts: Sequence[str]) -> list[int]:
        """Lengths of the decomposer's prompts: the batch plan sorts questions by them."""
        return self.decomposer.input_lengths(texts)


def load_students(
    path: str | os.PathLike[str],
    *,
    socratic: bool,
    device: torch.device,
    max_input_length: int,
    tokenizer: str | os.PathLike[str] | None = None,
) -> Student | SocraticStudents:
    """The checkpoint's student, or for a Socratic checkpoint its ``decompose`` and ``solve``
    students (sub-directories with their own model and tokenizer). ``tokenizer``: a directory
    to read a single student's tokenizer from instead of ``path``."""
    if not socratic:
        return load_student(
            path, device=device, max_input_length=max_input_length, tokenizer=tokenizer
        )
    root = Path(path)
    return SocraticStudents(
        decomposer=load_student(
            root / "decompose", device=device, max_input_length=max_input_length
        ),
        solver=load_student(root / "solve", device=device, max_input_length=max_input_length),
    )
