"""An encoder-decoder student's batch is read once too: its greedy or sampled generate pass
returns the decoder states that predicted each generated token (and the prompt's pooled encoder
states), and scoring pools those instead of a teacher-forced decoder pass over the generation.

The mirror of :mod:`tests.scoring.test_causal_states` for T5: those states equal a
teacher-forced decoder pass over each generation, row by row, for greedy decoding and sampled
paths; beams return none; and a scored batch's records equal those of the teacher-forced
computation, with no teacher-forced pass left when there is no closed label set. Every
comparison is between passes of the same randomly initialised model.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import LogitsProcessorList

from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.student import Student, masked_mean
from tests.scoring.test_causal_states import (
    REPR_KEYS,
    SAMPLED,
    SINGLE,
    _assert_same_records,
    _examples,
    _prompts,
    _score,
    _Scripted,
)
from tests.scoring.test_causal_student import DSS, _student

pytestmark = pytest.mark.kernels


@pytest.fixture(scope="module")
def t5() -> Student:
    return _student("tiny")


@pytest.mark.parametrize("decoding", [DecodingConfig(), SAMPLED], ids=["greedy", "sampled"])
def test_generate_states_equal_a_teacher_forced_decoder_pass(t5, decoding):
    encoded = t5.encode(_prompts())
    out = t5.generate(encoded, decoding, max_new_tokens=10, seed=3, states=True)
    assert out.states is not None
    k = out.paths_per_prompt
    assert len(out.token_ids) == len(_prompts()) * k
    torch.testing.assert_close(
        out.states.prompt_pooled,
        masked_mean(encoded.hidden, encoded.attention_mask),  # type: ignore[attr-defined]
    )
    for row, ids in enumerate(out.token_ids):
        forced = t5.teacher_force(encoded, [row // k], [ids], scores=False)
        torch.testing.assert_close(
            out.states.hidden[row, : len(ids)], forced.hidden[0], atol=1e-5, rtol=1e-5
        )
        # the scoring pass (with logits) reads the same final decoder states
        scored = t5.teacher_force(encoded, [row // k], [ids], scores=True)
        torch.testing.assert_close(scored.hidden, forced.hidden, atol=1e-6, rtol=1e-6)


def test_beams_return_no_states(t5):
    encoded = t5.encode(_prompts())
    beams = t5.generate(encoded, DecodingConfig(num_beams=2), max_new_tokens=6, seed=0,
                        states=True)  # fmt: skip
    assert beams.states is None
    assert t5.generate(encoded, DecodingConfig(), max_new_tokens=6, seed=0).states is None


@pytest.mark.parametrize("decoding", [DecodingConfig(), SAMPLED], ids=["greedy", "sampled"])
def test_multitask_records_equal_the_teacher_forced_computation(t5, decoding, monkeypatch):
    new, new_passes = _score(t5, DSS, decoding, monkeypatch, generate_states=True)
    old, old_passes = _score(t5, DSS, decoding, monkeypatch, generate_states=False)
    assert (new_passes, old_passes) == (0, 2)  # label and rationale were teacher-forced before
    _assert_same_records(new, old)
    assert set(new[0].representations) == set(REPR_KEYS)
    for key, prefix in (("label_prompt_repr", DSS.label_prefix),
                        ("rationale_prompt_repr", DSS.rationale_prefix)):  # fmt: skip
        encoded = t5.encode([f"{prefix}{e.input}" for e in _examples()])
        reference = masked_mean(encoded.hidden, encoded.attention_mask)  # type: ignore[attr-defined]
        got = np.stack([scored.representations[key] for scored in new])
        np.testing.assert_allclose(got, reference.numpy(), atol=1e-5, rtol=1e-5)


def test_single_output_split_equals_the_teacher_forced_computation(t5, monkeypatch):
    """The rationale's and the answer's states are split at the marker from the generate
    states as from the teacher-forced ones; the answer's confidence is unchanged."""
    texts = [f"Adding {i} and 2 gives {i + 2} . So the answer is {i + 2}" for i in range(6)]
    scripts = t5.target_ids(texts)
    real_generate = t5.model.generate

    def scripted(**kwargs):
        # a seq2seq decoder's ids start with the start token: one position before step 0
        processor = _Scripted(scripts, t5.eos_id, 1)
        return real_generate(logits_processor=LogitsProcessorList([processor]), **kwargs)

    monkeypatch.setattr(t5.model, "generate", scripted)
    new, new_passes = _score(t5, SINGLE, DecodingConfig(), monkeypatch, generate_states=True)
    old, old_passes = _score(t5, SINGLE, DecodingConfig(), monkeypatch, generate_states=False)
    assert (new_passes, old_passes) == (0, 1)
    assert [s.record.prediction for s in new] == [str(i + 2) for i in range(6)]
    for scored in new:
        assert not np.isnan(scored.representations["rationale_repr"]).any()
    _assert_same_records(new, old)
