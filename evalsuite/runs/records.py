"""The run record (docs/runs.md): one line of records.jsonl, typed, with one docstring per field.

A record says what a model answered for one example, whether it is right, how confident the
model was and, for students that reason along several paths, every path. The same
:class:`Record` is built by scoring, by the teacher import and by the predictions import, and
read by metrics, reports and the explorer. Fields a record carries that this version does not
know are kept in ``extra`` and written back unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from evalsuite.runs.fields import (
    JsonObject,
    as_bool,
    as_int,
    as_mapping,
    as_probability,
    as_probability_map,
    as_required_bool,
    as_required_text,
    as_string,
    as_text,
    from_json,
    list_of,
    nested,
    spec,
    to_json,
)

__all__ = [
    "Extraction",
    "PathError",
    "PathRecord",
    "Record",
    "Sample",
    "SocraticStep",
    "Teacher",
    "as_records",
]


def _extra() -> Any:
    return field(default_factory=dict, compare=True)


@dataclass(frozen=True, kw_only=True)
class Extraction(JsonObject):
    """How the answer was read from the prediction text."""

    method: str | None = spec(as_text)
    """The task's reading rule that applied (e.g. ``label_text``, ``equation``, ``unparsed``)."""
    matched: bool | None = spec(as_bool)
    """Whether an answer could be read; false counts as an extraction failure."""
    extra: Mapping[str, Any] = _extra()
    """Fields this version does not know, kept for the round trip."""


@dataclass(frozen=True, kw_only=True)
class Teacher(JsonObject):
    """The dataset teacher's output for the example (absent when the data has none)."""

    rationale: str | None = spec(as_text)
    """The teacher's chain of thought."""
    label: str | None = spec(as_text)
    """The teacher's raw label text."""
    answer: str | None = spec(as_text, fallback="label")
    """The label read like the student's answer, so agreement compares like with like
    (records written without it read the raw label here)."""
    extra: Mapping[str, Any] = _extra()
    """Fields this version does not know, kept for the round trip."""


@dataclass(frozen=True, kw_only=True)
class Sample(JsonObject):
    """One sampled output of a student decoded with ``--num-samples K``."""

    prediction: str | None = spec(as_text)
    """The label text of this sample."""
    rationale: str | None = spec(as_text)
    """Its rationale, or null."""
    answer: str | None = spec(as_text)
    """The answer read from its label text, or null."""
    extra: Mapping[str, Any] = _extra()
    """Fields this version does not know, kept for the round trip."""


@dataclass(frozen=True, kw_only=True)
class PathError(JsonObject):
    """Why a PoT program gave no answer, as the sandbox reported it."""

    kind: str | None = spec(as_text)
    """The sandbox's error kind (e.g. ``syntax_error``, ``timeout``)."""
    message: str | None = spec(as_text)
    """Its one-line message."""
    extra: Mapping[str, Any] = _extra()
    """Fields this version does not know, kept for the round trip."""


@dataclass(frozen=True, kw_only=True)
class PathRecord(JsonObject):
    """One reasoning path of a multi-path (mixed) or Socratic student."""

    kind: str = spec(as_string, required=True)
    """``cot``, ``pot`` or ``socratic``."""
    text: str | None = spec(as_text)
    """The generation: CoT rationale and label, the program that ran, or the Socratic
    transcript."""
    answer: str | None = spec(as_text)
    """The answer this path reached, or null."""
    ok: bool | None = spec(as_bool)
    """CoT/Socratic: an answer could be read; PoT: the program ran and set ``ans``."""
    correct: bool | None = spec(as_bool)
    """Whether this path's answer is right."""
    sequence_confidence: float | None = spec(as_probability)
    """Probability of the whole generation of this path (its weight in the vote's tie rule)."""
    confidence: float | None = spec(as_probability, omit_none=True)
    """P(answer tokens | input, rationale) of this path (docs/confidence.md); absent in runs
    written before it was recorded."""
    error: PathError | None = spec(nested(PathError))
    """PoT: the sandbox's error when the program failed; else null."""
    extra: Mapping[str, Any] = _extra()
    """Fields this version does not know, kept for the round trip."""


@dataclass(frozen=True, kw_only=True)
class SocraticStep(JsonObject):
    """One sub-question of a Socratic chain and the solver's answer to it."""

    question: str = spec(as_string, required=True)
    """The sub-question the decomposer wrote."""
    answer: str = spec(as_string, required=True)
    """The solver's answer to it."""
    extra: Mapping[str, Any] = _extra()
    """Fields this version does not know, kept for the round trip."""


@dataclass(frozen=True, kw_only=True)
class Record(JsonObject):
    """One example of a run: the question, the model's answer and how sure it was.

    Only ``id``, ``gold`` and ``correct`` are required; a field a record lacks reads as None.
    Confidence sources are described in :mod:`evalsuite.scoring.records`.
    """

    id: str = spec(as_required_text, required=True)
    """The example's id, unique within the run; runs are paired by it."""
    input: str | None = spec(as_text)
    """The question as the model saw it (without prompt prefixes)."""
    gold: str = spec(as_string, required=True)
    """The gold answer as text (an equation for arithmetic tasks, a label name for NLI)."""
    prediction: str | None = spec(as_text)
    """The raw label text the model produced (PoT: ``ans`` as text)."""
    answer: str | None = spec(as_text)
    """The answer read from ``prediction``; null when none could be read."""
    correct: bool = spec(as_required_bool, required=True)
    """Whether ``answer`` equals the gold answer under the task's comparison."""
    confidence: float | None = spec(as_probability)
    """The model's confidence in its answer, in [0, 1]; null when it has none."""
    confidence_source: str | None = spec(as_text)
    """Which definition ``confidence`` follows: ``vote``, ``label_set``, ``answer_tokens``,
    ``ans_statement``, ``program``, ``provided`` (``sequence`` in older runs); see
    docs/confidence.md."""
    sequence_confidence: float | None = spec(as_probability)
    """Probability of the whole generation that holds the answer (rationale and answer).
    Runs written before docs/confidence.md: of the label tokens for single-output students."""
    sequence_confidence_normalized: float | None = spec(as_probability)
    """The same per token: ``exp(mean log-prob)`` over the whole generation."""
    label_probs: Mapping[str, float] | None = spec(as_probability_map)
    """Closed label sets: each candidate's probability, normalised over the set."""
    rationale: str | None = spec(as_text)
    """The model's rationale (chain of thought, program or Socratic transcript), or null."""
    rationale_kind: str | None = spec(as_text, omit_none=True)
    """What the rationale is: ``cot``, ``pot`` or ``socratic``; absent when there is none (and
    in older runs, where it reads as ``cot``)."""
    rationale_answer: str | None = spec(as_text)
    """The answer the rationale itself states, read as its kind says (a program's executed
    value; a Socratic chain's final working), or null."""
    consistent: bool | None = spec(as_bool)
    """Whether the rationale's answer agrees with ``answer``; null when it cannot be judged."""
    consistency_reason: str | None = spec(as_text, omit_none=True)
    """Why ``consistent`` is null (e.g. a Socratic final sub-answer with no working)."""
    extraction: Extraction | None = spec(nested(Extraction))
    """How the answer was read from ``prediction``."""
    teacher: Teacher | None = spec(nested(Teacher), omit_none=True)
    """The dataset teacher's rationale, label and answer, when the data has them."""
    samples: tuple[Sample, ...] | None = spec(list_of(Sample), omit_none=True)
    """Every sampled output when decoding with ``--num-samples K``."""
    paths: tuple[PathRecord, ...] | None = spec(list_of(PathRecord), omit_none=True)
    """Mixed and Socratic students: every reasoning path, in generation order."""
    path_mode: str | None = spec(as_text, omit_none=True)
    """Which paths voted: ``multi``, ``cot``, ``pot`` or ``socratic``."""
    chosen_path: int | None = spec(as_int, omit_none=True)
    """Index in ``paths`` of the path the record reports."""
    socratic: tuple[SocraticStep, ...] | None = spec(list_of(SocraticStep), omit_none=True)
    """Socratic students: the chosen chain's sub-questions and answers."""
    imported: Mapping[str, Any] | None = spec(as_mapping, omit_none=True)
    """Runs imported from another tool's log: where the sample was (``format``, ``line``),
    the tool's id (``doc_id``), what joined it (``joined_by``), the tool's ``filter``,
    ``target`` and its own per-sample ``metrics``; absent otherwise."""
    extra: Mapping[str, Any] = _extra()
    """Fields this version does not know, kept for the round trip."""

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Record:
        """Validate one parsed JSON line; ``where`` ("FILE line N") starts every error.

        Raises
        ------
        DataError
            Naming ``where`` and the field, e.g. "records.jsonl line 17: field 'confidence'
            must be a number in [0, 1], got 'high'".

        Examples
        --------
        >>> r = Record.from_json({"id": "a", "gold": "1", "correct": True, "note": 1}, "x")
        >>> r.correct, r.answer, r.extra
        (True, None, {'note': 1})
        """
        return from_json(cls, obj, where)

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to records.jsonl (unknown fields last, as read)."""
        return to_json(self)

    @property
    def extraction_failed(self) -> bool:
        """No answer could be read (``answer`` is null or the extraction did not match)."""
        return self.answer is None or (
            self.extraction is not None and self.extraction.matched is False
        )

    @property
    def teacher_answer(self) -> str | None:
        """The teacher's answer when it is a non-empty string, else None."""
        answer = self.teacher.answer if self.teacher is not None else None
        return answer if answer is not None and answer.strip() else None


def as_records(items: Iterable[Record | Mapping[str, Any]], where: str = "record") -> list[Record]:
    """Records as :class:`Record`, reading (and validating) any given as JSON mappings.

    Library functions take either, so a caller holding parsed JSON need not convert first.
    """
    return [
        item if isinstance(item, Record) else Record.from_json(dict(item), f"{where} {i + 1}")
        for i, item in enumerate(items)
    ]
