"""A causal student's batch is read once: the generate pass returns the prompt's pooled states
and the states that predicted each generated token, and scoring pools those instead of running a
prompt-only pass and a teacher-forced pass over what was generated.

Pinned here: those states equal the two passes they replace (a prompt-only pass, as ``encode``
ran before, and :func:`causal_forced_outputs` over prompt + generation), row by row, for greedy
decoding and for sampled paths; and a scored batch's records equal those of the teacher-forced
computation (no generate states), with no teacher-forced pass at all when there is no closed
label set. Every comparison is between passes of the same randomly initialised model.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from transformers import LogitsProcessor, LogitsProcessorList

from evalsuite.checkpoint import PromptFormat
from evalsuite.data import load_examples
from evalsuite.scoring.causal_student import causal_forced_outputs, left_pad, position_ids
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.formats import score_batch
from evalsuite.scoring.student import Student, masked_mean
from evalsuite.tasks import get_task
from tests.scoring.test_causal_student import CAUSAL, DSS, _student
from tests.scoring.tiny_checkpoint import ARITH

pytestmark = pytest.mark.kernels

SINGLE = PromptFormat(recipe="single", task="arith", output="rationale_then_label",
                      max_target_length=48)  # fmt: skip
SAMPLED = DecodingConfig(num_samples=3, seed=4, temperature=1.5)
REPR_KEYS = ("label_repr", "rationale_repr", "label_prompt_repr", "rationale_prompt_repr")


@pytest.fixture(scope="module", params=CAUSAL)
def causal(request) -> Student:
    return _student(request.param)


def _examples() -> list:
    examples = load_examples("arith", "test", arith=ARITH)[:6]
    return [replace(examples[0], input=examples[0].input[:4]), *examples[1:]]  # a short one


def _prompts() -> list[str]:
    return [DSS.label_prefix + e.input for e in _examples()]


@torch.inference_mode()
def _prompt_only_pooled(student: Student, texts: list[str]) -> torch.Tensor:
    """What ``encode`` pooled before: a pass over the left-padded prompts alone."""
    ids, mask = left_pad(student.prompt_ids(texts), pad_id=student.pad_id)
    hidden = student.model.base_model(
        input_ids=ids, attention_mask=mask, position_ids=position_ids(mask), use_cache=False
    ).last_hidden_state
    return masked_mean(hidden, mask)


@pytest.mark.parametrize("decoding", [DecodingConfig(), SAMPLED], ids=["greedy", "sampled"])
def test_generate_states_equal_a_prompt_pass_and_a_teacher_forced_pass(causal, decoding):
    prompts = _prompts()
    encoded = causal.encode(prompts)
    out = causal.generate(encoded, decoding, max_new_tokens=10, seed=3, states=True)
    assert out.states is not None
    k = out.paths_per_prompt
    assert len(out.token_ids) == len(prompts) * k
    torch.testing.assert_close(
        out.states.prompt_pooled, _prompt_only_pooled(causal, prompts), atol=1e-5, rtol=1e-5
    )
    single = [causal.prompt_ids([p])[0] for p in prompts]
    for row, ids in enumerate(out.token_ids):
        prompt = torch.tensor([single[row // k]])
        with torch.inference_mode():
            _, forced = causal_forced_outputs(
                causal.model, prompt, torch.ones_like(prompt), torch.tensor([ids]),
                torch.ones((1, len(ids)), dtype=torch.long), logits=False, hidden=True,
            )  # fmt: skip
        assert forced is not None
        torch.testing.assert_close(
            out.states.hidden[row, : len(ids)], forced[0], atol=1e-5, rtol=1e-5
        )


def test_beams_return_no_states(causal):
    out = causal.generate(
        causal.encode(_prompts()), DecodingConfig(num_beams=2), max_new_tokens=6, seed=0,
        states=True,
    )  # fmt: skip
    assert (
        out.states is None
        and not causal.generate(
            causal.encode(_prompts()), DecodingConfig(), max_new_tokens=6, seed=0
        ).states
    )  # only when asked


def _score(student, prompt, decoding, monkeypatch, *, generate_states: bool):
    """Scored records, from the generate pass's states or (as before) teacher-forced ones;
    also how many teacher-forced passes ran."""
    examples = _examples()
    calls = []
    real_generate, real_force = student.generate, student.teacher_force

    def generate(*args, states=False, **kwargs):
        return real_generate(*args, states=states and generate_states, **kwargs)

    def teacher_force(*args, **kwargs):
        calls.append(1)
        return real_force(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(student, "generate", generate)
        patch.setattr(student, "teacher_force", teacher_force)
        scored = score_batch(student, get_task("arith"), prompt, examples, decoding=decoding,
                             max_new_tokens=prompt.max_target_length)  # fmt: skip
    return scored, len(calls)


def _assert_same_records(new, old):
    for a, b in zip(new, old, strict=True):
        assert a.record.prediction == b.record.prediction
        assert a.record.rationale == b.record.rationale
        assert a.record.confidence == pytest.approx(b.record.confidence, abs=1e-5)
        assert a.record.sequence_confidence == pytest.approx(b.record.sequence_confidence, abs=1e-5)
        assert set(a.representations) == set(b.representations)
        for key, value in a.representations.items():
            np.testing.assert_allclose(value, b.representations[key], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("decoding", [DecodingConfig(), SAMPLED], ids=["greedy", "sampled"])
def test_multitask_records_equal_the_teacher_forced_computation(causal, decoding, monkeypatch):
    new, new_passes = _score(causal, DSS, decoding, monkeypatch, generate_states=True)
    old, old_passes = _score(causal, DSS, decoding, monkeypatch, generate_states=False)
    assert (new_passes, old_passes) == (0, 2)  # label and rationale were teacher-forced before
    _assert_same_records(new, old)
    assert set(new[0].representations) == set(REPR_KEYS)
    for key, prefix in (("label_prompt_repr", DSS.label_prefix),
                        ("rationale_prompt_repr", DSS.rationale_prefix)):  # fmt: skip
        reference = _prompt_only_pooled(causal, [f"{prefix}{e.input}" for e in _examples()])
        got = np.stack([scored.representations[key] for scored in new])
        np.testing.assert_allclose(got, reference.numpy(), atol=1e-5, rtol=1e-5)


class _Scripted(LogitsProcessor):
    """Greedy decoding of row ``i`` picks ``scripts[i][step]`` (then EOS); only the choice is
    forced: the log-probabilities scoring reports come from the raw logits."""

    def __init__(self, scripts, eos_id, width):
        self.scripts, self.eos_id, self.width = scripts, eos_id, width

    def __call__(self, input_ids, scores):
        step = input_ids.shape[1] - self.width  # a causal LM's ids start with the prompt
        forced = torch.full_like(scores, -math.inf)
        for row, script in enumerate(self.scripts):
            forced[row, script[step] if step < len(script) else self.eos_id] = 0.0
        return forced


def test_single_output_split_equals_the_teacher_forced_computation(causal, monkeypatch):
    """The rationale's and the answer's states are split at the marker from the generate
    states as from the teacher-forced ones; the answer's confidence is unchanged."""
    texts = [f"Adding {i} and 2 gives {i + 2} . So the answer is {i + 2}" for i in range(6)]
    scripts = causal.target_ids(texts)
    real_generate = causal.model.generate

    def scripted(**kwargs):
        width = kwargs["input_ids"].shape[1]
        processor = _Scripted(scripts, causal.eos_id, width)
        return real_generate(logits_processor=LogitsProcessorList([processor]), **kwargs)

    monkeypatch.setattr(causal.model, "generate", scripted)
    new, new_passes = _score(causal, SINGLE, DecodingConfig(), monkeypatch, generate_states=True)
    old, old_passes = _score(causal, SINGLE, DecodingConfig(), monkeypatch, generate_states=False)
    assert (new_passes, old_passes) == (0, 1)
    assert [s.record.prediction for s in new] == [str(i + 2) for i in range(6)]
    for scored in new:
        assert not np.isnan(scored.representations["rationale_repr"]).any()
    _assert_same_records(new, old)
