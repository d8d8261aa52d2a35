"""Rationale quality: how long rationales are and how much they overlap the teacher's.

Overlap uses maintained implementations, not hand-written n-gram code: corpus BLEU from sacrebleu
(its standard 13a tokenisation, score on sacrebleu's 0-100 scale) and ROUGE-L F1 from Google's
rouge-score (with the Porter stemmer; each distinct word is stemmed once per call, see
:class:`_MemoStemmer`). Rationale-label consistency itself is a rate over the
records' ``consistent`` field (see :mod:`evalsuite.metrics.summary`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalsuite.runs.records import Record, as_records

__all__ = [
    "TEACHER_RATIONALE_KIND",
    "Overlap",
    "rationale_kind",
    "rationale_lengths",
    "rationale_overlap",
    "rationale_summary",
]


def rationale_lengths(texts: Sequence[str]) -> np.ndarray:
    """Length of each rationale in whitespace-separated words.

    Examples
    --------
    >>> rationale_lengths(["3 + 4 = 7 .", ""]).tolist()
    [6, 0]
    """
    return np.array([len(t.split()) for t in texts], dtype=np.int64)


@dataclass(frozen=True)
class Overlap:
    """Overlap of generated rationales with reference (teacher) rationales.

    Attributes
    ----------
    bleu : float
        sacrebleu corpus BLEU, 0-100.
    rouge_l : float
        Mean ROUGE-L F1 over pairs, 0-1.
    n : int
        Number of pairs.
    """

    bleu: float
    rouge_l: float
    n: int


class _MemoStemmer:
    """rouge-score's Porter stemmer, remembering each word's stem.

    Stemming is most of ROUGE-L's time (about 1 s for 500 rationale pairs) and a run's
    rationales reuse a small vocabulary; the stem of a word never changes, so the tokens, and
    the scores, are exactly those of ``RougeScorer(["rougeL"], use_stemmer=True)``.
    """

    def __init__(self) -> None:
        from nltk.stem import porter  # what rouge-score's own stemming tokenizer uses

        self._stem = porter.PorterStemmer().stem
        self._stems: dict[str, str] = {}

    def stem(self, word: str) -> str:
        stem = self._stems.get(word)
        if stem is None:
            stem = self._stems[word] = self._stem(word)
        return stem


def _stemming_tokenizer() -> Any:
    """rouge-score's default tokenizer with the Porter stemmer, given a :class:`_MemoStemmer`."""
    from rouge_score import tokenize, tokenizers

    class MemoStemmingTokenizer(tokenizers.Tokenizer):
        def __init__(self) -> None:
            self._stemmer = _MemoStemmer()

        def tokenize(self, text: str) -> list[str]:
            return list(tokenize.tokenize(text, self._stemmer))

    return MemoStemmingTokenizer()


def rationale_overlap(hypotheses: Sequence[str], references: Sequence[str]) -> Overlap:
    """Corpus BLEU (sacrebleu) and mean ROUGE-L F1 (rouge-score) of paired rationales.

    Parameters
    ----------
    hypotheses : sequence of str
        Generated rationales.
    references : sequence of str
        The teacher's rationale for the same examples, in the same order.

    Raises
    ------
    ValueError
        When the lengths differ or there are no pairs.

    Examples
    --------
    >>> o = rationale_overlap(["the cat sat on the mat"], ["the cat sat on the mat"])
    >>> round(o.bleu, 1), round(o.rouge_l, 3), o.n
    (100.0, 1.0, 1)
    """
    if len(hypotheses) != len(references):
        raise ValueError(
            f"hypotheses and references must pair up, got {len(hypotheses)} and {len(references)}"
        )
    if not hypotheses:
        raise ValueError("no rationale pairs to compare")
    import sacrebleu
    from rouge_score import rouge_scorer

    bleu = sacrebleu.corpus_bleu(list(hypotheses), [list(references)]).score
    scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_stemming_tokenizer())
    rouge = [
        scorer.score(ref, hyp)["rougeL"].fmeasure
        for hyp, ref in zip(hypotheses, references, strict=True)
    ]
    return Overlap(bleu=float(bleu), rouge_l=float(np.mean(rouge)), n=len(hypotheses))


TEACHER_RATIONALE_KIND = "cot"
"""The dataset teacher's rationales are prose chains of thought."""


def rationale_kind(record: Record) -> str:
    """What a record's rationale is: ``cot``, ``pot`` or ``socratic`` (docs/confidence.md).

    Records written before ``rationale_kind`` existed read it from the chosen path's kind
    (mixed and Socratic students) and are otherwise prose.

    Examples
    --------
    >>> from evalsuite.runs import Record
    >>> rationale_kind(Record.from_json({"id": "a", "gold": "1", "correct": True,
    ...     "rationale": "ans = 1", "paths": [{"kind": "pot"}], "chosen_path": 0}, "x"))
    'pot'
    """
    if record.rationale_kind is not None:
        return record.rationale_kind
    if record.paths and record.chosen_path is not None and record.chosen_path < len(record.paths):
        return record.paths[record.chosen_path].kind
    return "socratic" if record.path_mode == "socratic" else "cot"


def _teacher_rationale(record: Record) -> str | None:
    text = record.teacher.rationale if record.teacher is not None else None
    return text if text is not None and text.strip() else None


def rationale_summary(records: Sequence[Record | Mapping[str, Any]]) -> dict[str, Any] | None:
    """Length and teacher overlap of the records' rationales; None when no record has one.

    Returns
    -------
    dict or None
        ``n`` (records with a rationale); ``length`` (``mean``, ``median``, ``min``, ``max`` in
        words); ``n_with_teacher`` (of those, how many have a teacher rationale of the same kind
        to compare with); ``bleu`` (0-100) and ``rouge_l`` (0-1) over those pairs, null when
        there are none; ``overlap_kind`` (the teacher's kind, ``cot``) and ``skipped_kinds``
        (rationale kind -> how many records with a teacher rationale were not compared because
        their rationale is of another kind: a program is never scored against prose).

    Examples
    --------
    >>> rationale_summary([{"id": "a", "gold": "1", "correct": True, "rationale": "a b c"},
    ...                    {"id": "b", "gold": "1", "correct": True}])["length"]["mean"]
    3.0
    """
    typed = as_records(records)
    present = [(text, r) for r in typed if (text := r.rationale) is not None and text.strip()]
    if not present:
        return None
    lengths = rationale_lengths([t for t, _ in present])
    pairs: list[tuple[str, str]] = []
    skipped: dict[str, int] = {}
    for text, record in present:
        reference = _teacher_rationale(record)
        if reference is None:
            continue
        kind = rationale_kind(record)
        if kind == TEACHER_RATIONALE_KIND:
            pairs.append((text, reference))
        else:
            skipped[kind] = skipped.get(kind, 0) + 1
    overlap = rationale_overlap([h for h, _ in pairs], [ref for _, ref in pairs]) if pairs else None
    return {
        "n": len(present),
        "length": {
            "mean": float(lengths.mean()),
            "median": float(np.median(lengths)),
            "min": int(lengths.min()),
            "max": int(lengths.max()),
        },
        "n_with_teacher": len(pairs),
        "bleu": overlap.bleu if overlap else None,
        "rouge_l": overlap.rouge_l if overlap else None,
        "overlap_kind": TEACHER_RATIONALE_KIND,
        "skipped_kinds": dict(sorted(skipped.items())),
    }
