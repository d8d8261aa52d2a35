"""Tables render the numbers they are given, bold the best per column, and compile."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from evalsuite.report.tables import (
    Cell,
    Table,
    latex_document,
    latex_escape,
    render_latex,
    render_markdown,
)


def _table() -> Table:
    return Table(
        caption="Accuracy (%) on the test split",
        label="tab:main",
        rows=["standard", "dss_seed_1", "teacher"],
        columns=["arith", "svamp"],
        cells={
            ("standard", "arith"): Cell(50.24, 3.06),
            ("dss_seed_1", "arith"): Cell(61.0, 2.9, significant=True),
            ("teacher", "arith"): Cell(58.0),
            ("standard", "svamp"): Cell(40.0, 6.0),
            ("dss_seed_1", "svamp"): Cell(40.0, 5.0),
        },
        footnote="† better than standard, paired bootstrap, p < 0.05",
    )


def test_latex_rows_bold_best_and_dagger() -> None:
    latex = render_latex(_table())
    assert r"standard & 50.2 $\pm$ 3.1 & \textbf{40.0 $\pm$ 6.0} \\" in latex
    assert r"dss\_seed\_1 & \textbf{61.0 $\pm$ 2.9}$^\dagger$ & \textbf{40.0 $\pm$ 5.0} \\" in latex
    assert r"teacher & 58.0 & -- \\" in latex
    assert r"\toprule" in latex and r"\bottomrule" in latex
    assert r"$^\dagger$ better than standard" in latex


def test_markdown_shows_the_same_numbers() -> None:
    markdown = render_markdown(_table())
    assert "| standard | 50.2 ± 3.1 | **40.0 ± 6.0** |" in markdown
    assert "| dss_seed_1 | **61.0 ± 2.9**† | **40.0 ± 5.0** |" in markdown
    assert "| teacher | 58.0 | – |" in markdown


def test_lower_is_better_and_unranked_columns() -> None:
    table = Table(
        caption="Calibration",
        label="tab:cal",
        rows=["a", "b"],
        columns=["ECE", "mean confidence"],
        cells={
            ("a", "ECE"): Cell(0.2),
            ("b", "ECE"): Cell(0.1),
            ("a", "mean confidence"): Cell(0.9),
            ("b", "mean confidence"): Cell(0.8),
        },
        higher_is_better={"ECE": False, "mean confidence": None},
        digits=3,
    )
    assert table.best_rows("ECE") == {"b"}
    assert table.best_rows("mean confidence") == set()
    assert r"b & \textbf{0.100} & 0.800 \\" in render_latex(table)


def test_escape_covers_latex_specials() -> None:
    assert latex_escape("a_b & 5% #1 {x} ~ ^ $ \\") == (
        r"a\_b \& 5\% \#1 \{x\} \textasciitilde{} \textasciicircum{} \$ \textbackslash{}"
    )


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_rendered_tables_compile_with_pdflatex(tmp_path: Path) -> None:
    source = tmp_path / "tables.tex"
    source.write_text(latex_document([render_latex(_table())]))
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "tables.pdf").stat().st_size > 1000
