"""Run one program-of-thought file in the sandbox and report ok, value and error.

The program runs exactly as PoT outputs are scored: checked against the allow-list (no imports,
dunders, open/exec/eval/compile/getattr, ...), then run in a separate, locked-down process with
time and memory limits. It must set `ans` to a number, string, bool or None; `math` is pre-bound
(use math.sqrt without importing) and print() output is captured and shown.

Exit status: 0 when the sandbox ran the program, whatever the program did; a program that fails
is a result (ok false, with the error kind and message), not a failure of the command. 2 when
FILE.py is missing or not UTF-8 text, or an option is out of range.

Error kinds: syntax_error, forbidden, timeout, memory, recursion, runtime_error, no_answer
(never set `ans`), bad_answer (`ans` not a finite number, str, bool or None, or text that is
not valid Unicode such as a lone surrogate), crashed (the worker died from a signal). Printed
text and error messages come back with any lone surrogate escaped (`\\ud800`), so --json always
prints one complete document.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from evalsuite.commands.common import add_json_argument, print_json
from evalsuite.errors import UsageError
from evalsuite.io import read_text

NAME = "sandbox"
HELP = "run one program-of-thought file in the sandbox (exit 0 even when the program fails)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program", metavar="FILE.py", help="the program to run (sets `ans`)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="wall-clock limit (default: 2); the CPU-time limit is its ceiling",
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=256,
        metavar="MB",
        help="address-space limit of the worker process, interpreter included (default: 256)",
    )
    add_json_argument(parser)


def read_program(path: Path) -> str:
    """The program text; DataError naming the file when it cannot be read (missing, a
    directory, not UTF-8: :func:`evalsuite.io.read_text`)."""
    return read_text(path)


def run(args: argparse.Namespace) -> int:
    from evalsuite.sandbox import Sandbox, SandboxConfig

    try:
        config = SandboxConfig(timeout_s=args.timeout, memory_mb=args.memory_mb, n_workers=1)
    except UsageError as err:  # the library names its field; the user typed an option
        option = "--timeout" if str(err).startswith("timeout_s") else "--memory-mb"
        raise UsageError(f"{option}: {err}") from None
    source = read_program(Path(args.program))
    with Sandbox(config) as sandbox:
        (result,) = sandbox.run([source])
    if args.json:
        print_json(result.to_dict())
        return 0
    error = "-" if result.error_kind is None else f"{result.error_kind}: {result.error_message}"
    print(f"ok:       {json.dumps(result.ok)}")
    print(f"value:    {json.dumps(result.value, ensure_ascii=False)}")
    print(f"error:    {error}")
    print(f"elapsed:  {result.elapsed_s:.3f} s")
    if result.output:
        print("output:")
        for line in result.output.splitlines():
            print(f"  {line}")
    return 0
