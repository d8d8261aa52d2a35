"""The metric registry: a metric added there alone shows in `evalsuite metrics`, the report's
calibration table and the explorer's overview."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evalsuite.metrics.registry import CALIBRATION_METRICS, RATE_METRICS, CalibrationMetric
from evalsuite.report import explorer as ex
from evalsuite.report.build import ReportConfig, build_report
from evalsuite.runs import read_run
from tests.metrics.runs import record, write_run

OVERCONFIDENCE = CalibrationMetric(
    name="overconfidence",
    label="overconfidence (conf - acc)",
    short="overconf.",
    higher_is_better=False,
    compute=lambda x: float(x.y_prob.mean() - x.y_true.mean()),
    description="mean confidence minus accuracy",
    headline=True,
)


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """Written before the metric is registered, so its metrics.json lacks it."""
    confidences = [0.9, 0.8, 0.7, 0.6]
    records = [record(i, correct=i < 2, confidence=c) for i, c in enumerate(confidences)]
    return write_run(tmp_path / "run", records)


EXPECTED = (0.9 + 0.8 + 0.7 + 0.6) / 4 - 2 / 4  # by hand: mean confidence 0.75, accuracy 0.5


def test_a_registered_metric_shows_everywhere(cli, run: Path, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(CALIBRATION_METRICS, OVERCONFIDENCE.name, OVERCONFIDENCE)

    table = cli("metrics", run)
    assert table.code == 0, table.err
    line = next(li for li in table.out.splitlines() if "overconfidence (conf - acc)" in li)
    assert line.split()[-1] == f"{EXPECTED:.3f}"
    assert json.loads(cli("metrics", run, "--json").out)["calibration"]["overconfidence"] == (
        pytest.approx(EXPECTED)
    )

    report = build_report([read_run(run)], tmp_path / "report", ReportConfig(mi_estimators=()))
    calibration = report.calibration
    assert calibration is not None and "overconf." in calibration.columns
    assert calibration.cells[("run", "overconf.")].value == pytest.approx(EXPECTED)
    assert calibration.higher_is_better["overconf."] is False
    assert "overconf.: mean confidence minus accuracy" in (calibration.footnote or "")
    summary_md = (tmp_path / "report" / "summary.md").read_text(encoding="utf-8")
    assert "overconf." in summary_md
    assert report.document["calibration"][0]["overconfidence"] == pytest.approx(EXPECTED)

    items = {i.label: i for i in ex.overview_items(ex.load_run(run).summary)}
    assert items["overconf."].value == f"{EXPECTED:.3f}"
    assert "lower is better" in items["overconf."].detail


def test_the_registry_lists_the_summary_keys() -> None:
    """Every registered metric is a key of the summary, and the contract's keys are all there."""
    from evalsuite.metrics.summary import summarize_run

    records = [record(i, correct=i % 2 == 0, confidence=0.6) for i in range(6)]
    summary = summarize_run(records)
    assert set(RATE_METRICS) <= set(summary)
    assert set(CALIBRATION_METRICS) <= set(summary["calibration"])
    assert summary["calibration"]["mean_confidence"] == pytest.approx(0.6)
    assert summary["calibration"]["brier"] == pytest.approx(np.mean([0.4**2, 0.6**2]))


def test_an_unknown_metric_is_refused() -> None:
    from evalsuite.errors import UsageError

    with pytest.raises(UsageError, match="unknown calibration metric 'x'; choose from ece, ece_15"):
        CALIBRATION_METRICS["x"]
