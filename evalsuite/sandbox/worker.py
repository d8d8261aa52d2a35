"""The worker side of the sandbox: a locked-down process that runs one program at a time.

:class:`~evalsuite.sandbox.pool.Sandbox` starts each worker with :func:`worker_command`: a bare
interpreter (``python -I -S``, empty environment, cwd ``/``) that imports only
:mod:`evalsuite.sandbox`, whose modules use the standard library alone, so the worker's memory
limit means what it says. Before serving, the worker lowers its limits for good
(:func:`_lock_down`); each program then runs in a fresh namespace with cut-down builtins, and
its reply is one JSON line whose strings are all valid Unicode.
"""

from __future__ import annotations

import builtins
import json
import math
import os
import resource
import sys
import types
from collections.abc import Callable
from typing import IO, Any

from evalsuite.sandbox.policy import MATH_NAMES, SAFE_BUILTIN_NAMES
from evalsuite.sandbox.results import (
    ANSWER_NAME,
    MAX_INT_BITS,
    MAX_MESSAGE_CHARS,
    MAX_OUTPUT_CHARS,
    MAX_VALUE_CHARS,
    ErrorKind,
    JsonScalar,
)

__all__ = ["RECURSION_LIMIT", "serve_worker", "worker_command"]

RECURSION_LIMIT = 1000
_PROGRAM_FILENAME = "<program>"

# The worker's command line: the repository root goes on the path and the worker imports this
# module by its package name. evalsuite/__init__.py and evalsuite/sandbox/__init__.py import
# only the standard library (tests/sandbox/test_sandbox.py checks the worker's modules), so no
# stand-in packages are needed.
_BOOT = """\
import sys
sys.path.insert(0, sys.argv[1])
from evalsuite.sandbox.worker import serve_worker
serve_worker(int(sys.argv[2]))
"""
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def worker_command(memory_mb: int) -> list[str]:
    """The argv that starts one worker with an address-space limit of ``memory_mb`` MiB."""
    return [sys.executable, "-I", "-S", "-c", _BOOT, _ROOT, str(memory_mb)]


def _lock_down(memory_mb: int) -> tuple[IO[bytes], int]:
    """Take the worker's limits, for good; return its request stream and reply descriptor.

    Order matters: every descriptor the worker will ever use is made before the open-files
    limit drops to zero, and everything it will ever import is imported before that too.
    """
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # nothing a program does can reach the parent's terminal
        os.dup2(devnull, fd)
    os.close(devnull)
    os.environ.clear()
    os.chdir("/")
    sys.setrecursionlimit(RECURSION_LIMIT)
    memory = memory_mb * 1024 * 1024
    for limit, value in (
        (resource.RLIMIT_AS, memory),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, 0),
        (resource.RLIMIT_NPROC, 0),
        (resource.RLIMIT_NOFILE, 0),
    ):
        resource.setrlimit(limit, (value, value))
    return requests, replies


def _valid_text(text: str) -> str:
    """``text`` with every lone surrogate written as its escape (``\\ud800``).

    A program can make text that is not valid Unicode (``chr(0xD800)``); it would pass through
    JSON as an escape and then fail whoever encodes it as UTF-8 (a terminal, a records file).
    So what a program prints or puts in an exception message is escaped here, at the source.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _capturing_print(chunks: list[str]) -> Callable[..., None]:
    """A ``print`` that appends to ``chunks`` (at most ``MAX_OUTPUT_CHARS`` in all)."""
    room = [MAX_OUTPUT_CHARS]

    def print(*values: object, sep: str | None = " ", end: str | None = "\n", flush: bool = False):
        text = (" " if sep is None else str(sep)).join(map(str, values))
        text = _valid_text(text + ("\n" if end is None else str(end)))
        if room[0] > 0:
            chunks.append(text[: room[0]])
        room[0] -= len(text)

    return print


_BUILTINS = {name: getattr(builtins, name) for name in SAFE_BUILTIN_NAMES}


def _fresh_namespace(chunks: list[str]) -> dict[str, Any]:
    """A new globals dict: nothing one program does is visible to the next."""
    safe_builtins = dict(_BUILTINS, print=_capturing_print(chunks))
    maths = types.SimpleNamespace(**{name: getattr(math, name) for name in MATH_NAMES})
    return {"__builtins__": safe_builtins, "math": maths}


def _program_line(exc: BaseException) -> str:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _PROGRAM_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"line {line}: " if line is not None else ""


def _text_problem(value: str, name: str) -> str | None:
    """Why a string ``ans`` is unusable, or None."""
    if len(value) > MAX_VALUE_CHARS:
        return f"{name} has {len(value)} characters; at most {MAX_VALUE_CHARS}"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        code, at = ord(value[err.start]), err.start
        return f"{name} is not valid Unicode text: a lone surrogate U+{code:04X} at index {at}"
    return None


def _answer_problem(namespace: dict[str, Any]) -> str | None:
    """Why the program's answer is unusable (a ``bad_answer``), or None."""
    value, name = namespace[ANSWER_NAME], f"'{ANSWER_NAME}'"
    if type(value) not in (bool, int, float, str, type(None)):
        return f"{name} is a {type(value).__name__}; expected a number, str, bool or None"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} is {value}; a number must be finite"
    if isinstance(value, str):
        return _text_problem(value, name)
    if type(value) is int and value.bit_length() > MAX_INT_BITS:
        return f"{name} is an integer of {value.bit_length()} bits; at most {MAX_INT_BITS}"
    return None


def _execute(source: str, *, cpu_s: int) -> dict[str, Any]:
    """Run one program in a fresh namespace; the reply is a JSON-safe dict of valid text."""
    # RLIMIT_CPU counts the worker's whole life, so each program's limit is set past what the
    # worker has used so far.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used_s = math.ceil(usage.ru_utime + usage.ru_stime)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (used_s + cpu_s, hard))
    chunks: list[str] = []
    namespace = _fresh_namespace(chunks)
    kind: ErrorKind | None
    message: str | None
    value: JsonScalar = None
    try:
        code = compile(source, _PROGRAM_FILENAME, "exec", dont_inherit=True)
        # The one legitimate exec in evalsuite: model-written code, already checked against the
        # allow-list, run in this locked-down worker with restricted builtins. Everything else
        # treats model output as data.
        exec(code, namespace)
        if ANSWER_NAME not in namespace:
            kind, message = "no_answer", f"the program never set '{ANSWER_NAME}'"
        elif (message := _answer_problem(namespace)) is not None:
            kind = "bad_answer"
        else:
            kind, value = None, namespace[ANSWER_NAME]
    except MemoryError:
        namespace.clear()
        kind, message = "memory", "MemoryError: the program ran past its memory limit"
    except RecursionError as exc:
        kind, message = "recursion", f"{_program_line(exc)}RecursionError: {exc}"
    except SyntaxError as exc:  # compile-time limits the parser let through
        kind, message = "syntax_error", f"line {exc.lineno}: {exc.msg}"
    except Exception as exc:
        kind, message = "runtime_error", f"{_program_line(exc)}{type(exc).__name__}: {exc}"
    finally:
        namespace.clear()  # breaks function <-> globals cycles, freeing the program's memory now
    output = "".join(chunks)
    if sum(map(len, chunks)) >= MAX_OUTPUT_CHARS:
        output += "\n[output truncated]"
    return {
        "ok": kind is None,
        "value": value,
        "error_kind": kind,
        "error_message": None if message is None else _valid_text(message)[:MAX_MESSAGE_CHARS],
        "output": output,
    }


def _send(fd: int, reply: dict[str, Any]) -> None:
    data = (json.dumps(reply) + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]


def serve_worker(memory_mb: int) -> None:
    """The worker's main loop: one JSON request line in, one JSON reply line out.

    Runs in the bare interpreter that :func:`worker_command` starts; returns when the parent
    closes the request stream. Not for calling in any other process: it locks that process down.
    """
    requests, replies = _lock_down(memory_mb)
    _send(replies, {"ready": True})
    for line in requests:
        request = json.loads(line)
        _send(replies, _execute(request["source"], cpu_s=request["cpu_s"]))
