"""inspect_ai and lm-eval stay optional: extras of pyproject.toml, never runtime dependencies,
and never imported when evalsuite is (only inside the functions that read or write their logs)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPTIONAL = {"inspect_ai": "inspect-ai", "lm_eval": "lm-eval"}


def test_they_are_extras_and_not_runtime_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"])
    extras = project["optional-dependencies"]
    assert all(name not in runtime for name in OPTIONAL.values())
    assert extras["inspect"] == ["inspect-ai>=0.3.285"] and extras["lm-eval"] == ["lm-eval>=0.4"]
    assert "evalsuite[inspect,lm-eval]" in extras["dev"]


def test_no_module_imports_them_at_module_level():
    offenders = []
    for path in [*(ROOT / "evalsuite").rglob("*.py"), *(ROOT / "trainers").rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only; imports inside functions are lazy
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in OPTIONAL]
    assert offenders == []


def test_importing_the_cli_and_interop_loads_neither():
    code = (
        "import sys, evalsuite.cli, evalsuite.interop.inspect_logs, evalsuite.interop.export, "
        "evalsuite.interop.lm_eval_samples; "
        "print(sorted(m for m in ('inspect_ai', 'lm_eval') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
