"""The report's calibration table: intervals on ECE, smECE and Brier, the debiased ECE, and the
ECE after a temperature fitted on the checkpoint's validation run, n/a without one."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from evalsuite.analysis.calibration import temperature_scaling
from evalsuite.metrics.calibration import debiased_calibration_error
from evalsuite.report.build import ReportConfig, build_report
from evalsuite.report.calibration_table import SCALED_ECE
from evalsuite.report.runs import read_runs
from evalsuite.runs import read_run
from tests.metrics.runs import simulated_records, write_run


def _run(root: Path, name: str, *, split: str, seed: int, model_hash: str) -> Path:
    records = simulated_records(
        200, accuracy=0.7, rng=np.random.default_rng(seed), calibrated=False
    )
    return write_run(root / name, records, split=split, model_hash=model_hash)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("cal")
    paths = {
        "a-test": _run(root, "a-test", split="test", seed=0, model_hash="aa" * 32),
        "a-valid": _run(root, "a-valid", split="valid", seed=1, model_hash="aa" * 32),
        "b-test": _run(root, "b-test", split="test", seed=2, model_hash="bb" * 32),
    }
    config = ReportConfig(figures=False, mi_estimators=(), n_resamples=200)
    result = build_report(read_runs(list(paths.values())), root / "report", config)
    return paths, result


def _row(result, run: str) -> str:
    entry = next(e for e in result.document["calibration"] if e["run"] == run)
    return entry["label"]


def test_the_validation_run_calibrates_its_test_run_and_is_no_row(built) -> None:
    paths, result = built
    assert [e["run"] for e in result.document["calibration"]] == ["a-test", "b-test"]
    table = result.calibration
    expected = temperature_scaling(read_run(paths["a-test"]), read_run(paths["a-valid"]))
    scaled = table.cells[(_row(result, "a-test"), SCALED_ECE)]
    assert scaled.value == expected.ece_scaled
    assert expected.scaler.fitted_on == "valid" and expected.ece_scaled < expected.ece_raw
    assert f"T = {expected.scaler.temperature:.2f} on 200 valid examples" in table.footnote


def test_without_a_validation_run_the_scaled_ece_is_na(built) -> None:
    _, result = built
    cell = result.calibration.cells[(_row(result, "b-test"), SCALED_ECE)]
    assert math.isnan(cell.value)
    entry = next(e for e in result.document["calibration"] if e["run"] == "b-test")
    assert entry["temperature_scaling"] == "n/a (no validation run)"
    assert "n/a (no validation run)" in result.calibration.footnote
    tex = (result.out / "tables" / "calibration.tex").read_text()
    assert tex.count("& n/a") == 1  # b-test only


def test_intervals_on_ece_smece_and_brier(built) -> None:
    paths, result = built
    summary = result.document["summaries"]["a-test"]["calibration"]
    row = _row(result, "a-test")
    for column, key in (("ECE", "ece_interval"), ("smECE", "smooth_ece_interval"),
                        ("Brier", "brier_interval")):  # fmt: skip
        cell = result.calibration.cells[(row, column)]
        interval = summary[key]
        assert cell.interval == (interval["low"], interval["high"])
        assert interval["low"] <= cell.value <= interval["high"]
    records = read_run(paths["a-test"]).records
    debiased = debiased_calibration_error(
        [r.confidence for r in records], [r.correct for r in records]
    )
    assert result.calibration.cells[(row, "dECE")].value == pytest.approx(debiased)
