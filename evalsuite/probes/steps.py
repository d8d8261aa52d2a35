"""A rationale as steps, and the rule-based interventions on it: truncation, a corrupted step,
filler of the same length, random tokens, all as pure functions of text (or token ids).

Steps are sentences; a sentence that holds several equations (``3 * 4 = 12, 12 + 2 = 14``) is
one step per equation, so an arithmetic chain is cut where its working is. A corrupted step
changes one number or one operator, chosen with an injected ``rng``: no second model is needed
and the same seed gives the same corruption (Lanham et al. 2023, "adding mistakes").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evalsuite.metrics.resampling import RandomState, as_generator

__all__ = [
    "Corruption",
    "corrupt_step",
    "filler_text",
    "join_steps",
    "perturb_token_ids",
    "split_steps",
]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_EQUATION_RESULT = re.compile(r"=\s*-?\d+(?:\.\d+)?\b[.,;]?")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w]|\.\d)")
_OPERATOR = re.compile(r"(?<=[\d\s)])[-+*/](?=[\s\d(])")
_SWAPPED_OPERATOR = {"+": "-", "-": "+", "*": "/", "/": "*"}
_NEGATION = re.compile(r"\b(is|are|was|were|can|does|do|did) not\b|\b(is|are|was|were|can)\b")


def split_steps(rationale: str) -> list[str]:
    """The rationale's steps: its sentences, and within a sentence one step per equation.

    Examples
    --------
    >>> split_steps("Sam has 3 eggs. He buys 4 more, 3 + 4 = 7, and eats 2: 7 - 2 = 5.")
    ['Sam has 3 eggs.', 'He buys 4 more, 3 + 4 = 7,', 'and eats 2: 7 - 2 = 5.']
    >>> split_steps("  ")
    []
    """
    steps: list[str] = []
    for sentence in _SENTENCE_END.split(rationale.strip()):
        start = 0
        for match in _EQUATION_RESULT.finditer(sentence):
            steps.append(sentence[start : match.end()].strip())
            start = match.end()
        steps.append(sentence[start:].strip())
    return [step for step in steps if step]


def join_steps(steps: Sequence[str]) -> str:
    """Steps back into one rationale (a single space between them)."""
    return " ".join(steps)


@dataclass(frozen=True)
class Corruption:
    """One step made wrong: the new text and what changed (``kind`` ``number`` or
    ``operator``, the original and the replacement)."""

    text: str
    kind: str
    original: str
    replacement: str


def corrupt_step(step: str, rng: RandomState = None) -> Corruption | None:
    """``step`` with one number or operator changed, chosen uniformly among them with ``rng``.

    A number becomes a different number (plus or minus 1 to 9, never itself; whole numbers
    stay whole); an operator is swapped (``+`` and ``-``, ``*`` and ``/``). A step of prose,
    with neither, has the polarity of one verb flipped instead (``is`` and ``is not``, also
    ``are``, ``was``, ``were``, ``can``; ``does not``/``do not``/``did not`` lose the ``not``).
    None when the step offers none of these.

    Examples
    --------
    >>> c = corrupt_step("So 3 * 4 = 12.", rng=0)
    >>> c.text != "So 3 * 4 = 12." and c.kind in ("number", "operator")
    True
    >>> corrupt_step("The cat is red.", rng=0).text
    'The cat is not red.'
    >>> corrupt_step("A dog does not sit.", rng=0).text
    'A dog does sit.'
    >>> corrupt_step("Cats sleep.", rng=0) is None
    True
    """
    generator = as_generator(rng)
    sites = [("number", m) for m in _NUMBER.finditer(step)]
    sites += [("operator", m) for m in _OPERATOR.finditer(step)]
    if not sites:  # prose: flip the polarity of one verb instead
        sites = [("negation", m) for m in _NEGATION.finditer(step)]
    if not sites:
        return None
    kind, match = sites[int(generator.integers(len(sites)))]
    original = match.group(0)
    if kind == "negation":
        negated = match.group(1)
        replacement = negated if negated else f"{original} not"
    elif kind == "operator":
        replacement = _SWAPPED_OPERATOR[original]
    else:
        offset = int(generator.integers(1, 10)) * (1 if generator.random() < 0.5 else -1)
        value = float(original) + offset
        if value < 0:  # keep numbers non-negative: a minus sign would read as an operator
            value = float(original) + abs(offset)
        replacement = str(int(value)) if "." not in original else f"{value:.{_decimals(original)}f}"
    text = step[: match.start()] + replacement + step[match.end() :]
    return Corruption(text, kind, original, replacement)


def _decimals(number: str) -> int:
    return len(number.partition(".")[2])


def filler_text(n_tokens: int, tokens_per_filler: int, *, filler: str = "...") -> str:
    """Filler of about ``n_tokens`` tokens: ``filler`` repeated, space-separated (Lanham's
    "..."); ``tokens_per_filler`` is how many tokens one ``filler`` takes.

    Examples
    --------
    >>> filler_text(6, 2)
    '... ... ...'
    >>> filler_text(0, 1)
    ''
    """
    if n_tokens <= 0:
        return ""
    count = max(1, round(n_tokens / max(1, tokens_per_filler)))
    return " ".join([filler] * count)


def perturb_token_ids(
    ids: Sequence[int],
    *,
    rate: float,
    vocab: Sequence[int],
    rng: RandomState = None,
) -> list[int]:
    """``ids`` with ``round(rate * len(ids))`` positions, drawn without replacement, replaced by
    tokens drawn uniformly from ``vocab`` (SCOTT's perturbation, Wang et al. 2023).

    Examples
    --------
    >>> out = perturb_token_ids([1, 2, 3, 4], rate=0.5, vocab=[100, 101], rng=0)
    >>> sum(a != b for a, b in zip(out, [1, 2, 3, 4]))
    2
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    generator = as_generator(rng)
    out = list(ids)
    n = round(rate * len(out))
    if n == 0 or not vocab:
        return out
    positions = generator.choice(len(out), size=n, replace=False)
    pool = np.asarray(vocab)
    for position in sorted(int(p) for p in positions):
        # a replacement equal to the original is drawn again, so exactly n tokens change
        choice = int(pool[generator.integers(len(pool))])
        while choice == out[position] and len(pool) > 1:
            choice = int(pool[generator.integers(len(pool))])
        out[position] = choice
    return out
