"""Greedy decoding after a forced decoder prefix: what every faithfulness probe asks a student.

A probe writes the start of the student's output itself (the first k steps of its rationale and
the answer marker, a corrupted step, filler) and reads what the student writes next. The
protocol :class:`ForcingStudent` is all the probes need, so tests can stand in students whose
behaviour is known by construction; :class:`Seq2SeqForcing` implements it on the scorer's
:class:`~evalsuite.scoring.student.Seq2SeqStudent` (its encoder pass, tokenizer and model),
:class:`CausalForcing` on its :class:`~evalsuite.scoring.student.CausalStudent` (the prefix
continues the prompt in one sequence, as a causal student's target does in training).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.student import CausalStudent, Seq2SeqStudent, Student

__all__ = [
    "CausalForcing",
    "ForcingStudent",
    "Seq2SeqForcing",
    "StudentTokens",
    "TokenSource",
    "forcing_for",
]


class TokenSource(Protocol):
    """A student's tokens, as the token probes need them (filler length, perturbation)."""

    def token_ids(self, text: str) -> list[int]:
        """Token ids of ``text`` as a piece of output (no special tokens)."""
        ...

    def text(self, ids: Sequence[int]) -> str:
        """The text of token ids (special tokens dropped)."""
        ...

    def vocabulary(self) -> Sequence[int]:
        """The ids a random-token perturbation may draw (every non-special token)."""
        ...


class ForcingStudent(TokenSource, Protocol):
    """A student that continues a given start of its output, greedily."""

    def continue_after(
        self, prompts: Sequence[str], prefixes: Sequence[str], *, max_new_tokens: int
    ) -> list[str]:
        """For each prompt, the greedy continuation of the output that starts with its prefix
        (an empty prefix: the student's own output), as text without the prefix."""
        ...


class StudentTokens:
    """:class:`TokenSource` of a scorer's student: what both forcing implementations share,
    and a Socratic solver's tokens."""

    def __init__(self, student: Student) -> None:
        self.student = student

    def token_ids(self, text: str) -> list[int]:
        ids = self.student.tokenizer(text, add_special_tokens=False)["input_ids"]
        return [int(i) for i in ids]

    def text(self, ids: Sequence[int]) -> str:
        return self.student.decode(ids)

    def vocabulary(self) -> Sequence[int]:
        special = set(self.student.tokenizer.all_special_ids)
        return [i for i in range(len(self.student.tokenizer)) if i not in special]


class Seq2SeqForcing(StudentTokens):
    """:class:`ForcingStudent` on an encoder-decoder student.

    Each prompt is encoded once; the decoder then runs on ``start + prefix + generated`` of
    every unfinished row, right-padded (a causal decoder never attends to the padding after a
    row's real tokens), and each row takes the most probable next token at its own last
    position until EOS or ``max_new_tokens``. Rows of different prefix lengths share one batch,
    so a probe's interventions decode together.
    """

    student: Seq2SeqStudent

    def __init__(self, student: Seq2SeqStudent) -> None:
        super().__init__(student)

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


class CausalForcing(StudentTokens):
    """:class:`ForcingStudent` on a decoder-only student.

    Each row is the prompt's ids as scoring reads them (truncated to ``max_input_length``, the
    tokenizer's special tokens) followed by the prefix's ids as a target's are tokenized
    (no special tokens), left-padded with positions over real tokens, then decoded greedily by
    ``model.generate``; the continuation is cut after the first EOS. An empty prefix gives the
    scorer's own greedy output.
    """

    student: CausalStudent

    def __init__(self, student: CausalStudent) -> None:
        super().__init__(student)

    def continue_after(
        self, prompts: Sequence[str], prefixes: Sequence[str], *, max_new_tokens: int
    ) -> list[str]:
        import torch

        from evalsuite.scoring.causal_student import left_pad

        student = self.student
        rows = [
            [*prompt, *(self.token_ids(prefix) if prefix else [])]
            for prompt, prefix in zip(student.prompt_ids(prompts), prefixes, strict=True)
        ]
        ids, mask = (t.to(student.device) for t in left_pad(rows, pad_id=student.pad_id))
        with torch.inference_mode():
            out = student.model.generate(
                input_ids=ids,
                attention_mask=mask,
                pad_token_id=student.pad_id,
                eos_token_id=student.eos_id,
                **DecodingConfig().generate_kwargs(max_new_tokens=max_new_tokens),  # greedy
            )
        texts = []
        for generated in out[:, ids.shape[1] :].tolist():
            end = generated.index(student.eos_id) if student.eos_id in generated else None
            texts.append(student.decode(generated[:end]))
        return texts


def forcing_for(student: Student) -> ForcingStudent:
    """The forcing implementation of a scorer's student, by its architecture."""
    if isinstance(student, CausalStudent):
        return CausalForcing(student)
    if isinstance(student, Seq2SeqStudent):
        return Seq2SeqForcing(student)
    raise TypeError(f"no forcing for a {type(student).__name__}")
