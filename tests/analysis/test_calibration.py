"""ECE after temperature scaling: fitted on the checkpoint's validation run, never on test
(evalsuite.analysis.calibration and `evalsuite metrics --calibrate-on`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evalsuite.analysis.calibration import (
    NO_VALIDATION_RUN,
    temperature_scaling,
    validation_partners,
)
from evalsuite.errors import UsageError
from evalsuite.metrics.temperature import temperature_scaled_ece
from evalsuite.runs import read_run
from tests.metrics.runs import simulated_records, write_run
from tests.metrics.test_commands import one_line_error

HASH = "ab" * 32


def _overconfident(tmp_path: Path, name: str, *, split: str, seed: int, **kw: str) -> Path:
    records = simulated_records(
        300, accuracy=0.7, rng=np.random.default_rng(seed), calibrated=False
    )
    return write_run(tmp_path / name, records, split=split, **kw)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    test = _overconfident(tmp_path, "s-test", split="test", seed=0, model_hash=HASH)
    valid = _overconfident(tmp_path, "s-valid", split="valid", seed=1, model_hash=HASH)
    return test, valid


def _arrays(path: Path) -> tuple[list[float], list[bool]]:
    records = read_run(path).records
    return [float(r.confidence) for r in records], [r.correct for r in records]  # type: ignore[arg-type]


def test_the_temperature_is_fitted_on_valid_and_lowers_test_ece(pair: tuple[Path, Path]) -> None:
    test, valid = pair
    scaled = temperature_scaling(read_run(test), read_run(valid))
    expected = temperature_scaled_ece(
        *_arrays(valid), *_arrays(test), fit_split="valid", eval_split="test"
    )
    assert scaled.scaler.fitted_on == "valid" and scaled.split == "test"
    assert scaled.ece_scaled == expected.ece_scaled and scaled.ece_raw == expected.ece_raw
    assert scaled.scaler.temperature > 1  # the simulated confidences are over-confident
    assert scaled.ece_scaled < scaled.ece_raw


def test_a_test_run_is_refused_as_calibration_run(pair: tuple[Path, Path], tmp_path) -> None:
    test, _ = pair
    other = _overconfident(tmp_path, "t2", split="test", seed=2, model_hash=HASH)
    with pytest.raises(UsageError, match="run is on split 'test'; a temperature is fitted on"):
        temperature_scaling(read_run(test), read_run(other))


def test_another_checkpoints_valid_run_is_refused(pair: tuple[Path, Path], tmp_path) -> None:
    test, _ = pair
    other = _overconfident(tmp_path, "v2", split="valid", seed=2, model_hash="cd" * 32)
    with pytest.raises(UsageError, match="differs from s-test's"):
        temperature_scaling(read_run(test), read_run(other))


def test_valid_runs_pair_with_their_checkpoints_test_run(pair, tmp_path: Path) -> None:
    test, valid = pair
    lone = _overconfident(tmp_path, "lone-valid", split="valid", seed=3, model_hash="ef" * 32)
    runs = [read_run(p) for p in (test, valid, lone)]
    shown, partners = validation_partners(runs)
    assert [r.name for r in shown] == ["s-test", "lone-valid"]
    assert {name: r.name for name, r in partners.items()} == {"s-test": "s-valid"}


# -- evalsuite metrics --calibrate-on ------------------------------------------------------------
def test_metrics_shows_scaled_ece_only_with_a_validation_run(cli, pair) -> None:
    test, valid = pair
    plain = cli("metrics", test)
    assert plain.code == 0
    assert f"ECE after temperature scaling {NO_VALIDATION_RUN}" in plain.out
    calibrated = cli("metrics", test, "--calibrate-on", valid, "--json")
    assert calibrated.code == 0, calibrated.err
    doc = json.loads(calibrated.out)["temperature_scaling"]
    expected = temperature_scaling(read_run(test), read_run(valid))
    assert doc["ece_scaled"] == expected.ece_scaled and doc["fitted_on"] == "valid"
    table = cli("metrics", test, "--calibrate-on", valid).out
    assert f"{expected.ece_scaled:.3f}  (raw {expected.ece_raw:.3f}; T = " in table


def test_metrics_refuses_a_test_run_to_calibrate_on(cli, pair) -> None:
    test, _ = pair
    pattern = r"--calibrate-on .*s-test: run is on split 'test'; a temperature is fitted on the"
    one_line_error(cli("metrics", test, "--calibrate-on", test), pattern)
