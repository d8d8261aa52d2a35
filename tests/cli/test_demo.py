"""`evalsuite demo` refuses bad options before any work: one line, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-steps", "0"], "--max-steps must be >= 1, got 0"),
        (["--arith-train", "0"], "--arith-train must be >= 1, got 0"),
        (["--task", "gsm8k"], "unknown task 'gsm8k'; choose from svamp, cqa, anli1, esnli, arith"),
        (["--max-steps", "many"], "argument --max-steps: invalid int value: 'many'"),
    ],
)
def test_bad_demo_options_exit_2_before_any_work(
    cli, tmp_path: Path, args: list[str], message: str
) -> None:
    work, out = tmp_path / "work", tmp_path / "report"
    result = cli("demo", "--work", work, "--out", out, *args)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.err
    assert not work.exists() and not out.exists()
