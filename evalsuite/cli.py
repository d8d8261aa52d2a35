"""The `evalsuite` command line: argument parsing and dispatch only.

Each verb lives in its own module under ``evalsuite.commands`` with ``add_arguments`` and ``run``.
Exit status: 0 success; 2 bad input or usage, or an input or output path the system refuses
(one line on stderr, no traceback); 1 internal error; 130 interrupted; 141 stdout closed early
(``evalsuite metrics RUN | head``: the output nobody reads is dropped quietly).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from evalsuite import __version__
from evalsuite.commands import COMMANDS
from evalsuite.errors import UsageError

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become UsageError: one line, exit 2, no usage dump."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, one sub-command per module in ``evalsuite.commands``."""
    parser = _Parser(
        prog="evalsuite",
        description="Evaluate and analyse distilled reasoners: score checkpoints into runs, "
        "then compute metrics, significance, mutual information and reports from the runs.",
    )
    parser.add_argument("--version", action="version", version=f"evalsuite {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    verbs.required = True
    for command in COMMANDS:
        sub = verbs.add_parser(
            command.NAME,
            help=command.HELP,
            description=command.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(sub)
        sub.set_defaults(_run=command.run)
    return parser


EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a command whose reader went away."""


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush into a closed pipe is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a file descriptor (captured in-process): nothing will flush later


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status."""
    try:
        args = build_parser().parse_args(argv)
        status = int(args._run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers below
        return status
    except UsageError as err:
        print(f"evalsuite: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evalsuite: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as err:
        if not err.filename:
            return _internal_error()
        # A path the system refuses (read-only file system, a parent that is a file, no
        # permission) that no reader or writer turned into a UsageError of its own.
        print(f"evalsuite: error: {err.filename}: {err.strerror}", file=sys.stderr)
        return 2
    except Exception:
        return _internal_error()


def _internal_error() -> int:
    """Print the trace of a bug and the request to report it; exit status 1."""
    traceback.print_exc()
    print("evalsuite: internal error (a bug: please report it with the trace above)",
          file=sys.stderr)  # fmt: skip
    return 1


if __name__ == "__main__":
    sys.exit(main())
