"""`import-predictions --from inspect`: logs that inspect_ai's own eval() wrote, read as runs
with inspect_ai's own reader."""

from __future__ import annotations

import re
import sys

import pytest

from evalsuite.runs import read_run


def _import(cli, log, out, *args):
    result = cli("import-predictions", log, "--from", "inspect", *args, "--out", out)
    assert result.code == 0, result.err
    return read_run(out)


def _inspect_accuracy(path) -> float:
    from inspect_ai.log import read_eval_log

    log = read_eval_log(str(path))
    return log.results.scores[0].metrics["accuracy"].value


def test_generative_log_gives_inspects_accuracy(tmp_path, cli, inspect_logs):
    log = inspect_logs["arith"]
    run = _import(cli, log, tmp_path / "run", "--task", "arith")
    assert run.metrics["accuracy"]["n"] == 8
    assert run.metrics["accuracy"]["value"] == _inspect_accuracy(log) == 0.5
    assert run.manifest.model.format == "inspect"
    assert run.manifest.model.tool_task == "arith_inspect"
    assert run.manifest.model.tool_model == "mockllm/model"
    assert len(run.manifest.not_covered) == 492
    from inspect_ai.log import read_eval_log

    samples = read_eval_log(str(log)).samples
    for record, sample in zip(run.records, samples, strict=True):
        assert record.id == sample.id and record.imported["joined_by"] == "id and text"
        (score,) = sample.scores.values()
        assert record.correct == (score.value == "C")
        assert record.prediction == score.answer  # what inspect's scorer read
        assert record.rationale == sample.output.completion  # the completion, as rationale
        assert record.imported["scores"] == {
            "match": {"value": score.value, "answer": score.answer}
        }


def test_multiple_choice_log_reads_letters_as_labels(tmp_path, cli, inspect_logs, nli12):
    log = inspect_logs["nli"]
    run = _import(cli, log, tmp_path / "run", "--task", "esnli", "--data-dir", nli12)
    assert run.metrics["accuracy"]["value"] == pytest.approx(_inspect_accuracy(log))
    assert run.metrics["accuracy"]["k"] == 8
    assert [r.id for r in run.records] == [f"test-{i}" for i in range(12)]  # ids 1..12
    assert {r.prediction for r in run.records} <= {"entailment", "neutral", "contradiction"}
    assert {r.imported["doc_id"] for r in run.records} == set(range(1, 13))


def test_a_log_of_another_task_names_the_file_and_sample(tmp_path, cli, inspect_logs):
    log = inspect_logs["nli"]
    out = tmp_path / "run"
    result = cli("import-predictions", log, "--from", "inspect", "--task", "arith", "--out", out)
    assert result.code == 2 and not out.exists()
    assert result.err.strip() == (
        f"evalsuite: error: {log} sample 1 (id 1): doc_id 0 is example 'test-0' of task "
        "'arith' split 'test', but the doc does not hold that example's input (wrong --task or "
        "--split?)"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"PK\x03\x04 broken zip", r"not an inspect_ai log"), (b"{}", r"not an inspect_ai log")],
)
def test_a_file_that_is_no_inspect_log_exits_2(tmp_path, cli, content, message):
    pytest.importorskip("inspect_ai")
    path = tmp_path / ("bad.eval" if content.startswith(b"PK") else "bad.json")
    path.write_bytes(content)
    result = cli("import-predictions", path, "--from", "inspect", "--task", "arith",
                 "--out", tmp_path / "run")  # fmt: skip
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert result.err.startswith(f"evalsuite: error: {path}: ")
    assert re.search(message, result.err), result.err


def test_without_inspect_ai_one_line_names_the_pip_command(tmp_path, cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "inspect_ai.log", None)  # import now raises ImportError
    (tmp_path / "x.eval").write_bytes(b"")
    result = cli("import-predictions", tmp_path / "x.eval", "--from", "inspect", "--task",
                 "arith", "--out", tmp_path / "run")  # fmt: skip
    assert result.code == 2
    assert result.err == (
        "evalsuite: error: inspect_ai logs need inspect_ai: pip install 'evalsuite[inspect]'\n"
    )
    assert not (tmp_path / "run").exists()
