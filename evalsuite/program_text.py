"""Programs as one line of text, so that a seq2seq student can write them.

T5's SentencePiece tokenizer (and the tiny students' tokenizer) normalise every run of whitespace,
newlines included, to one space: a program-of-thought written with newlines comes back from
``decode`` as one line that does not parse. Students therefore learn programs in a line form
where each newline is the marker ``<nl>`` and each level of indentation the marker ``<tab>``,
and the scorer turns a generation back into a program before it runs in the sandbox. ``<``
and ``>`` are in T5's vocabulary (``{`` and ``}`` are not).

Indentation levels are the program's distinct indentation widths in increasing order, so a
program indented by 2 comes back indented by 4: the same program for Python.
"""

from __future__ import annotations

import re

__all__ = ["INDENT", "NEWLINE", "line_to_program", "program_to_line"]

NEWLINE = "<nl>"
INDENT = "<tab>"
_LEADING_INDENTS = re.compile(rf"^(?:\s*{re.escape(INDENT)})*")


def program_to_line(program: str) -> str:
    """The one-line form of a program (blank lines dropped).

    Examples
    --------
    >>> program_to_line("a = 3\\nb = a + 4\\nans = b")
    'a = 3 <nl> b = a + 4 <nl> ans = b'
    >>> program_to_line("def f(x):\\n  if x:\\n    return 1\\n  return 2\\n\\nans = f(0)")
    'def f(x): <nl> <tab>if x: <nl> <tab><tab>return 1 <nl> <tab>return 2 <nl> ans = f(0)'
    """
    lines = [line.rstrip() for line in program.expandtabs(4).split("\n") if line.strip()]
    widths = sorted({len(line) - len(line.lstrip(" ")) for line in lines})
    return f" {NEWLINE} ".join(
        INDENT * widths.index(len(line) - len(line.lstrip(" "))) + line.strip() for line in lines
    )


def line_to_program(text: str) -> str:
    """The program a one-line generation stands for; text without markers is returned as it is
    (a model that writes real newlines needs no decoding).

    Examples
    --------
    >>> print(line_to_program("def f(x): <nl> <tab>if x: <nl> <tab> <tab>return 1 <nl> ans = f(1)"))
    def f(x):
        if x:
            return 1
    ans = f(1)
    >>> line_to_program("ans = 2\\nprint(ans)")
    'ans = 2\\nprint(ans)'
    """
    if NEWLINE not in text and INDENT not in text:
        return text
    lines = []
    for part in text.split(NEWLINE):
        indents = _LEADING_INDENTS.match(part)
        prefix = indents.group(0) if indents else ""
        code = part[len(prefix) :].strip()
        if code:
            lines.append("    " * prefix.count(INDENT) + code)
    return "\n".join(lines)
