"""Run program-of-thought code (model output that sets ``ans``) in a sandbox, in batches.

Layers, outermost first; each one alone stops the attacks it names:

1. **Allow-list** (:mod:`evalsuite.sandbox.policy`), checked in the parent before any program
   reaches a worker: no imports, dunders, ``open``/``exec``/``eval``/``compile``/
   ``getattr``..., and only listed attribute names (so no ``"{0.__class__}".format`` walks).
2. **Namespace** (:mod:`evalsuite.sandbox.worker`): a fresh dict per program; builtins cut
   down to ``SAFE_BUILTIN_NAMES``, a ``print`` that captures its output, and ``math`` as a
   plain namespace, not the module.
3. **Worker process** (:mod:`evalsuite.sandbox.worker`): a bare interpreter (``python -I -S``,
   empty environment, cwd ``/``) that imports this package and nothing else (every module here
   uses the standard library alone, so this ``__init__`` must stay that way), so its memory
   limit means what it says. Before serving it lowers, for good: address space
   (``memory_mb``), open files (none: no new file, socket or pipe), file size (0: no writes),
   child processes (none), core files (none). Each program gets a CPU-time limit
   (``RLIMIT_CPU``) and a wall-clock deadline that the parent enforces by killing the worker.
4. **Pool** (:mod:`evalsuite.sandbox.pool`): a worker that dies or is killed is replaced; its
   program is reported (``timeout``, ``crashed``) and the batch goes on.

What comes back (:class:`SandboxResult`, :mod:`evalsuite.sandbox.results`) is valid Unicode
throughout: an ``ans`` that is not (a lone surrogate) is a ``bad_answer``, and printed text and
error messages have such characters escaped.

Not done: seccomp filters and network namespaces (need privileges or non-stdlib code); the
network is closed by layers 1-3 (no ``socket`` reachable, and no file descriptor to put one in).
"""

from evalsuite.sandbox.policy import PolicyViolation, check_program
from evalsuite.sandbox.pool import Sandbox, SandboxConfig, run_program, run_programs
from evalsuite.sandbox.results import ANSWER_NAME, ERROR_KINDS, ErrorKind, SandboxResult

__all__ = [
    "ANSWER_NAME",
    "ERROR_KINDS",
    "ErrorKind",
    "PolicyViolation",
    "Sandbox",
    "SandboxConfig",
    "SandboxResult",
    "check_program",
    "run_program",
    "run_programs",
]
