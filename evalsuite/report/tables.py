"""Result tables as data, rendered to LaTeX (booktabs) and Markdown from the same cells.

A table is a grid of cells keyed by (row, column). Rendering does no statistics: it formats the
numbers it is given, bolds the best ranked cell of each column and daggers the cells marked
significant, so the LaTeX a paper pastes and the summary.md a person reads cannot disagree.

A cell's interval is printed as its two ends, ``60.0 [23.1, 88.2]``, never as a symmetric ``±``
(Wilson and bootstrap intervals are not symmetric); a spread across seeds reads ``(sd 1.2)``.
Reference rows (the teacher) sit below the students, after a rule, and are never bold; a cell
that is not ranked (a partial run) carries a mark and is never bold either.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from evalsuite.formatting import interval_text

__all__ = [
    "Cell",
    "Table",
    "latex_document",
    "latex_escape",
    "markdown_escape",
    "render_latex",
    "render_markdown",
]

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",  # in OT1 text, < and > print as inverted ! and ?
    ">": r"\textgreater{}",
    "†": r"$^\dagger$",
    "±": r"$\pm$",
}


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters in plain text (run names, task names).

    >>> latex_escape("dss_seed-1 & 50%")
    'dss\\\\_seed-1 \\\\& 50\\\\%'
    """
    return "".join(_LATEX_SPECIALS.get(char, char) for char in text)


_MARKDOWN_SPECIALS = frozenset("\\`*[]<>~|")
"""Characters that start Markdown inline syntax or end a table cell; each is backslash-escaped."""
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
"""An underscore that can open or close emphasis; one inside a word (dss_seed_1) cannot."""


def markdown_escape(text: str) -> str:
    """Plain text (run, method, task names) as one line of Markdown that renders as itself.

    A ``|`` would end a table cell and a newline the table row, so names are escaped before they
    reach summary.md; line breaks become spaces. Underscores inside a word stay as they are.

    >>> print(markdown_escape("dss|v2\\nseed *1* _x_ dss_seed_1"))
    dss\\|v2 seed \\*1\\* \\_x\\_ dss_seed_1
    """
    one_line = " ".join(text.splitlines())
    escaped = "".join(f"\\{char}" if char in _MARKDOWN_SPECIALS else char for char in one_line)
    return _EDGE_UNDERSCORE.sub(r"\\_", escaped)


@dataclass(frozen=True)
class Cell:
    """One number with its interval or its spread across seeds, and how it may be ranked.

    Attributes
    ----------
    value : float
    interval : (low, high) or None
        Printed as ``[low, high]`` after the value; the table's note says which interval.
    sd : float or None
        Standard deviation across runs (seeds), printed ``(sd x)``.
    significant : bool
        Significantly better than the table's baseline (a dagger).
    mark : str or None
        A footnote mark printed as a superscript (e.g. ``p`` for a partial run).
    ranked : bool
        False: never bold, whatever its value (a run over fewer examples than the others).
    """

    value: float
    interval: tuple[float, float] | None = None
    sd: float | None = None
    significant: bool = False
    mark: str | None = None
    ranked: bool = True


@dataclass(frozen=True)
class Table:
    """A grid of cells with its caption and the conventions needed to read it.

    Attributes
    ----------
    rows, columns : sequence of str
        Row names (methods, runs) and column names (tasks, metrics), in display order.
    reference_rows : sequence of str
        Rows shown after the others, below a rule, and never bold (the teacher, other
        reference systems): the best mark goes to the best of ``rows``.
    cells : mapping
        ``(row, column) -> Cell``; a missing key is shown as an en dash.
    higher_is_better : mapping
        Per column: True (accuracy), False (ECE, Brier) or None (do not bold anything).
    digits : int
        Decimal places of every number.
    footnote : str or None
        Printed under the table (names the test and alpha behind the daggers).
    """

    caption: str
    label: str
    rows: Sequence[str]
    columns: Sequence[str]
    cells: Mapping[tuple[str, str], Cell]
    higher_is_better: Mapping[str, bool | None] = field(default_factory=dict)
    digits: int = 1
    footnote: str | None = None
    reference_rows: Sequence[str] = ()

    def best_rows(self, column: str) -> set[str]:
        """Rows holding the best ranked value of ``column`` (ties all count); empty if the
        column is not ranked. Reference rows and cells with ``ranked=False`` never count."""
        direction = self.higher_is_better.get(column, True)
        values = {
            row: round(cell.value, self.digits)
            for row in self.rows
            if (cell := self.cells.get((row, column))) is not None
            and cell.ranked
            and math.isfinite(cell.value)
        }
        if direction is None or not values:
            return set()
        best = max(values.values()) if direction else min(values.values())
        return {row for row, value in values.items() if value == best}


def _number(value: float, digits: int) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.{digits}f}"


def _cell_text(cell: Cell | None, digits: int, *, bold: bool, latex: bool) -> str:
    if cell is None:
        return "--" if latex else "–"
    value = _number(cell.value, digits)
    value = (rf"\textbf{{{value}}}" if latex else f"**{value}**") if bold else value
    if latex:
        value += r"$^\dagger$" if cell.significant else ""
        value += rf"\textsuperscript{{{latex_escape(cell.mark)}}}" if cell.mark else ""
    else:
        marks = ("†" if cell.significant else "") + (cell.mark or "")
        value += f"<sup>{marks}</sup>" if marks else ""
    extra = ""
    if cell.interval is not None and all(math.isfinite(end) for end in cell.interval):
        extra = interval_text(*cell.interval, digits=digits)
    elif cell.sd is not None and math.isfinite(cell.sd):
        extra = f"(sd {_number(cell.sd, digits)})"
    if extra and latex:  # the interval under the value keeps the columns narrow
        return rf"\shortstack{{{value}\\{{\scriptsize {extra}}}}}"
    return f"{value} {extra}" if extra else value


def _row_groups(table: Table) -> list[list[str]]:
    """The rows, then the reference rows, as the groups a rule separates."""
    return [group for group in (list(table.rows), list(table.reference_rows)) if group]


SHRINK_TO_FIT = r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%"
"""Opens the box a tabular sits in: scaled down to the line width when wider, else as it is."""


def render_latex(table: Table) -> str:
    """A booktabs ``table`` environment (needs ``\\usepackage{booktabs}`` and ``graphicx``);
    a tabular wider than the line is scaled down to it, so no table runs into the margin."""
    best = {column: table.best_rows(column) for column in table.columns}
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{latex_escape(table.caption)}}}",
        rf"\label{{{table.label}}}",
        SHRINK_TO_FIT,
        r"\begin{tabular}{l" + "c" * len(table.columns) + "}",
        r"\toprule",
        " & ".join(["Method", *(latex_escape(c) for c in table.columns)]) + r" \\",
        r"\midrule",
    ]
    for i, group in enumerate(_row_groups(table)):
        lines += [r"\midrule"] if i else []
        for row in group:
            cells = [
                _cell_text(table.cells.get((row, c)), table.digits, bold=row in best[c], latex=True)
                for c in table.columns
            ]
            lines.append(" & ".join([latex_escape(row), *cells]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", "}"]
    if table.footnote:
        lines.append(rf"\par\smallskip{{\footnotesize {latex_escape(table.footnote)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def render_markdown(table: Table) -> str:
    """The same table as GitHub Markdown, for summary.md."""
    best = {column: table.best_rows(column) for column in table.columns}
    lines = [
        f"**{table.caption}**",
        "",
        "| Method | " + " | ".join(markdown_escape(c) for c in table.columns) + " |",
        "|---|" + "---|" * len(table.columns),
    ]
    for i, group in enumerate(_row_groups(table)):
        if i:  # Markdown has no rule inside a table: a labelled empty row stands for it
            lines.append("| *reference* |" + " |" * len(table.columns))
        for row in group:
            cells = [
                _cell_text(
                    table.cells.get((row, c)), table.digits, bold=row in best[c], latex=False
                )
                for c in table.columns
            ]
            lines.append(f"| {markdown_escape(row)} | " + " | ".join(cells) + " |")
    if table.footnote:
        lines += ["", markdown_escape(table.footnote)]
    return "\n".join(lines) + "\n"


def latex_document(tables: Sequence[str]) -> str:
    """A standalone document wrapping rendered tables, so the report can be compiled as is."""
    body = "\n".join(tables)
    return (
        "\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage{amsmath}\n"
        "\\usepackage{graphicx}\n"
        "\\begin{document}\n" + body + "\\end{document}\n"
    )
