"""`evalsuite sandbox FILE.py`: the text report, the JSON document, and its one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.commands import sandbox as sandbox_command
from evalsuite.commands.common import print_json
from evalsuite.sandbox import ERROR_KINDS


def test_cli_text_report(cli, tmp_path: Path) -> None:
    program = tmp_path / "pot.py"
    program.write_text("apples = 15\nprint('apples', apples)\nans = apples + 21\n")
    result = cli("sandbox", program)
    assert result.code == 0 and result.err == ""
    lines = result.out.splitlines()
    assert lines[:3] == ["ok:       true", "value:    36", "error:    -"]
    assert lines[3].startswith("elapsed:  ") and lines[4:] == ["output:", "  apples 15"]


def test_cli_text_report_of_a_failing_program_exits_zero(cli, tmp_path: Path) -> None:
    program = tmp_path / "pot.py"
    program.write_text("import os\nans = os.getcwd()\n")
    result = cli("sandbox", program)
    assert result.code == 0
    assert result.out.splitlines()[:3] == [
        "ok:       false",
        "value:    null",
        "error:    forbidden: line 1: import is not allowed (math is pre-bound: use math.sqrt(x) "
        "without importing)",
    ]


def test_cli_json_document(cli, tmp_path: Path) -> None:
    program = tmp_path / "pot.py"
    program.write_text("while True:\n    pass\n")
    result = cli("sandbox", program, "--json", "--timeout", "1")
    assert result.code == 0
    document = json.loads(result.out)
    assert document["ok"] is False and document["value"] is None
    assert document["error"] == {
        "kind": "timeout",
        "message": "wall-clock limit of 1 s exceeded; the worker was killed",
    }
    ok = tmp_path / "ok.py"
    ok.write_text("ans = 'done'")
    assert json.loads(cli("sandbox", ok, "--json").out)["value"] == "done"


@pytest.mark.parametrize("json_option", [True, False])
def test_cli_reports_a_lone_surrogate_answer_as_one_clean_result(
    cli, tmp_path: Path, json_option: bool
) -> None:
    # Regression: `ans = chr(0xD800)` printed half a JSON document, then a traceback.
    program = tmp_path / "pot.py"
    program.write_text("print(chr(0xDC80))\nans = chr(0xD800)\n")
    result = cli("sandbox", program, *(["--json"] if json_option else []))
    assert result.code == 0 and result.err == ""
    message = "'ans' is not valid Unicode text: a lone surrogate U+D800 at index 0"
    if json_option:
        document = json.loads(result.out)
        assert (document["ok"], document["value"], document["output"]) == (
            False, None, "\\udc80\n",
        )  # fmt: skip
        assert document["error"] == {"kind": "bad_answer", "message": message}
    else:
        assert result.out.splitlines()[:3] == [
            "ok:       false", "value:    null", f"error:    bad_answer: {message}",
        ]  # fmt: skip
    result.out.encode("utf-8")


def test_print_json_writes_one_whole_document_even_for_text_stdout_cannot_encode(capsys) -> None:
    # Lone surrogates can still come from users' files into other verbs' documents.
    print_json({"name": "a\ud800", "n": 1})
    out = capsys.readouterr().out
    assert json.loads(out) == {"name": "a\ud800", "n": 1}
    assert "\\ud800" in out
    print_json({"name": "caf\u00e9"})
    assert capsys.readouterr().out == '{\n  "name": "caf\u00e9"\n}\n'  # readable when it can be


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        (None, (), "{path}: file not found"),
        (b"ans = '\xff'", (), "{path} line 1: not UTF-8 text (byte 0xff); save the file as UTF-8"),
        ("directory", (), "{path}: is a directory, expected a file"),
        (b"ans = 1", ("--timeout", "-1"),
         "--timeout: timeout_s must be in (0, 3600] seconds, got -1.0"),
        (b"ans = 1", ("--memory-mb", "8"),
         "--memory-mb: memory_mb must be an integer in [64, 1048576], got 8"),
    ],
)  # fmt: skip
def test_cli_errors_are_one_line_exit_2(
    cli, tmp_path: Path, content: bytes | str | None, options: tuple[str, ...], message: str
) -> None:
    path = tmp_path / "pot.py"
    if content == "directory":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    result = cli("sandbox", path, *options)
    assert result.code == 2 and result.out == ""
    assert result.err == f"evalsuite: error: {message.format(path=path)}\n"


def test_cli_help_documents_every_error_kind_and_the_exit_status() -> None:
    doc = sandbox_command.__doc__ or ""
    assert [kind for kind in ERROR_KINDS if kind not in doc] == []
    assert "Exit status: 0 when the sandbox ran the program, whatever the program did" in doc
