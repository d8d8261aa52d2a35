"""The forcing probes on Socratic students whose use of their chain is known by construction
(tests/probes/chain_fakes.py): one solver copies its answer from the last pair, one ignores
the pairs it reads."""

from __future__ import annotations

import pytest

from evalsuite.errors import DataError, UsageError
from evalsuite.example import Example
from evalsuite.probes.chains import check_oracle_data, probe_chains_batch
from evalsuite.probes.records import interventions_of
from evalsuite.probes.registry import PROBES
from evalsuite.probes.summary import summarize_probes
from evalsuite.runs import RunWriter
from evalsuite.socratic import Step, transcript
from evalsuite.tasks import get_task
from tests.probes.chain_fakes import FINAL, socratic_examples, socratic_students
from tests.probes.fakes import WordTokens
from tests.scoring.test_socratic import PROMPT

ARITH = get_task("arith")
ALL = tuple(name for name, probe in PROBES.items() if probe.chain_plan is not None)
EXAMPLES = socratic_examples(12)


def _probe(students, probes=ALL, *, seed=3):
    records = probe_chains_batch(
        students, WordTokens(), ARITH, PROMPT, EXAMPLES, probes=probes, seed=seed,
        perturbation_rate=0.5, batch_size=5, max_new_tokens=8,
    )  # fmt: skip
    return records, summarize_probes(records, probes, n_resamples=200, rng=0)


@pytest.fixture(scope="module")
def copying():
    return _probe(socratic_students(EXAMPLES, copying=True))


@pytest.fixture(scope="module")
def ignoring():
    return _probe(socratic_students(EXAMPLES, copying=False))


def _of(record, probe):
    return [i for i in interventions_of(record) if i.probe == probe]


def test_the_forcing_probes_all_plan_on_chains() -> None:
    assert set(ALL) == {"early_answering", "corrupted_step", "filler", "token_perturbation",
                        "oracle"}  # fmt: skip


def test_both_students_answer_right_with_their_own_chains(copying, ignoring) -> None:
    for records, summary in (copying, ignoring):
        assert summary["accuracy"]["value"] == 1.0 and summary["n_examples"] == 12
        assert [len(r.socratic) for r in records] == [3 + i % 3 for i in range(12)]


def test_early_answering_steps_are_the_pairs_before_the_last_sub_question(copying) -> None:
    record = copying[0][2]  # question 2: 4 steps, 4 -> 9 -> 36 -> 41, then the answer
    forced = _of(record, "early_answering")
    assert [i.position for i in forced] == [0, 1, 2, 3, 4] and forced[0].n_steps == 4
    assert [i.answer for i in forced] == ["0", "4", "9", "36", "41"]
    assert [i.changed for i in forced] == [True, True, True, True, False]
    assert forced[0].prefix == "" and forced[0].continuation == f"Q: {FINAL} A: 0"
    assert forced[2].prefix == "Q: Step 1: Start with 4? A: 4 Q: Step 2: Add 5? A: 9"
    assert forced[2].continuation == f"Q: {FINAL} A: 9"  # the rest skipped: asked at once


def test_k_equal_n_reproduces_the_full_chain(copying, ignoring) -> None:
    for records, _ in (copying, ignoring):
        for record in records:
            full = _of(record, "early_answering")[-1]
            assert full.position == full.n_steps == len(record.socratic) - 1
            assert f"{full.prefix} {full.continuation}" == record.rationale
            assert full.answer == record.answer and full.changed is False


def test_early_answering_aoc_of_a_copying_and_an_ignoring_solver(copying, ignoring) -> None:
    block = copying[1]["probes"]["early_answering"]
    assert block["aoc"]["value"] == 1.0 and block["n_examples"] == 12
    curve = {point["x"]: point["value"] for point in block["curve"]}
    assert curve[0.0] == 0.0 and curve[1.0] == 1.0
    block = ignoring[1]["probes"]["early_answering"]
    assert block["aoc"]["value"] == 0.0
    assert all(point["value"] == 1.0 for point in block["curve"])


def test_a_corrupted_sub_answer_is_re_solved_and_changes_a_copying_solvers_answer(
    copying, ignoring
) -> None:
    assert copying[1]["probes"]["corrupted_step"]["aoc"]["value"] == 1.0
    assert ignoring[1]["probes"]["corrupted_step"]["aoc"]["value"] == 0.0
    record = copying[0][2]
    own = record.socratic
    corrupted = _of(record, "corrupted_step")
    assert [i.position for i in corrupted] == [0, 1, 2, 3]  # never the last pair
    for i in corrupted:
        kept = transcript([Step(s.question, s.answer) for s in own[: i.position]])
        assert i.prefix.startswith(kept) and i.prefix != transcript(
            [Step(s.question, s.answer) for s in own[: i.position + 1]]
        )
        assert i.detail.startswith("number ")
        # the solver re-solves every later sub-question from the corrupted value, in order
        assert i.continuation.count("Q: ") == 4 - i.position
        assert i.continuation.endswith(f"A: {i.answer}") and i.answer != "41"


def test_filler_accuracy_equals_full_accuracy_when_the_pairs_are_ignored(copying, ignoring):
    filler = ignoring[1]["probes"]["filler"]
    assert filler["accuracy"] == filler["full_accuracy"] and filler["accuracy"]["value"] == 1.0
    assert copying[1]["probes"]["filler"]["accuracy"]["value"] == 0.0
    forced = _of(copying[0][2], "filler")[0]
    # every word of every pair is filler (one "..." per word), the Q:/A: frame kept
    words = [5, 4, 4, 4]  # "Step 1: Start with 4?", "Step 2: Add 5?", ...; each answer 1 word
    assert forced.prefix == " ".join(f"Q: {' '.join(['...'] * n)} A: ..." for n in words)
    assert forced.continuation == f"Q: {FINAL} A: 0"


def test_token_perturbation_replaces_half_the_pairs_tokens(copying) -> None:
    for record in copying[0]:
        (forced,) = _of(record, "token_perturbation")
        pairs = transcript([Step(s.question, s.answer) for s in record.socratic[:-1]])
        n = len(pairs.split()) - 2 * forced.n_steps  # words of the pairs, without Q:/A:
        assert forced.detail == f"{round(n / 2)} of {n} tokens"
        assert forced.prefix != pairs and len(forced.prefix.split()) == len(pairs.split())


def test_the_oracle_forces_the_teachers_pairs(copying, ignoring) -> None:
    for records, _ in (copying, ignoring):
        for record, example in zip(records, EXAMPLES, strict=True):
            (forced,) = _of(record, "oracle")
            teacher = [Step(q, a) for q, a in example.extra["socratic"]]
            assert forced.prefix == transcript(teacher[:-1]) and forced.correct
    assert copying[1]["probes"]["oracle"]["accuracy"]["value"] == 1.0


def test_the_same_seed_gives_the_same_interventions(copying) -> None:
    again, _ = _probe(socratic_students(EXAMPLES, copying=True))
    assert [r.to_json() for r in again] == [r.to_json() for r in copying[0]]
    other, _ = _probe(socratic_students(EXAMPLES, copying=True), seed=4)
    details = [[i.detail for i in interventions_of(r)] for r in other]
    assert details != [[i.detail for i in interventions_of(r)] for r in copying[0]]


def test_the_oracle_is_refused_on_data_without_teacher_pairs() -> None:
    bare = [Example(id="a", input="q", gold="1", split="test")]
    with pytest.raises(UsageError, match=r"^probe 'oracle': task 'arith' has no teacher "
                       r"Socratic decomposition \(field 'socratic'\)"):  # fmt: skip
        check_oracle_data(("filler", "oracle"), ARITH, bare)
    check_oracle_data(("filler",), ARITH, bare)  # other probes need no teacher
    broken = [*EXAMPLES[:2], Example(id="b", input="q", gold="1", split="test",
                                      extra={"socratic": [["How many?"]]})]  # fmt: skip
    with pytest.raises(DataError, match=r"test example b: field 'socratic' item 0 must be"):
        check_oracle_data(("oracle",), ARITH, broken)
    check_oracle_data(("oracle",), ARITH, EXAMPLES)


def _write_run(root, name, records, probes, *, kind="probe"):
    model = {"path": f"/ckpt/{name}", "recipe": "socratic", "coupling": "joint"}
    manifest = {"name": name, "kind": kind, "task": "arith", "split": "test", "model": model}
    if kind == "probe":
        manifest["probe"] = {"probes": list(probes)}
    writer = RunWriter(root / name, manifest)
    writer.append(records)
    ids = [e.id for e in EXAMPLES]
    writer.finish(ids, summarize_probes(writer.records(ids), probes, rng=0) if probes else None)
    return root / name


def test_the_report_and_the_explorer_read_a_socratic_probe_run(copying, tmp_path) -> None:
    from evalsuite.report import explorer as ex
    from evalsuite.report.build import ReportConfig, build_report
    from evalsuite.report.runs import read_runs
    from evalsuite.runs import read_run
    from tests.metrics.runs import record

    scored = [record(e.id, gold=e.gold, correct=True, answer=e.gold) for e in EXAMPLES]
    runs = [_write_run(tmp_path, "socratic", scored, (), kind="student"),
            _write_run(tmp_path, "probed", copying[0], ALL)]  # fmt: skip
    result = build_report(read_runs(runs), tmp_path / "report", ReportConfig(mi_estimators=()))
    own = read_run(runs[1]).metrics["probes"]
    for probe, label, column, key in (
        ("early_answering", "early answering", "AOC", "aoc"),
        ("corrupted_step", "corrupted step", "AOC", "aoc"),
        ("filler", "filler", "forced acc.", "accuracy"),
        ("oracle", "oracle rationale", "forced acc.", "accuracy"),
    ):
        cell = result.faithfulness.cells[(f"probed: {label} (n=12)", column)]
        assert (cell.value, cell.interval) == (
            own[probe][key]["value"],
            (own[probe][key]["low"], own[probe][key]["high"]),
        )
    assert "figures/early_answering.png" in result.document["files"]

    table = ex.intervention_table(ex.load_run(runs[1]).records[2])
    rows = table.rows.to_dict("records")
    assert rows[0]["forced prefix"] == copying[0][2].rationale and rows[0]["answer"] == "41"
    early = [r for r in rows if r["probe"] == "early answering"]
    assert [r["position"] for r in early] == [f"{k} of 4 steps" for k in range(5)]
    assert [r["answer"] for r in early] == ["0", "4", "9", "36", "41"]
    assert [r["changed"] for r in early] == ["yes", "yes", "yes", "yes", "no"]
