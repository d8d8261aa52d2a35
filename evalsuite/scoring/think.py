"""Reasoning traces in the R1 style: ``<think> trace </think> answer``.

The rationale is the trace; the answer is read from what follows its closing tag. A generation
whose trace is never closed, or that has no trace, has no answer to read: it is an extraction
failure (counted and reported), not an answer guessed from the reasoning. Chat templates of
R1-distilled models often open the trace in the prompt, so a generation may start inside it:
a closing tag without an opening one is a closed trace.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["THINK_CLOSE", "THINK_OPEN", "ThinkOutput", "parse_think"]

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


@dataclass(frozen=True)
class ThinkOutput:
    """One generation read as trace and answer."""

    trace: str | None
    """The reasoning between the tags (None without a trace; the text so far when unclosed)."""
    answer: str | None
    """What follows the last closing tag (None unless the trace is closed)."""
    failure: str | None
    """``unclosed_think_trace`` or ``no_think_trace`` when no answer can be read, else None;
    the record's ``extraction.method`` then."""


def parse_think(text: str) -> ThinkOutput:
    """Split a generation at its last ``</think>``.

    Examples
    --------
    >>> parse_think("<think> 3 + 4 is 7 </think> 7")
    ThinkOutput(trace='3 + 4 is 7', answer='7', failure=None)
    >>> parse_think("3 + 4 is 7 </think> 7").trace  # opened by the chat template
    '3 + 4 is 7'
    >>> parse_think("<think> 3 + 4 is").failure, parse_think("7").failure
    ('unclosed_think_trace', 'no_think_trace')
    """
    if THINK_CLOSE in text:
        trace, _, answer = text.rpartition(THINK_CLOSE)
        trace = trace.split(THINK_OPEN, 1)[1] if THINK_OPEN in trace else trace
        return ThinkOutput(trace.strip(), answer.strip(), None)
    if THINK_OPEN in text:
        return ThinkOutput(text.split(THINK_OPEN, 1)[1].strip(), None, "unclosed_think_trace")
    return ThinkOutput(None, None, "no_think_trace")
