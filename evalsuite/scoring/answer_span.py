"""Which generated tokens state the answer, per kind of output (docs/confidence.md).

A record's ``confidence`` is P(answer tokens | input, rationale): the probability of the tokens
that state the answer, given the prompt and everything generated before them. Where those
tokens start depends on the kind of generation:

* ``cot`` (``"<rationale> So the answer is <label>"``): after the last ``"So the answer is"``;
* ``pot`` (a program): after the last ``ans =``, i.e. the expression assigned to ``ans`` (the
  lines before it are the program's rationale, ``ans =`` its marker);
* ``socratic`` (the final sub-answer, ``"<working> = <value>"``): after its last ``=``;
* ``think`` (``"<think> trace </think> answer"``): after the last ``</think>``.

A generation without its marker is all answer (start 0), as a label-only generation is; for a
program that is the whole program, and its confidence source says so (``program``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evalsuite.scoring.records import LabelScore
from evalsuite.scoring.think import THINK_CLOSE
from evalsuite.tasks import ANSWER_MARKER

__all__ = ["AnswerSpan", "answer_span", "answer_token_start"]

_MARKERS: dict[str, re.Pattern[str]] = {
    "cot": re.compile(re.escape(ANSWER_MARKER)),
    "pot": re.compile(r"\bans\s*=(?!=)"),
    "socratic": re.compile("="),
}
"""Answer markers of the path kinds (:data:`evalsuite.names.PATH_KINDS`)."""
_OUTPUT_MARKERS = {"think": re.compile(re.escape(THINK_CLOSE))}
"""Answer markers of output formats that are no path kind of their own (``think`` votes as
``cot``)."""
_SOURCES = {
    "cot": "answer_tokens",
    "pot": "ans_statement",
    "socratic": "answer_tokens",
    "think": "answer_tokens",
}
_UNMARKED_SOURCES = {"pot": "program"}


def answer_token_start(
    decode: Callable[[Sequence[int]], str], ids: Sequence[int], text: str, kind: str
) -> int:
    """Index in ``ids`` of the first token after the last answer marker of ``kind``.

    Found by bisection on decoded prefixes (a prefix's marker count only grows with its
    length), so it needs no tokenizer offsets. 0 when ``text`` has no marker.

    Examples
    --------
    >>> words = "a = 3 ans = a + 1".split()
    >>> answer_token_start(lambda ids: " ".join(words[: len(ids)]), range(len(words)),
    ...                    " ".join(words), "pot")
    5
    """
    marker = {**_MARKERS, **_OUTPUT_MARKERS}[kind]
    wanted = len(marker.findall(text))
    if wanted == 0:
        return 0
    low, high = 0, len(ids)
    while low < high:
        middle = (low + high) // 2
        if len(marker.findall(decode(ids[:middle]))) >= wanted:
            high = middle
        else:
            low = middle + 1
    return low


@dataclass(frozen=True)
class AnswerSpan:
    """A generation's answer tokens: where they start, their score, and what it is."""

    start: int
    score: LabelScore
    """Sum of the answer tokens' log-probabilities and their number (EOS included)."""
    source: str
    """The record's ``confidence_source`` for this score."""


def answer_span(
    decode: Callable[[Sequence[int]], str],
    ids: Sequence[int],
    log_probs: Sequence[float],
    text: str,
    kind: str,
) -> AnswerSpan:
    """The answer tokens of one generation of ``kind`` (``cot``, ``pot``, ``socratic``, ``think``).

    Examples
    --------
    >>> words = "a = 3 ans = a + 1".split()
    >>> span = answer_span(lambda ids: " ".join(words[: len(ids)]), range(7),
    ...                    [-1.0] * 5 + [-0.5, -0.25], " ".join(words), "pot")
    >>> span.start, span.score, span.source
    (5, LabelScore(log_prob=-0.75, n_tokens=2), 'ans_statement')
    """
    start = answer_token_start(decode, ids, text, kind)
    marked = {**_MARKERS, **_OUTPUT_MARKERS}[kind].search(text) is not None
    source = _SOURCES[kind] if marked else _UNMARKED_SOURCES.get(kind, _SOURCES[kind])
    score = LabelScore(math.fsum(log_probs[start:]), len(log_probs) - start)
    return AnswerSpan(start, score, source)
