"""What running one program gives: the result type, its error kinds, and the answer's limits.

Shared by both sides of the sandbox: the worker (:mod:`evalsuite.sandbox.worker`) builds the
reply, the pool (:mod:`evalsuite.sandbox.pool`) turns it into a :class:`SandboxResult`.
Standard library only, like everything the worker loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "ANSWER_NAME",
    "ERROR_KINDS",
    "MAX_INT_BITS",
    "MAX_MESSAGE_CHARS",
    "MAX_OUTPUT_CHARS",
    "MAX_VALUE_CHARS",
    "ErrorKind",
    "JsonScalar",
    "SandboxResult",
    "failure",
]

ANSWER_NAME = "ans"
"""The variable a program sets to its final answer."""

ErrorKind = Literal[
    "syntax_error",
    "forbidden",
    "timeout",
    "memory",
    "recursion",
    "runtime_error",
    "no_answer",
    "bad_answer",
    "crashed",
]

ERROR_KINDS: dict[str, str] = {
    "syntax_error": "the program is not valid Python",
    "forbidden": "it uses something outside the allow-list (import, dunder, open, exec, ...)",
    "timeout": "it ran past its wall-clock or CPU-time limit; its worker was killed",
    "memory": "it ran past its memory limit",
    "recursion": "it recursed past the recursion limit",
    "runtime_error": "it raised an exception (NameError, ZeroDivisionError, ...)",
    "no_answer": f"it ran but never set '{ANSWER_NAME}'",
    "bad_answer": (
        f"'{ANSWER_NAME}' is not a finite number, str, bool or None, is too long, "
        "or is text that is not valid Unicode (a lone surrogate)"
    ),
    "crashed": "its worker died without reporting (killed by a signal); the pool replaced it",
}
"""Every error kind a :class:`SandboxResult` can carry, with what it means."""

JsonScalar = bool | int | float | str | None

MAX_VALUE_CHARS = 10_000
"""A string ``ans`` longer than this is a ``bad_answer``."""
MAX_INT_BITS = 10_000
"""An integer ``ans`` wider than this is a ``bad_answer`` (JSON readers choke on it)."""
MAX_OUTPUT_CHARS = 10_000
"""Captured ``print`` output beyond this is dropped (the result says so)."""
MAX_MESSAGE_CHARS = 500
"""An error message is cut to this many characters."""


@dataclass(frozen=True)
class SandboxResult:
    """What running one program gave.

    Every string in it is valid Unicode (it encodes as UTF-8): the worker refuses an ``ans``
    that is not, and escapes anything else a program wrote (output, exception messages).

    Attributes
    ----------
    ok : bool
        True when the program ran and set a JSON-safe ``ans``.
    value : bool, int, float, str or None
        The final ``ans`` when ``ok``, else None.
    error_kind : str or None
        One of :data:`ERROR_KINDS` when not ``ok``.
    error_message : str or None
        One line saying what went wrong, with the program's line number where known.
    elapsed_s : float
        Wall-clock seconds from handing the program to a worker to its reply (IPC included);
        0 for a program refused before it ran (``syntax_error``, ``forbidden``).
    output : str
        What the program printed, at most ``MAX_OUTPUT_CHARS`` characters.
    """

    ok: bool
    value: JsonScalar
    error_kind: ErrorKind | None
    error_message: str | None
    elapsed_s: float
    output: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``{ok, value, error: {kind, message} | null, elapsed_s, output}``."""
        error = None
        if self.error_kind is not None:
            error = {"kind": self.error_kind, "message": self.error_message}
        return {
            "ok": self.ok,
            "value": self.value,
            "error": error,
            "elapsed_s": self.elapsed_s,
            "output": self.output,
        }


def failure(kind: ErrorKind, message: str, elapsed_s: float = 0.0) -> SandboxResult:
    """A failed result whose message is cut to ``MAX_MESSAGE_CHARS``."""
    return SandboxResult(False, None, kind, message[:MAX_MESSAGE_CHARS], elapsed_s)
