"""The parent side of the sandbox: a pool of worker processes that runs batches of programs.

A worker that dies or is killed is replaced; its program is reported (``timeout``,
``crashed``) and the batch goes on. Workers are reused across programs (starting one costs
tens of milliseconds) but no state crosses over: each program gets a new namespace, and a
worker that ran out of memory is retired. The parent enforces each program's wall-clock
deadline by killing its worker.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import signal
import subprocess
import time
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evalsuite.errors import UsageError
from evalsuite.sandbox.policy import check_program
from evalsuite.sandbox.results import SandboxResult, failure
from evalsuite.sandbox.worker import worker_command

__all__ = ["STARTUP_TIMEOUT_S", "Sandbox", "SandboxConfig", "run_program", "run_programs"]

STARTUP_TIMEOUT_S = 30.0
"""A worker that is not ready by then means a broken installation, not a bad program."""


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
            worker_command(memory_mb),
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
        return failure("timeout", message, elapsed_s)
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = " (perhaps the system's out-of-memory killer)" if name == "SIGKILL" else ""
        return failure("crashed", f"the worker was killed by {name}{hint}", elapsed_s)
    return failure("crashed", f"the worker exited with status {returncode}", elapsed_s)


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
                results[index] = failure(violation.kind, violation.message)
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
            results[worker.task] = failure("timeout", message, elapsed)
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
