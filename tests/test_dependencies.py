"""What the runtime needs is what pyproject.toml installs by default; test-only references
(netcal, which pulls in gpytorch, pyro-ppl and tensorboard) live in the dev extras."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_ONLY = ("netcal",)


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~ \[;]", r, maxsplit=1)[0].lower() for r in requirements}


def _imported_top_level(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_test_only_references_are_dev_extras_not_runtime_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _names(project["dependencies"]), _names(project["optional-dependencies"]["dev"])
    for name in TEST_ONLY:
        assert name not in runtime and name in dev, name


def test_the_runtime_never_imports_a_test_only_reference() -> None:
    sources = [*(ROOT / "evalsuite").rglob("*.py"), *(ROOT / "trainers").rglob("*.py")]
    sources.append(ROOT / "app.py")
    assert len(sources) > 50
    offenders = {
        str(path.relative_to(ROOT)): sorted(set(TEST_ONLY) & _imported_top_level(path))
        for path in sources
    }
    assert {path: names for path, names in offenders.items() if names} == {}
