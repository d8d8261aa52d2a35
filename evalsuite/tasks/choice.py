"""CommonsenseQA (CQA) in the DSS release format: five answer choices per question."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from evalsuite.example import Example
from evalsuite.tasks.base import Extraction, Task, TeacherOutput

__all__ = ["CqaTask", "normalize_text"]

_LETTERS = "abcde"
_CHOICE_LETTER = re.compile(r"^\(\s*([a-e])\s*\)\s*", re.IGNORECASE)
_RELEASE_CHOICE_SPLIT = re.compile(r"\(.\)")


def normalize_text(text: str, *, lower: bool = True) -> str:
    """Single spaces, no surrounding space or final period; lower case unless ``lower=False``."""
    collapsed = " ".join(text.split())
    collapsed = collapsed.lower() if lower else collapsed
    return collapsed[:-1].rstrip() if collapsed.endswith(".") else collapsed


def _choice_text(text: str) -> str:
    """CQA answers keep their case: the release compares choice text exactly, so "Michigan" is
    not "michigan" (12 PaLM test answers differ from gold by case alone)."""
    return normalize_text(text, lower=False)


class CqaTask(Task):
    """CommonsenseQA with CoS-E explanations, formatted with the release's "Answer Choices" block.

    Answers match a choice's text with case preserved, as the release's exact comparison does.
    """

    name = "cqa"
    description = "CommonsenseQA, five answer choices (DSS release)"
    required_fields: ClassVar[tuple[str, ...]] = ("id", "question", "choices", "answer")

    def format_input(self, row: Mapping[str, Any]) -> str:
        choices = list(row["choices"])
        if len(choices) != len(_LETTERS):
            raise KeyError("choices (five expected)")
        lines = [f"({letter}) {choice}" for letter, choice in zip(_LETTERS, choices, strict=True)]
        return f"{row['question']}\nAnswer Choices:\n" + "\n".join(lines)

    def gold_from_row(self, row: Mapping[str, Any]) -> str:
        return str(row["answer"])

    def id_from_row(self, row: Mapping[str, Any], *, split: str, index: int) -> str:
        return str(row["id"])

    def choices_from_row(self, row: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(str(choice) for choice in row["choices"])

    def parse_teacher(self, text: str) -> TeacherOutput:
        """Cut at the next "Q:", split at "So the answer is", take the text after "(x)".

        The release's convention; its one trailing period is dropped. A continuation without the
        marker or the letter gets an empty label.
        """
        head = text.split("Q:")[0].rstrip()
        parts = head.split("So the answer is")
        if len(parts) != 2:
            return TeacherOutput(rationale=head, label="")
        pieces = _RELEASE_CHOICE_SPLIT.split(parts[1])
        label = pieces[1].strip() if len(pieces) > 1 else ""
        label = label[:-1] if label.endswith(".") else label
        return TeacherOutput(rationale=parts[0].rstrip(), label=label)

    def label_set(self, example: Example) -> tuple[str, ...] | None:
        return example.choices

    def extract_answer(self, text: str | None, example: Example) -> Extraction:
        """Match the text (optionally led by "(c)") to one of the example's choices."""
        if text is None or not text.strip():
            return Extraction(None, "empty", False)
        choices = example.choices or ()
        normalized = {_choice_text(choice) for choice in choices}
        letter = _CHOICE_LETTER.match(text.strip())
        body = _choice_text(text.strip()[letter.end() :] if letter else text)
        if body in normalized:
            return Extraction(body, "choice_text", True)
        if letter and not body:
            index = _LETTERS.index(letter.group(1).lower())
            if index < len(choices):
                return Extraction(_choice_text(choices[index]), "choice_letter", True)
        return Extraction(None, "not_a_choice", False)

    def same_answer(self, a: str, b: str) -> bool:
        return _choice_text(a) == _choice_text(b)

    def _rationale_fallback(self, rationale: str, example: Example) -> Extraction:
        """The choice the rationale mentions last (DSS rationales say "only X ...")."""
        lowered = normalize_text(rationale)
        best: tuple[int, str] | None = None
        for choice in example.choices or ():
            position = lowered.rfind(normalize_text(choice))
            if position >= 0 and (best is None or position > best[0]):
                best = (position, _choice_text(choice))
        if best is None:
            return Extraction(None, "no_choice_mentioned", False)
        return Extraction(best[1], "last_choice_mentioned", True)
