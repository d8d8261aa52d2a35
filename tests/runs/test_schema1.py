"""Run directories written by the previous release (schema 1, no ``schema_version``) still read,
give the metrics written with them, and round-trip byte for byte.

The fixtures under fixtures/schema1/ were made with main's code before this package existed
(see fixtures/schema1/README.md): a scored student with representations, a mixed student with
reasoning paths, and imported predictions with label probabilities.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evalsuite.metrics.summary import summarize_run
from evalsuite.runs import Record, read_run
from evalsuite.tasks import get_task

SCHEMA1 = Path(__file__).parent / "fixtures" / "schema1"
RUNS = ("student-arith", "mixed-arith", "predictions-esnli")


@pytest.mark.parametrize("name", RUNS)
def test_a_schema_1_run_reads_and_gives_the_same_metrics(name: str) -> None:
    run = read_run(SCHEMA1 / name)
    assert run.manifest.version == 1 and run.manifest.schema_version is None
    assert run.complete and len(run.records) == run.manifest.n_examples
    assert run.manifest.task is not None
    recomputed = summarize_run(run.records, same_answer=get_task(run.manifest.task).same_answer)
    # through JSON, as metrics.json was written: floats compare exactly. Keys added since
    # (e.g. rationale.skipped_kinds) are left out; every number written then must come back.
    assert _as_written(json.loads(json.dumps(recomputed)), run.metrics) == run.metrics


def _as_written(recomputed: object, written: object) -> object:
    """``recomputed`` restricted to the keys of ``written``, at every level of nesting."""
    if isinstance(recomputed, dict) and isinstance(written, dict):
        return {k: _as_written(v, written[k]) for k, v in recomputed.items() if k in written}
    return recomputed


@pytest.mark.parametrize("name", RUNS)
def test_a_schema_1_run_round_trips_byte_for_byte(name: str) -> None:
    lines = (SCHEMA1 / name / "records.jsonl").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines, start=1):
        record = Record.from_json(json.loads(line), f"line {i}")
        assert json.dumps(record.to_json(), ensure_ascii=False) == line
    manifest = json.loads((SCHEMA1 / name / "manifest.json").read_text())
    assert read_run(SCHEMA1 / name).manifest.to_json() == manifest


def test_schema_1_parts_read_as_typed_fields() -> None:
    student = read_run(SCHEMA1 / "student-arith")
    assert student.manifest.model is not None and student.manifest.model.recipe == "dss"
    assert student.manifest.training_seed is None  # schema 1 did not record it
    assert student.manifest.seed == 0 and student.manifest.decoding is not None
    reps = student.representations()
    assert reps is not None and list(reps.ids) == [r.id for r in student.records]
    assert reps.array("label_prompt_repr") is reps.array("label_encoder_repr")  # the alias
    mixed = read_run(SCHEMA1 / "mixed-arith")
    assert all(r.paths and len(r.paths) == 4 for r in mixed.records)
    assert mixed.manifest.decoding is not None and mixed.manifest.decoding.paths == "multi"
    predictions = read_run(SCHEMA1 / "predictions-esnli")
    assert all(r.label_probs is not None for r in predictions.records)
    # an answer outside the label set ("maybe") has no label-set confidence
    sources = {r.answer is not None: r.confidence_source for r in predictions.records}
    assert sources == {True: "label_set", False: None}


def test_metrics_and_report_read_schema_1_runs(cli, tmp_path: Path) -> None:
    result = cli("metrics", SCHEMA1 / "predictions-esnli", "--json")
    assert result.code == 0, result.err
    written = json.loads((SCHEMA1 / "predictions-esnli" / "metrics.json").read_text())
    shown = json.loads(result.out)
    assert shown["accuracy"] == written["accuracy"]
    assert shown["calibration"]["ece"] == written["calibration"]["ece"]
    runs = tmp_path / "runs"
    for name in ("student-arith", "mixed-arith"):
        shutil.copytree(SCHEMA1 / name, runs / name)
    report = cli("report", *sorted(runs.iterdir()), "--out", tmp_path / "report",
                 "--mi-estimators", "none", "--no-figures")  # fmt: skip
    assert report.code == 0, report.err
    summary = (tmp_path / "report" / "summary.md").read_text()
    # both fixtures were scored with --limit (8 and 4 examples): partial, and said so
    row = "| student-arith | dss | arith | test | – | 0 | student | 8 (partial, --limit 8) |"
    assert f"{row} complete |" in summary
