"""One confidence definition per output kind (docs/confidence.md), on a real tiny model.

A randomly initialised tiny T5 built from a config is forced to write fixed outputs
(:func:`tests.scoring.fakes.scripted_token_ids`), so nothing depends on what a trained tiny
model happens to emit. The generate pass still reports the model's own (unprocessed)
log-probabilities, and the reference is a separate teacher-forced forward pass.
"""

from __future__ import annotations

import math

import pytest
import torch

from evalsuite.checkpoint import PromptFormat
from evalsuite.example import Example
from evalsuite.sandbox import Sandbox, SandboxConfig
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.multipath import score_mixed_batch
from evalsuite.scoring.student import Seq2SeqStudent, Student
from evalsuite.tasks import get_task
from tests.scoring.fakes import scripted_token_ids
from tests.scoring.tiny_checkpoint import TEST_STUDENT

ARITH = get_task("arith")
PROMPT = PromptFormat(
    recipe="mixed", task="arith", output="mixed", path_prefixes={"cot": "cot: ", "pot": "pot: "}
)
QUESTION = "There are 3 eggs in Sam's box. Then the number of eggs becomes 4 times as large."
EXAMPLE = Example(id="test-0", input=QUESTION, gold="( 3.0 * 4.0 )", split="test")
COT = ("Sam starts with 3 eggs. Sam has 3 * 4 = 12 eggs. So the answer is", "( 3.0 * 4.0 )")
POT = ("a = 3 * 4 <nl> b = a + 2 <nl> ans =", "b - 2")
"""The program computes 12; the last number in its text is 2 (the issue's test-0 bug)."""


@pytest.fixture(scope="module")
def student() -> Student:
    from trainers.student import TinyStudentConfig, build_tiny_student

    torch.manual_seed(0)
    texts = [QUESTION, "cot: ", "pot: ", *COT, *POT] * 4
    model, tokenizer = build_tiny_student(texts, TinyStudentConfig(**TEST_STUDENT))
    return Seq2SeqStudent(model, tokenizer, device=torch.device("cpu"), max_input_length=64)


def _forced_ids(student: Student, head: str, answer: str) -> tuple[list[int], int]:
    """Token ids of ``head + " " + answer`` + EOS, and where the answer's tokens start (known by
    construction: the head is tokenised alone)."""
    head_ids = student.target_ids([head])[0][:-1]  # drop the head's EOS
    answer_ids = student.target_ids([answer])[0]
    return head_ids + answer_ids, len(head_ids)


def _reference(student: Student, prompt: str, ids: list[int]) -> list[float]:
    """Each token's log-probability from one unbatched teacher-forced forward pass."""
    enc = student.tokenizer([prompt], return_tensors="pt")
    with torch.no_grad():
        logits = student.model(**enc, labels=torch.tensor([ids])).logits
    return torch.log_softmax(logits.double(), -1)[0, torch.arange(len(ids)), ids].tolist()


def _score(student, kind: str, ids: list[int], sandbox=None):
    with scripted_token_ids(student, [ids]):
        (scored,) = score_mixed_batch(
            student, ARITH, PROMPT, [EXAMPLE], decoding=DecodingConfig(),
            max_new_tokens=len(ids) + 2, sandbox=sandbox, mode=kind,
        )  # fmt: skip
    return scored.record


def test_a_cot_paths_confidence_is_its_answer_tokens_given_its_rationale(student):
    ids, start = _forced_ids(student, *COT)
    record = _score(student, "cot", ids)
    assert record.paths[0].text == student.decode(ids)  # the output was forced
    assert record.answer == "12" and record.correct
    token_lps = _reference(student, "cot: " + QUESTION, ids)
    answer_lp, whole_lp = math.fsum(token_lps[start:]), math.fsum(token_lps)
    # Regression: the confidence was the whole path's probability (3.5e-11 on test-0).
    assert record.confidence_source == "answer_tokens"
    assert record.confidence == pytest.approx(math.exp(answer_lp), abs=1e-4)
    assert record.paths[0].confidence == pytest.approx(record.confidence, rel=1e-12)
    assert record.sequence_confidence == pytest.approx(math.exp(whole_lp), rel=1e-3)
    assert record.sequence_confidence_normalized == pytest.approx(
        math.exp(whole_lp / len(ids)), rel=1e-4
    )
    assert record.sequence_confidence < record.confidence  # the rationale's tokens are out
    assert record.rationale_kind == "cot" and record.consistent is True


def test_a_pot_paths_confidence_is_its_ans_expression_and_its_answer_what_it_computes(student):
    ids, start = _forced_ids(student, *POT)
    with Sandbox(SandboxConfig(n_workers=1)) as sandbox:
        record = _score(student, "pot", ids, sandbox)
    assert record.answer == "12" and record.correct
    token_lps = _reference(student, "pot: " + QUESTION, ids)
    assert record.confidence_source == "ans_statement"
    assert record.confidence == pytest.approx(math.exp(math.fsum(token_lps[start:])), abs=1e-4)
    assert record.sequence_confidence == pytest.approx(math.exp(math.fsum(token_lps)), rel=1e-3)
    # Regression: the stated answer was the last number of the program text ("2").
    assert (record.rationale_kind, record.rationale_answer, record.consistent) == (
        "pot", "12", True,
    )  # fmt: skip
