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
            ("standard", "arith"): Cell(50.24, (47.2, 53.3)),
            ("dss_seed_1", "arith"): Cell(61.0, (58.1, 63.9), significant=True),
            ("teacher", "arith"): Cell(58.0),
            ("standard", "svamp"): Cell(40.0, sd=6.0),
            ("dss_seed_1", "svamp"): Cell(40.0, sd=5.0),
        },
        footnote="† better than standard, paired bootstrap, p < 0.05",
    )


def test_latex_rows_bold_best_and_dagger() -> None:
    latex = render_latex(_table())
    assert (
        r"standard & \shortstack{50.2\\{\scriptsize [47.2, 53.3]}} & "
        r"\shortstack{\textbf{40.0}\\{\scriptsize (sd 6.0)}} \\"
    ) in latex
    assert (
        r"dss\_seed\_1 & \shortstack{\textbf{61.0}$^\dagger$\\{\scriptsize [58.1, 63.9]}} & "
        r"\shortstack{\textbf{40.0}\\{\scriptsize (sd 5.0)}} \\"
    ) in latex
    assert r"teacher & 58.0 & -- \\" in latex
    assert r"\toprule" in latex and r"\bottomrule" in latex
    assert r"$^\dagger$ better than standard" in latex


def test_markdown_shows_the_same_numbers() -> None:
    markdown = render_markdown(_table())
    assert "| standard | 50.2 [47.2, 53.3] | **40.0** (sd 6.0) |" in markdown
    assert "| dss_seed_1 | **61.0**<sup>†</sup> [58.1, 63.9] | **40.0** (sd 5.0) |" in markdown
    assert "| teacher | 58.0 | – |" in markdown
    assert "±" not in markdown


def _ranked_table() -> Table:
    """A partial student with the highest value, a full student, and a higher teacher."""
    return Table(
        caption="Accuracy",
        label="tab:ranked",
        rows=["partial", "full"],
        reference_rows=["teacher"],
        columns=["svamp"],
        cells={
            ("partial", "svamp"): Cell(60.0, (23.1, 88.2), mark="p", ranked=False),
            ("full", "svamp"): Cell(40.0, (33.5, 46.9)),
            ("teacher", "svamp"): Cell(99.0, (97.2, 99.8)),
        },
    )


def test_best_is_the_best_ranked_student_not_a_partial_run_or_the_teacher() -> None:
    table = _ranked_table()
    assert table.best_rows("svamp") == {"full"}
    markdown = render_markdown(table)
    assert "| partial | 60.0<sup>p</sup> [23.1, 88.2] |" in markdown
    assert "| full | **40.0** [33.5, 46.9] |" in markdown
    # the teacher comes after a separating row and is never bold
    assert markdown.index("| *reference* |") < markdown.index("| teacher | 99.0 [97.2, 99.8] |")
    latex = render_latex(table)
    assert latex.count(r"\midrule") == 2  # under the header, and above the teacher
    assert r"teacher & \shortstack{99.0\\{\scriptsize [97.2, 99.8]}} \\" in latex
    assert r"partial & \shortstack{60.0\textsuperscript{p}" in latex


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
    source.write_text(latex_document([render_latex(_table()), render_latex(_ranked_table())]))
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "tables.pdf").stat().st_size > 1000
