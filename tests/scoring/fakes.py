"""Stand-ins for a loaded student, for scoring tests that fix what the model says: a fake one,
and a real one whose greedy generations are scripted."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from transformers import LogitsProcessor, LogitsProcessorList

from evalsuite.scoring.student import Generated, Student

EOS = "</s>"


class FakeStudent:
    """Stands in for a model: fixed generations per prompt (k per prompt), real everything else.

    A generation ``(text, p)`` is tokenised into its whitespace-separated words and an EOS
    token; the EOS carries the whole probability ``p`` and the words probability 1, so the
    whole generation and its answer tokens (which end with the EOS) both have probability ``p``.
    """

    def __init__(self, outputs: Mapping[str, Sequence[tuple[str, float]]]) -> None:
        self.outputs = outputs
        self.prompts: list[str] = []
        self.vocab: list[str] = [EOS]

    def encode(self, texts: Sequence[str]) -> list[str]:
        self.prompts += texts
        return list(texts)

    def _ids(self, text: str) -> list[int]:
        ids = []
        for word in text.split():
            self.vocab.append(word)
            ids.append(len(self.vocab) - 1)
        return [*ids, 0]

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(self.vocab[i] for i in ids if i != 0)

    def generate(self, encoded, decoding, *, max_new_tokens, seed) -> Generated:
        rows = [row for prompt in encoded for row in self.outputs[prompt]]
        token_ids = [self._ids(text) for text, _ in rows]
        return Generated(
            token_ids=token_ids,
            token_log_probs=[
                [0.0] * (len(ids) - 1) + [math.log(p)]
                for ids, (_, p) in zip(token_ids, rows, strict=True)
            ],
            texts=[text for text, _ in rows],
            paths_per_prompt=decoding.num_samples,
        )


class _ForceScripts(LogitsProcessor):
    """Greedy decoding of row ``i`` picks ``scripts[i][step]``: every other token is -inf.

    Only the choice of token is forced. ``generate(..., output_logits=True)`` returns the raw
    logits, so the log-probabilities scoring reports stay the model's own.
    """

    def __init__(self, scripts: Sequence[Sequence[int]], eos_id: int) -> None:
        self.scripts = scripts
        self.eos_id = eos_id

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[0] != len(self.scripts):
            raise ValueError(
                f"scripted {len(self.scripts)} prompts, generating {input_ids.shape[0]}"
            )
        step = input_ids.shape[1] - 1  # tokens generated so far (after the start token)
        forced = torch.full_like(scores, -math.inf)
        for row, script in enumerate(self.scripts):
            forced[row, script[step] if step < len(script) else self.eos_id] = 0.0
        return forced


@contextmanager
def scripted_generations(student: Student, texts: Sequence[str]) -> Iterator[None]:
    """Inside the block, a greedy generate over ``len(texts)`` prompts writes ``texts[i]``
    (then EOS) for prompt ``i``, whatever the weights are.

    The rest is the real student: encoder, generate pass, teacher-forced passes and the token
    log-probabilities of the forced text under the model. Tests that need a student which
    answers with a label or writes the answer marker use this instead of hoping that a trained
    tiny model does (what it emits changes with the CPU's float kernels).
    """
    with scripted_token_ids(student, student.target_ids(texts)):  # EOS appended
        yield


@contextmanager
def scripted_token_ids(student: Student, scripts: Sequence[Sequence[int]]) -> Iterator[None]:
    """:func:`scripted_generations` for given token ids (a test that must know which tokens
    are which builds them itself)."""
    processors = LogitsProcessorList([_ForceScripts(scripts, student.eos_id)])
    model = student.model
    real_generate = model.generate

    def generate(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("do_sample") or kwargs.get("num_beams", 1) > 1:
            raise ValueError("scripted_generations forces greedy decoding only")
        if max(map(len, scripts)) > kwargs["max_new_tokens"]:
            raise ValueError(
                f"a scripted text is longer than max_new_tokens={kwargs['max_new_tokens']}"
            )
        return real_generate(*args, logits_processor=processors, **kwargs)

    model.generate = generate
    try:
        yield
    finally:
        del model.generate
