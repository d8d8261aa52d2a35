"""Validation accuracy: greedy decoding judged by the task, with a stand-in student."""

from __future__ import annotations

import torch

import trainers.evaluation
from evalsuite.data import ArithConfig, generate_arith
from evalsuite.tasks import get_task
from tests.scoring.fakes import FakeStudent
from trainers.config import make_config
from trainers.evaluation import LabelAccuracy, label_accuracy
from trainers.recipes import get_recipe
from trainers.student import train_tokenizer

EXAMPLES = generate_arith(ArithConfig(n_train=0, n_valid=6, n_test=0, seed=3))["valid"]
TOKENIZER = train_tokenizer(
    [t for e in EXAMPLES for t in ("predict: " + e.input, e.gold, e.teacher_rationale or "")]
    + ["So the answer is ( 999.0 )"],
    vocab_size=150,
)


def accuracy(recipe_name: str, replies: dict[str, str], monkeypatch) -> LabelAccuracy:
    """Validation accuracy when greedy decoding answers each prompt with ``replies[prompt]``:
    the scorer's student (which validation decodes with) is stood in for."""
    fake = FakeStudent({prompt: [(reply, 1.0)] for prompt, reply in replies.items()})
    monkeypatch.setattr(trainers.evaluation, "make_student", lambda *_, **__: fake)
    recipe = get_recipe(make_config(recipe=recipe_name, task="arith", out="x"), get_task("arith"))
    return label_accuracy(
        torch.nn.Linear(1, 1), TOKENIZER, recipe, EXAMPLES,
        batch_size=4, max_input_length=256, max_new_tokens=32,
    )  # fmt: skip


def test_dss_decodes_the_predict_branch_and_judges_against_gold(monkeypatch):
    # 4 gold equations, 1 wrong value, 1 unreadable: 4/6 correct
    replies = {"predict: " + e.input: e.gold for e in EXAMPLES[:4]}
    replies["predict: " + EXAMPLES[4].input] = "( 999.0 )"
    replies["predict: " + EXAMPLES[5].input] = "answer"
    result = accuracy("dss", replies, monkeypatch)
    assert (result.n_correct, result.n_examples) == (4, 6)
    assert result.accuracy == 4 / 6


def test_single_reads_the_answer_after_the_marker(monkeypatch):
    replies = {
        e.input: f"{e.teacher_rationale} So the answer is {e.gold if i % 2 else '( 999.0 )'}"
        for i, e in enumerate(EXAMPLES)
    }
    assert accuracy("single", replies, monkeypatch).n_correct == 3


def test_standard_reads_the_plain_input(monkeypatch):
    replies = {e.input: e.gold for e in EXAMPLES}
    assert accuracy("standard", replies, monkeypatch).accuracy == 1.0
