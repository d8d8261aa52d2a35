"""The report's reasoning-paths table: each single path's accuracy next to the vote, by hand.

Run ``mixed`` has 10 records with one CoT and one PoT path each: CoT paths right on records 0-5,
PoT paths right on 0-3 and 6-7, programs failing on 8-9; the voted answer is right on 0-7.
So CoT 6/10, PoT 6/10, vote 8/10, PoT failures 2/10, and CoT-PoT agreement 4/10 (records 0-3;
on 4-7 one path is right and the other wrong, on 8-9 the program gave no answer).
Run ``socratic`` has one Socratic chain per record, right on 3 of 10.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from statsmodels.stats.proportion import proportion_confint

from evalsuite.report.build import ReportConfig, build_report
from evalsuite.report.runs import read_runs
from evalsuite.runs import RunWriter
from tests.metrics.runs import record


def _mixed_record(i: int) -> dict[str, Any]:
    cot_right, pot_right, failed = i < 6, i < 4 or i in (6, 7), i >= 8
    rec = record(f"m{i}", gold="7", correct=i < 8)
    rec["paths"] = [
        {"kind": "cot", "answer": "7" if cot_right else "5", "ok": True, "correct": cot_right},
        {
            "kind": "pot",
            "answer": None if failed else ("7" if pot_right else "6"),
            "ok": not failed,
            "correct": pot_right,
        },
    ]
    return rec


def _socratic_record(i: int) -> dict[str, Any]:
    rec = record(f"m{i}", gold="7", correct=i < 3)
    rec["paths"] = [{"kind": "socratic", "answer": rec["answer"], "ok": True, "correct": i < 3}]
    return rec


def _write(
    root: Path,
    name: str,
    records: list[dict[str, Any]],
    *,
    recipe: str | None = None,
    paths: str | None = None,
) -> Path:
    manifest = {"name": name, "kind": "student", "task": "arith", "split": "test",
                "model": {"path": f"/ckpt/{name}", "recipe": recipe or name},
                "decoding": {"paths": paths}}  # fmt: skip
    writer = RunWriter(root / name, manifest)
    writer.append(records)
    writer.finish([r["id"] for r in records])
    return root / name


def _wilson(k: int, n: int, *, bold: bool = False) -> str:
    """The LaTeX cell of k/n: the value over statsmodels' Wilson interval as [low, high]."""
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    value = f"{100 * k / n:.1f}"
    value = rf"\textbf{{{value}}}" if bold else value
    return rf"\shortstack{{{value}\\{{\scriptsize [{100 * low:.1f}, {100 * high:.1f}]}}}}"


def test_single_paths_and_the_vote_side_by_side(tmp_path: Path, cli) -> None:
    runs = [
        _write(tmp_path, "mixed", [_mixed_record(i) for i in range(10)]),
        _write(tmp_path, "socratic", [_socratic_record(i) for i in range(10)]),
        _write(tmp_path, "standard", [record(f"m{i}", gold="7", correct=i < 5) for i in range(10)]),
    ]
    result = build_report(read_runs(runs), tmp_path / "report", ReportConfig(mi_estimators=()))
    assert result.paths is not None
    assert list(result.paths.rows) == ["mixed", "socratic"]  # the standard run has no paths
    assert list(result.paths.columns) == [
        "CoT path", "PoT path", "Socratic chain", "vote", "PoT failures", "CoT-PoT agreement",
    ]  # fmt: skip
    tex = (tmp_path / "report" / "tables" / "paths.tex").read_text()
    mixed = next(line for line in tex.splitlines() if line.startswith("mixed &"))
    cells = [c.strip() for c in mixed.removesuffix(r"\\").split("&")[1:]]
    bold = [_wilson(k, 10, bold=True) for k in (6, 6, 8, 2)]  # best of each column
    assert cells == [
        bold[0],
        bold[1],
        "--",
        bold[2],
        bold[3],
        _wilson(4, 10),
    ]  # agreement: unranked
    socratic = next(line for line in tex.splitlines() if line.startswith("socratic &"))
    assert _wilson(3, 10) in socratic and socratic.count("--") == 4
    # the numbers are the `evalsuite metrics --json` paths block
    metrics = json.loads(cli("metrics", runs[0], "--json").out)
    document = json.loads((tmp_path / "report" / "report.json").read_text())
    entry = next(p for p in document["paths"] if p["run"] == "mixed")
    assert entry["voting_accuracy"] == metrics["paths"]["voting_accuracy"]
    assert entry["paths_per_record"] == "1 cot + 1 pot"
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert "**Reasoning paths: accuracy (%) of each single path and of the vote**" in summary
    assert "tables/paths.tex" in document["files"]
    assert r"\label{tab:paths}" in (tmp_path / "report" / "tables" / "all.tex").read_text()


def test_no_paths_no_table(tmp_path: Path) -> None:
    runs = [_write(tmp_path, "standard", [record(f"m{i}", correct=i < 5) for i in range(10)])]
    result = build_report(read_runs(runs), tmp_path / "report", ReportConfig(mi_estimators=()))
    assert result.paths is None and not (tmp_path / "report" / "tables" / "paths.tex").exists()
    assert json.loads((tmp_path / "report" / "report.json").read_text())["paths"] == []


def test_single_path_runs_of_a_mixed_student_are_methods_of_their_own(tmp_path: Path) -> None:
    """Scored with --paths cot / pot, one checkpoint gives runs that are not seeds of each other."""
    cot = [record(f"m{i}", gold="7", correct=i < 2) for i in range(10)]
    for r in cot:
        r["paths"] = [{"kind": "cot", "answer": r["answer"], "ok": True, "correct": r["correct"]}]
    runs = [
        _write(tmp_path, "a", [_mixed_record(i) for i in range(10)], recipe="mixed", paths="multi"),
        _write(tmp_path, "b", cot, recipe="mixed", paths="cot"),
    ]
    result = build_report(read_runs(runs), tmp_path / "report", ReportConfig(mi_estimators=()))
    assert list(result.main.rows) == ["mixed-cot", "mixed"]  # METHOD_ORDER: single paths first
    assert result.paths is not None and list(result.paths.rows) == ["mixed-cot", "mixed"]
    assert result.main.cells[("mixed-cot", "arith")].value == 20.0
