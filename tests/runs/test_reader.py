"""The one reader and the one writer of run directories: validation names the file, line and
field; unknown fields survive a round trip; resume drops a torn tail; schema versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.errors import DataError, UsageError
from evalsuite.runs import SCHEMA_VERSION, Manifest, Record, RunWriter, read_run
from tests.metrics.runs import record, write_run


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "manifest.json").write_text(json.dumps({"task": "arith", "split": "test"}))
    (path / "records.jsonl").write_text("".join(line + "\n" for line in lines))
    return path


def _line(**fields: object) -> str:
    return json.dumps({"id": "a", "gold": "1", "correct": True, **fields})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"confidence": "high"}, r"field 'confidence' must be a number in \[0, 1\], got 'high'"),
        ({"confidence": 1.5}, r"field 'confidence' must be a number in \[0, 1\], got 1\.5"),
        ({"correct": "yes"}, r"field 'correct' must be true or false, got 'yes'"),
        ({"id": ""}, r"field 'id' must be a non-empty string, got ''"),
        ({"gold": 3}, r"field 'gold' must be a string, got 3"),
        ({"answer": 3}, r"field 'answer' must be a string or null, got 3"),
        ({"consistent": "no"}, r"field 'consistent' must be true, false or null, got 'no'"),
        ({"label_probs": {"a": 2}}, r"field 'label_probs' must map labels to numbers in \[0, 1\]"),
        ({"extraction": {"matched": 1}}, r"field 'extraction\.matched' must be true, false"),
        ({"teacher": "t"}, r"field 'teacher' must be an object or null, got 't'"),
        ({"paths": [{"kind": "cot", "ok": "y"}]}, r"field 'paths\[0\]\.ok' must be true, false"),
        ({"paths": [{"text": "x"}]}, r"missing field 'paths\[0\]\.kind'"),
        ({"socratic": [{"question": "q"}]}, r"missing field 'socratic\[0\]\.answer'"),
        ({"chosen_path": 1.5}, r"field 'chosen_path' must be an integer or null, got 1\.5"),
    ],
)
def test_a_bad_field_names_file_line_and_field(tmp_path, fields, message) -> None:
    run = _write_lines(tmp_path / "r", [_line(id="x"), "", _line(**fields)])
    with pytest.raises(DataError, match=r"r/records\.jsonl line 3: " + message):
        read_run(run)


def test_missing_required_fields_and_bad_lines(tmp_path) -> None:
    run = _write_lines(tmp_path / "m", [json.dumps({"id": "a", "gold": "1"})])
    with pytest.raises(DataError, match=r"m/records\.jsonl line 1: missing field 'correct'"):
        read_run(run)
    run = _write_lines(tmp_path / "j", [_line(), "{not json"])
    with pytest.raises(DataError, match=r"j/records\.jsonl line 2: invalid JSON"):
        read_run(run)  # a torn tail is an error to the reader; only a resuming writer drops it
    run = _write_lines(tmp_path / "l", ["[1, 2]"])
    with pytest.raises(DataError, match=r"l/records\.jsonl line 1: expected a JSON object"):
        read_run(run)
    run = _write_lines(tmp_path / "d", [_line(), _line()])
    with pytest.raises(DataError, match=r"d/records\.jsonl: id 'a' occurs twice \(record 2\)"):
        read_run(run)
    run = _write_lines(tmp_path / "u", [])
    (run / "records.jsonl").write_bytes(b'{"id": "\xff"}\n')
    with pytest.raises(DataError, match=r"u/records\.jsonl line 1: not UTF-8 text"):
        read_run(run)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"limit": "lots"}, r"field 'limit' must be an integer or null, got 'lots'"),
        ({"task": 3}, r"field 'task' must be a string or null, got 3"),
        ({"model": {"seed": "3"}}, r"field 'model\.seed' must be an integer or null, got '3'"),
        ({"decoding": {"num_beams": True}}, r"field 'decoding\.num_beams' must be an integer"),
        ({"representations": "yes"}, r"field 'representations' must be true, false or null"),
        ({"command": "evalsuite score"}, r"field 'command' must be a list of strings or null"),
        ({"model": []}, r"field 'model' must be an object or null, got \[\]"),
    ],
)
def test_a_manifest_field_of_the_wrong_type_is_one_line(tmp_path, cli, manifest, message) -> None:
    run = write_run(tmp_path / "r", [record(1)])
    (run / "manifest.json").write_text(json.dumps({"task": "arith", **manifest}))
    with pytest.raises(DataError, match=r"r/manifest\.json: " + message):
        read_run(run)
    result = cli("metrics", run)
    assert result.code == 2 and result.err.count("\n") == 1 and "Traceback" not in result.err
    assert "manifest.json: field" in result.err


def test_unknown_fields_survive_a_round_trip(tmp_path) -> None:
    line = {
        "id": "a", "gold": "1", "correct": True, "future": {"x": [1, 2]},
        "teacher": {"rationale": "r", "label": "1", "answer": "1", "score": 0.5},
        "paths": [{"kind": "cot", "answer": "1", "ok": True, "tokens": 7}],
    }  # fmt: skip
    record_ = Record.from_json(line, "x")
    assert record_.extra == {"future": {"x": [1, 2]}}
    assert record_.teacher is not None and record_.teacher.extra == {"score": 0.5}
    assert record_.paths is not None and record_.paths[0].extra == {"tokens": 7}
    written = record_.to_json()
    for key, value in line.items():
        if key != "paths":
            assert written[key] == value
    assert written["paths"][0]["tokens"] == 7
    # through the writer and the reader, with an unknown manifest field too
    run = tmp_path / "run"
    writer = RunWriter(run, {"task": "arith", "split": "test", "made_by": "someone"})
    writer.append([line])
    writer.finish(["a"])
    loaded = read_run(run)
    assert loaded.records == [record_]
    assert loaded.manifest.extra == {"made_by": "someone"}
    assert json.loads((run / "manifest.json").read_text())["made_by"] == "someone"


def test_a_teacher_without_answer_reads_its_label() -> None:
    # Schema-1 readers used the label when a teacher block had no "answer"; so does this one.
    base = {"id": "a", "gold": "1", "correct": True}
    assert Record.from_json({**base, "teacher": {"label": "2"}}, "x").teacher_answer == "2"
    null = {"id": "a", "gold": "1", "correct": True, "teacher": {"label": "2", "answer": None}}
    assert Record.from_json(null, "x").teacher_answer is None  # unreadable label: no agreement


def test_writer_writes_schema_2_and_resumes_over_a_torn_tail(tmp_path) -> None:
    run = tmp_path / "run"
    manifest = {"kind": "test", "task": "arith", "split": "test"}
    writer = RunWriter(run, manifest)
    writer.append([record(1), record(2)])
    assert json.loads((run / "manifest.json").read_text())["status"] == "partial"
    with (run / "records.jsonl").open("a") as handle:
        handle.write('{"id": "3", "gold": ')  # a writer killed mid-line
    resumed = RunWriter(run, manifest)
    assert resumed.done_ids == {"1", "2"}
    resumed.append([record(3), record(1)])  # an id already written is skipped
    resumed.finish(["3", "2", "1"], {"n": 3})
    loaded = read_run(run)
    assert [r.id for r in loaded.records] == ["3", "2", "1"]
    assert loaded.manifest.schema_version == SCHEMA_VERSION == 2 and loaded.manifest.version == 2
    assert loaded.complete and loaded.manifest.n_examples == 3 and loaded.metrics == {"n": 3}
    with pytest.raises(UsageError, match=r"existing run differs in 'task' \('arith' vs 'svamp'\)"):
        RunWriter(run, {**manifest, "task": "svamp"})


def test_writer_validates_records_given_as_json(tmp_path) -> None:
    writer = RunWriter(tmp_path / "run", {"task": "arith"})
    with pytest.raises(DataError, match=r"new record 1: field 'confidence' must be a number"):
        writer.append([{"id": "a", "gold": "1", "correct": True, "confidence": "high"}])


def test_a_manifest_without_schema_version_is_schema_1() -> None:
    assert Manifest.from_json({"task": "arith"}, "m").version == 1
    assert Manifest.from_json({"schema_version": 2}, "m").version == 2
