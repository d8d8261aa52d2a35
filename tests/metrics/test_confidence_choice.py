"""`--confidence answer|normalized|sequence`: which record confidence calibration uses, chosen in
the summary's inputs and said by `metrics`, `report`'s tables, summary.md and report.json.

Hand-built run: 10 records, right on the first 6. Every record's answer confidence is 0.6, its
whole-sequence confidence 0.001 and its length-normalised one 0.9. With one confidence for every
record, ECE (10 equal-width bins) is |accuracy - confidence|: 0.0 for the answer confidence,
0.599 for the sequence one and 0.3 for the normalised one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.metrics.summary import CONFIDENCE_FIELDS, summarize_run
from evalsuite.names import CONFIDENCE_VARIANTS
from evalsuite.runs import RunWriter
from tests.metrics.runs import record
from tests.metrics.test_commands import one_line_error


def _records(*, with_normalized: bool = True) -> list[dict]:
    records = []
    for i in range(10):
        r = record(str(i), correct=i < 6, confidence=0.6)
        r["sequence_confidence"] = 0.001
        r["sequence_confidence_normalized"] = 0.9 if with_normalized else None
        records.append(r)
    return records


def _write(root: Path, name: str, records: list[dict]) -> Path:
    manifest = {"name": name, "kind": "student", "task": "arith", "split": "test",
                "model": {"path": f"/ckpt/{name}", "recipe": "dss"}}  # fmt: skip
    writer = RunWriter(root / name, manifest)
    writer.append(records)
    writer.finish([r["id"] for r in records])
    return root / name


def test_the_registries_name_the_same_variants() -> None:
    assert list(CONFIDENCE_FIELDS) == list(CONFIDENCE_VARIANTS)


@pytest.mark.parametrize(
    ("variant", "field", "ece"),
    [
        ("answer", "confidence", 0.0),
        ("sequence", "sequence_confidence", 0.599),
        ("normalized", "sequence_confidence_normalized", 0.3),
    ],
)
def test_calibration_uses_the_chosen_confidence(variant: str, field: str, ece: float) -> None:
    summary = summarize_run(_records(), confidence=variant)  # type: ignore[arg-type]
    assert summary["confidence"] == {"variant": variant, "field": field, "n": 10}
    assert summary["calibration"]["ece"] == pytest.approx(ece, abs=1e-12)


def test_mean_confidence_is_the_chosen_one() -> None:
    means = {
        v: summarize_run(_records(), confidence=v)["calibration"]["mean_confidence"]  # type: ignore[arg-type]
        for v in CONFIDENCE_VARIANTS
    }
    assert means == pytest.approx({"answer": 0.6, "sequence": 0.001, "normalized": 0.9})


def test_a_run_lacking_the_variant_is_n_a_with_the_reason(cli, tmp_path: Path) -> None:
    run = _write(tmp_path, "r", _records(with_normalized=False))
    summary = summarize_run(_records(with_normalized=False), confidence="normalized")
    assert summary["calibration"] is None and summary["confidence"]["n"] == 0
    result = cli("metrics", run, "--confidence", "normalized")
    assert result.code == 0, result.err
    assert (
        "calibration: n/a, no record has a confidence of this kind: length-normalised sequence "
        "confidence ('sequence_confidence_normalized'), --confidence normalized"
    ) in result.out
    one_line_error(
        cli("metrics", run, "--confidence", "normalized", "--figures", tmp_path / "f"),
        r"--figures .*f: no record has a confidence of this kind \(--confidence normalized\)",
    )
    one_line_error(cli("metrics", run, "--confidence", "joint"), r"invalid choice: 'joint'")


def test_metrics_says_which_confidence_it_used(cli, tmp_path: Path) -> None:
    run = _write(tmp_path, "r", _records())
    result = cli("metrics", run, "--confidence", "sequence")
    assert "calibration of the whole-sequence confidence ('sequence_confidence')" in result.out
    lines = {line[:30].strip(): line[30:].strip() for line in result.out.splitlines()}
    assert lines["ECE, 10 equal-width bins"].startswith("0.599")
    doc = json.loads(cli("metrics", run, "--confidence", "sequence", "--json").out)
    assert doc["confidence"]["variant"] == "sequence"
    assert doc["calibration"]["ece"] == pytest.approx(0.599)


def test_report_tables_and_summary_say_which_confidence(cli, tmp_path: Path) -> None:
    run = _write(tmp_path, "r", _records())
    out = tmp_path / "report"
    result = cli("report", run, "--out", out, "--confidence", "normalized", "--no-figures",
                 "--mi-estimators", "none")  # fmt: skip
    assert result.code == 0, result.err
    document = json.loads((out / "report.json").read_text())
    assert document["manifest"]["config"]["confidence"] == "normalized"
    assert document["summaries"]["r"]["calibration"]["ece"] == pytest.approx(0.3)
    tex = (out / "tables" / "calibration.tex").read_text()
    assert r"\caption{Calibration of the length-normalised sequence confidence}" in tex
    summary = (out / "summary.md").read_text()
    assert "confidence normalized (length-normalised sequence confidence)" in summary
    one_line_error(
        cli("report", run, "--out", tmp_path / "x", "--confidence", "joint"),
        r"invalid choice: 'joint'",
    )
