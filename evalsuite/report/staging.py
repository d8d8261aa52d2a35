"""The staging directory a report is built in beside ``--out``, and the debris of killed builds.

A report is written to ``.NAME.PID@HOST.XXXX.partial/`` beside ``--out`` and renamed into place.
A build killed by SIGKILL or SIGTERM cannot remove its own staging directory, so the next build of
the same ``--out`` removes every one whose owner process is gone. The owner is named in the
directory's name; a directory of a live process, of another host, or of an unknown owner (made
before owners were recorded) is left alone: removing another build's work would be destructive.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
from pathlib import Path

from evalsuite.io import output_error

__all__ = ["make_staging_dir", "remove_stale_staging_dirs", "staging_owner"]

_SUFFIX = ".partial"


def _host() -> str:
    """This machine's name, reduced to characters that cannot confuse the name parser."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def staging_owner(name: str, out_name: str) -> tuple[int, str] | None:
    """``(pid, host)`` of a staging directory named ``name`` for ``out_name``, else None.

    >>> staging_owner(".paper.4242@box.ab12cd.partial", "paper")
    (4242, 'box')
    >>> staging_owner(".paper.ab12cd.partial", "paper") is None
    True
    """
    pattern = rf"\.{re.escape(out_name)}\.(\d+)@([A-Za-z0-9_-]+)\.[^/]*{re.escape(_SUFFIX)}"
    match = re.fullmatch(pattern, name)
    return (int(match.group(1)), match.group(2)) if match else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


def remove_stale_staging_dirs(out: Path) -> list[Path]:
    """Remove the staging directories of ``out`` left by builds of this host that died.

    Returns the directories removed.
    """
    if not out.parent.is_dir():
        return []
    host = _host()
    removed = []
    for candidate in out.parent.glob(f".{out.name}.*{_SUFFIX}"):
        owner = staging_owner(candidate.name, out.name)
        if owner is None or owner[1] != host or owner[0] == os.getpid() or _alive(owner[0]):
            continue
        if candidate.is_dir() and not candidate.is_symlink():
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


def make_staging_dir(out: Path) -> Path:
    """A fresh, world-readable staging directory beside ``out``, after clearing stale ones.

    Raises
    ------
    OutputError
        When the directory beside ``out`` cannot be created (read-only file system, a parent
        that is a regular file, ...).
    """
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_staging_dirs(out)
        staging = Path(
            tempfile.mkdtemp(
                prefix=f".{out.name}.{os.getpid()}@{_host()}.", suffix=_SUFFIX, dir=out.parent
            )
        )
        staging.chmod(0o755)  # mkdtemp's 0700 would make the published report private
    except OSError as err:
        raise output_error(out, err) from None
    return staging
