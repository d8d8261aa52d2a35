"""The student interface scoring and training share: encode, generate, teacher-force, pool.

A student is an encoder-decoder (:mod:`.seq2seq_student`) or a decoder-only causal LM
(:mod:`.causal_student`); the loader picks one from ``config.is_encoder_decoder``, and nothing
above this interface knows which. Token log-probabilities of generated text come from the
generate pass itself (its raw logits, i.e. the model's distribution at temperature 1), never
from a second forward. A greedy or sampled generate pass also returns, when asked, the final
states that scoring pools into representations (:class:`GeneratedStates`), so a batch is read
once: no prompt-only pass, no teacher-forced pass over what it generated.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from evalsuite.errors import DataError
from evalsuite.scoring.decoding import DecodingConfig

__all__ = [
    "Encoded",
    "Generated",
    "GeneratedStates",
    "Student",
    "TeacherForced",
    "masked_mean",
    "pad_targets",
    "step_states",
]


@dataclass(frozen=True)
class Encoded:
    """A batch of prompts as the student reads them: token ids and mask.

    An encoder-decoder's encoder runs here (:class:`~.seq2seq_student.EncoderOutput` adds its
    states); a causal student's prompt is read by the pass that continues it (generate or
    teacher-forcing), which returns the prompt's pooled states itself.
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor


@dataclass(frozen=True)
class GeneratedStates:
    """Final states from the generate pass itself: what representations pool, without a
    second pass (the states of the prompt and of each generated token, as a teacher-forced
    pass over prompt + generation computes them)."""

    prompt_pooled: torch.Tensor
    """Mean of each prompt's final states over its real tokens, shape (prompts, hidden_size)."""
    hidden: torch.Tensor
    """Row ``r``, step ``j``: the state that predicted generated token ``j`` of row ``r``,
    shape (rows, steps, hidden_size); steps past a row's first EOS are not its tokens."""


@dataclass(frozen=True)
class Generated:
    """Outputs of one generate call; row ``i * k + j`` is path ``j`` of prompt ``i``."""

    token_ids: list[list[int]]
    """Generated ids up to and including the first EOS (no prompt, no start token, no padding)."""
    token_log_probs: list[list[float]]
    """Model log-probability of each generated token (temperature 1)."""
    texts: list[str]
    paths_per_prompt: int
    states: GeneratedStates | None = None
    """Present when asked for and the generate pass yields them (greedy or sampled, either
    architecture); otherwise (beams) representations teacher-force the generations."""


@dataclass(frozen=True)
class TeacherForced:
    """Outputs for given target sequences (padded to a common length), aligned with them."""

    token_log_probs: torch.Tensor
    """Log-probability of each target token, shape (n, length); 0 at padding."""
    hidden: torch.Tensor
    """Final states at the position that predicts each target token, (n, length, hidden_size)."""
    mask: torch.Tensor
    """1 at real target positions, 0 at padding, shape (n, length)."""
    prompt_pooled: torch.Tensor
    """Mean of each row's prompt states over its real tokens, shape (n, hidden_size)."""


def masked_mean(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over positions where ``mask`` is 1; NaN rows where the mask is empty."""
    weights = mask.to(states.dtype).unsqueeze(-1)
    return (states * weights).sum(dim=1) / weights.sum(dim=1)


def step_states(steps: Sequence[Sequence[torch.Tensor]]) -> torch.Tensor:
    """The final state at each ``generate`` step's newest position, (rows, steps, hidden_size).

    ``steps`` is ``generate``'s per-step, per-layer hidden states (a causal LM's
    ``hidden_states``, a seq2seq decoder's ``decoder_hidden_states``); the last layer's is the
    model's final state (after its last norm). Step ``j`` read token ``j - 1`` (or the prompt,
    or the start token) and predicted generated token ``j``.
    """
    return torch.cat([step[-1][:, -1:] for step in steps], dim=1)


def pad_targets(
    targets: Sequence[Sequence[int]], *, pad_id: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded target ids and their mask, each (n, longest target, at least 1)."""
    length = max(1, max((len(t) for t in targets), default=1))
    ids = torch.full((len(targets), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(targets), length), dtype=torch.long)
    for j, target in enumerate(targets):
        ids[j, : len(target)] = torch.tensor(list(target), dtype=torch.long)
        mask[j, : len(target)] = 1
    return ids, mask


class Student(abc.ABC):
    """A student model on a device, with the passes scoring (and validation decoding) composes.

    Parameters
    ----------
    model, tokenizer
        A Hugging Face model and its tokenizer.
    device : torch.device
    max_input_length : int
        Prompts are truncated to this many tokens, as in training.
    """

    architecture: ClassVar[str]
    """``encoder-decoder`` or ``causal``: recorded in run manifests."""

    def __init__(
        self, model: Any, tokenizer: Any, *, device: torch.device, max_input_length: int
    ) -> None:
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        self.max_input_length = max_input_length
        self.eos_id = int(tokenizer.eos_token_id)
        self.pad_id = int(tokenizer.pad_token_id)
        self.chat_template = False
        """Whether prompts are laid out in the tokenizer's chat template (``--chat-template``)."""

    def use_chat_template(self, where: str) -> None:
        """Format every prompt from now on as one user turn of the tokenizer's chat template,
        followed by the template's generation prompt (where an assistant turn starts).

        Raises
        ------
        DataError
            When the tokenizer of ``where`` (the checkpoint) has no chat template.
        """
        if not getattr(self.tokenizer, "chat_template", None):
            raise DataError(f"--chat-template: the tokenizer of {where} has no chat template")
        self.chat_template = True

    def prompt_texts(self, texts: Sequence[str]) -> list[str]:
        """The prompts as the model reads them: as given, or in the chat template."""
        if not self.chat_template:
            return list(texts)
        return [
            str(
                self.tokenizer.apply_chat_template(
                    [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True
                )
            )
            for text in texts
        ]

    # -- tokens ------------------------------------------------------------------------------
    @abc.abstractmethod
    def prompt_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of prompts as training saw them (truncated to ``max_input_length``)."""

    @abc.abstractmethod
    def target_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of target texts as training saw them (ending with EOS)."""

    def input_lengths(self, texts: Sequence[str]) -> list[int]:
        """Prompt lengths in tokens after truncation (the batch plan sorts by them)."""
        return [len(ids) for ids in self.prompt_ids(texts)]

    def decode(self, ids: Sequence[int]) -> str:
        """Text of token ids without special tokens."""
        return str(self.tokenizer.decode(list(ids), skip_special_tokens=True)).strip()

    # -- passes ------------------------------------------------------------------------------
    @abc.abstractmethod
    def encode(self, texts: Sequence[str]) -> Encoded:
        """Tokenise a batch of prompts (an encoder-decoder also runs its encoder once)."""

    @abc.abstractmethod
    def generate(
        self,
        encoded: Encoded,
        decoding: DecodingConfig,
        *,
        max_new_tokens: int,
        seed: int,
        states: bool = False,
    ) -> Generated:
        """Decode every prompt; only the continuation is returned, with each generated token's
        log-probability from the same pass. ``seed`` seeds sampling for this call only.
        ``states`` asks for :attr:`Generated.states`; a student may return None there (then
        representations teacher-force the generations)."""

    @abc.abstractmethod
    def teacher_force(
        self,
        encoded: Encoded,
        rows: Sequence[int],
        targets: Sequence[Sequence[int]],
        *,
        scores: bool = True,
    ) -> TeacherForced:
        """One pass over ``targets``, target ``j`` continuing prompt ``rows[j]``.

        Used for candidate labels (their token log-probabilities) and for representations
        (the states of generated text, as the generate pass saw them). With ``scores=False``
        the output layer is skipped and the log-probabilities are left at zero.
        """

    # -- shared by the implementations ---------------------------------------------------------
    @contextmanager
    def _seeded(self, seed: int) -> Iterator[None]:
        """Seed sampling inside the block; the global RNG is restored afterwards."""
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield

    def _continuations(self, out: Any, decoding: DecodingConfig, *, skip: int) -> Generated:
        """The generated part of ``model.generate``'s output (its first ``skip`` tokens are the
        prompt or the start token), cut after the first EOS, with each token's log-probability."""
        beams = out.beam_indices if decoding.mode == "beam" else None
        scores = self.model.compute_transition_scores(
            out.sequences, out.logits, beams, normalize_logits=True
        )
        sequences = out.sequences[:, skip:].tolist()
        log_probs = scores.float().tolist()
        token_ids, token_log_probs = [], []
        for ids, lps in zip(sequences, log_probs, strict=True):
            end = ids.index(self.eos_id) + 1 if self.eos_id in ids else len(ids)
            token_ids.append(ids[:end])
            token_log_probs.append(lps[:end])
        texts = [self.decode(ids) for ids in token_ids]
        k = int(decoding.generate_kwargs(max_new_tokens=1).get("num_return_sequences", 1))
        return Generated(token_ids, token_log_probs, texts, k)
