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


def test_the_mixed_student_is_scored_alone_on_each_path_and_by_vote() -> None:
    from evalsuite.commands.demo import MIXED_SAMPLES, RECIPES, _scorings

    assert {"mixed", "socratic"} <= set(RECIPES)
    assert _scorings("dss") == [("dss", {})] and _scorings("socratic") == [("socratic", {})]
    scorings = dict(_scorings("mixed"))
    assert list(scorings) == ["mixed-cot", "mixed-pot", "mixed"]
    assert scorings["mixed-cot"] == {"paths": "cot"} and scorings["mixed-pot"] == {"paths": "pot"}
    vote = scorings["mixed"]
    assert vote["paths"] == "multi" and vote["decoding"].num_samples == MIXED_SAMPLES
