"""Run program-of-thought code (model output that sets ``ans``) in a sandbox, in batches.

Layers, outermost first; each one alone stops the attacks it names:

1. **Allow-list** (:mod:`evalsuite.scoring.sandbox_policy`), checked in the parent before any
   program reaches a worker: no imports, dunders, ``open``/``exec``/``eval``/``compile``/
   ``getattr``..., and only listed attribute names (so no ``"{0.__class__}".format`` walks).
2. **Namespace**: a fresh dict per program; builtins cut down to ``SAFE_BUILTIN_NAMES``, a
   ``print`` that captures its output, and ``math`` as a plain namespace, not the module.
3. **Worker process**: a bare interpreter (``python -I -S``, empty environment, cwd ``/``) that
   loads only the two sandbox modules, never the rest of evalsuite (which may pull in torch), so
   its memory limit means what it says. Before serving it lowers, for good: address space
   (``memory_mb``), open files (none: no new file, socket or pipe), file size (0: no writes),
   child processes (none), core files (none). Each program gets a CPU-time limit
   (``RLIMIT_CPU``) and a wall-clock deadline that the parent enforces by killing the worker.
4. **Pool**: a worker that dies or is killed is replaced; its program is reported (``timeout``,
   ``crashed``) and the batch goes on. Workers are reused across programs (starting one costs
   tens of milliseconds) but no state crosses over: each program gets a new namespace, and a
   worker that ran out of memory is retired.

Not done: seccomp filters and network namespaces (need privileges or non-stdlib code); the
network is closed by layers 1-3 (no ``socket`` reachable, and no file descriptor to put one in).
"""

from __future__ import annotations

import builtins
import contextlib
import json
import math
import os
import resource
import select
import signal
import subprocess
import sys
import time
import types
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from evalsuite.errors import UsageError
from evalsuite.scoring.sandbox_policy import MATH_NAMES, SAFE_BUILTIN_NAMES, check_program

__all__ = [
    "ANSWER_NAME",
    "ERROR_KINDS",
    "ErrorKind",
    "Sandbox",
    "SandboxConfig",
    "SandboxResult",
    "run_program",
    "run_programs",
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
    "bad_answer": f"'{ANSWER_NAME}' is not a finite number, str, bool or None, or is too long",
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
RECURSION_LIMIT = 1000
STARTUP_TIMEOUT_S = 30.0
"""A worker that is not ready by then means a broken installation, not a bad program."""
_PROGRAM_FILENAME = "<program>"


# ----------------------------------------------------------------------------- results, config


@dataclass(frozen=True)
class SandboxResult:
    """What running one program gave.

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


def _failure(kind: ErrorKind, message: str, elapsed_s: float = 0.0) -> SandboxResult:
    return SandboxResult(False, None, kind, message[:MAX_MESSAGE_CHARS], elapsed_s)


def _default_n_workers() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class SandboxConfig:
    """Limits and pool size. Validated once; never mutated.

    Parameters
    ----------
    timeout_s : float
        Wall-clock seconds a program may run, enforced by the parent (it kills the worker).
    memory_mb : int
        Address-space limit of each worker in MiB, the interpreter itself included (about
        20 MiB of it); a program that needs more gets ``memory``.
    cpu_s : int or None
        CPU seconds a program may use (``RLIMIT_CPU``, whole seconds); default
        ``ceil(timeout_s)``. A backstop: it also stops a runaway worker whose parent died.
    n_workers : int or None
        Worker processes; default the number of usable CPUs. Never more than the batch needs.
    """

    timeout_s: float = 2.0
    memory_mb: int = 256
    cpu_s: int | None = None
    n_workers: int | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.timeout_s, int | float) and 0 < self.timeout_s <= 3600):
            raise UsageError(f"timeout_s must be in (0, 3600] seconds, got {self.timeout_s!r}")
        if not (isinstance(self.memory_mb, int) and 64 <= self.memory_mb <= 1_048_576):
            raise UsageError(
                f"memory_mb must be an integer in [64, 1048576], got {self.memory_mb!r}"
            )
        if self.cpu_s is not None and not (isinstance(self.cpu_s, int) and self.cpu_s >= 1):
            raise UsageError(f"cpu_s must be a whole number of seconds >= 1, got {self.cpu_s!r}")
        if self.n_workers is not None and not (
            isinstance(self.n_workers, int) and 1 <= self.n_workers <= 256
        ):
            raise UsageError(f"n_workers must be an integer in [1, 256], got {self.n_workers!r}")

    @property
    def cpu_limit_s(self) -> int:
        """The CPU-time limit per program, in whole seconds."""
        return self.cpu_s if self.cpu_s is not None else math.ceil(self.timeout_s)

    @property
    def max_workers(self) -> int:
        """The pool size."""
        return self.n_workers if self.n_workers is not None else _default_n_workers()


# ----------------------------------------------------------------------------- worker side


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


def _capturing_print(chunks: list[str]) -> Callable[..., None]:
    """A ``print`` that appends to ``chunks`` (at most ``MAX_OUTPUT_CHARS`` in all)."""
    room = [MAX_OUTPUT_CHARS]

    def print(*values: object, sep: str | None = " ", end: str | None = "\n", flush: bool = False):
        text = (" " if sep is None else str(sep)).join(map(str, values))
        text += "\n" if end is None else str(end)
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


def _answer_problem(namespace: dict[str, Any]) -> str | None:
    """Why the program's answer is unusable (a ``bad_answer``), or None."""
    value, name = namespace[ANSWER_NAME], f"'{ANSWER_NAME}'"
    if type(value) not in (bool, int, float, str, type(None)):
        return f"{name} is a {type(value).__name__}; expected a number, str, bool or None"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} is {value}; a number must be finite"
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return f"{name} has {len(value)} characters; at most {MAX_VALUE_CHARS}"
    if type(value) is int and value.bit_length() > MAX_INT_BITS:
        return f"{name} is an integer of {value.bit_length()} bits; at most {MAX_INT_BITS}"
    return None


def _execute(source: str, *, cpu_s: int) -> dict[str, Any]:
    """Run one program in a fresh namespace; the reply is a JSON-safe dict."""
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
        # treats model output as data (see DESIGN.md).
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
        "error_message": None if message is None else message[:MAX_MESSAGE_CHARS],
        "output": output,
    }


def _send(fd: int, reply: dict[str, Any]) -> None:
    data = (json.dumps(reply) + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]


def serve_worker(memory_mb: int) -> None:
    """The worker's main loop: one JSON request line in, one JSON reply line out.

    Runs in the bare interpreter that :class:`Sandbox` starts; returns when the parent closes
    the request stream. Not for calling in any other process: it locks that process down.
    """
    requests, replies = _lock_down(memory_mb)
    _send(replies, {"ready": True})
    for line in requests:
        request = json.loads(line)
        _send(replies, _execute(request["source"], cpu_s=request["cpu_s"]))


# The worker's command line. It loads this module and the policy by their package names, but
# with stand-in package modules, so the package __init__ files (and whatever heavy libraries
# they import) never run in a worker.
_BOOT = """\
import sys, types
root = sys.argv[1]
for name in ("evalsuite", "evalsuite.scoring"):
    package = types.ModuleType(name)
    package.__path__ = [root + "/" + name.replace(".", "/")]
    sys.modules[name] = package
from evalsuite.scoring.sandbox import serve_worker
serve_worker(int(sys.argv[2]))
"""
_ROOT = str(Path(__file__).resolve().parents[2])


# ----------------------------------------------------------------------------- parent side


@dataclass
class _Worker:
    """One worker process and what it is doing (parent-side bookkeeping, mutable)."""

    process: subprocess.Popen[bytes]
    deadline: float
    ready: bool = False
    task: int | None = None
    dispatched: float = 0.0
    buffer: bytearray = field(default_factory=bytearray)

    @classmethod
    def start(cls, memory_mb: int) -> _Worker:
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _BOOT, _ROOT, str(memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={},
            cwd="/",
            start_new_session=True,  # a Ctrl-C in the terminal is the parent's to handle
        )
        return cls(process, deadline=time.perf_counter() + STARTUP_TIMEOUT_S)

    @property
    def fd(self) -> int:
        assert self.process.stdout is not None
        return self.process.stdout.fileno()

    def dispatch(self, task: int, source: str, cpu_s: int, timeout_s: float) -> bool:
        """Hand over a program; False when the worker turned out to be dead."""
        assert self.process.stdin is not None
        if self.process.poll() is not None:
            return False
        try:
            request = json.dumps({"source": source, "cpu_s": cpu_s}) + "\n"
            self.process.stdin.write(request.encode())
            self.process.stdin.flush()
        except BrokenPipeError:
            return False
        self.task, self.dispatched = task, time.perf_counter()
        self.deadline = self.dispatched + timeout_s
        return True

    def read(self) -> list[dict[str, Any]] | None:
        """The complete replies that have arrived; None when the worker is gone."""
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:
            return None
        self.buffer += chunk
        *lines, rest = self.buffer.split(b"\n")
        self.buffer = bytearray(rest)
        return [json.loads(line) for line in lines]

    def stop(self) -> int:
        """Kill the process (idle or not) and reap it; its exit status."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        returncode = self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        return returncode


def _death_result(returncode: int, config: SandboxConfig, elapsed_s: float) -> SandboxResult:
    """What a worker that died while running a program means for that program."""
    if returncode == -signal.SIGXCPU:
        message = f"CPU-time limit of {config.cpu_limit_s} s exceeded; the worker was stopped"
        return _failure("timeout", message, elapsed_s)
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = " (perhaps the system's out-of-memory killer)" if name == "SIGKILL" else ""
        return _failure("crashed", f"the worker was killed by {name}{hint}", elapsed_s)
    return _failure("crashed", f"the worker exited with status {returncode}", elapsed_s)


def _stop_all(workers: list[_Worker]) -> None:
    while workers:
        workers.pop().stop()


class Sandbox:
    """A pool of sandbox workers, reusable across batches; use it as a context manager.

    Parameters
    ----------
    config : SandboxConfig, optional
        Limits and pool size (defaults: 2 s, 256 MiB, one worker per CPU).

    Notes
    -----
    Workers start on first use and stay until :meth:`close` (or the end of the ``with``
    block, or garbage collection). Not thread-safe: one batch at a time.

    Examples
    --------
    >>> with Sandbox(SandboxConfig(timeout_s=2, n_workers=1)) as sandbox:
    ...     [r.value for r in sandbox.run(["ans = 6 * 7", "ans = round(2.5 ** 2, 1)"])]
    [42, 6.2]
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self._workers: list[_Worker] = []
        self._finalizer = weakref.finalize(self, _stop_all, self._workers)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker."""
        self._finalizer()

    @property
    def worker_pids(self) -> tuple[int, ...]:
        """Process ids of the live workers (for monitoring, and for tests that kill one)."""
        return tuple(w.process.pid for w in self._workers)

    def run(self, programs: Sequence[str]) -> list[SandboxResult]:
        """Run every program; one result per program, in order.

        A program that breaks a limit, crashes or kills its worker gets its error kind; the
        rest of the batch runs on fresh workers as needed.
        """
        results: list[SandboxResult | None] = [None] * len(programs)
        pending: deque[int] = deque()
        for index, source in enumerate(programs):
            if not isinstance(source, str):
                raise TypeError(f"programs[{index}] must be str, got {type(source).__name__}")
            violation = check_program(source)
            if violation is None:
                pending.append(index)
            else:
                results[index] = _failure(violation.kind, violation.message)
        if not self._finalizer.alive:
            raise RuntimeError("this Sandbox is closed")
        try:
            while pending or any(w.task is not None for w in self._workers):
                self._dispatch(programs, pending)
                self._collect(results, self._await_replies())
        except BaseException:  # a half-served pool would answer the next batch with stale replies
            _stop_all(self._workers)
            raise
        done = [r for r in results if r is not None]
        if len(done) != len(programs):  # a bug in the pool, never the programs' doing
            raise RuntimeError(f"the sandbox lost {len(programs) - len(done)} programs")
        return done

    def _dispatch(self, programs: Sequence[str], pending: deque[int]) -> None:
        busy = sum(w.task is not None for w in self._workers)
        while pending and len(self._workers) < min(self.config.max_workers, busy + len(pending)):
            self._workers.append(_Worker.start(self.config.memory_mb))
        for worker in list(self._workers):
            if pending and worker.ready and worker.task is None:
                task = pending.popleft()
                cfg = self.config
                if not worker.dispatch(task, programs[task], cfg.cpu_limit_s, cfg.timeout_s):
                    pending.appendleft(task)  # it never ran: give it to a fresh worker
                    self._retire(worker)

    def _await_replies(self) -> list[tuple[_Worker, list[dict[str, Any]] | None]]:
        waiting = [w for w in self._workers if not w.ready or w.task is not None]
        if not waiting:
            return []
        timeout_s = max(0.0, min(w.deadline for w in waiting) - time.perf_counter())
        poller = select.poll()  # not select.select: a big parent may hold descriptors past 1024
        for worker in waiting:
            poller.register(worker.fd, select.POLLIN)
        ready = {fd for fd, _ in poller.poll(math.ceil(timeout_s * 1000))}
        return [(w, w.read()) for w in waiting if w.fd in ready]

    def _collect(
        self,
        results: list[SandboxResult | None],
        arrivals: list[tuple[_Worker, list[dict[str, Any]] | None]],
    ) -> None:
        now = time.perf_counter()
        for worker, replies in arrivals:
            if replies is None:  # the worker is gone
                self._retire(worker, results, now)
                continue
            for reply in replies:
                if reply.get("ready"):
                    worker.ready = True
                elif worker.task is not None:
                    elapsed = now - worker.dispatched
                    results[worker.task] = SandboxResult(**reply, elapsed_s=elapsed)
                    worker.task = None
                    if reply["error_kind"] == "memory":  # a fragmented heap is not worth keeping
                        self._retire(worker)
        for worker in list(self._workers):
            if worker.deadline <= now and (worker.task is not None or not worker.ready):
                if worker.task is None:
                    self._retire(worker)
                    raise RuntimeError(
                        f"a sandbox worker did not start within {STARTUP_TIMEOUT_S:g} s"
                    )
                self._retire(worker, results, now, timed_out=True)

    def _retire(
        self,
        worker: _Worker,
        results: list[SandboxResult | None] | None = None,
        now: float = 0.0,
        *,
        timed_out: bool = False,
    ) -> None:
        """Stop a worker and drop it from the pool; report the program it was running."""
        self._workers.remove(worker)
        returncode = worker.stop()
        if results is None:
            return
        if worker.task is None:
            if not worker.ready:
                raise RuntimeError(
                    f"a sandbox worker exited during start-up with status {returncode}"
                )
            return
        elapsed = now - worker.dispatched
        if timed_out:
            limit = self.config.timeout_s
            message = f"wall-clock limit of {limit:g} s exceeded; the worker was killed"
            results[worker.task] = _failure("timeout", message, elapsed)
        else:
            results[worker.task] = _death_result(returncode, self.config, elapsed)


def run_programs(
    programs: Sequence[str],
    *,
    timeout_s: float = 2.0,
    memory_mb: int = 256,
    cpu_s: int | None = None,
    n_workers: int | None = None,
) -> list[SandboxResult]:
    """Run a batch of programs in a fresh pool; one :class:`SandboxResult` per program.

    See :class:`SandboxConfig` for the options. To run several batches, keep one
    :class:`Sandbox` open instead: its workers are reused.

    Examples
    --------
    >>> results = run_programs(["apples = 15\\napples = apples + 21\\nans = apples",
    ...                         "import os", "ans = 1 / 0"], n_workers=1)
    >>> [(r.ok, r.value, r.error_kind) for r in results]
    [(True, 36, None), (False, None, 'forbidden'), (False, None, 'runtime_error')]
    >>> results[2].error_message
    'line 1: ZeroDivisionError: division by zero'
    """
    config = SandboxConfig(
        timeout_s=timeout_s, memory_mb=memory_mb, cpu_s=cpu_s, n_workers=n_workers
    )
    with Sandbox(config) as sandbox:
        return sandbox.run(programs)


def run_program(source: str, *, timeout_s: float = 2.0, memory_mb: int = 256) -> SandboxResult:
    """Run one program in the sandbox (a pool of one worker).

    Examples
    --------
    >>> run_program("ans = math.sqrt(16) + max(1, 2)").value
    6.0
    """
    return run_programs([source], timeout_s=timeout_s, memory_mb=memory_mb, n_workers=1)[0]
