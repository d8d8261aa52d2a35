"""Decoder-only (causal) students: GPT-2, LLaMA, Mistral, Qwen and their kind.

The prompt and the target are one sequence. What makes that correct, each pinned by a test:

* prompts are **left-padded**, with position ids counted over real tokens only, so a prompt's
  continuation is the same in a batch as alone (:func:`left_align`, :func:`position_ids`);
* a tokenizer without a pad token (GPT-2) pads with its EOS token, which attention masks hide;
  a new token would mean resizing a trained model's embeddings (:func:`ensure_pad_token`);
* targets end with EOS even when the tokenizer appends none (:func:`causal_target_ids`), so a
  trained student learns to stop;
* the state at the last prompt position predicts the first target token: logits and states are
  read at positions ``P - 1 .. P + L - 2`` of the joint sequence, which aligns them with the
  target tokens exactly as a seq2seq decoder's are, and the prompt carries no loss
  (:func:`causal_forced_outputs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from evalsuite.errors import DataError
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.student_interface import (
    Encoded,
    Generated,
    GeneratedStates,
    Student,
    TeacherForced,
    masked_mean,
    pad_targets,
    step_states,
)

__all__ = [
    "CausalStudent",
    "causal_forced_outputs",
    "causal_prompt_ids",
    "causal_target_ids",
    "ensure_pad_token",
    "left_align",
    "left_pad",
    "position_ids",
]


def ensure_pad_token(tokenizer: Any) -> int:
    """The tokenizer's pad id; one without a pad token (GPT-2) is given its EOS token.

    Padding is always masked, so any id will do; EOS needs no new embedding row, whereas adding
    a pad token would change the vocabulary a trained model was trained with.

    Raises
    ------
    DataError
        When the tokenizer has neither a pad nor an EOS token.
    """
    if tokenizer.pad_token_id is None:
        if tokenizer.eos_token is None:
            raise DataError("tokenizer has neither a pad token nor an EOS token to pad with")
        tokenizer.pad_token = tokenizer.eos_token
    return int(tokenizer.pad_token_id)


def causal_prompt_ids(
    tokenizer: Any, texts: Sequence[str], *, max_length: int, special_tokens: bool = True
) -> list[list[int]]:
    """Prompt ids with the tokenizer's own special tokens (a LLaMA BOS; the project's tiny
    tokenizer's closing EOS, which then separates prompt from answer), truncated on the right
    as training truncates; without them for text a chat template laid out (``special_tokens``
    False: the template writes its own). An empty prompt becomes one BOS (or EOS): the first
    target token needs a position to be predicted from."""
    rows = tokenizer(
        list(texts), truncation=True, max_length=max_length, add_special_tokens=special_tokens
    )["input_ids"]
    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    return [list(row) if len(row) else [int(start)] for row in rows]


def causal_target_ids(
    tokenizer: Any, texts: Sequence[str], *, max_length: int | None = None
) -> list[list[int]]:
    """Target ids without the tokenizer's special tokens, always ending with one EOS.

    GPT-2's tokenizer appends nothing; without the EOS a student never learns to stop.
    ``max_length`` counts the EOS, as a seq2seq tokenizer's truncation does.

    Examples
    --------
    >>> class Words:  # a stand-in tokenizer: one id per word, EOS is 1
    ...     eos_token_id = 1
    ...     def __call__(self, texts, add_special_tokens=True):
    ...         return {"input_ids": [[len(w) + 1 for w in t.split()] for t in texts]}
    >>> causal_target_ids(Words(), ["a bb ccc", ""], max_length=3)
    [[2, 3, 1], [1]]
    """
    eos = int(tokenizer.eos_token_id)
    rows = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    keep = None if max_length is None else max(0, max_length - 1)
    return [[*list(row)[:keep], eos] for row in rows]


def left_pad(rows: Sequence[Sequence[int]], *, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Ids padded on the left to the longest row, and the attention mask (1 on real tokens)."""
    width = max(1, max((len(r) for r in rows), default=1))
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            ids[i, width - len(row) :] = torch.tensor(list(row), dtype=torch.long)
            mask[i, width - len(row) :] = 1
    return ids, mask


def left_align(ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move each row's real tokens to its end, keeping their order (right- to left-padding).

    Examples
    --------
    >>> ids, mask = left_align(torch.tensor([[5, 6, 0], [7, 8, 9]]), torch.tensor([[1, 1, 0], [1, 1, 1]]))
    >>> ids.tolist(), mask.tolist()
    ([[0, 5, 6], [7, 8, 9]], [[0, 1, 1], [1, 1, 1]])
    """  # noqa: E501
    order = torch.sort(mask, dim=1, stable=True).indices  # pads (0) first, each group in order
    return ids.gather(1, order), mask.gather(1, order)


def position_ids(mask: torch.Tensor) -> torch.Tensor:
    """Positions counted over real tokens (0 at and before the first), as ``generate`` counts
    them for a left-padded batch, so that padding shifts no position."""
    return (mask.long().cumsum(-1) - 1).clamp(min=0)


@dataclass(frozen=True)
class _JointPass:
    """One pass over prompt + target: outputs aligned with the target, and the prompt's states."""

    logits: torch.Tensor | None
    """(batch, L, vocab): position ``j`` predicts target token ``j``; None without logits."""
    hidden: torch.Tensor
    """(batch, P + L, hidden_size): final states over the whole (left-aligned) sequence."""
    prompt_mask: torch.Tensor
    """(batch, P): the left-aligned prompts' mask."""

    def target_states(self) -> torch.Tensor:
        """States at positions ``P - 1 .. P + L - 2``: those that predict the target tokens."""
        first = self.prompt_mask.shape[1] - 1
        length = self.hidden.shape[1] - self.prompt_mask.shape[1]
        return self.hidden[:, first : first + length]

    def prompt_pooled(self) -> torch.Tensor:
        """Mean of the prompt's states over its real tokens. Under causal attention they never
        see the target, so this is exactly what a prompt-only pass would pool."""
        return masked_mean(self.hidden[:, : self.prompt_mask.shape[1]], self.prompt_mask)


def _joint_pass(
    model: Any,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    target_ids: torch.Tensor,
    target_mask: torch.Tensor,
    *,
    logits: bool,
) -> _JointPass:
    """The pass behind :func:`causal_forced_outputs` and :meth:`CausalStudent.teacher_force`."""
    prompt_ids, prompt_mask = left_align(prompt_ids, prompt_mask)
    ids = torch.cat([prompt_ids, target_ids], dim=1)
    mask = torch.cat([prompt_mask, target_mask.to(prompt_mask.dtype)], dim=1)
    positions = position_ids(mask)
    length = target_ids.shape[1]
    if not logits:
        states = model.base_model(
            input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=False
        ).last_hidden_state
        return _JointPass(None, states, prompt_mask)
    out = model(
        input_ids=ids,
        attention_mask=mask,
        position_ids=positions,
        output_hidden_states=True,
        use_cache=False,
        logits_to_keep=length + 1,  # the last L + 1 positions start at P - 1
    )
    return _JointPass(out.logits[:, :length], out.hidden_states[-1], prompt_mask)


def causal_forced_outputs(
    model: Any,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    target_ids: torch.Tensor,
    target_mask: torch.Tensor,
    *,
    logits: bool = True,
    hidden: bool = False,
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Logits and final states aligned with the target tokens, from one pass over prompt+target.

    Parameters
    ----------
    prompt_ids, prompt_mask : Tensor [batch, P]
        Prompts, padded on either side (they are left-aligned here).
    target_ids, target_mask : Tensor [batch, L]
        Targets, right-padded (any id at padding: the mask hides it).
    logits, hidden : bool
        What to return; without ``logits`` the output layer is skipped.

    Returns
    -------
    (Tensor [batch, L, vocab] or None, Tensor [batch, L, hidden_size] or None)
        Position ``j`` holds the model's output after reading the prompt and targets ``< j``:
        its prediction of target token ``j``.
    """
    out = _joint_pass(model, prompt_ids, prompt_mask, target_ids, target_mask, logits=logits)
    return out.logits, (out.target_states() if hidden or not logits else None)


def _generated_states(out: Any, prompt_mask: torch.Tensor, k: int) -> GeneratedStates:
    """The final states of a greedy or sampled ``generate`` call (``output_hidden_states``).

    Step 0 read the whole prompt: its states are pooled, and its last position's state predicted
    the first token; step ``j`` read token ``j - 1`` and predicted token ``j``. Rows ``i * k ..
    i * k + k - 1`` all continue prompt ``i`` (generate repeats each prompt ``k`` times).
    """
    steps = out.hidden_states  # per step, per layer: (rows, positions read, hidden_size)
    prompt_states = steps[0][-1][::k]
    return GeneratedStates(masked_mean(prompt_states, prompt_mask), step_states(steps))


class CausalStudent(Student):
    """A decoder-only student: the target continues the prompt in one sequence."""

    architecture = "causal"

    def __init__(
        self, model: Any, tokenizer: Any, *, device: torch.device, max_input_length: int
    ) -> None:
        ensure_pad_token(tokenizer)
        super().__init__(model, tokenizer, device=device, max_input_length=max_input_length)

    def prompt_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return causal_prompt_ids(
            self.tokenizer,
            self.prompt_texts(texts),
            max_length=self.max_input_length,
            special_tokens=not self.chat_template,
        )

    def target_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return causal_target_ids(self.tokenizer, texts)

    def encode(self, texts: Sequence[str]) -> Encoded:
        """Left-padded prompt ids; no forward pass: the pass that continues a prompt (generate
        or teacher-forcing) reads it and returns its pooled states."""
        input_ids, mask = left_pad(self.prompt_ids(texts), pad_id=self.pad_id)
        return Encoded(input_ids.to(self.device), mask.to(self.device))

    @torch.inference_mode()
    def generate(
        self,
        encoded: Encoded,
        decoding: DecodingConfig,
        *,
        max_new_tokens: int,
        seed: int,
        states: bool = False,
    ) -> Generated:
        """See :meth:`Student.generate`. ``states`` is served for greedy decoding and sampling;
        a beam's states would have to be gathered along its reorderings, so beams return none
        (representations then teacher-force the generation)."""
        with_states = states and decoding.mode != "beam"
        with self._seeded(seed):
            out = self.model.generate(
                input_ids=encoded.input_ids,
                attention_mask=encoded.attention_mask,
                pad_token_id=self.pad_id,
                eos_token_id=self.eos_id,
                return_dict_in_generate=True,
                output_logits=True,
                output_hidden_states=with_states,
                **decoding.generate_kwargs(max_new_tokens=max_new_tokens),
            )
        generated = self._continuations(out, decoding, skip=encoded.input_ids.shape[1])
        if not with_states:
            return generated
        k = generated.paths_per_prompt
        return replace(generated, states=_generated_states(out, encoded.attention_mask, k))

    @torch.inference_mode()
    def teacher_force(
        self,
        encoded: Encoded,
        rows: Sequence[int],
        targets: Sequence[Sequence[int]],
        *,
        scores: bool = True,
    ) -> TeacherForced:
        labels, mask = (t.to(self.device) for t in pad_targets(targets, pad_id=self.pad_id))
        index = torch.tensor(list(rows), dtype=torch.long, device=self.device)
        out = _joint_pass(
            self.model,
            encoded.input_ids.index_select(0, index),
            encoded.attention_mask.index_select(0, index),
            labels,
            mask,
            logits=scores,
        )
        hidden, prompt_pooled = out.target_states(), out.prompt_pooled()
        if out.logits is None:
            zeros = torch.zeros(mask.shape, device=self.device)
            return TeacherForced(zeros, hidden, mask, prompt_pooled)
        log_probs = torch.log_softmax(out.logits.float(), dim=-1)
        token_log_probs = log_probs.gather(-1, labels.unsqueeze(-1)).squeeze(-1) * mask
        return TeacherForced(token_log_probs, hidden, mask, prompt_pooled)
