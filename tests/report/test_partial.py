"""Partial runs and reference runs in the report's tables, on hand-built runs.

Task ``arith``, split of 200 examples: ``dss`` is right on 3 of the first 5 only (a run scored
with ``--limit 5``: 60.0 %, Wilson [23.1, 88.2]), ``standard`` on 100 of 200 (50.0 %), ``single``
on 90 of 200, and the ``teacher`` on 190 of 200 (95.0 %). The best *student* is ``standard``:
the teacher is higher but a reference, and dss's 5 examples are not a result to rank.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.report.build import ReportConfig, build_report
from evalsuite.report.coverage import Coverage
from evalsuite.report.runs import read_runs
from evalsuite.runs import RunWriter
from tests.metrics.runs import record
from tests.report.test_report import write_student


def _limited(root: Path, name: str, k: int, n: int, limit: int) -> Path:
    """A student run scored with ``--limit``: its manifest records the limit."""
    records = [record(str(i), gold=str(i % 7), correct=i < k, confidence=0.8) for i in range(n)]
    manifest = {"name": name, "kind": "student", "task": "arith", "split": "test",
                "limit": limit, "model": {"path": f"/ckpt/{name}", "recipe": name}}  # fmt: skip
    writer = RunWriter(root / name, manifest)
    writer.append(records)
    writer.finish([r["id"] for r in records])
    return root / name


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("partial")
    runs = [
        _limited(root, "dss", 3, 5, limit=5),
        write_student(root, "standard", set(range(100)), n=200, method="standard"),
        write_student(root, "single", set(range(90)), n=200, method="single"),
        write_student(root, "teacher", set(range(190)), n=200, method=None, kind="teacher"),
    ]
    build_report(read_runs(runs), root / "report", ReportConfig(mi_estimators=()))
    return root / "report"


def _cells(report: Path) -> dict[str, dict]:
    document = json.loads((report / "report.json").read_text())
    return {c["method"]: c for c in document["main"]["cells"]}


def test_a_five_of_two_hundred_run_is_marked_partial_and_never_bold(report: Path) -> None:
    cells = _cells(report)
    assert cells["dss"]["partial"] is True and cells["dss"]["bold"] is False
    assert cells["dss"]["coverage"] == [{"n": 5, "of": 200, "limit": 5, "partial": True}]
    summary = (report / "summary.md").read_text()
    assert "| dss | 60.0<sup>p</sup> [23.1, 88.2] |" in summary
    assert (
        "p: partial run, not ranked (dss / arith: n = 5 of 200, scored with --limit 5)" in summary
    )
    tex = (report / "tables" / "main.tex").read_text()
    assert r"dss & \shortstack{60.0\textsuperscript{p}\\{\scriptsize [23.1, 88.2]}} \\" in tex
    # the runs list says it too, and report.json has the coverage of every run
    assert (
        "| dss | dss | arith | test | – | – | student | 5 of 200 (partial, --limit 5) |" in summary
    )
    facts = json.loads((report / "report.json").read_text())["manifest"]["runs"]
    assert {f["name"]: f["coverage"]["partial"] for f in facts} == {
        "dss": True,
        "standard": False,
        "single": False,
        "teacher": False,
    }


def test_every_table_marks_the_partial_run(report: Path) -> None:
    # the calibration table's rows are runs: dss's row is marked, never bold, and explained
    tex = (report / "tables" / "calibration.tex").read_text()
    row = next(line for line in tex.splitlines() if line.startswith("dss &"))
    assert row.count(r"\textsuperscript{p}") >= 3 and r"\textbf" not in row
    assert "p: partial run, not ranked (dss: n = 5 of 200, scored with --limit 5)" in tex
    for line in tex.splitlines():
        if line.startswith(("standard &", "single &")):
            assert r"\textsuperscript{p}" not in line


def test_the_best_student_is_bold_even_when_the_teacher_is_higher(report: Path) -> None:
    cells = _cells(report)
    assert cells["standard"]["bold"] is True
    assert cells["teacher"]["bold"] is False and cells["teacher"]["reference"] is True
    assert cells["teacher"]["value"] == pytest.approx(95.0)
    summary = (report / "summary.md").read_text()
    assert "| standard | **50.0** [43.1, 56.9] |" in summary
    assert summary.index("| *reference* |") < summary.index("| teacher | 95.0 [91.0, 97.3] |")
    assert "Bold: best student in each column" in summary


def test_no_symmetric_plus_minus_anywhere_in_the_report(report: Path) -> None:
    for path in report.rglob("*"):
        if path.is_file() and path.suffix in {".md", ".tex", ".json"}:
            text = path.read_text()
            assert "±" not in text and r"\pm" not in text and "+-" not in text, path


def test_coverage_of_a_run_the_limit_did_not_cut() -> None:
    # --limit 1000 on a 200-example split scores all of it: not partial
    assert not Coverage(200, 200, 1000).partial
    assert Coverage(199, 200, None).text == "n = 199 of 200"


def test_metrics_says_a_limited_run_is_partial(cli, tmp_path: Path) -> None:
    limited = _limited(tmp_path, "dss", 3, 5, limit=5)
    first = cli("metrics", limited).out.splitlines()[0]
    assert first == "run dss: 5 examples (partial: n = 5, scored with --limit 5)"
    whole = write_student(tmp_path, "standard", set(range(100)), n=200, method="standard")
    assert cli("metrics", whole).out.splitlines()[0] == "run standard: 200 examples"
