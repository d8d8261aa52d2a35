"""`evalsuite import-teacher` and `import-predictions`: runs from outputs scored elsewhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evalsuite.data import load_examples
from evalsuite.runs import read_run
from evalsuite.tasks import get_task


def test_import_teacher_arith(tmp_path, cli):
    out = tmp_path / "teacher"
    result = cli("import-teacher", "--task", "arith", "--out", out)
    assert result.code == 0, result.err
    run = read_run(out)
    task = get_task("arith")
    examples = load_examples(task, "test")
    # Independent count: the task layer judging the teacher labels directly.
    expected = sum(
        task.is_correct(task.extract_answer(e.teacher_label, e).answer, e) for e in examples
    )
    assert run.complete and run.manifest.kind == "teacher"
    assert [r.id for r in run.records] == [e.id for e in examples]
    assert sum(r.correct for r in run.records) == expected
    assert run.metrics is not None and run.metrics["accuracy"]["k"] == expected
    first = run.records[0]
    assert first.prediction == examples[0].teacher_label
    assert first.rationale == examples[0].teacher_rationale
    assert first.confidence is None and first.consistent is True


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("task", "accuracy", "n"),
    [("svamp", "74.00", 200), ("cqa", "77.23", 1221), ("anli1", "65.60", 1000),
     ("esnli", "72.99", 9824)],
)  # fmt: skip
def test_import_teacher_reproduces_the_release_accuracies(
    dss_root, tmp_path, cli, task, accuracy, n
):
    out = tmp_path / task
    result = cli("import-teacher", "--task", task, "--data-dir", dss_root, "--out", out)
    assert result.code == 0, result.err
    assert f"{n} examples, accuracy {accuracy} %" in result.out
    metrics = read_run(out).metrics
    assert metrics is not None
    assert f"{100 * metrics['accuracy']['value']:.2f}" == accuracy and metrics["n"] == n


def _write(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def test_import_predictions_arith(tmp_path, cli):
    examples = load_examples("arith", "test")
    lines = [
        {"id": examples[0].id, "prediction": examples[0].gold, "confidence": 0.9,
         "rationale": "It is 5."},
        {"input": examples[2].input, "prediction": "( 1.0 + 1.0 )"},
        {"id": examples[1].id, "input": examples[1].input, "prediction": "nonsense"},
    ]  # fmt: skip
    out = tmp_path / "run"
    result = cli("import-predictions", _write(tmp_path / "p.jsonl", lines), "--task", "arith",
                 "--out", out)  # fmt: skip
    assert result.code == 0, result.err
    assert "(predictions cover 3 of the split's 500)" in result.out
    run = read_run(out)
    assert run.manifest.kind == "predictions" and len(run.manifest.model_hash) == 64
    first, second, third = run.records  # in the split's order
    assert [r.id for r in run.records] == [e.id for e in examples[:3]]
    assert first.correct is True and first.confidence == 0.9
    assert first.confidence_source == "provided" and first.rationale == "It is 5."
    assert second.answer is None and second.extraction.matched is False
    assert third.answer == "2" and third.confidence is None


def test_import_predictions_label_probs(tmp_path, cli, nli_file):
    examples = load_examples("esnli", "test", data_dir=nli_file)
    probs = {"entailment": 0.2, "neutral": 0.5, "contradiction": 0.3}
    lines = [{"id": e.id, "prediction": "neutral", "label_probs": probs} for e in examples]
    out = tmp_path / "run"
    result = cli("import-predictions", _write(tmp_path / "p.jsonl", lines), "--task", "esnli",
                 "--data-dir", nli_file, "--out", out)  # fmt: skip
    assert result.code == 0, result.err
    for record in read_run(out).records:
        assert record.label_probs == probs
        assert record.confidence == 0.5 and record.confidence_source == "label_set"


GOOD = {"id": "test-0", "prediction": "neutral"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"id": "test-1", "prediction": ', r"line 2: invalid JSON"),
        ("[1, 2]", r"line 2: expected a JSON object"),
        ({"id": "test-1"}, r"line 2: field 'prediction' must be a string, got None"),
        ({"id": "test-1", "prediction": 3}, r"line 2: field 'prediction' must be a string, got 3"),
        ({"prediction": "1"}, r"line 2: needs field 'id' or 'input' to match an example"),
        ({"id": 7.0, "prediction": "1"},
         r"line 2: field 'id' must be a string or an integer, got 7.0"),
        ({"id": True, "prediction": "1"},
         r"line 2: field 'id' must be a string or an integer, got True"),
        ({"id": 10**6, "prediction": "1"},
         r"line 2: id '1000000' is not an example of this split"),
        ({"id": "nope", "prediction": "1"}, r"line 2: id 'nope' is not an example of this split"),
        ({"input": "what?", "prediction": "1"}, r"line 2: field 'input' matches no example"),
        ({"id": "test-1", "input": "x", "prediction": "1"},
         r"line 2: field 'input' differs from the input of id 'test-1'"),
        ({"id": "test-0", "prediction": "1"},
         r"line 2: example 'test-0' was already predicted on line 1"),
        ({"id": "test-1", "prediction": "1", "confidence": 1.5},
         r"line 2: field 'confidence' must be a number in \[0, 1\], got 1.5"),
        ({"id": "test-1", "prediction": "1", "confidence": True},
         r"line 2: field 'confidence' must be a number in \[0, 1\], got True"),
        ({"id": "test-1", "prediction": "1", "rationale": 4},
         r"line 2: field 'rationale' must be a string or null, got 4"),
        ({"id": "test-1", "prediction": "1", "confidense": 0.5},
         r"line 2: unknown field 'confidense'; allowed: id, input, prediction, rationale"),
    ],
)  # fmt: skip
def test_a_malformed_predictions_line_exits_2_naming_the_line(
    tmp_path, cli, nli_file, bad, message
):
    path = _write(tmp_path / "p.jsonl", [GOOD, bad, GOOD])
    out = tmp_path / "run"
    result = cli(
        "import-predictions", path, "--task", "esnli", "--data-dir", nli_file, "--out", out
    )
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"evalsuite: error: {path} line 2: ")
    assert re.search(message, lines[0]), lines[0]
    assert not out.exists()  # nothing half-written


@pytest.mark.parametrize(
    ("label_probs", "message"),
    [
        ({"entailment": 0.5, "neutral": 0.2}, r"field 'label_probs' must sum to 1, got 0.7"),
        ({"maybe": 1.0}, r"field 'label_probs' has label 'maybe'; allowed: entailment, neutral"),
        (
            {"neutral": -0.1, "entailment": 1.1},
            r"field .label_probs. must map labels to numbers in \[0, 1\], got -0.1",
        ),
        ([0.5, 0.5], r"field 'label_probs' must map labels to numbers in \[0, 1\]"),
    ],
)
def test_bad_label_probs(tmp_path, cli, nli_file, label_probs, message):
    line = {"id": "test-0", "prediction": "neutral", "label_probs": label_probs}
    path = _write(tmp_path / "p.jsonl", [line])
    result = cli("import-predictions", path, "--task", "esnli", "--data-dir", nli_file,
                 "--out", tmp_path / "run")  # fmt: skip
    assert result.code == 2
    assert re.search(rf"{re.escape(str(path))} line 1: {message}", result.err), result.err


def test_an_input_shared_by_two_examples_needs_an_id(tmp_path, cli):
    rows = [{"premise": "A cat.", "hypothesis": "A cat.", "label": 0}] * 2
    data = _write(tmp_path / "data.jsonl", rows)
    path = _write(tmp_path / "p.jsonl", [{"input": "A cat.</s>A cat.", "prediction": "neutral"}])
    result = cli("import-predictions", path, "--task", "esnli", "--data-dir", data,
                 "--out", tmp_path / "run")  # fmt: skip
    assert result.code == 2
    assert (
        f"{path} line 1: field 'input' matches 2 examples of this split (test-0, test-1); "
        "give their 'id' instead"
    ) in result.err


def test_label_probs_for_an_open_task_are_refused(tmp_path, cli):
    line = {"id": "test-1", "prediction": "1", "label_probs": {"1": 1.0}}
    path = _write(tmp_path / "p.jsonl", [line])
    result = cli("import-predictions", path, "--task", "arith", "--out", tmp_path / "run")
    assert result.code == 2
    assert f"{path} line 1: field 'label_probs' given, but task 'arith' has open answers" in (
        result.err
    )


def test_empty_predictions_file_and_teacherless_split(tmp_path, cli, nli_file):
    empty = _write(tmp_path / "empty.jsonl", [])
    result = cli(
        "import-predictions",
        empty,
        "--task",
        "esnli",
        "--data-dir",
        nli_file,
        "--out",
        tmp_path / "a",
    )
    assert result.code == 2 and "no predictions (the file has no JSON lines)" in result.err
    result = cli(
        "import-teacher", "--task", "esnli", "--data-dir", nli_file, "--out", tmp_path / "b"
    )
    assert result.code == 2
    assert "example 'test-0' has no teacher output to import" in result.err
    assert not (tmp_path / "b").exists()
