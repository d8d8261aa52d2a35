"""The model passes: generated-token log-probabilities against a separate forward pass,
pooling, devices, checkpoint hashing."""

from __future__ import annotations

import math
import shutil

import pytest
import torch

from evalsuite.data import load_examples
from evalsuite.errors import DataError
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.student import (
    checkpoint_hash,
    load_student,
    masked_mean,
    resolve_device,
)
from tests.scoring.tiny_checkpoint import ARITH


@pytest.fixture(scope="module")
def student(checkpoints):
    return load_student(checkpoints["dss"], device=torch.device("cpu"), max_input_length=512)


def _reference_log_prob(student, prompt: str, ids: list[int]) -> float:
    """log P(ids | prompt) from one unbatched forward pass with labels (no generate, no cache)."""
    enc = student.tokenizer([prompt], return_tensors="pt")
    with torch.no_grad():
        logits = student.model(**enc, labels=torch.tensor([ids])).logits
    return float(torch.log_softmax(logits, -1)[0, torch.arange(len(ids)), ids].sum())


@pytest.mark.kernels
@pytest.mark.parametrize(
    "decoding",
    [
        DecodingConfig(),
        DecodingConfig(num_beams=3),
        DecodingConfig(num_samples=3, seed=4),
        # Confidence is the model's probability (temperature 1) whatever the sampling temperature.
        DecodingConfig(num_samples=2, temperature=1.7, top_p=0.9),
    ],
    ids=["greedy", "beam", "sample", "sample-hot"],
)
def test_generated_log_probs_equal_a_separate_forward_pass(student, decoding):
    prompts = [f"predict: {e.input}" for e in load_examples("arith", "test", arith=ARITH)[:5]]
    encoded = student.encode(prompts)
    out = student.generate(encoded, decoding, max_new_tokens=20, seed=1)
    k = decoding.num_samples
    assert out.paths_per_prompt == k and len(out.texts) == len(prompts) * k
    for row, (ids, lps) in enumerate(zip(out.token_ids, out.token_log_probs, strict=True)):
        assert len(ids) == len(lps) >= 1
        assert student.eos_id not in ids[:-1]  # cut at the first EOS
        reference = _reference_log_prob(student, prompts[row // k], ids)
        assert sum(lps) == pytest.approx(reference, abs=1e-4)


@pytest.fixture
def uniform_student(checkpoints):
    """The dss student with its output matrix zeroed: every logit is 0, so every next token is
    drawn uniformly from the vocabulary, on any CPU (the trained student's own distribution,
    and so whether two seeds draw different text, changes with the float kernels)."""
    student = load_student(checkpoints["dss"], device=torch.device("cpu"), max_input_length=512)
    with torch.no_grad():
        student.model.get_output_embeddings().weight.zero_()
    return student


@pytest.mark.kernels
def test_sampling_is_seeded_per_call(uniform_student):
    student = uniform_student
    encoded = student.encode(["predict: Ava has 3 apples.\nHow many apples does Ava have?"] * 3)
    decoding = DecodingConfig(num_samples=4, temperature=2.0)
    a = student.generate(encoded, decoding, max_new_tokens=12, seed=7)
    b = student.generate(encoded, decoding, max_new_tokens=12, seed=7)
    c = student.generate(encoded, decoding, max_new_tokens=12, seed=8)
    uniform = -math.log(student.model.config.vocab_size)
    assert all(lp == pytest.approx(uniform) for row in a.token_log_probs for lp in row)
    assert a.token_ids == b.token_ids
    assert a.token_ids != c.token_ids


def test_masked_mean_hand_case():
    states = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mean = masked_mean(states, torch.tensor([[1, 1, 0]]))
    assert mean.tolist() == [[2.0, 3.0]]
    assert torch.isnan(masked_mean(states, torch.tensor([[0, 0, 0]]))).all()


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert resolve_device("auto").type == "cpu"
        with pytest.raises(DataError, match=r"--device cuda: CUDA is not available"):
            resolve_device("cuda")
    with pytest.raises(DataError, match=r"--device 'gpu0': not a device; use auto, cpu"):
        resolve_device("gpu0")


def test_checkpoint_hash_follows_content(checkpoints, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(checkpoints["dss"], copy)
    assert checkpoint_hash(copy) == checkpoint_hash(checkpoints["dss"])
    (copy / "config.json").write_text((copy / "config.json").read_text() + " ")
    assert checkpoint_hash(copy) != checkpoint_hash(checkpoints["dss"])
