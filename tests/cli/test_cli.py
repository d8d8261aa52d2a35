"""The CLI skeleton: every verb has --help; errors are one line with exit status 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from evalsuite.commands import COMMANDS
from evalsuite.commands.common import NotBuilt

VERBS = [command.NAME for command in COMMANDS]
CONTRACT_VERBS = {
    "train", "score", "import-teacher", "import-predictions", "metrics", "compare", "mi",
    "report", "demo", "sandbox",
}  # fmt: skip


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_every_contract_verb_is_registered() -> None:
    assert set(VERBS) >= CONTRACT_VERBS


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help(verb: str, cli) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli(verb, "--help")
    assert exit_info.value.code == 0


def test_help_of_data_verb_names_the_tasks(capsys: pytest.CaptureFixture[str]) -> None:
    from evalsuite.cli import main

    with pytest.raises(SystemExit):
        main(["data", "--help"])
    assert "svamp, cqa, anli1, esnli, arith" in capsys.readouterr().out


def test_unknown_verb_and_missing_argument_are_one_line_exit_2(cli) -> None:
    result = cli("bogus")
    assert result.code == 2
    assert "invalid choice: 'bogus'" in _one_line_error(result.err)
    result = cli("data")
    assert result.code == 2
    assert "the following arguments are required: --task" in _one_line_error(result.err)


def test_not_built_message() -> None:
    assert (
        str(NotBuilt("report", issue=6))
        == "'evalsuite report' is not built yet (tracked in issue 6)"
    )


def test_data_verb_on_arith_prints_json(cli) -> None:
    result = cli("data", "--task", "arith", "--split", "valid", "--json")
    assert result.code == 0
    summary = json.loads(result.out)
    assert summary["n_examples"] == 200
    assert summary["teacher_accuracy"] == 1.0
    assert summary["unique_ids"] is True


@pytest.mark.realdata
def test_data_verb_on_the_release(cli, dss_root: Path) -> None:
    result = cli("data", "--task", "anli1", "--data-dir", dss_root)
    assert result.code == 0
    # the Wilson interval of 656/1000 (statsmodels: 0.626011, 0.684796)
    assert "teacher accuracy:  65.60 %  [62.60, 68.48]  (656/1000) (Wilson 95 % interval)" in (
        result.out
    )


def _write_release(root: Path, rows: list[str], teacher: list[str]) -> Path:
    (root / "svamp" / "llm").mkdir(parents=True)
    (root / "svamp" / "svamp_test.json").write_text("".join(line + "\n" for line in rows))
    (root / "svamp" / "llm" / "test_CoT_0.json").write_text(json.dumps(teacher))
    return root


GOOD_ROW = json.dumps({"input": "Ann has 2 apples.\nHow many?", "label": "( 2.0 )"})


@pytest.mark.parametrize(
    ("rows", "teacher", "expected"),
    [
        ([GOOD_ROW, GOOD_ROW[:-9]], ["a", "b"], r"svamp_test\.json line 2: invalid JSON"),
        ([GOOD_ROW, json.dumps({"input": "x"})], ["a", "b"], "line 2: missing field 'label'"),
        ([GOOD_ROW, GOOD_ROW], ["a"], "1 teacher outputs for 2 rows"),
    ],
    ids=["truncated-line", "missing-field", "misaligned-teacher"],
)
def test_data_errors_exit_2_with_one_line(
    tmp_path: Path, cli, rows: list[str], teacher: list[str], expected: str
) -> None:
    root = _write_release(tmp_path, rows, teacher)
    result = cli("data", "--task", "svamp", "--data-dir", root)
    assert result.code == 2
    line = _one_line_error(result.err)
    assert line.startswith("evalsuite: error: ")
    assert re.search(expected, line), line


def test_unknown_task_and_missing_data_dir(tmp_path: Path, cli) -> None:
    result = cli("data", "--task", "gsm8k", "--data-dir", tmp_path)
    assert result.code == 2
    assert "unknown task 'gsm8k'; choose from svamp, cqa, anli1, esnli, arith" in _one_line_error(
        result.err
    )
    result = cli("data", "--task", "svamp", "--data-dir", tmp_path / "absent")
    assert result.code == 2
    assert f"data directory {tmp_path / 'absent'} does not exist" in _one_line_error(result.err)


def test_console_script_runs_as_a_module() -> None:
    # `python -m evalsuite` is what torchrun launches; exit codes must survive the process boundary.
    done = subprocess.run(
        [sys.executable, "-m", "evalsuite", "data", "--task", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert _one_line_error(done.stderr) == (
        "evalsuite: error: unknown task 'nope'; choose from svamp, cqa, anli1, esnli, arith"
    )
