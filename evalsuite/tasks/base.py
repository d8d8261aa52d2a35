"""What every task knows: input format, teacher parsing, label set, normalisation, correctness.

A task holds the domain knowledge of one dataset family so that loaders, scorers and analyses never
switch on a dataset name. Tasks are stateless and shared through the registry in ``__init__``.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from evalsuite.example import Example

__all__ = ["ANSWER_MARKER", "Extraction", "Task", "TeacherOutput"]

ANSWER_MARKER = "So the answer is"
"""How single-output students end their generation: ``"<rationale> So the answer is <label>"``."""

_STATED_ANSWER = re.compile(r"(?:so\s+)?the\s+answer\s+is\s*:?\s*(.+)", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class TeacherOutput:
    """A teacher continuation split into rationale and label by the release's conventions."""

    rationale: str
    label: str


@dataclass(frozen=True)
class Extraction:
    """How an answer was read from text: the normalised answer (``None`` if none), method, match.

    ``matched`` is false when the text held nothing the task could read as an answer; such
    records count towards the extraction-failure rate instead of being silently wrong.
    """

    answer: str | None
    method: str
    matched: bool

    def as_record(self) -> dict[str, Any]:
        """The ``extraction`` field of a run record."""
        return {"method": self.method, "matched": self.matched}


class Task(ABC):
    """Domain knowledge of one dataset family. Subclasses fill in the abstract methods."""

    name: ClassVar[str]
    """Registry name, e.g. ``"svamp"``."""
    description: ClassVar[str]
    """One line for ``--help`` and error messages."""
    required_fields: ClassVar[tuple[str, ...]]
    """Fields a raw row must have; a missing one is a data error that names the field."""
    synthetic: ClassVar[bool] = False
    """True for built-in generated tasks, which need no data directory."""

    # -- reading raw rows ------------------------------------------------------------------
    @abstractmethod
    def format_input(self, row: Mapping[str, Any]) -> str:
        """The input text exactly as the DSS release feeds it to a student (no task prefix)."""

    @abstractmethod
    def gold_from_row(self, row: Mapping[str, Any]) -> str:
        """The gold label as text."""

    def id_from_row(self, row: Mapping[str, Any], *, split: str, index: int) -> str:
        """The dataset's own id where it has one, else ``"<split>-<row index>"``."""
        return f"{split}-{index}"

    def choices_from_row(self, row: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The example's closed candidate set, when it has its own (CQA)."""
        return None

    def build_example(
        self, row: Mapping[str, Any], *, split: str, index: int, teacher_text: str | None = None
    ) -> Example:
        """Turn a raw row (and the aligned raw teacher continuation, if any) into an Example.

        Raises
        ------
        KeyError
            Naming the first missing required field; loaders add the file and line.
        """
        for name in self.required_fields:
            if name not in row or row[name] is None:
                raise KeyError(name)
        teacher = self.parse_teacher(teacher_text) if teacher_text is not None else None
        return Example(
            id=self.id_from_row(row, split=split, index=index),
            input=self.format_input(row),
            gold=self.gold_from_row(row),
            split=split,
            teacher_rationale=teacher.rationale if teacher else None,
            teacher_label=teacher.label if teacher else None,
            choices=self.choices_from_row(row),
        )

    # -- teacher output ----------------------------------------------------------------------
    @abstractmethod
    def parse_teacher(self, text: str) -> TeacherOutput:
        """Split a raw teacher continuation into rationale and label, as the release does."""

    # -- answers -----------------------------------------------------------------------------
    def label_set(self, example: Example) -> tuple[str, ...] | None:
        """The closed set of candidate labels for this example, or ``None`` for open answers."""
        return None

    @abstractmethod
    def extract_answer(self, text: str | None, example: Example) -> Extraction:
        """Read and normalise the answer in a predicted label text."""

    @abstractmethod
    def same_answer(self, a: str, b: str) -> bool:
        """Whether two normalised answers are the same (numbers compare with a tolerance)."""

    def normalized_gold(self, example: Example) -> str | None:
        """The gold label, normalised the way predictions are."""
        return self.extract_answer(example.gold, example).answer

    def is_correct(self, answer: str | None, example: Example) -> bool:
        """Whether a normalised predicted answer matches the gold label."""
        gold = self.normalized_gold(example)
        return answer is not None and gold is not None and self.same_answer(answer, gold)

    def rationale_answer(self, rationale: str | None, example: Example) -> Extraction:
        """The answer a rationale itself states, for rationale-label consistency.

        An explicit "the answer is X" wins; otherwise the task's own fallback (the last computed
        number, the last choice or label mentioned) applies.
        """
        if not rationale:
            return Extraction(None, "none", False)
        stated = _STATED_ANSWER.findall(rationale)
        if stated:
            found = self.extract_answer(stated[-1], example)
            if found.matched:
                return Extraction(found.answer, "stated", True)
        return self._rationale_fallback(rationale, example)

    @abstractmethod
    def _rationale_fallback(self, rationale: str, example: Example) -> Extraction:
        """Task-specific reading of an answer from a rationale with no explicit statement."""

    def split_single_output(self, text: str) -> tuple[str | None, str]:
        """Split a single-output generation ``"<rationale> So the answer is <label>"``.

        Returns ``(rationale, label_text)``; with no marker the whole text is the label text and
        the rationale is ``None``.
        """
        head, marker, tail = text.rpartition(ANSWER_MARKER)
        if not marker:
            return None, text.strip()
        return head.strip(), tail.strip()

    def single_output_target(self, rationale: str, label: str) -> str:
        """The training target of a single-output student (the inverse of split_single_output)."""
        return f"{rationale.strip()} {ANSWER_MARKER} {label.strip()}"
