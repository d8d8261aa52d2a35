"""Each task's conventions on hand-written cases: teacher parsing, answers, consistency."""

from __future__ import annotations

import pytest

from evalsuite.errors import UsageError
from evalsuite.example import Example
from evalsuite.tasks import NLI_LABELS, get_task, task_names


def _example(task: str, gold: str, choices: tuple[str, ...] | None = None) -> Example:
    return Example(id="t-0", input="q", gold=gold, split="test", choices=choices)


CQA_CHOICES = ("british columbia", "body of water", "wooded area", "pay debts", "zoo")


def test_registry_names_and_unknown_task_message() -> None:
    assert task_names() == ["svamp", "cqa", "anli1", "esnli", "arith"]
    with pytest.raises(UsageError, match=r"unknown task 'x'; choose from svamp, cqa, anli1"):
        get_task("x")


def test_svamp_teacher_parse_follows_the_release() -> None:
    task = get_task("svamp")
    text = (
        "They put 10 seeds in each bed. So they planted 10 * 45 seeds. The answer is (10 * 45)."
        "\n\nQ: There are 15 trees. The answer is (1 + 1)."
    )
    parsed = task.parse_teacher(text)
    assert parsed.label == "(10 * 45)"
    assert parsed.rationale == "They put 10 seeds in each bed. So they planted 10 * 45 seeds."
    # No "The answer is": empty label, which no evaluator accepts (the release gives ' ').
    assert task.parse_teacher("I do not know.").label == ""


def test_equation_answers_are_judged_by_value() -> None:
    task = get_task("svamp")
    example = _example("svamp", "( 10.0 * 45.0 )")
    assert task.extract_answer("(10 * 45)", example).answer == "450"
    assert task.is_correct(task.extract_answer("450", example).answer, example)
    assert task.is_correct(task.extract_answer("( 900 / 2 )", example).answer, example)
    failed = task.extract_answer("about four hundred", example)
    assert failed.answer is None and not failed.matched
    assert not task.is_correct(failed.answer, example)
    assert task.extract_answer("( 3 / 0 )", example).answer is None


def test_arithmetic_rationale_answer_and_consistency() -> None:
    task = get_task("arith")
    example = _example("arith", "( 15.0 + 21.0 )")
    stated = task.rationale_answer("15 + 21 = 36 cards. The answer is (15 + 21).", example)
    assert (stated.answer, stated.method) == ("36", "stated")
    fallback = task.rationale_answer("Quinn has 15 + 21 = 36 cards.", example)
    assert (fallback.answer, fallback.method) == ("36", "last_number")
    assert task.same_answer("36", "36.0000001")
    assert task.rationale_answer("no numbers here", example).answer is None
    assert task.rationale_answer(None, example).answer is None


def test_cqa_format_parse_and_case_sensitive_choice_match() -> None:
    task = get_task("cqa")
    row = {"id": "abc", "question": "Where?", "choices": list(CQA_CHOICES), "answer": "wooded area"}
    example = task.build_example(row, split="test", index=0)
    assert example.id == "abc"
    assert example.input == (
        "Where?\nAnswer Choices:\n(a) british columbia\n(b) body of water\n(c) wooded area\n"
        "(d) pay debts\n(e) zoo"
    )
    parsed = task.parse_teacher("Only wooded areas. So the answer is (c) wooded area.\n\nQ: next")
    assert (parsed.rationale, parsed.label) == ("Only wooded areas.", "wooded area")
    assert task.is_correct(task.extract_answer("wooded area", example).answer, example)
    assert task.is_correct(task.extract_answer("(c)", example).answer, example)
    assert task.extract_answer("Wooded area", example).answer is None  # the release's exact match
    assert task.extract_answer("a forest", example).method == "not_a_choice"
    assert task.label_set(example) == CQA_CHOICES
    mentioned = task.rationale_answer("Beavers live by a body of water in a wooded area", example)
    assert mentioned.answer == "wooded area"


def test_cqa_rows_need_five_choices() -> None:
    task = get_task("cqa")
    with pytest.raises(KeyError, match="choices"):
        task.build_example(
            {"id": "x", "question": "q", "choices": ["a", "b"], "answer": "a"}, split="s", index=0
        )


def test_nli_formats_parses_and_reads_labels() -> None:
    anli, esnli = get_task("anli1"), get_task("esnli")
    row = {"uid": "u1", "premise": "A dog runs.", "hypothesis": "An animal moves.", "label": 0}
    example = anli.build_example(row, split="test", index=3)
    assert (example.id, example.input, example.gold) == (
        "u1",
        "A dog runs.</s>An animal moves.",
        "entailment",
    )
    parsed = anli.parse_teacher("Dogs are animals. So the answer is entailment.\n\nPremise: x")
    assert (parsed.rationale, parsed.label) == ("Dogs are animals.", "entailment")
    # The release drops the last character unconditionally; so do we, to match its accuracy.
    assert anli.parse_teacher("So the answer is neutral").label == "neutra"
    parsed = esnli.parse_teacher("Not stated.\nAnswer: neutral\n\nPremise: x\nHypothesis: y")
    assert (parsed.rationale, parsed.label) == ("Not stated.", "neutral")
    assert (
        esnli.build_example(
            {"premise": "p", "hypothesis": "h", "label": 2}, split="valid", index=7
        ).id
        == "valid-7"
    )
    assert anli.label_set(example) == NLI_LABELS
    assert anli.extract_answer(" Neutral. ", example).answer == "neutral"
    assert anli.extract_answer("maybe", example).answer is None
    assert anli.rationale_answer("The premise contradicts it.", example).answer == "contradiction"


@pytest.mark.parametrize(
    "rationale",
    ["The premise does not entail this.", "It doesn't necessarily contradict it.", "no entailment"],
)
def test_nli_negated_label_word_states_no_label(rationale: str) -> None:
    # Regression: "does not entail" was read as entailment, so every ANLI teacher rationale
    # that said so counted as inconsistent with its label.
    anli = get_task("anli1")
    example = _example("anli1", "neutral")
    found = anli.rationale_answer(rationale, example)
    assert (found.answer, found.method) == (None, "negated_label_word")


def test_single_output_split_round_trips() -> None:
    task = get_task("svamp")
    target = task.single_output_target("10 * 45 = 450.", "( 10.0 * 45.0 )")
    assert target == "10 * 45 = 450. So the answer is ( 10.0 * 45.0 )"
    assert task.split_single_output(target) == ("10 * 45 = 450.", "( 10.0 * 45.0 )")
    assert task.split_single_output("( 1 + 2 )") == (None, "( 1 + 2 )")
