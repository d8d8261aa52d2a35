"""What every foreign log (lm-eval, inspect_ai) is read into: one matched sample per example.

A reader turns a tool's own sample into a :class:`ForeignSample`: the example it is about, the
model's output as scoring would hold it, and what the tool said about it (``imported``, kept in
the record). :mod:`evalsuite.runs.imports` builds records from these with the same function as
``evalsuite score``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalsuite.errors import DataError
from evalsuite.example import Example
from evalsuite.scoring.records import PathOutput, normalize_log_probs
from evalsuite.tasks import NLI_LABELS, Task

__all__ = [
    "EVALSUITE_KEY",
    "NLI_VERBALIZERS",
    "ForeignLog",
    "ForeignSample",
    "choice_probabilities",
    "label_of_choice",
    "parse_label_map",
]

EVALSUITE_KEY = "evalsuite"
"""The key under which ``evalsuite export`` stores what the tool's format has no place for
(confidence, its source, ``label_probs``), so that importing an export gives the same records.
Logs written by the tools themselves never have it."""

NLI_VERBALIZERS = {"true": "entailment", "neither": "neutral", "false": "contradiction"}
"""lm-eval's ANLI choices (``True``/``Neither``/``False``) as NLI labels."""


@dataclass(frozen=True)
class ForeignSample:
    """One sample of another tool's log, matched to its example."""

    example: Example
    output: PathOutput
    """The answer text the tool read (lm-eval's ``filtered_resps``) and the raw generation
    as rationale when it differs."""
    where: str
    """"FILE line N" or "FILE sample K": where the sample is, for errors."""
    label_probs: Mapping[str, float] | None = None
    """Multiple choice: each label's probability, the tool's per-choice log-likelihoods
    normalised over the choices."""
    confidence: float | None = None
    confidence_source: str | None = None
    samples: tuple[PathOutput, ...] | None = None
    """Several generations per example (lm-eval ``repeats``)."""
    imported: Mapping[str, Any] = field(default_factory=dict)
    """The record's ``imported`` block: format, line, the tool's id, filter and own metrics."""


@dataclass(frozen=True)
class ForeignLog:
    """A foreign log's samples and what the run manifest says about where they came from."""

    samples: Sequence[ForeignSample]
    model: Mapping[str, Any]
    """The manifest's ``model`` block (``format``, ``predictions_file``, ``lines``, the tool's
    task, model and filter)."""


def parse_label_map(text: str | None) -> dict[str, str]:
    """``--label-map 'Yes=entailment,No=contradiction'`` as a mapping.

    Raises
    ------
    DataError
        On an item without ``=``.

    Examples
    --------
    >>> parse_label_map("A=wooded area, B=zoo")
    {'A': 'wooded area', 'B': 'zoo'}
    """
    if not text:
        return {}
    mapping = {}
    for item in text.split(","):
        choice, sep, label = item.partition("=")
        if not sep or not choice.strip() or not label.strip():
            raise DataError(f"--label-map: expected CHOICE=LABEL, got {item.strip()!r}")
        mapping[choice.strip()] = label.strip()
    return mapping


def label_of_choice(
    choice: str,
    n_choices: int,
    task: Task,
    example: Example,
    label_map: Mapping[str, str],
) -> str | None:
    """The task's label a tool's choice names (see :func:`choice_probabilities`), else None."""
    labels = task.label_set(example) or ()
    text = label_map.get(choice.strip(), choice.strip())
    for label in labels:
        if task.same_answer(label, text):
            return label
    letters = "ABCDEFGHIJ"[:n_choices]
    lettered = example.choices is not None and n_choices == len(example.choices)
    if lettered and example.choices is not None and len(text) == 1 and text.upper() in letters:
        return example.choices[letters.index(text.upper())]
    verbal = NLI_VERBALIZERS.get(text.casefold())
    return verbal if verbal in labels and set(labels) == set(NLI_LABELS) else None


def choice_probabilities(
    choices: Sequence[str],
    log_likelihoods: Sequence[float],
    task: Task,
    example: Example,
    *,
    label_map: Mapping[str, str],
    where: str,
) -> dict[str, float]:
    """Each choice's probability under the task's label names: log-likelihoods normalised
    over the choices (a softmax, :func:`normalize_log_probs`).

    A choice is named by the task's label it equals, by ``label_map``, by its letter when the
    example has as many choices (lm-eval's CommonsenseQA: ``A``..``E``), or by lm-eval's ANLI
    words (:data:`NLI_VERBALIZERS`).

    Raises
    ------
    DataError
        When the task has open answers, a choice is none of its labels, or two choices name
        the same label.
    """
    labels = task.label_set(example)
    if labels is None:
        raise DataError(
            f"{where}: the sample is multiple choice, but task '{task.name}' has open answers"
        )
    named: dict[str, float] = {}
    for choice, value in zip(choices, log_likelihoods, strict=True):
        label = label_of_choice(choice, len(choices), task, example, label_map)
        if label is None:
            raise DataError(
                f"{where}: choice {choice.strip()!r} is none of the task's labels "
                f"({', '.join(labels)}); name it with --label-map '{choice.strip()}=LABEL,...'"
            )
        if label in named:
            raise DataError(f"{where}: two choices are label {label!r}")
        if not math.isfinite(value):
            raise DataError(f"{where}: choice {choice.strip()!r} has log-likelihood {value}")
        named[label] = value
    return dict(zip(named, normalize_log_probs(list(named.values())), strict=True))
