"""Run records (docs/runs.md) from what a model said: answer, correctness, confidence, consistency.

One function builds every record, whether the outputs came from a scored checkpoint, the
dataset's teacher, or an imported predictions file, so the three kinds of run read alike.
What each confidence field means for each kind of student is docs/confidence.md.

``confidence``, in order of preference (``confidence_source`` names the one used; the names are
:data:`evalsuite.names.CONFIDENCE_SOURCES`):

* ``"vote"``: with several sampled paths, the share of paths that reached the chosen answer;
* ``"label_set"``: for closed label sets (NLI labels, CQA choices) when the answer is one of
  the candidates, its probability in ``label_probs`` (candidate probabilities given the input
  and the generated rationale, normalised over the set);
* ``"answer_tokens"``: P(answer tokens | input, rationale), the probability of the tokens that
  state the answer given everything generated before them. Open answers use it, and so do
  closed-set predictions that are not a candidate (an extraction failure, ``answer = null``):
  ``label_probs`` says nothing about an answer outside the set, while this is still the
  probability the model gave to what it actually said, so calibration counts the model's
  confidence in its unreadable answers instead of dropping them;
* ``"ans_statement"``: a PoT program's answer tokens, its last ``ans = ...`` statement given the
  input and the program before it; ``"program"`` when a program has no such statement (the
  whole program's probability);
* ``"provided"``: given by an imported predictions file;
* ``"sequence"``: only in runs written before this definition: the label tokens' probability
  (the whole path's for a mixed student's CoT path).

``sequence_confidence`` and ``sequence_confidence_normalized`` are always the probability of
the whole generation that holds the answer (rationale and answer) and its per-token geometric
mean.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from evalsuite.example import Example
from evalsuite.runs.records import Extraction, Record, Sample, Teacher
from evalsuite.scoring.consistency import judge_consistency
from evalsuite.tasks import Extraction as TaskExtraction
from evalsuite.tasks import Task

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "LabelScore",
    "PathOutput",
    "ScoredExample",
    "build_record",
    "choose_confidence",
    "normalize_log_probs",
]


@dataclass(frozen=True)
class LabelScore:
    """Log-probability of a generated label sequence and its number of tokens (EOS included)."""

    log_prob: float
    n_tokens: int

    @property
    def prob(self) -> float:
        """Sequence probability ``exp(sum of token log-probs)``."""
        return math.exp(self.log_prob)

    @property
    def prob_per_token(self) -> float:
        """Length-normalised probability ``exp(mean token log-prob)`` (1.0 for no tokens)."""
        return math.exp(self.log_prob / self.n_tokens) if self.n_tokens else 1.0


@dataclass(frozen=True)
class PathOutput:
    """One decoded output of a student: the label text, its rationale and their scores."""

    prediction: str
    rationale: str | None
    label_score: LabelScore | None = None
    """Score of the answer tokens given the input and everything generated before them."""
    sequence_score: LabelScore | None = None
    """Score of the whole generation that holds the answer (None: ``label_score`` is all of it,
    as for a label-only student)."""
    label_source: str = "answer_tokens"
    """The ``confidence_source`` that ``label_score`` stands for."""
    rationale_kind: str = "cot"
    """What the rationale is: ``cot``, ``pot`` or ``socratic`` (:mod:`.consistency`)."""
    evidence: str | None = None
    """What a non-prose rationale's stated answer is read from: PoT the executed ``ans`` as
    text, Socratic the final sub-answer (:func:`.consistency.judge_consistency`)."""
    extraction_failure: str | None = None
    """Why no answer can be read from this output whatever its text (a ``think`` trace missing
    or never closed): the record's extraction fails with this method."""

    def read_answer(self, task: Task, example: Example) -> TaskExtraction:
        """The task's reading of ``prediction``, or the failure this output carries."""
        if self.extraction_failure is not None:
            return TaskExtraction(None, self.extraction_failure, False)
        return task.extract_answer(self.prediction, example)

    @property
    def whole(self) -> LabelScore | None:
        """The whole generation's score."""
        return self.sequence_score if self.sequence_score is not None else self.label_score


@dataclass(frozen=True)
class ScoredExample:
    """One example's run record and its pooled representations (key -> vector of d_model).

    What scoring one batch gives per example, whatever the student's output format.
    """

    record: Record
    representations: dict[str, np.ndarray]


def normalize_log_probs(log_probs: Sequence[float]) -> list[float]:
    """Softmax over candidates: ``p_i = exp(l_i - logsumexp(l))``, in float64.

    Examples
    --------
    >>> [round(p, 4) for p in normalize_log_probs([math.log(1), math.log(3)])]
    [0.25, 0.75]
    """
    top = max(log_probs)
    weights = [math.exp(value - top) for value in log_probs]
    total = math.fsum(weights)
    return [w / total for w in weights]


def choose_confidence(
    task: Task,
    answer: str | None,
    *,
    label_probs: Mapping[str, float] | None,
    label_score: LabelScore | None,
    label_source: str = "answer_tokens",
) -> tuple[float | None, str | None]:
    """``(confidence, confidence_source)`` for a model's own answer (see the module docstring).

    Examples
    --------
    >>> from evalsuite.tasks import get_task
    >>> nli = get_task("esnli")
    >>> choose_confidence(nli, "neutral", label_probs={"entailment": 0.2, "neutral": 0.8,
    ...                   "contradiction": 0.0}, label_score=LabelScore(-0.5, 2))
    (0.8, 'label_set')
    >>> choose_confidence(nli, None, label_probs={"neutral": 1.0}, label_score=None)
    (None, None)
    """
    if label_probs is not None and answer is not None:
        for label, prob in label_probs.items():
            if task.same_answer(label, answer):
                return prob, "label_set"
    if label_score is not None:
        return label_score.prob, label_source
    return None, None


def build_record(
    task: Task,
    example: Example,
    output: PathOutput,
    *,
    label_probs: Mapping[str, float] | None = None,
    confidence: float | None = None,
    confidence_source: str | None = None,
    samples: Sequence[PathOutput] | None = None,
) -> Record:
    """The run record of one example (field meanings in docs/runs.md).

    Parameters
    ----------
    task, example
        What was asked and the gold answer.
    output : PathOutput
        The chosen output: raw label text, rationale (or None), and the label's sequence score
        when a model produced it.
    label_probs : mapping, optional
        Closed label sets: probability per candidate, normalised over the set.
    confidence, confidence_source : optional
        Given explicitly (votes, imported predictions); otherwise chosen by
        :func:`choose_confidence` from ``label_probs`` and the sequence score.
    samples : sequence of PathOutput, optional
        All sampled paths when decoding with k samples; recorded under ``samples``.
    """
    extraction = output.read_answer(task, example)
    answer = extraction.answer
    if confidence is None and confidence_source is None:
        confidence, confidence_source = choose_confidence(
            task,
            answer,
            label_probs=label_probs,
            label_score=output.label_score,
            label_source=output.label_source,
        )
    judged = judge_consistency(
        task,
        example,
        kind=output.rationale_kind,
        rationale=output.rationale,
        answer=answer,
        evidence=output.evidence,
    )
    score = output.whole
    extracted = extraction.as_record()
    teacher = None
    if example.teacher_label is not None:
        teacher = Teacher(
            rationale=example.teacher_rationale,
            label=example.teacher_label,
            # Normalised like the student's answer, so agreement compares like with like
            # ("450" with "450", not with the teacher's raw "(10 * 45)").
            answer=task.extract_answer(example.teacher_label, example).answer,
        )
    return Record(
        id=example.id,
        input=example.input,
        gold=example.gold,
        prediction=output.prediction,
        answer=answer,
        correct=task.is_correct(answer, example),
        confidence=confidence,
        confidence_source=confidence_source,
        sequence_confidence=score.prob if score else None,
        sequence_confidence_normalized=score.prob_per_token if score else None,
        label_probs=dict(label_probs) if label_probs is not None else None,
        rationale=output.rationale,
        rationale_kind=output.rationale_kind if output.rationale else None,
        rationale_answer=judged.rationale_answer,
        consistent=judged.consistent,
        consistency_reason=judged.reason,
        extraction=Extraction(method=extracted["method"], matched=extracted["matched"]),
        teacher=teacher,
        samples=None
        if samples is None
        else tuple(
            Sample(
                prediction=path.prediction,
                rationale=path.rationale,
                answer=path.read_answer(task, example).answer,
            )
            for path in samples
        ),
    )
