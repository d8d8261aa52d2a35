"""Greedy decoding after a forced decoder prefix: what every faithfulness probe asks a student.

A probe writes the start of the student's output itself (the first k steps of its rationale and
the answer marker, a corrupted step, filler) and reads what the student writes next. The
protocol :class:`ForcingStudent` is all the probes need, so tests can stand in students whose
behaviour is known by construction; :class:`Seq2SeqForcing` implements it on the scorer's
:class:`~evalsuite.scoring.student.Seq2SeqStudent` (its encoder pass, tokenizer and model).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from evalsuite.scoring.student import Seq2SeqStudent

__all__ = ["ForcingStudent", "Seq2SeqForcing"]


class ForcingStudent(Protocol):
    """A student that continues a given start of its output, greedily."""

    def token_ids(self, text: str) -> list[int]:
        """Token ids of ``text`` as a piece of output (no special tokens)."""
        ...

    def text(self, ids: Sequence[int]) -> str:
        """The text of token ids (special tokens dropped)."""
        ...

    def vocabulary(self) -> Sequence[int]:
        """The ids a random-token perturbation may draw (every non-special token)."""
        ...

    def continue_after(
        self, prompts: Sequence[str], prefixes: Sequence[str], *, max_new_tokens: int
    ) -> list[str]:
        """For each prompt, the greedy continuation of the output that starts with its prefix
        (an empty prefix: the student's own output), as text without the prefix."""
        ...


class Seq2SeqForcing:
    """:class:`ForcingStudent` on an encoder-decoder student.

    Each prompt is encoded once; the decoder then runs on ``start + prefix + generated`` of
    every unfinished row, right-padded (a causal decoder never attends to the padding after a
    row's real tokens), and each row takes the most probable next token at its own last
    position until EOS or ``max_new_tokens``. Rows of different prefix lengths share one batch,
    so a probe's interventions decode together.
    """

    def __init__(self, student: Seq2SeqStudent) -> None:
        self.student = student

    def token_ids(self, text: str) -> list[int]:
        ids = self.student.tokenizer(text, add_special_tokens=False)["input_ids"]
        return [int(i) for i in ids]

    def text(self, ids: Sequence[int]) -> str:
        return self.student.decode(ids)

    def vocabulary(self) -> Sequence[int]:
        special = set(self.student.tokenizer.all_special_ids)
        return [i for i in range(len(self.student.tokenizer)) if i not in special]

    def continue_after(
        self, prompts: Sequence[str], prefixes: Sequence[str], *, max_new_tokens: int
    ) -> list[str]:
        import torch

        student = self.student
        encoded = student.encode(prompts)
        starts = [[student.start_id, *self.token_ids(p)] if p else [student.start_id]
                  for p in prefixes]  # fmt: skip
        generated: list[list[int]] = [[] for _ in prompts]
        active = list(range(len(prompts)))
        with torch.inference_mode():
            for _ in range(max_new_tokens):
                if not active:
                    break
                rows = [starts[i] + generated[i] for i in active]
                length = max(len(r) for r in rows)
                ids = torch.full((len(rows), length), student.pad_id, dtype=torch.long)
                mask = torch.zeros((len(rows), length), dtype=torch.long)
                for j, row in enumerate(rows):
                    ids[j, : len(row)] = torch.tensor(row, dtype=torch.long)
                    mask[j, : len(row)] = 1
                index = torch.tensor(active, dtype=torch.long, device=student.device)
                out = student.model(
                    encoder_outputs=(encoded.hidden.index_select(0, index),),
                    attention_mask=encoded.attention_mask.index_select(0, index),
                    decoder_input_ids=ids.to(student.device),
                    decoder_attention_mask=mask.to(student.device),
                    use_cache=False,
                )
                last = torch.tensor([len(r) - 1 for r in rows], device=student.device)
                picks = out.logits[torch.arange(len(rows)), last].argmax(dim=-1).tolist()
                still = []
                for i, token in zip(active, picks, strict=True):
                    if token == student.eos_id:
                        continue
                    generated[i].append(int(token))
                    still.append(i)
                active = still
        return [student.decode(ids) for ids in generated]
