"""Pure helpers of the loop: the learning-rate schedule, best-step choice, tokenizer corpus."""

from __future__ import annotations

import pytest

from evalsuite.data import ArithConfig, generate_arith
from evalsuite.tasks import get_task
from trainers.data import TrainingData
from trainers.loop import get_lr, tokenizer_corpus
from trainers.manifest import Curves


def test_no_warmup_is_the_release_linear_schedule():
    # Seq2SeqTrainer's "linear": lr * (max_steps - it) / max_steps for update it = 0..max-1
    assert [get_lr(i, lr=2.0, warmup_steps=0, max_steps=4) for i in range(4)] == [
        2.0,
        1.5,
        1.0,
        0.5,
    ]


@pytest.mark.parametrize(("warmup", "max_steps"), [(0, 10), (3, 10), (50, 1000), (10, 10)])
def test_schedule_rises_then_falls_and_stays_positive(warmup, max_steps):
    rates = [get_lr(i, lr=1.0, warmup_steps=warmup, max_steps=max_steps) for i in range(max_steps)]
    peak = min(warmup, max_steps - 1)
    assert rates[:peak] == sorted(rates[:peak]) and rates[peak:] == sorted(rates[peak:])[::-1]
    assert all(0.0 < r <= 1.0 for r in rates)


def test_best_is_highest_accuracy_then_lowest_loss_then_earliest():
    curves = Curves(valid=[
        {"step": 1, "loss": 2.0, "accuracy": 0.1},
        {"step": 2, "loss": 1.5, "accuracy": 0.3},
        {"step": 3, "loss": 1.0, "accuracy": 0.3},
        {"step": 4, "loss": 1.0, "accuracy": 0.3},
        {"step": 5, "loss": 0.5, "accuracy": 0.2},
    ])  # fmt: skip
    assert curves.best()["step"] == 3
    assert Curves().best() is None


def test_tokenizer_corpus_is_the_same_for_every_recipe_and_holds_prefixes():
    examples = generate_arith(ArithConfig(n_train=2, n_valid=1, n_test=0))
    data = TrainingData(get_task("arith"), examples["train"], examples["valid"], {})
    corpus = tokenizer_corpus(data)
    first = examples["train"][0]
    assert "predict: " + first.input in corpus and "explain: " + first.input in corpus
    assert first.teacher_rationale in corpus and "So the answer is" in corpus
    assert not any(e.input in corpus for e in examples["valid"])  # valid text stays unseen


def test_given_examples_are_refused_for_the_two_socratic_students(tmp_path):
    from evalsuite.errors import UsageError
    from trainers.config import make_config
    from trainers.loop import train

    config = make_config(recipe="socratic", task="arith", out=tmp_path / "s", device="cpu")
    data = TrainingData(get_task("arith"), [], [], {})
    with pytest.raises(UsageError, match="recipe 'socratic' trains on its task's Socratic steps"):
        train(config, data=data)
    assert not (tmp_path / "s").exists()
