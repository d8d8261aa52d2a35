"""Which run is what: method from the manifest, --method, or the name; seeds; row labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalsuite.errors import DataError, UsageError
from evalsuite.report.runs import (
    describe_runs,
    parse_method_overrides,
    read_runs,
    run_method,
    run_seed,
)
from evalsuite.runs import Manifest
from tests.report.test_report import write_student


def _manifest(doc: dict) -> Manifest:
    return Manifest.from_json(doc, "manifest.json")


def test_method_and_seed_from_the_manifest() -> None:
    student = _manifest({"kind": "student", "seed": 7, "model": {"recipe": "mi", "seed": 3}})
    assert run_method(student) == "mi"
    assert run_seed(student) == 3  # the model's training seed, not the decoding seed (7)
    assert run_method(_manifest({"kind": "teacher", "model": {"name": "teacher"}})) == "teacher"
    assert (
        run_method(_manifest({"kind": "predictions", "model": {"predictions_file": "x"}})) is None
    )
    assert run_seed(_manifest({"kind": "student", "model": {"recipe": "mi"}})) is None
    with pytest.raises(DataError, match=r"manifest\.json: field 'model\.seed' must be an integer"):
        _manifest({"model": {"seed": True}})


def test_parse_method_overrides() -> None:
    assert parse_method_overrides(["runs/a=b=c", " x = gpt "]) == {"runs/a=b": "c", "x": "gpt"}
    with pytest.raises(UsageError, match="--method 'x=': expected RUN=METHOD"):
        parse_method_overrides(["x="])
    with pytest.raises(UsageError, match="run 'x' is given twice"):
        parse_method_overrides(["x=a", "x=b"])


def test_order_labels_and_fallbacks(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    paths = [
        write_student(a, "teacher", {0}, n=4, method=None, kind="teacher", confident=False),
        write_student(a, "d2", {0}, n=4, method="dss", seed=2),
        write_student(a, "gpt", {0}, n=4, method=None, kind="predictions"),
        write_student(a, "d1", {0}, n=4, method="dss", seed=1),
        write_student(a, "std", {0}, n=4, method="standard"),
        write_student(b, "std", {1}, n=4, method="standard"),  # same name, other directory
        write_student(a, "pred", {0}, n=4, method=None, kind="predictions"),
    ]
    described = describe_runs(read_runs(paths), methods={"pred": "llm"})
    table = [(r.label, r.method, r.method_from) for r in described]
    assert table == [
        (f"standard [{a / 'std'}]", "standard", "manifest"),
        (f"standard [{b / 'std'}]", "standard", "manifest"),
        ("dss seed 1", "dss", "manifest"),
        ("dss seed 2", "dss", "manifest"),
        ("teacher", "teacher", "manifest"),
        ("gpt", "gpt", "name"),
        ("llm", "llm", "--method"),
    ]


def test_refusals(tmp_path: Path) -> None:
    run = write_student(tmp_path, "x", {0}, n=4, method="dss")
    with pytest.raises(UsageError, match="no runs given"):
        read_runs([])
    with pytest.raises(UsageError, match="'y' is not one of the runs given"):
        describe_runs(read_runs([run]), methods={"y": "z"})
    (run / "manifest.json").write_text('{"kind": "student", "split": "test"}')
    with pytest.raises(DataError, match=r"x/manifest.json: field 'task' is missing"):
        describe_runs(read_runs([run]))
