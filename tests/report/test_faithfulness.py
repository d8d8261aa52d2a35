"""The report's faithfulness table and curves: probe runs of two students of known behaviour
(tests/probes/fakes.py), whose table must equal the probe runs' own summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.errors import UsageError
from evalsuite.probes.runner import ProbeConfig
from evalsuite.probes.summary import summarize_probes
from evalsuite.report.build import TABLES, ReportConfig, build_report
from evalsuite.report.runs import read_runs
from evalsuite.runs import RunWriter, read_run
from evalsuite.tasks import get_task
from tests.metrics.runs import record
from tests.probes.fakes import (
    ExecutingStudent,
    IgnoringStudent,
    chain_examples,
    execute,
    write_probe_run,
)

PROBES = ("early_answering", "corrupted_step", "filler")
EXAMPLES, RATIONALES = chain_examples(10)


def _probe_run(root: Path, name: str, student) -> Path:
    return write_probe_run(root, name, student, EXAMPLES, PROBES)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("faithfulness")
    answers = {e.input: execute(RATIONALES[e.input]) for e in EXAMPLES}
    runs = [
        _write_scored(root),
        _probe_run(root, "executing", ExecutingStudent(RATIONALES)),
        _probe_run(root, "ignoring", IgnoringStudent(RATIONALES, answers)),
    ]
    result = build_report(read_runs(runs), root / "report", ReportConfig(mi_estimators=()))
    return root, result


def _write_scored(root: Path) -> Path:
    manifest = {"name": "single", "kind": "student", "task": "arith", "split": "test",
                "model": {"path": "/ckpt/single", "recipe": "single"}}  # fmt: skip
    writer = RunWriter(root / "single", manifest)
    writer.append([record(e.id, gold=e.gold, correct=True, answer="1") for e in EXAMPLES])
    writer.finish([e.id for e in EXAMPLES])
    return root / "single"


def test_the_table_is_one_of_the_reports_tables() -> None:
    assert "faithfulness" in [t.name for t in TABLES]


def test_probe_runs_are_no_rows_of_the_per_run_tables(report) -> None:
    _, result = report
    assert list(result.main.rows) == ["single"]
    assert [r["name"] for r in result.document["manifest"]["probe_runs"]] == [
        "executing",
        "ignoring",
    ]


def test_the_faithfulness_table_equals_the_probe_runs_own_summaries(report) -> None:
    root, result = report
    table = result.faithfulness
    assert table is not None
    assert list(table.columns) == ["AOC", "forced acc.", "full acc.", "changed"]
    for name in ("executing", "ignoring"):
        own = read_run(root / name).metrics  # metrics.json, as the probe run wrote it
        for probe, label, column, key in (
            ("early_answering", "early answering", "AOC", "aoc"),
            ("corrupted_step", "corrupted step", "AOC", "aoc"),
            ("filler", "filler", "forced acc.", "accuracy"),
            ("filler", "filler", "full acc.", "full_accuracy"),
            ("filler", "filler", "changed", "changed"),
        ):
            block = own["probes"][probe]
            cell = table.cells[(f"{name}: {label} (n={block['n_examples']})", column)]
            expected = block[key]
            assert cell.value == expected["value"]
            assert cell.interval == (expected["low"], expected["high"])
    numbers = result.document["faithfulness"]
    assert [n["probe"] for n in numbers if n["run"] == "ignoring"] == list(PROBES)
    assert next(n for n in numbers if n["run"] == "executing")["aoc"]["value"] == 1.0


def test_the_table_reads_as_the_students_behave(report) -> None:
    _, result = report
    cells = result.faithfulness.cells
    assert cells[("executing: early answering (n=10)", "AOC")].value == 1.0
    assert cells[("ignoring: early answering (n=10)", "AOC")].value == 0.0
    assert cells[("ignoring: filler (n=10)", "forced acc.")].value == 1.0
    tex = (result.out / "tables" / "faithfulness.tex").read_text()
    assert r"\label{tab:faithfulness}" in tex and "[" in tex  # intervals as [low, high]
    summary = (result.out / "summary.md").read_text()
    assert "**Faithfulness probes: does the answer depend on the rationale?**" in summary


def test_curves_one_line_per_student_with_bands(report) -> None:
    _, result = report
    files = result.document["files"]
    for probe in ("early_answering", "corrupted_step"):
        assert f"figures/{probe}.png" in files and f"figures/{probe}.pdf" in files
    from evalsuite.report.faithfulness import plot_probe_curves

    blocks = [(name, json.loads((result.out / "report.json").read_text())["faithfulness"])
              for name in ("executing", "ignoring")]  # fmt: skip
    curves = [(name, next(n for n in numbers if n["run"] == name and n["probe"] ==
                          "early_answering")) for name, numbers in blocks]  # fmt: skip
    figure = plot_probe_curves("early_answering", curves)
    axes = figure.axes[0]
    assert len(axes.lines) == 2 and len(axes.collections) == 2  # a band per line
    assert axes.lines[1].get_ydata().tolist() == [1.0] * 11  # the ignoring student


def test_a_report_of_probe_runs_alone_is_one_line(report, tmp_path: Path) -> None:
    root, _ = report
    with pytest.raises(UsageError, match="every run given is a probe run; add the scored runs"):
        build_report(read_runs([root / "executing"]), tmp_path / "r", ReportConfig())


def test_robustness_rows_one_per_noise_rate(tmp_path: Path) -> None:
    from evalsuite.probes.robustness import robustness_batch
    from evalsuite.scoring.decoding import DecodingConfig
    from tests.probes.fakes import SummingStudent
    from tests.probes.test_robustness import DSS, RATES
    from tests.probes.test_robustness import EXAMPLES as INPUTS

    student = SummingStudent([e.input for e in INPUTS], coherent=True)
    records = robustness_batch(student, get_task("arith"), DSS, INPUTS, rates=RATES, seed=0,
                               decoding=DecodingConfig(), max_new_tokens=16)  # fmt: skip
    config = ProbeConfig(probes=("robustness",))
    manifest = {"name": "dss-robust", "kind": "probe", "task": "arith", "split": "test",
                "model": {"recipe": "dss"}, "probe": config.block(None)}  # fmt: skip
    writer = RunWriter(tmp_path / "dss-robust", manifest)
    writer.append(records)
    ids = [e.id for e in INPUTS]
    writer.finish(ids, summarize_probes(writer.records(ids), ["robustness"], rng=0))
    scored = RunWriter(tmp_path / "dss", {"name": "dss", "kind": "student", "task": "arith",
                                          "split": "test", "model": {"recipe": "dss"}})  # fmt: skip
    scored.append(r.to_json() for r in records)
    scored.finish(ids)
    runs = read_runs([tmp_path / "dss", tmp_path / "dss-robust"])
    table = build_report(runs, tmp_path / "report", ReportConfig(mi_estimators=())).faithfulness
    own = read_run(tmp_path / "dss-robust").metrics["probes"]["robustness"]["rates"]
    assert list(table.rows) == [f"dss-robust: robustness equivalence at {r:.0%} (n=30)"
                                for r in RATES]  # fmt: skip
    for row, entry in zip(table.rows, own, strict=True):
        assert table.cells[(row, "agreement")].value == entry["agreement"]["value"] == 1.0
        assert table.cells[(row, "changed")].value == entry["label_changed"]["value"]
        assert table.cells[(row, "rationale changed")].interval == (
            entry["rationale_changed"]["low"], entry["rationale_changed"]["high"])  # fmt: skip
