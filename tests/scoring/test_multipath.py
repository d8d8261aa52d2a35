"""Mixed students: programs run in the sandbox during scoring, paths voted on (the vote itself:
test_paths.py), and ``evalsuite score`` on a tiny mixed checkpoint."""

from __future__ import annotations

import json

import pytest

from evalsuite.checkpoint import PromptFormat
from evalsuite.errors import DataError
from evalsuite.example import Example
from evalsuite.metrics.paths import path_summary
from evalsuite.runs import Record, read_run
from evalsuite.sandbox import ERROR_KINDS, Sandbox, SandboxConfig
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.multipath import score_mixed_batch
from evalsuite.tasks import get_task
from tests.scoring.fakes import FakeStudent

ARITH = get_task("arith")
PROMPT = PromptFormat(
    recipe="mixed", task="arith", output="mixed", path_prefixes={"cot": "cot: ", "pot": "pot: "}
)


def _example(i: int, gold: str) -> Example:
    return Example(id=f"t{i}", input=f"question {i}", gold=gold, split="test")


HOSTILE = {
    "import os\nans = os.getcwd()": "forbidden",
    "f = open('{target}', 'w')\nf.write('x')\nans = 1": "forbidden",
    "while True:\n    pass": "timeout",
    "x = ' ' * (10 * 1024 ** 3)\nans = len(x)": "memory",
    "def f(n):\n    return f(n + 1)\nans = f(0)": "recursion",
    "ans = ().__class__.__base__.__subclasses__()": "forbidden",
    "ans = compile('1 + 1', 's', 'eval')": "forbidden",
}


def test_scoring_runs_programs_in_the_sandbox_and_contains_hostile_ones(tmp_path):
    target = tmp_path / "written"
    hostile = [(code.format(target=target), kind) for code, kind in HOSTILE.items()]
    examples = [_example(0, "( 3 + 4 )")] + [_example(i + 1, "( 2 * 5 )") for i in range(7)]
    outputs = {
        "cot: question 0": [("3 + 4 = 7. So the answer is ( 3 + 4 )", 0.4)],
        "pot: question 0": [("a = 3\nb = a + 4\nans = b", 0.3)],
    }
    for i, (code, _) in enumerate(hostile, start=1):
        outputs[f"cot: question {i}"] = [("2 * 5 = 10. So the answer is ( 2 * 5 )", 0.2)]
        outputs[f"pot: question {i}"] = [(code, 0.9)]
    student = FakeStudent(outputs)
    with Sandbox(SandboxConfig(timeout_s=1.0, memory_mb=256, n_workers=2)) as sandbox:
        scored = score_mixed_batch(
            student, ARITH, PROMPT, examples, decoding=DecodingConfig(), max_new_tokens=8,
            sandbox=sandbox,
        )  # fmt: skip
        assert len(sandbox.worker_pids) >= 1  # the pool is still usable after the batch
        again = sandbox.run(["ans = 2 + 2"])
    assert again[0].value == 4
    first = scored[0].record
    assert [p.kind for p in first.paths] == ["cot", "pot"]
    assert first.paths[1].to_json() == {
        "kind": "pot", "text": "a = 3\nb = a + 4\nans = b", "answer": "7", "ok": True,
        "correct": True, "sequence_confidence": pytest.approx(0.3),
        "confidence": pytest.approx(0.3), "error": None,
    }  # fmt: skip
    assert first.correct and first.answer == "7" and first.confidence == 1.0
    assert first.confidence_source == "vote" and first.chosen_path == 0  # 0.4 > 0.3
    for (_, kind), item in zip(hostile, scored[1:], strict=True):
        pot = item.record.paths[1]
        assert (pot.ok, pot.answer, pot.error.kind) == (False, None, kind)
        # the failed program does not vote: the CoT path's answer stands
        assert item.record.answer == "10" and item.record.correct
        assert item.record.confidence == 0.5
    assert not target.exists()


def test_a_lone_surrogate_answer_is_a_failed_path_and_the_record_stays_utf8():
    # Regression: `ans = chr(0xD800)` came back as the path's answer text, and writing the
    # record as UTF-8 JSON (records.jsonl) raised UnicodeEncodeError.
    examples = [_example(0, "( 3 + 4 )")]
    outputs = {
        "cot: question 0": [("3 + 4 = 7. So the answer is ( 3 + 4 )", 0.4)],
        "pot: question 0": [("print(chr(0xD800)) <nl> ans = chr(0xD800)", 0.9)],
    }
    with Sandbox(SandboxConfig(n_workers=1)) as sandbox:
        (scored,) = score_mixed_batch(
            FakeStudent(outputs), ARITH, PROMPT, examples, decoding=DecodingConfig(),
            max_new_tokens=8, sandbox=sandbox,
        )  # fmt: skip
    record = scored.record
    pot = record.paths[1]
    assert (pot.ok, pot.answer, pot.correct) == (False, None, False)
    assert pot.to_json()["error"] == {
        "kind": "bad_answer",
        "message": "'ans' is not valid Unicode text: a lone surrogate U+D800 at index 0",
    }
    assert (record.answer, record.correct, record.chosen_path) == ("7", True, 0)
    line = json.dumps(record.to_json(), ensure_ascii=False)  # as the run writer writes it
    assert Record.from_json(json.loads(line.encode("utf-8").decode("utf-8")), "line") == record


def test_single_path_modes_and_missing_prefix():
    examples = [_example(0, "( 3 + 4 )")]
    outputs = {"cot: question 0": [("So the answer is ( 3 + 4 )", 0.5)] * 2,
               "pot: question 0": [("ans = 8", 0.5), ("a = 3 <nl> ans = a + 4", 0.4)]}  # fmt: skip
    decoding = DecodingConfig(num_samples=2)
    cot = score_mixed_batch(
        FakeStudent(outputs), ARITH, PROMPT, examples, decoding=decoding, max_new_tokens=8,
        sandbox=None, mode="cot",
    )[0].record  # fmt: skip
    assert [p.kind for p in cot.paths] == ["cot", "cot"] and cot.path_mode == "cot"
    with Sandbox(SandboxConfig(n_workers=1)) as sandbox:
        pot = score_mixed_batch(
            FakeStudent(outputs), ARITH, PROMPT, examples, decoding=decoding, max_new_tokens=8,
            sandbox=sandbox, mode="pot",
        )[0].record  # fmt: skip
    assert [p.answer for p in pot.paths] == ["8", "7"]
    assert pot.paths[1].text == "a = 3\nans = a + 4"  # the one-line form, restored and run
    assert pot.answer == "8" and not pot.correct  # 1 vs 1: the more probable path
    bare = PromptFormat(recipe="mixed", task="arith", output="mixed", path_prefixes={"cot": "c"})
    with pytest.raises(DataError, match=r"no 'pot' entry in path_prefixes \(has: cot\)"):
        score_mixed_batch(
            FakeStudent(outputs), ARITH, bare, examples, decoding=decoding, max_new_tokens=8,
            sandbox=None, mode="multi",
        )  # fmt: skip


def _records(run) -> list[Record]:
    return read_run(run).records


@pytest.mark.kernels
def test_score_cli_on_a_tiny_mixed_checkpoint(checkpoints, tmp_path, cli):
    run = tmp_path / "run"
    result = cli(
        "score", checkpoints["mixed"], "--out", run, "--limit", "6", "--num-samples", "2",
        "--max-new-tokens", "16", "--quiet",
    )  # fmt: skip
    assert result.code == 0, result.err
    records = _records(run)
    assert len(records) == 6
    for record in records:
        assert [p.kind for p in record.paths] == ["cot", "cot", "pot", "pot"]
        for path in record.paths:
            if path.kind == "pot":
                assert path.ok == (path.error is None)
                assert path.ok or path.error.kind in ERROR_KINDS
        readable = [p.answer for p in record.paths if p.answer is not None]
        votes = max((sum(ARITH.same_answer(a, b) for b in readable) for a in readable), default=0)
        assert record.confidence == votes / 4
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["paths"] == path_summary(records, same_answer=ARITH.same_answer)
    assert metrics["paths"]["accuracy_by_kind"]["pot"]["n"] == 12
    assert not (run / "representations.npz").exists()
    manifest = read_run(run).manifest
    assert manifest.decoding is not None and manifest.decoding.paths == "multi"


def test_paths_option_is_for_mixed_students_only(checkpoints, tmp_path, cli):
    result = cli("score", checkpoints["dss"], "--out", tmp_path / "run", "--paths", "pot")
    assert result.code == 2
    assert "--paths pot: path modes apply to mixed students only" in result.err
    assert not (tmp_path / "run").exists()
