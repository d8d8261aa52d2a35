"""The ``think`` format: hand-written generations with a closed trace, one the prompt opened, an
unclosed trace and no trace, read as specified (the rationale is the trace, the answer follows
it, and without a closed trace nothing is read)."""

from __future__ import annotations

import pytest

from evalsuite.checkpoint import PromptFormat
from evalsuite.data import load_examples
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.formats import score_batch
from evalsuite.scoring.think import parse_think
from evalsuite.tasks import get_task
from tests.scoring.fakes import FakeStudent
from tests.scoring.tiny_checkpoint import ARITH

THINK = PromptFormat(recipe="single", task="arith", output="think")


GREEDY = DecodingConfig()


def _score(generations: list[str], *, decoding: DecodingConfig = GREEDY):
    examples = load_examples("arith", "test", arith=ARITH)[
        : len(generations) // decoding.num_samples
    ]
    k = decoding.num_samples
    outputs = {
        e.input: [(text, 0.5) for text in generations[i * k : (i + 1) * k]]
        for i, e in enumerate(examples)
    }
    scored = score_batch(FakeStudent(outputs), get_task("arith"), THINK, examples,
                         decoding=decoding, max_new_tokens=32, representations=False)  # fmt: skip
    return examples, [s.record for s in scored]


def test_a_closed_trace_is_the_rationale_and_the_answer_follows_it():
    examples = load_examples("arith", "test", arith=ARITH)[:2]
    gold = [e.gold for e in examples]
    _, (closed, opened_by_prompt) = _score(
        [f"<think> first add then multiply </think> {gold[0]}", f"work it out </think> {gold[1]}"]
    )
    for record, trace in [(closed, "first add then multiply"), (opened_by_prompt, "work it out")]:
        assert record.rationale == trace and record.correct is True
        assert record.extraction.matched is True
        # the answer tokens (after the tag, EOS included) carry the whole probability 0.5
        assert record.confidence == pytest.approx(0.5)
        assert record.confidence_source == "answer_tokens"
    assert closed.prediction == gold[0]


def test_an_unclosed_or_missing_trace_is_an_extraction_failure():
    examples = load_examples("arith", "test", arith=ARITH)[:2]
    # both hold the gold equation, which must not be read
    _, (unclosed, missing) = _score([f"<think> it is {examples[0].gold} and", examples[1].gold])
    assert unclosed.extraction.method == "unclosed_think_trace"
    assert missing.extraction.method == "no_think_trace"
    for record in (unclosed, missing):
        assert record.answer is None and record.correct is False
        assert record.extraction.matched is False
    assert unclosed.rationale == f"it is {examples[0].gold} and" and missing.rationale is None


def test_sampled_paths_without_a_closed_trace_do_not_vote():
    example = load_examples("arith", "test", arith=ARITH)[0]
    paths = [example.gold, example.gold, f"<think> so </think> {example.gold}"]
    _, (record,) = _score(paths, decoding=DecodingConfig(num_samples=3, seed=0))
    assert record.correct is True and record.confidence == pytest.approx(1 / 3)
    assert [s.answer is None for s in record.samples] == [True, True, False]


@pytest.mark.parametrize(
    ("text", "trace", "answer", "failure"),
    [("<think>a</think>b", "a", "b", None),
     ("<think> a </think> x </think> b", "a </think> x", "b", None),  # the last tag closes it
     ("<think>", "", None, "unclosed_think_trace"),
     ("", None, None, "no_think_trace")],
)  # fmt: skip
def test_parse_think(text, trace, answer, failure):
    parsed = parse_think(text)
    assert (parsed.trace, parsed.answer, parsed.failure) == (trace, answer, failure)
