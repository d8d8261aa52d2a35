"""Socratic students: the decompose-then-solve loop on fixed model outputs, and ``evalsuite
score`` on a Socratic checkpoint trained by ``evalsuite train socratic``."""

from __future__ import annotations

import json
import math
import shutil

import pytest

from evalsuite.checkpoint import PromptFormat
from evalsuite.cli import main
from evalsuite.errors import DataError
from evalsuite.example import Example
from evalsuite.runs import read_run
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.socratic import score_socratic_batch
from evalsuite.scoring.student import SocraticStudents
from evalsuite.tasks import get_task
from tests.scoring.fakes import FakeStudent

ARITH = get_task("arith")
PROMPT = PromptFormat(
    recipe="socratic", task="arith", output="socratic",
    path_prefixes={"decompose": "decompose: ", "solve": "solve: "},
)  # fmt: skip
ANN = Example(id="t0", input="Ann has 4. She buys 3.", gold="( 4 + 3 )", split="test")
BOB = Example(id="t1", input="Bob has 2.", gold="2", split="test")


def _score(decomposer, solver, examples, decoding=None):
    students = SocraticStudents(decomposer, solver)  # type: ignore[arg-type]
    return [
        s.record
        for s in score_socratic_batch(
            students,
            ARITH,
            PROMPT,
            examples,
            decoding=decoding or DecodingConfig(),
            max_new_tokens=8,
        )
    ]


def test_the_solver_reads_its_own_answers_and_the_last_one_is_the_answer():
    decomposer = FakeStudent({
        "decompose: Ann has 4. She buys 3.": [("How many at first? | How many after?", 0.5)],
        "decompose: Bob has 2.": [(" | ", 0.9)],  # no sub-question: no answer
    })  # fmt: skip
    solver = FakeStudent({
        "solve: Ann has 4. She buys 3. | Q: How many at first?": [("5", 0.4)],
        # the second prompt carries the solver's own (wrong) first answer, not the teacher's
        "solve: Ann has 4. She buys 3. | Q: How many at first? A: 5 | Q: How many after?": [
            ("5 + 2 = 7", 0.8)
        ],
    })  # fmt: skip
    ann, bob = _score(decomposer, solver, [ANN, BOB])
    assert len(solver.prompts) == 2  # one round each; Bob's empty chain asks nothing
    assert (ann.prediction, ann.answer, ann.correct) == ("7", "7", True)
    assert ann.rationale == "Q: How many at first? A: 5 Q: How many after? A: 5 + 2 = 7"
    assert ann.to_json()["socratic"] == [
        {"question": "How many at first?", "answer": "5"},
        {"question": "How many after?", "answer": "5 + 2 = 7"},
    ]
    # the record's confidence is the last sub-answer's answer tokens (after its "="; the fake
    # puts each generation's probability on its EOS); the sequence, the whole chain's
    assert ann.confidence_source == "answer_tokens"
    assert ann.confidence == pytest.approx(0.8)
    assert ann.sequence_confidence == pytest.approx(0.5 * 0.4 * 0.8)
    (path,) = ann.paths
    assert path.kind == "socratic" and path.ok and path.correct
    assert path.sequence_confidence == pytest.approx(0.5 * 0.4 * 0.8)
    assert (ann.path_mode, ann.chosen_path) == ("socratic", 0)
    assert (bob.answer, bob.correct, bob.socratic, bob.rationale) == (
        None, False, (), None,
    )  # fmt: skip
    # no sub-question: no answer tokens, so no confidence; the chain is its decomposition
    assert bob.paths[0].ok is False and bob.confidence is None
    assert bob.sequence_confidence == pytest.approx(0.9)
    assert bob.consistent is None and bob.consistency_reason == "no rationale"


def test_sampled_decompositions_vote():
    decomposer = FakeStudent({
        "decompose: Ann has 4. She buys 3.": [("How many?", 0.3), ("How many now?", 0.2),
                                              ("How many in all?", 0.1)],
    })  # fmt: skip
    answers = {"How many?": "4 + 3 = 8", "How many now?": "4 + 3 = 7", "How many in all?": "7"}
    solver = FakeStudent(
        {f"solve: Ann has 4. She buys 3. | Q: {q}": [(a, 0.5)] for q, a in answers.items()}
    )
    (record,) = _score(decomposer, solver, [ANN], DecodingConfig(num_samples=3))
    assert [p.answer for p in record.paths] == ["8", "7", "7"]
    assert (record.answer, record.correct) == ("7", True)
    assert record.confidence == pytest.approx(2 / 3) and record.confidence_source == "vote"
    # of the two chains that reached 7, the more probable one is reported
    assert record.chosen_path == 1 and record.socratic[0].question == "How many now?"
    assert math.isclose(record.paths[1].sequence_confidence, 0.2 * 0.5)


def test_sampled_chains_that_tie_go_to_the_more_probable_chain():
    # The vote every sampled student uses (test_paths.py): 1 vs 1, the higher probability wins.
    decomposer = FakeStudent(
        {"decompose: Ann has 4. She buys 3.": [("How many?", 0.2), ("How many now?", 0.3)]}
    )
    answers = {"How many?": "4 + 3 = 8", "How many now?": "4 + 3 = 7"}
    solver = FakeStudent(
        {f"solve: Ann has 4. She buys 3. | Q: {q}": [(a, 0.5)] for q, a in answers.items()}
    )
    (record,) = _score(decomposer, solver, [ANN], DecodingConfig(num_samples=2))
    assert [p.answer for p in record.paths] == ["8", "7"]
    assert (record.answer, record.chosen_path, record.confidence) == ("7", 1, 0.5)


def test_a_prompt_format_without_the_solve_prefix_is_refused():
    bare = PromptFormat(recipe="mixed", task="arith", output="mixed", path_prefixes={"cot": "c"})
    with pytest.raises(DataError, match=r"no 'decompose' entry in path_prefixes \(has: cot\)"):
        score_socratic_batch(
            SocraticStudents(FakeStudent({}), FakeStudent({})),  # type: ignore[arg-type]
            ARITH, bare, [ANN], decoding=DecodingConfig(), max_new_tokens=8,
        )  # fmt: skip


TINY = "num_layers=1,num_decoder_layers=1,d_model=16,d_ff=32,num_heads=2,d_kv=8,vocab_size=120"
SMALL_ARITH = "n_train=16,n_valid=4,n_test=6,max_operations=2"


@pytest.fixture(scope="module")
def socratic_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("socratic") / "ckpt"
    args = [
        "train", "socratic", "--task", "arith", "--out", out, "--tiny", TINY, "--arith",
        SMALL_ARITH, "--batch-size", "4", "--warmup-steps", "0", "--max-steps", "3",
        "--eval-every", "3",
    ]  # fmt: skip
    assert main([str(a) for a in args]) == 0
    return out


@pytest.mark.kernels
def test_score_a_trained_socratic_checkpoint(socratic_checkpoint, tmp_path, cli):
    run = tmp_path / "run"
    result = cli("score", socratic_checkpoint, "--out", run)
    assert result.code == 0, result.err
    loaded = read_run(run)
    records, manifest = loaded.records, loaded.manifest
    assert [r.id for r in records] == [f"test-{i}" for i in range(6)]  # the manifest's arith
    for record in records:
        assert record.path_mode == "socratic" and len(record.paths) == 1
        assert len(record.socratic) <= 16
    assert manifest.model.recipe == "socratic" and manifest.representations is False
    assert not (run / "representations.npz").exists()
    metrics = json.loads((run / "metrics.json").read_text())
    by_kind = metrics["paths"]["accuracy_by_kind"]
    assert set(by_kind) == {"socratic"} and by_kind["socratic"]["n"] == 6
    assert metrics["accuracy"]["k"] == sum(r.correct for r in records)


def test_socratic_refusals_exit_2_in_one_line(socratic_checkpoint, tmp_path, cli):
    result = cli("score", socratic_checkpoint, "--paths", "cot", "--out", tmp_path / "r1")
    assert result.code == 2 and result.err.count("\n") == 1
    assert "path modes apply to mixed students only" in result.err
    broken = tmp_path / "broken"
    shutil.copytree(socratic_checkpoint, broken)
    shutil.rmtree(broken / "solve")
    result = cli("score", broken, "--out", tmp_path / "r2")
    assert result.code == 2 and result.err.count("\n") == 1
    assert "Socratic checkpoint has no 'solve' student directory" in result.err
    (broken / "solve").mkdir()
    result = cli("score", broken, "--out", tmp_path / "r3")
    assert result.code == 2 and "solve: checkpoint has no tokenizer" in result.err
    assert not (tmp_path / "r2").exists() and not (tmp_path / "r3").exists()


def test_socratic_consistency_is_judged_on_the_final_working_not_by_construction():
    # Regression: the answer *is* the last sub-answer, so every Socratic record was consistent.
    decomposer = FakeStudent({
        "decompose: Ann has 4. She buys 3.": [("How many after?", 0.5)],
        "decompose: Bob has 2.": [("How many?", 0.5)],
    })  # fmt: skip
    solver = FakeStudent({
        "solve: Ann has 4. She buys 3. | Q: How many after?": [("4 + 3 = 8", 0.5)],
        "solve: Bob has 2. | Q: How many?": [("2", 0.5)],
    })  # fmt: skip
    ann, bob = _score(decomposer, solver, [ANN, BOB])
    assert (ann.answer, ann.rationale_kind, ann.rationale_answer) == ("8", "socratic", "7")
    assert ann.consistent is False and ann.consistency_reason is None
    assert (bob.answer, bob.rationale_answer, bob.consistent) == ("2", None, None)
    assert bob.consistency_reason == "the final sub-answer shows no working to read an answer from"
