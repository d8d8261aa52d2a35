"""Expensive, read-only session fixtures built once per test run, not once per xdist worker.

pytest-xdist gives each worker its own session, so a session-scoped fixture (a tiny student
trained for 200 steps) would be built in every worker that runs a test needing it. Workers of
one run share the parent of their base temporary directories: the first worker to ask builds
there under an exclusive file lock, the others wait on the lock and read what it wrote.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

DONE = "built.json"
"""Written last by the builder, so a directory without it is an interrupted build."""


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def built_once(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    build: Callable[[Path], dict[str, Path]],
) -> dict[str, Path]:
    """``build(directory)`` once per run (without xdist: once per session); its paths.

    The built files are shared: tests copy them before changing anything.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return build(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent / f"shared-{name}"
    with _exclusive(shared.with_name(shared.name + ".lock")):
        done = shared / DONE
        if not done.exists():
            shutil.rmtree(shared, ignore_errors=True)  # a worker that died while building
            shared.mkdir()
            paths = build(shared)
            done.write_text(json.dumps({key: str(path) for key, path in paths.items()}))
    return {key: Path(path) for key, path in json.loads(done.read_text()).items()}
