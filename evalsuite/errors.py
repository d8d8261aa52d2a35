"""Errors that mean "the user gave us something wrong": the CLI turns them into exit status 2."""


class UsageError(Exception):
    """Bad input or usage. The message is one line that names the file, line or argument.

    The CLI prints it on stderr without a traceback and exits with status 2.
    """


class DataError(UsageError):
    """A data file is missing, malformed, or inconsistent with its neighbours."""


class OutputError(UsageError):
    """An output path cannot be written (read-only file system, a parent that is a file, ...)."""
