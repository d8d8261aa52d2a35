"""Natural language inference in the DSS release format: ANLI round 1 and e-SNLI.

The release joins premise and hypothesis with the T5 end-of-sequence token, so the formatted input
is ``"<premise></s><hypothesis>"``. Labels are the three names below, in the datasets' 0/1/2 order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from evalsuite.example import Example
from evalsuite.tasks.base import Extraction, Task, TeacherOutput
from evalsuite.tasks.choice import normalize_text

__all__ = ["NLI_LABELS", "PREMISE_HYPOTHESIS_JOINER", "AnliTask", "EsnliTask"]

NLI_LABELS = ("entailment", "neutral", "contradiction")
PREMISE_HYPOTHESIS_JOINER = "</s>"
_LABEL_WORDS = re.compile(r"entail\w*|neutral|contradict\w*", re.IGNORECASE)
_NEGATION = re.compile(
    r"\b(?:not|no|never|cannot)\s+(?:\w+\s+)?$|n't\s+(?:\w+\s+)?$", re.IGNORECASE
)


def _label_word(word: str) -> str:
    lowered = word.lower()
    if lowered.startswith("entail"):
        return "entailment"
    if lowered.startswith("contradict"):
        return "contradiction"
    return "neutral"


class _NliTask(Task):
    """Shared input format, label set and answer reading of the NLI tasks."""

    def format_input(self, row: Mapping[str, Any]) -> str:
        return f"{row['premise']}{PREMISE_HYPOTHESIS_JOINER}{row['hypothesis']}"

    def gold_from_row(self, row: Mapping[str, Any]) -> str:
        label = row["label"]
        if isinstance(label, str) and label in NLI_LABELS:
            return label
        if isinstance(label, int) and not isinstance(label, bool) and 0 <= label < 3:
            return NLI_LABELS[label]
        raise KeyError("label (0, 1 or 2 expected)")

    def label_set(self, example: Example) -> tuple[str, ...]:
        return NLI_LABELS

    def extract_answer(self, text: str | None, example: Example) -> Extraction:
        """The text, normalised, when it is one of the three label names."""
        if text is None or not text.strip():
            return Extraction(None, "empty", False)
        normalized = normalize_text(text)
        if normalized in NLI_LABELS:
            return Extraction(normalized, "label_text", True)
        return Extraction(None, "not_a_label", False)

    def same_answer(self, a: str, b: str) -> bool:
        return normalize_text(a) == normalize_text(b)

    def _rationale_fallback(self, rationale: str, example: Example) -> Extraction:
        """The label word (entails, neutral, contradicts ...) the rationale uses last.

        A negated word ("does not entail", "doesn't necessarily contradict") states no label:
        it could mean either of the other two, so it reads as no answer rather than a guess.
        """
        matches = list(_LABEL_WORDS.finditer(rationale))
        if not matches:
            return Extraction(None, "no_label_word", False)
        last = matches[-1]
        if _NEGATION.search(rationale[: last.start()]):
            return Extraction(None, "negated_label_word", False)
        return Extraction(_label_word(last.group(0)), "last_label_word", True)


class AnliTask(_NliTask):
    """ANLI round 1 with the release's "So the answer is" teacher format."""

    name = "anli1"
    description = "Adversarial NLI round 1 (DSS release)"
    required_fields: ClassVar[tuple[str, ...]] = ("uid", "premise", "hypothesis", "label")

    def id_from_row(self, row: Mapping[str, Any], *, split: str, index: int) -> str:
        return str(row["uid"])

    def parse_teacher(self, text: str) -> TeacherOutput:
        """Cut at the next "Premise:", split at "So the answer is", drop the last character.

        The release drops the label's last character unconditionally (its final period); so does
        this, so that teacher accuracy matches the release's.
        """
        parts = text.split("Premise:")[0].rstrip().split("So the answer is")
        if len(parts) != 2:
            return TeacherOutput(rationale="", label="")
        return TeacherOutput(rationale=parts[0].rstrip(), label=parts[1].lstrip()[:-1])


class EsnliTask(_NliTask):
    """e-SNLI with the release's "Answer:" teacher format."""

    name = "esnli"
    description = "e-SNLI (DSS release)"
    required_fields: ClassVar[tuple[str, ...]] = ("premise", "hypothesis", "label")

    def parse_teacher(self, text: str) -> TeacherOutput:
        """Rationale before "Answer:", label after "Answer: " up to the next "Premise"."""
        rationale = text.split("Answer:")[0].rstrip()
        pieces = text.split("Answer: ")
        label = pieces[1].split("Premise")[0].rstrip() if len(pieces) > 1 else ""
        return TeacherOutput(rationale=rationale, label=label)
