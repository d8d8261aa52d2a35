"""The explorer's detail view of one example, as data the page draws as text: the student's
rationale against the teacher's as a word-level diff, each reasoning path as its own block,
and the Socratic steps as a table.

The diff is :mod:`difflib` over whitespace-separated words, rendered as plain text in the
``git diff --word-diff`` style (``[-teacher only-]`` ``{+student only+}``): model text never
passes through HTML or Markdown.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from evalsuite.runs.records import PathRecord, Record

__all__ = [
    "DiffSpan",
    "PathBlock",
    "WordDiff",
    "path_blocks",
    "socratic_frame",
    "word_diff",
]


@dataclass(frozen=True)
class DiffSpan:
    """A run of words: ``kind`` is ``same``, ``teacher`` (only in the teacher's rationale) or
    ``student`` (only in the student's)."""

    kind: str
    words: tuple[str, ...]


MARKS = {"same": ("", ""), "teacher": ("[-", "-]"), "student": ("{+", "+}")}


@dataclass(frozen=True)
class WordDiff:
    """The word-level difference of the teacher's rationale and the student's.

    Attributes
    ----------
    spans : tuple of DiffSpan
        In reading order; a replaced run is the teacher's words, then the student's.
    shared : int
        Words the two have in common (in order).
    n_teacher, n_student : int
        Words in each text.
    """

    spans: tuple[DiffSpan, ...]
    shared: int
    n_teacher: int
    n_student: int

    @property
    def similarity(self) -> float:
        """difflib's ratio: ``2 * shared / (n_teacher + n_student)``; 1.0 for two empty texts."""
        total = self.n_teacher + self.n_student
        return 1.0 if total == 0 else 2 * self.shared / total

    def text(self) -> str:
        """The diff as one plain text, ``[-teacher only-]`` and ``{+student only+}`` marked.

        Examples
        --------
        >>> word_diff("so the answer is 7", "so the sum is 7").text()
        'so the [-answer-] {+sum+} is 7'
        """
        parts = []
        for span in self.spans:
            opening, closing = MARKS[span.kind]
            parts.append(f"{opening}{' '.join(span.words)}{closing}")
        return " ".join(parts)

    def summary(self) -> str:
        """One line of counts, e.g. ``"4 of 5 teacher words kept, 1 added; similarity 80 %"``."""
        added = self.n_student - self.shared
        return (
            f"{self.shared} of {self.n_teacher} teacher words kept, {added} added; "
            f"similarity {100 * self.similarity:.0f} %"
        )


def word_diff(teacher: str | None, student: str | None) -> WordDiff:
    """Diff two rationales word by word with :class:`difflib.SequenceMatcher` (no junk
    heuristic, so common words are matched like any other).

    Examples
    --------
    >>> d = word_diff("add 3 and 4 to get 7", "add 3 and 4 to make 7")
    >>> [(s.kind, s.words) for s in d.spans][1:3]
    [('teacher', ('get',)), ('student', ('make',))]
    >>> d.shared, round(d.similarity, 3)
    (6, 0.857)
    """
    a, b = (teacher or "").split(), (student or "").split()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    spans: list[DiffSpan] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            spans.append(DiffSpan("same", tuple(a[i1:i2])))
            continue
        if i2 > i1:
            spans.append(DiffSpan("teacher", tuple(a[i1:i2])))
        if j2 > j1:
            spans.append(DiffSpan("student", tuple(b[j1:j2])))
    shared = sum(block.size for block in matcher.get_matching_blocks())
    return WordDiff(spans=tuple(spans), shared=shared, n_teacher=len(a), n_student=len(b))


@dataclass(frozen=True)
class PathBlock:
    """One reasoning path as the detail view shows it: a heading line, the path's text, and for
    a program what the sandbox made of it."""

    heading: str
    text: str
    sandbox: str | None
    chosen: bool


def _sandbox_line(path: PathRecord) -> str | None:
    if path.kind != "pot":
        return None
    if path.error is not None:
        kind = path.error.kind or "error"
        return f"sandbox: {kind}: {path.error.message or 'no message'}"
    if path.ok:
        return f"sandbox: ran, value {path.answer}"
    return "sandbox: ran, set no value"


def path_blocks(record: Record) -> list[PathBlock]:
    """The record's reasoning paths in order, one block each: number, kind, answer, whether it
    is right, its confidence, and the one the vote chose.

    Examples
    --------
    >>> from evalsuite.runs import as_records
    >>> r = as_records([{"id": "x", "gold": "7", "correct": True, "chosen_path": 1, "paths": [
    ...     {"kind": "cot", "text": "3 + 4 = 7", "answer": "7", "ok": True, "correct": True},
    ...     {"kind": "pot", "text": "ans = 3 / 0", "answer": None, "ok": False,
    ...      "error": {"kind": "ZeroDivisionError", "message": "division by zero"}}]}])[0]
    >>> [(b.heading, b.sandbox) for b in path_blocks(r)]  # doctest: +NORMALIZE_WHITESPACE
    [('Path 1 · cot · answer 7 · correct True · confidence n/a', None),
     ('Path 2 · pot · answer none · correct n/a · confidence n/a · chosen',
      'sandbox: ZeroDivisionError: division by zero')]
    """
    blocks = []
    for number, path in enumerate(record.paths or (), start=1):
        confidence = "n/a" if path.confidence is None else f"{path.confidence:.4f}"
        correct = "n/a" if path.correct is None else str(path.correct)
        chosen = record.chosen_path == number - 1
        heading = (
            f"Path {number} · {path.kind} · answer {path.answer or 'none'} · correct {correct}"
            f" · confidence {confidence}{' · chosen' if chosen else ''}"
        )
        blocks.append(PathBlock(heading, path.text or "—", _sandbox_line(path), chosen))
    return blocks


def socratic_frame(record: Record) -> pd.DataFrame | None:
    """The Socratic steps as a table (``#``, ``sub-question``, ``answer``); None without steps."""
    steps: Sequence = record.socratic or ()
    if not steps:
        return None
    return pd.DataFrame(
        [
            {"#": i, "sub-question": s.question, "answer": s.answer}
            for i, s in enumerate(steps, start=1)
        ]
    )
