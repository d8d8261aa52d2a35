"""What every artifact records about how it was made: versions, git revision, hashes, time."""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import evalsuite

__all__ = ["file_sha256", "git_revision", "now_iso", "package_versions", "provenance"]

TRACKED_PACKAGES = (
    "torch",
    "transformers",
    "numpy",
    "scipy",
    "statsmodels",
    "relplot",
    "math-verify",
)
"""The packages whose versions decide the numbers an output holds (netcal is a test-only
reference; math-verify reads LaTeX answers)."""


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def file_sha256(path: str | os.PathLike[str], *, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks so large files do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def git_revision(start: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The suite's git revision and whether the work tree is dirty; ``None`` outside a checkout."""
    where = Path(start) if start else Path(evalsuite.__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10
        )
        if rev.returncode != 0:
            return {"revision": None, "dirty": None}
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return {"revision": None, "dirty": None}
    return {"revision": rev.stdout.strip(), "dirty": bool(status.stdout.strip())}


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str | None]:
    """Installed versions of the packages whose behaviour a result depends on."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def provenance() -> dict[str, Any]:
    """The block every manifest carries: suite version, git, command line, packages, platform."""
    return {
        "suite_version": evalsuite.__version__,
        "git": git_revision(),
        "command": sys.argv,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
    }
