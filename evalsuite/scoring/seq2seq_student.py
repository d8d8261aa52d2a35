"""Encoder-decoder students (the T5 family): the encoder runs once per prompt, and generation,
candidate scoring and representations all reuse its states. A greedy or sampled generate pass
also returns the decoder states that predicted each generated token, so representations need
no second decoder pass over what was generated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

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

__all__ = ["EncoderOutput", "Seq2SeqStudent", "seq2seq_forced_outputs"]


@dataclass(frozen=True)
class EncoderOutput(Encoded):
    """Prompts and their encoder states, which generation and teacher-forcing attend to."""

    hidden: torch.Tensor
    """Final encoder states, shape (batch, length, hidden_size)."""


def _memory(encoded: Encoded) -> EncoderOutput:
    """The encoder states of prompts this student encoded (a causal student's carry none)."""
    if not isinstance(encoded, EncoderOutput):
        raise TypeError("a seq2seq student reads prompts it encoded itself (EncoderOutput)")
    return encoded


def seq2seq_forced_outputs(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    labels: torch.Tensor,
    *,
    hidden: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Training's teacher-forced pass: logits (batch, target length, vocab) at the target
    positions and, with ``hidden``, the final decoder states there.

    ``labels`` holds the target ids with ``-100`` at padding; the decoder reads them shifted
    right behind the start token.
    """
    out = model(
        input_ids=input_ids,
        attention_mask=attention_mask,
        decoder_input_ids=model.prepare_decoder_input_ids_from_labels(labels=labels),
        output_hidden_states=hidden,
        use_cache=False,
    )
    return out.logits, (out.decoder_hidden_states[-1] if hidden else None)


class Seq2SeqStudent(Student):
    """A seq2seq student: prompts go to the encoder, targets to the decoder."""

    architecture = "encoder-decoder"

    def __init__(
        self, model: Any, tokenizer: Any, *, device: torch.device, max_input_length: int
    ) -> None:
        super().__init__(model, tokenizer, device=device, max_input_length=max_input_length)
        start = getattr(model.generation_config, "decoder_start_token_id", None)
        # T5 starts decoding from the pad token; some saved configs leave the start id unset.
        self.start_id = int(start) if start is not None else self.pad_id

    def prompt_ids(self, texts: Sequence[str]) -> list[list[int]]:
        ids = self.tokenizer(
            self.prompt_texts(texts), truncation=True, max_length=self.max_input_length
        )
        return [list(row) for row in ids["input_ids"]]

    def target_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [list(row) for row in self.tokenizer(list(texts))["input_ids"]]

    @torch.inference_mode()
    def encode(self, texts: Sequence[str]) -> EncoderOutput:
        batch = self.tokenizer(
            self.prompt_texts(texts),
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.max_input_length,
        ).to(self.device)
        hidden = self.model.get_encoder()(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).last_hidden_state
        return EncoderOutput(batch["input_ids"], batch["attention_mask"], hidden)

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
        """See :meth:`Student.generate`. ``states`` is served for greedy decoding and sampling:
        the prompt's pooled encoder states and the decoder's final state at each step (what a
        teacher-forced decoder pass over the generation computes). A beam's states would have
        to be gathered along its reorderings, so beams return none (representations then
        teacher-force the generation)."""
        from transformers.modeling_outputs import BaseModelOutput

        memory = _memory(encoded)
        with_states = states and decoding.mode != "beam"
        with self._seeded(seed):
            out = self.model.generate(
                encoder_outputs=BaseModelOutput(last_hidden_state=memory.hidden),
                attention_mask=encoded.attention_mask,
                decoder_start_token_id=self.start_id,
                pad_token_id=self.pad_id,
                eos_token_id=self.eos_id,
                return_dict_in_generate=True,
                output_logits=True,
                output_hidden_states=with_states,
                **decoding.generate_kwargs(max_new_tokens=max_new_tokens),
            )
        generated = self._continuations(out, decoding, skip=1)
        if not with_states:
            return generated
        prompt_pooled = masked_mean(memory.hidden, memory.attention_mask)
        return replace(
            generated, states=GeneratedStates(prompt_pooled, step_states(out.decoder_hidden_states))
        )

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
        decoder_input = torch.full_like(labels, self.pad_id)
        decoder_input[:, 0] = self.start_id
        decoder_input[:, 1:] = labels[:, :-1]
        index = torch.tensor(list(rows), dtype=torch.long, device=self.device)
        memory = _memory(encoded).hidden.index_select(0, index)
        memory_mask = encoded.attention_mask.index_select(0, index)
        prompt_pooled = masked_mean(memory, memory_mask)
        if not scores:
            hidden = self.model.get_decoder()(
                input_ids=decoder_input,
                attention_mask=mask,
                encoder_hidden_states=memory,
                encoder_attention_mask=memory_mask,
                use_cache=False,
            ).last_hidden_state
            zeros = torch.zeros(mask.shape, device=self.device)
            return TeacherForced(zeros, hidden, mask, prompt_pooled)
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
        return TeacherForced(token_log_probs, out.decoder_hidden_states[-1], mask, prompt_pooled)
