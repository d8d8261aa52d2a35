"""Scoring a batch for each student format: label sets against per-candidate forward passes,
label spans of single-output generations, representations against direct passes, votes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.special import softmax

from evalsuite.checkpoint import OUTPUT_KINDS, PromptFormat, read_checkpoint
from evalsuite.data import load_examples
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.formats import FORMATS, get_format, label_token_start, score_batch
from evalsuite.scoring.student import load_student
from evalsuite.tasks import NLI_LABELS, get_task
from tests.scoring.fakes import scripted_generations
from tests.scoring.tiny_checkpoint import ARITH

# Every test here runs the tiny trained student: CI runs them again under each CPU capability.
pytestmark = pytest.mark.kernels

GREEDY = DecodingConfig()


def _load(checkpoints, name):
    _, prompt = read_checkpoint(checkpoints[name])
    student = load_student(checkpoints[name], device=torch.device("cpu"), max_input_length=512)
    return student, prompt


@pytest.fixture(scope="module")
def single(checkpoints):
    return _load(checkpoints, "single")


@pytest.fixture(scope="module")
def dss(checkpoints):
    return _load(checkpoints, "dss")


def _log_prob(student, prompt: str, target: list[int], start: int) -> float:
    """Reference: log P(target[start:] | prompt, target[:start]), one unbatched forward pass."""
    enc = student.tokenizer([prompt], return_tensors="pt")
    with torch.no_grad():
        logits = student.model(**enc, labels=torch.tensor([target])).logits
    token_lps = torch.log_softmax(logits, -1)[0, torch.arange(len(target)), target]
    return float(token_lps[start:].sum())


def test_label_token_start_finds_the_tokens_after_the_last_marker(single):
    student, _ = single
    text = "So the answer is 3. Then 1 + 2 = 3 so the answer is. So the answer is ( 1.0 + 2.0 )"
    ids = student.target_ids([text])[0]
    start = label_token_start(student, ids, text)
    assert student.decode(ids[start:]) == "( 1.0 + 2.0 )"
    assert student.decode(ids[:start]).endswith("So the answer is")
    assert label_token_start(student, ids, "no marker") == 0


def _generated(student, prompt, examples):
    """Greedy generations of the label prompt as score_batch makes them: (ids, label start)."""
    texts = [f"{prompt.label_prefix}{e.input}" for e in examples]
    out = student.generate(
        student.encode(texts), GREEDY, max_new_tokens=prompt.max_target_length, seed=0
    )
    single = prompt.output == "rationale_then_label"
    return [
        (ids, label_token_start(student, ids, text) if single else 0)
        for ids, text in zip(out.token_ids, out.texts, strict=True)
    ]


# What the scripted students write for the first six NLI test examples: a label of the closed set
# (each of the three), an answer outside it, and (single-output) a generation without the marker.
_NLI_ANSWERS = [*NLI_LABELS, "3", None, NLI_LABELS[1]]
_NLI_SCRIPTS = {
    "single": [
        f"They say so. So the answer is {a}" if a is not None else "They say so."
        for a in _NLI_ANSWERS
    ],
    "dss": [a if a is not None else "They say so." for a in _NLI_ANSWERS],
}


@pytest.mark.parametrize("fmt", ["single", "dss"])
def test_label_probs_match_per_candidate_forward_passes(request, fmt, nli_file):
    student, prompt = request.getfixturevalue(fmt)
    task = get_task("esnli")
    examples = load_examples(task, "test", data_dir=nli_file)[:6]
    # The generations are scripted (the trained tiny student's own outputs change with the
    # CPU's float kernels); the probabilities under test are still the model's.
    with scripted_generations(student, _NLI_SCRIPTS[fmt]):
        scored = score_batch(
            student,
            task,
            prompt,
            examples,
            decoding=GREEDY,
            max_new_tokens=prompt.max_target_length,
            representations=False,
        )
        generated = _generated(student, prompt, examples)
    in_set = 0
    for i, (example, item, (ids, start)) in enumerate(
        zip(examples, scored, generated, strict=True)
    ):
        record = item.record
        assert ids == student.target_ids([_NLI_SCRIPTS[fmt][i]])[0]
        probs = record.label_probs
        assert list(probs) == list(NLI_LABELS)
        assert math.fsum(probs.values()) == pytest.approx(1.0, abs=1e-12)
        # Independent reference: each candidate scored alone in an unbatched forward pass,
        # continuing the generated rationale (single-output), then a softmax over the set.
        source = f"{prompt.label_prefix}{example.input}"
        reference = softmax(
            [
                _log_prob(student, source, ids[:start] + student.target_ids([c])[0], start)
                for c in NLI_LABELS
            ]
        )
        np.testing.assert_allclose(list(probs.values()), reference, rtol=1e-3, atol=1e-6)
        expected = _NLI_ANSWERS[i] if _NLI_ANSWERS[i] in NLI_LABELS else None
        assert record.answer == expected
        if expected is not None:
            in_set += 1
            assert record.confidence == probs[expected]
            assert record.confidence_source == "label_set"
        else:
            # outside the set: the generated answer tokens given the rationale
            reference_lp = _log_prob(student, source, ids, start)
            assert math.log(record.confidence) == pytest.approx(reference_lp, abs=1e-4)
            assert record.confidence_source == "answer_tokens"
    assert in_set == 4


def test_single_output_confidence_covers_the_label_tokens(single):
    student, prompt = single
    task = get_task("arith")
    examples = load_examples(task, "test", arith=ARITH)[:16]
    # Scripted generations: the teacher's first step, "So the answer is" and the gold number, or
    # every fourth example the bare number (no marker: the whole text is the label).
    labels = [task.normalized_gold(e) or "" for e in examples]
    scripts = [
        label
        if i % 4 == 3
        else task.single_output_target(e.teacher_rationale.split(". ")[0], label)
        for i, (e, label) in enumerate(zip(examples, labels, strict=True))
    ]
    with scripted_generations(student, scripts):
        scored = score_batch(
            student,
            task,
            prompt,
            examples,
            decoding=GREEDY,
            max_new_tokens=prompt.max_target_length,
        )
        generated = _generated(student, prompt, examples)
    with_marker = 0
    for i, (example, item, (ids, start)) in enumerate(
        zip(examples, scored, generated, strict=True)
    ):
        record = item.record
        assert ids == student.target_ids([scripts[i]])[0]
        assert record.label_probs is None
        assert record.confidence_source == "answer_tokens"
        assert student.decode(ids[start:]) == record.prediction
        assert record.prediction == labels[i] and record.correct
        if i % 4 == 3:
            assert record.rationale is None and start == 0
        else:
            with_marker += 1
            assert record.rationale is not None and start > 0
        # The confidence is P(label tokens | input, generated rationale), from the generate
        # pass; the reference is a separate unbatched forward pass.
        reference = _log_prob(student, example.input, ids, start)
        assert math.log(record.confidence) == pytest.approx(reference, abs=1e-4)
        # The sequence variants cover the whole generation, rationale and label.
        whole = _log_prob(student, example.input, ids, 0)
        assert math.log(record.sequence_confidence) == pytest.approx(whole, abs=1e-4)
        assert record.sequence_confidence_normalized == pytest.approx(
            math.exp(whole / len(ids)), rel=1e-4
        )
    assert with_marker == 12


def test_representations_are_masked_means_of_direct_passes(dss):
    student, prompt = dss
    task = get_task("arith")
    examples = load_examples(task, "test", arith=ARITH)[:4]
    scored = score_batch(student, task, prompt, examples, decoding=GREEDY, max_new_tokens=40)
    keys = {"label_repr", "rationale_repr", "label_prompt_repr", "rationale_prompt_repr"}
    for item in scored:
        assert set(item.representations) == keys
        assert all(v.shape == (32,) for v in item.representations.values())
    for branch, prefix in (("label", prompt.label_prefix), ("rationale", prompt.rationale_prefix)):
        texts = [f"{prefix}{e.input}" for e in examples]
        out = student.generate(student.encode(texts), GREEDY, max_new_tokens=40, seed=0)
        for text, ids, item in zip(texts, out.token_ids, scored, strict=True):
            # Reference: one unpadded example, teacher-forced on its generated tokens.
            enc = student.tokenizer([text], return_tensors="pt")
            with torch.no_grad():
                ref = student.model(**enc, labels=torch.tensor([ids]), output_hidden_states=True)
            decoder = ref.decoder_hidden_states[-1][0].mean(0).numpy()
            encoder = ref.encoder_last_hidden_state[0].mean(0).numpy()
            reprs = item.representations
            np.testing.assert_allclose(reprs[f"{branch}_repr"], decoder, atol=1e-4)
            np.testing.assert_allclose(reprs[f"{branch}_prompt_repr"], encoder, atol=1e-4)


def test_label_format_has_label_representations_only(checkpoints):
    student, prompt = _load(checkpoints, "standard")
    examples = load_examples("arith", "test", arith=ARITH)[:3]
    scored = score_batch(
        student, get_task("arith"), prompt, examples, decoding=GREEDY, max_new_tokens=24
    )
    assert all(set(s.representations) == {"label_repr", "label_prompt_repr"} for s in scored)
    assert all(s.record.rationale is None for s in scored)


def test_sampled_paths_vote(dss):
    student, prompt = dss
    task = get_task("arith")
    examples = load_examples(task, "test", arith=ARITH)[:4]
    decoding = DecodingConfig(num_samples=4, temperature=1.5, seed=2)
    scored = score_batch(student, task, prompt, examples, decoding=decoding, max_new_tokens=24)
    for item in scored:
        record = item.record
        answers = [s.answer for s in record.samples]
        assert len(answers) == 4 and record.confidence_source == "vote"
        votes = sum(a is not None and task.same_answer(a, record.answer) for a in answers)
        if record.answer is None:
            assert all(a is None for a in answers) and record.confidence == 0.0
        else:
            assert record.confidence == votes / 4
            assert votes == max(
                sum(b is not None and task.same_answer(a, b) for b in answers)
                for a in answers
                if a is not None
            )


def test_every_output_kind_has_a_format():
    assert set(FORMATS) == set(OUTPUT_KINDS)
    socratic = PromptFormat(
        recipe="socratic", task="arith", output="socratic",
        path_prefixes={"decompose": "d: ", "solve": "s: "},
    )  # fmt: skip
    fmt = get_format(socratic, "ckpt")
    assert fmt.two_students and fmt.representation_keys() == ()
