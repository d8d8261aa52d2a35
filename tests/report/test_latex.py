"""tables/all.tex compiles with pdflatex, and no box is more than 1 pt too wide.

Regression: the paths table ran 134 pt into the margin; the MI table (six estimators with their
intervals beside three rationale-quality columns) is wider still. The MI table is compiled by
tests/report/test_mi_table.py, on the every-estimator report it builds anyway (estimating MI is
the slow part of a report). Skipped, visibly, where pdflatex is not installed (CI installs
texlive-latex-base and texlive-latex-recommended).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from evalsuite.report.build import ReportConfig, build_report
from evalsuite.report.runs import read_runs
from tests.report.fixture_runs import write_fixture_runs

OVERFULL = re.compile(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)")


def overfull_boxes(log: str) -> list[float]:
    """How far each overfull hbox of a LaTeX log runs over, in pt."""
    return [float(points) for points in OVERFULL.findall(log)]


def test_overfull_boxes_are_read_from_the_log() -> None:
    log = "Overfull \\hbox (134.2pt too wide) in paragraph\nOverfull \\hbox (0.5pt too wide)"
    assert overfull_boxes(log) == [134.2, 0.5]


NO_PDFLATEX = pytest.mark.skipif(
    shutil.which("pdflatex") is None, reason="pdflatex is not installed"
)


def assert_all_tex_compiles(tables: Path) -> None:
    """``tables/all.tex`` compiles with pdflatex, with no box more than 1 pt too wide."""
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "all.tex"],
        cwd=tables, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    log = (tables / "all.log").read_text(errors="replace")
    assert done.returncode == 0, log[-2000:]
    assert (tables / "all.pdf").is_file()
    too_wide = [points for points in overfull_boxes(log) if points > 1.0]
    assert too_wide == [], [line for line in log.splitlines() if "Overfull" in line]


@NO_PDFLATEX
def test_all_tex_compiles_without_overfull_boxes(tmp_path: Path) -> None:
    runs = write_fixture_runs(tmp_path / "runs")
    paths = [runs / name for name in ("failed", "paths", "socratic")]
    out = tmp_path / "report"
    build_report(read_runs(paths), out, ReportConfig(figures=False, n_resamples=200))
    assert (out / "tables" / "paths.tex").is_file()
    assert_all_tex_compiles(out / "tables")
