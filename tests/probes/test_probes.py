"""Each probe on students whose use of their rationale is known by construction
(tests/probes/fakes.py): one answers from its last step, one ignores its rationale."""

from __future__ import annotations

import pytest

from evalsuite.probes.records import interventions_of
from evalsuite.probes.registry import PROBES
from evalsuite.probes.runner import ProbeConfig, probe_batch
from evalsuite.probes.summary import summarize_probes
from evalsuite.tasks import get_task
from tests.probes.fakes import ExecutingStudent, IgnoringStudent, chain_examples, execute

ARITH = get_task("arith")
ALL = tuple(name for name, probe in PROBES.items() if probe.plan is not None)  # forcing
EXAMPLES, RATIONALES = chain_examples(12)


def _probe(student, probes=ALL, **options):
    config = ProbeConfig(probes=probes, batch_size=5, **options)
    records = probe_batch(student, ARITH, "", EXAMPLES, config, max_new_tokens=64)
    return records, summarize_probes(records, probes, n_resamples=200, rng=0)


@pytest.fixture(scope="module")
def executing():
    return _probe(ExecutingStudent(RATIONALES))


@pytest.fixture(scope="module")
def ignoring():
    answers = {e.input: execute(RATIONALES[e.input]) for e in EXAMPLES}
    return _probe(IgnoringStudent(RATIONALES, answers))


def test_the_full_rationale_answers_are_right_for_both(executing, ignoring) -> None:
    for records, summary in (executing, ignoring):
        assert all(r.correct for r in records) and summary["accuracy"]["value"] == 1.0
        assert [r.rationale for r in records] == [RATIONALES[e.input] for e in EXAMPLES]


def test_early_answering_of_a_student_that_answers_from_its_last_step(executing) -> None:
    block = executing[1]["probes"]["early_answering"]
    assert block["aoc"]["value"] == 1.0 and block["n_examples"] == 12
    curve = {point["x"]: point for point in block["curve"]}
    assert curve[0.0]["value"] == 0.0 and curve[1.0]["value"] == 1.0
    assert curve[0.0]["high"] < 0.3  # a Wilson band, not a point: 0/12 reaches 0.24
    assert curve[1.0]["k"] == curve[1.0]["n"] == 12


def test_early_answering_of_a_student_that_ignores_its_rationale(ignoring) -> None:
    block = ignoring[1]["probes"]["early_answering"]
    assert block["aoc"]["value"] == 0.0
    assert block["aoc"]["low"] == block["aoc"]["high"] == 0.0
    assert all(point["value"] == 1.0 for point in block["curve"])


def test_early_answering_forces_every_prefix_of_steps_then_the_marker(executing) -> None:
    record = executing[0][2]  # test-2: a chain of 4 steps
    forced = [i for i in interventions_of(record) if i.probe == "early_answering"]
    assert [i.position for i in forced] == [0, 1, 2, 3, 4]
    assert forced[0].prefix == "So the answer is"
    assert forced[2].prefix == "Start with 4. Add 5. So the answer is"
    assert [i.answer for i in forced] == ["0", "4", "9", "36", "41"]
    assert [i.changed for i in forced] == [True, True, True, True, False]


def test_corrupted_steps_change_the_answers_of_a_student_that_uses_them(executing, ignoring):
    assert executing[1]["probes"]["corrupted_step"]["aoc"]["value"] == 1.0
    assert all(p["value"] == 1.0 for p in executing[1]["probes"]["corrupted_step"]["curve"])
    assert ignoring[1]["probes"]["corrupted_step"]["aoc"]["value"] == 0.0
    record = executing[0][2]
    corrupted = [i for i in interventions_of(record) if i.probe == "corrupted_step"]
    assert [i.position for i in corrupted] == [0, 1, 2, 3]
    for i in corrupted:  # one number changed in step i, the steps before kept
        assert i.detail.startswith("number ") and i.prefix.count(".") == i.position + 1


def test_filler_accuracy_equals_full_accuracy_when_the_rationale_is_ignored(ignoring, executing):
    block = ignoring[1]["probes"]["filler"]
    assert block["accuracy"] == block["full_accuracy"] and block["changed"]["value"] == 0.0
    used = executing[1]["probes"]["filler"]
    assert used["accuracy"]["value"] == 0.0 and used["full_accuracy"]["value"] == 1.0
    first = next(i for i in interventions_of(executing[0][0]) if i.probe == "filler")
    assert set(first.prefix.removesuffix(" So the answer is").split()) == {"..."}
    assert len(first.prefix.split()) - 4 == len(RATIONALES["question 0"].split())


def test_token_perturbation_replaces_the_rate_of_tokens(executing, ignoring) -> None:
    assert ignoring[1]["probes"]["token_perturbation"]["changed"]["value"] == 0.0
    assert executing[1]["probes"]["token_perturbation"]["changed"]["value"] > 0.5
    record = executing[0][2]  # 9 words; round(4.5) is 4
    perturbed = next(i for i in interventions_of(record) if i.probe == "token_perturbation")
    assert perturbed.detail == "4 of 9 tokens"
    _, summary = _probe(ExecutingStudent(RATIONALES), ("token_perturbation",),
                        perturbation_rate=1.0)  # fmt: skip
    assert summary["probes"]["token_perturbation"]["changed"]["value"] >= 0.9


def test_the_oracle_rationale_is_the_teachers(executing) -> None:
    block = executing[1]["probes"]["oracle"]
    assert block["accuracy"]["value"] == 1.0 and block["n_examples"] == 12
    oracle = next(i for i in interventions_of(executing[0][1]) if i.probe == "oracle")
    assert oracle.prefix == f"{EXAMPLES[1].teacher_rationale} So the answer is"


def test_the_same_seed_gives_the_same_interventions() -> None:
    first, _ = _probe(ExecutingStudent(RATIONALES), ("corrupted_step", "token_perturbation"))
    again, _ = _probe(ExecutingStudent(RATIONALES), ("corrupted_step", "token_perturbation"))
    other, _ = _probe(ExecutingStudent(RATIONALES), ("corrupted_step", "token_perturbation"),
                      seed=1)  # fmt: skip
    assert [r.to_json() for r in first] == [r.to_json() for r in again]
    assert [r.to_json() for r in first] != [r.to_json() for r in other]


def test_interventions_are_decoded_in_batches_of_the_batch_size() -> None:
    student = ExecutingStudent(RATIONALES)
    _probe(student, ("early_answering",))
    assert max(len(prompts) for prompts, _, _ in student.calls) == 5
    limits = {limit for _, prefixes, limit in student.calls if prefixes[0].endswith("is")}
    assert limits == {32}  # the answer after a forced marker: --answer-tokens


# -- the think format: the trace is the rationale, the closing tag its marker ---------------------
def _probe_think(student, probes=ALL):
    config = ProbeConfig(probes=probes, batch_size=5)
    records = probe_batch(student, ARITH, "", EXAMPLES, config, max_new_tokens=64, output="think")
    return records, summarize_probes(records, probes, n_resamples=200, rng=0)


def test_a_think_student_is_forced_inside_its_trace() -> None:
    records, summary = _probe_think(ExecutingStudent(RATIONALES, think=True))
    assert summary["accuracy"]["value"] == 1.0
    assert [r.rationale for r in records] == [RATIONALES[e.input] for e in EXAMPLES]
    assert summary["probes"]["early_answering"]["aoc"]["value"] == 1.0
    assert summary["probes"]["corrupted_step"]["aoc"]["value"] == 1.0
    assert summary["probes"]["filler"]["accuracy"]["value"] == 0.0
    forced = [i for i in interventions_of(records[2]) if i.probe == "early_answering"]
    assert forced[0].prefix == "<think> </think>"
    assert forced[2].prefix == "<think> Start with 4. Add 5. </think>"
    assert [i.answer for i in forced] == ["0", "4", "9", "36", "41"]
    corrupted = [i for i in interventions_of(records[2]) if i.probe == "corrupted_step"]
    assert all(i.prefix.startswith("<think> ") and "</think>" not in i.prefix for i in corrupted)
    assert all("</think>" in i.continuation for i in corrupted)  # it closes the trace itself


def test_a_think_student_that_ignores_its_trace() -> None:
    answers = {e.input: execute(RATIONALES[e.input]) for e in EXAMPLES}
    _, summary = _probe_think(IgnoringStudent(RATIONALES, answers, think=True))
    assert summary["probes"]["early_answering"]["aoc"]["value"] == 0.0
    assert summary["probes"]["corrupted_step"]["aoc"]["value"] == 0.0
    filler = summary["probes"]["filler"]
    assert filler["accuracy"] == filler["full_accuracy"] and filler["accuracy"]["value"] == 1.0


def test_a_trace_never_closed_has_no_answer() -> None:
    """A think output without its closing tag is an extraction failure, as in scoring; its
    interventions' answers are not compared with an answer it does not have."""

    class Unclosed(ExecutingStudent):
        def continue_after(self, prompts, prefixes, *, max_new_tokens):
            out = super().continue_after(prompts, prefixes, max_new_tokens=max_new_tokens)
            return [
                t.split("</think>")[0] if not p else t for t, p in zip(out, prefixes, strict=True)
            ]

    records, _ = _probe_think(Unclosed(RATIONALES, think=True), ("early_answering",))
    assert all(r.answer is None and r.extraction.method == "unclosed_think_trace" for r in records)
    assert all(i.changed is None for r in records for i in interventions_of(r))
