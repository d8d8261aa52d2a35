"""The report reuses a run's metrics.json where it is the summary the report would compute, and
recomputes it where it is not (other seed, other confidence variant, written before summaries
recorded their settings, records changed since).

Regression: the report summarised every run again although scoring had just written the same
summary to metrics.json (issue 15, "a summary is not computed twice").
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import evalsuite.metrics.summary as summary_module
from evalsuite.metrics.summary import SUMMARY_VERSION, summarize_run
from evalsuite.report.build import ReportConfig, build_report
from evalsuite.report.runs import read_runs
from evalsuite.runs import RunWriter
from tests.metrics.runs import record

SENTINEL = 0.4321
"""An accuracy no run here has (each is right on 60 of 100): only a reused metrics.json shows it."""


def scored_run(root: Path, metrics: dict[str, Any] | None = None) -> Path:
    """A finished student run right on 60 of 100 examples, with ``metrics`` as its metrics.json
    (default: its true summary with the accuracy replaced by :data:`SENTINEL`)."""
    records = [
        record(i, gold="1", correct=i < 60, confidence=0.8 if i % 2 else 0.6) for i in range(100)
    ]
    if metrics is None:
        true = summarize_run(records)
        metrics = {**true, "accuracy": {**true["accuracy"], "value": SENTINEL}}
    manifest = {"name": "dss", "kind": "student", "task": "arith", "split": "test",
                "model": {"path": "/ckpt/dss", "recipe": "dss"}}  # fmt: skip
    writer = RunWriter(root / "dss", manifest)
    writer.append(records)
    writer.finish([r["id"] for r in records], metrics=metrics)
    return root / "dss"


def report_accuracy(run: Path, out: Path, **config: Any) -> float:
    """The accuracy of the run in report.json's summaries and in its main table's cell."""
    options = {"figures": False, "mi_estimators": (), **config}
    build_report(read_runs([run]), out, ReportConfig(**options))
    document = json.loads((out / "report.json").read_text())
    (cell,) = document["main"]["cells"]
    summary = document["summaries"][str(run.name)]
    assert cell["value"] == pytest.approx(100 * summary["accuracy"]["value"])
    return float(summary["accuracy"]["value"])


def test_the_report_shows_the_runs_metrics_json_without_summarising_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = scored_run(tmp_path)

    def no_summary(*_: Any, **__: Any) -> None:
        raise AssertionError("summarize_run called although metrics.json is current")

    monkeypatch.setattr(summary_module, "summarize_run", no_summary)
    assert report_accuracy(run, tmp_path / "report") == SENTINEL


@pytest.mark.parametrize(
    "config",
    [{"seed": 1}, {"confidence": "normalized"}],
    ids=["other seed", "other confidence variant"],
)
def test_a_summary_made_with_other_settings_is_recomputed(
    tmp_path: Path, config: dict[str, Any]
) -> None:
    assert report_accuracy(scored_run(tmp_path), tmp_path / "report", **config) == 0.6


def test_a_metrics_json_without_settings_or_of_another_version_is_recomputed(
    tmp_path: Path,
) -> None:
    """A metrics.json written before summaries recorded their settings (a schema-1 run's), or by
    another summary version, is not the summary this version computes."""
    records = [record(i, correct=i < 60, confidence=0.7) for i in range(100)]
    true = summarize_run(records)
    marked = {**true, "accuracy": {**true["accuracy"], "value": SENTINEL}}
    old = {k: v for k, v in marked.items() if k != "settings"}
    other = {**marked, "settings": {"version": SUMMARY_VERSION + 1, "seed": 0}}
    for name, metrics in (("old", old), ("other", other)):
        run = scored_run(tmp_path / name, metrics)
        assert report_accuracy(run, tmp_path / f"report-{name}") == 0.6, name


def test_records_changed_after_metrics_json_are_summarised_again(tmp_path: Path) -> None:
    run = scored_run(tmp_path)
    later = (run / "metrics.json").stat().st_mtime_ns + 10**9
    os.utime(run / "records.jsonl", ns=(later, later))
    assert report_accuracy(run, tmp_path / "report") == 0.6
    # the same count of records with another count right: not this summary whatever its time
    lines = (run / "records.jsonl").read_text().splitlines()
    flipped = json.loads(lines[0]) | {"correct": False, "answer": "0", "prediction": "0"}
    (run / "records.jsonl").write_text("\n".join([json.dumps(flipped), *lines[1:]]) + "\n")
    os.utime(run / "metrics.json", ns=(later + 10**9, later + 10**9))
    assert report_accuracy(run, tmp_path / "report2") == 0.59


def test_summaries_record_their_settings() -> None:
    records = [record(i, correct=i < 3, confidence=0.7) for i in range(5)]
    assert summarize_run(records)["settings"] == {"version": SUMMARY_VERSION, "seed": 0}
    assert summarize_run(records, rng=7)["settings"]["seed"] == 7
    assert summarize_run(records, rng=None)["settings"]["seed"] is None
