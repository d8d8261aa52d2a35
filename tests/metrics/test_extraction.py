"""Runs whose answers mostly could not be read say so: in `evalsuite metrics` (one stderr line)
and at the top of the report (summary.md, the main table's note, report.json).

The runs are imported predictions as a large model writes them, so the whole path is exercised:
the answer forms read the readable ones, the rest are extraction failures that count.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.data import load_examples
from evalsuite.metrics.extraction import EXTRACTION_FAILURE_WARNING_ABOVE, extraction_warning
from evalsuite.runs import read_run
from evalsuite.tasks import get_task

N = 10
READABLE = ("#### {v}", "The answer is {v}.", "$\\boxed{{{v}}}$", "**{v}**", "${v:,}")


def _import(tmp_path: Path, cli, name: str, n_unreadable: int) -> Path:
    """A run of N arith predictions, each the gold value in a large model's form, except the
    first ``n_unreadable``, which state no answer."""
    task = get_task("arith")
    lines = []
    for i, example in enumerate(load_examples(task, "test")[:N]):
        gold = task.normalized_gold(example)
        assert gold is not None
        value = int(float(gold)) if float(gold).is_integer() else float(gold)
        text = (
            "Let me think about this step by step."
            if i < n_unreadable
            else READABLE[i % len(READABLE)].format(v=value)
        )
        lines.append(json.dumps({"id": example.id, "prediction": text}))
    path = tmp_path / f"{name}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / name
    result = cli("import-predictions", path, "--task", "arith", "--out", out)
    assert result.code == 0, result.err
    return out


def test_the_threshold_is_strictly_above_20_percent() -> None:
    assert EXTRACTION_FAILURE_WARNING_ABOVE == 0.20
    at = {"extraction_failure": {"value": 0.2, "k": 2, "n": 10}}
    above = {"extraction_failure": {"value": 0.3, "k": 3, "n": 10}}
    assert extraction_warning("r", at) is None
    line = extraction_warning("r", above)
    assert line is not None and "\n" not in line
    assert line.startswith("warning: run r: no answer could be read from 3 of 10 outputs (30.0 %")
    assert extraction_warning("r", {"extraction_failure": {"value": None, "k": 0, "n": 0}}) is None


@pytest.mark.parametrize(("n_unreadable", "warned"), [(3, True), (2, False), (0, False)])
def test_metrics_warns_in_one_stderr_line_above_20_percent(tmp_path, cli, n_unreadable, warned):
    run = _import(tmp_path, cli, "big-model", n_unreadable)
    records = read_run(run).records
    assert sum(r.extraction_failed for r in records) == n_unreadable
    # Every readable form was read, and read right: the failures are the only wrong answers.
    assert sum(r.correct for r in records) == N - n_unreadable
    for args in ((), ("--json",)):
        result = cli("metrics", run, *args)
        assert result.code == 0, result.err
        warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
        if warned:
            assert warnings == [
                f"warning: run big-model: no answer could be read from {n_unreadable} of {N} "
                f"outputs ({100 * n_unreadable / N:.1f} %, more than 20 %); they count as wrong, "
                "and the accuracy says more about the output format than the model "
                "(records.jsonl: extraction.matched is false)"
            ]
        else:
            assert warnings == []
        if args:
            assert json.loads(result.out)["extraction_failure"]["k"] == n_unreadable


def test_the_report_puts_the_warning_first(tmp_path, cli):
    bad = _import(tmp_path, cli, "unreadable", 8)
    good = _import(tmp_path, cli, "readable", 1)
    out = tmp_path / "report"
    result = cli(
        "report", bad, good, "--out", out, "--method", "unreadable=big", "--method",
        "readable=small", "--mi-estimators", "none", "--no-figures",
    )  # fmt: skip
    assert result.code == 0, result.err
    expected = extraction_warning(
        "unreadable", {"extraction_failure": {"value": 0.8, "k": 8, "n": N}}
    )
    assert expected is not None
    assert expected in result.err
    summary = (out / "summary.md").read_text()
    lines = summary.splitlines()
    assert lines[0] == "# Report report" and lines[2].startswith("> **warning: run unreadable:")
    assert "8 of 10 outputs (80.0 %" in lines[2]
    assert summary.count("warning: run") == 1  # the readable run (10 %) is not named
    document = json.loads((out / "report.json").read_text())
    assert document["warnings"] == [expected]
    main_tex = (out / "tables" / "main.tex").read_text()
    assert "Warning: run unreadable: no answer could be read from 8 of 10" in main_tex


def test_a_report_without_failures_has_no_warning(tmp_path, cli):
    good = _import(tmp_path, cli, "readable", 0)
    out = tmp_path / "report"
    result = cli("report", good, "--out", out, "--mi-estimators", "none", "--no-figures")
    assert result.code == 0, result.err
    assert "warning" not in (out / "summary.md").read_text().lower()
    assert json.loads((out / "report.json").read_text())["warnings"] == []
