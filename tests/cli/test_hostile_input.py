"""Hostile input through the CLI: every class ends in exit 2 and one line, nothing half-written.

Each test pins one class of issue 11's "Hostile input still gets through" list. "One line" is
checked literally: stderr is a single line starting with "evalsuite: error:", with no traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evalsuite.data import load_examples
from tests.metrics.runs import record, write_run

REPO = Path(__file__).resolve().parents[2]


def assert_one_line_error(result, *fragments: str) -> None:
    """Exit 2, one error line (the last on stderr; progress lines may precede it), no
    traceback, and every fragment in that line."""
    assert result.code == 2, (result.code, result.err)
    lines = result.err.strip().splitlines()
    errors = [line for line in lines if line.startswith("evalsuite: error: ")]
    assert errors == lines[-1:], result.err
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])


def _predictions(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines))
    return path


def _good_line(index: int = 0) -> str:
    example = load_examples("arith", "test")[index]
    return json.dumps({"id": example.id, "prediction": example.gold})


# --- Encoding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b'{"id": "x", "prediction": "caf\xe9"}', "line 2: not UTF-8 text (byte 0xe9)"),
        # "\ud800" is a valid JSON escape, but no character: no UTF-8 writer can store it.
        (b'{"id": "x", "prediction": "\\ud800"}', "line 2: text holds a lone surrogate"),
    ],
    ids=["latin-1", "lone-surrogate"],
)
def test_import_predictions_refuses_bad_text_and_writes_no_run(tmp_path, cli, bad, message):
    # Regression: the surrogate reached the records writer (traceback) after the run directory
    # was created, leaving a "partial" run behind.
    path = _predictions(tmp_path / "p.jsonl", [_good_line(), bad])
    out = tmp_path / "run"
    result = cli("import-predictions", path, "--task", "arith", "--out", out)
    assert_one_line_error(result, f"{path} {message}")
    assert not out.exists()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b'{"input": "caf\xe9 2 + 2", "label": "( 2.0 + 2.0 )"}', "line 2: not UTF-8 text"),
        (b'{"input": "\\udfff", "label": "( 2.0 + 2.0 )"}', "line 2: text holds a lone surrogate"),
    ],
    ids=["latin-1", "lone-surrogate"],
)
@pytest.mark.parametrize("verb", ["data", "import-teacher"])
def test_data_readers_refuse_bad_text(tmp_path, cli, verb, bad, message):
    rows = tmp_path / "rows.jsonl"
    good = json.dumps({"input": "1 + 1", "label": "( 1.0 + 1.0 )", "teacher_label": "2"})
    _predictions(rows, [good, bad])
    extra = ["--out", tmp_path / "run"] if verb == "import-teacher" else []
    result = cli(verb, "--task", "svamp", "--data-dir", rows, *extra)
    assert_one_line_error(result, f"{rows} {message}")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "bad", [b'{"id": "2", "gold": "1", "correct": true, "answer": "\\ud800"}', b"\xff\xfe{}"]
)
@pytest.mark.parametrize("verb", ["metrics", "report"])
def test_run_readers_refuse_bad_text(tmp_path, cli, verb, bad):
    run = write_run(tmp_path / "run", [record(1)])
    with (run / "records.jsonl").open("ab") as handle:
        handle.write(bad + b"\n")
    extra = ["--out", tmp_path / "report"] if verb == "report" else []
    result = cli(verb, run, *extra)
    assert_one_line_error(result, f"{run / 'records.jsonl'} line 2: ")
    assert not (tmp_path / "report").exists()


def test_explorer_loader_refuses_bad_text(tmp_path):
    from evalsuite.errors import DataError
    from evalsuite.report.explorer import load_run

    run = write_run(tmp_path / "run", [record(1)])
    (run / "manifest.json").write_bytes(b'{"task": "arith", "name": "caf\xe9"}')
    with pytest.raises(DataError, match=r"manifest\.json line 1: not UTF-8 text"):
        load_run(run)


# --- Wrong kind of path ----------------------------------------------------------------------


def test_directory_where_a_predictions_file_belongs(tmp_path, cli):
    folder = tmp_path / "p.jsonl"
    folder.mkdir()
    result = cli("import-predictions", folder, "--task", "arith", "--out", tmp_path / "run")
    assert_one_line_error(result, f"{folder}: is a directory, expected a file")
    assert not (tmp_path / "run").exists()


def test_directory_where_a_teacher_file_belongs(tmp_path, cli):
    task_dir = tmp_path / "svamp"
    (task_dir / "llm" / "test_CoT_0.json").mkdir(parents=True)
    (task_dir / "svamp_test.json").write_text(
        json.dumps({"input": "1 + 1", "label": "( 1.0 + 1.0 )"}) + "\n"
    )
    result = cli("import-teacher", "--task", "svamp", "--data-dir", tmp_path,
                 "--out", tmp_path / "run")  # fmt: skip
    assert_one_line_error(result, "test_CoT_0.json: is a directory, expected a file")
    assert not (tmp_path / "run").exists()


# --- Unwritable output -----------------------------------------------------------------------
# Tests run as root, where a chmod 0o555 directory is still writable; a path below a regular
# file cannot be created by anyone (ENOTDIR), so it stands in for a read-only file system.


@pytest.fixture
def blocked(tmp_path) -> Path:
    """An output path no one can create: its parent is a regular file."""
    wall = tmp_path / "a-file"
    wall.write_text("not a directory\n")
    return wall / "out"


def test_import_to_an_unwritable_path(tmp_path, cli, blocked):
    path = _predictions(tmp_path / "p.jsonl", [_good_line()])
    result = cli("import-predictions", path, "--task", "arith", "--out", blocked)
    assert_one_line_error(result, str(blocked), "cannot write")
    result = cli("import-teacher", "--task", "arith", "--out", blocked)
    assert_one_line_error(result, str(blocked), "cannot write")


def test_report_and_figures_to_an_unwritable_path(tmp_path, cli, blocked):
    run = write_run(
        tmp_path / "run", [record(i, confidence=0.5 + i / 40, correct=i % 2 == 0) for i in range(8)]
    )
    result = cli("metrics", run, "--figures", blocked)
    assert_one_line_error(result, str(blocked), "cannot write")
    result = cli("report", run, "--out", blocked, "--no-figures")
    assert_one_line_error(result, str(blocked), "cannot write")


# --- Closed pipe -----------------------------------------------------------------------------


def test_a_closed_stdout_ends_quietly(tmp_path):
    # Regression: `evalsuite metrics RUN | head` printed an "internal error" traceback once head
    # had exited. The pipe's read end is closed before the command starts, so every write fails.
    run = write_run(tmp_path / "run", [record(i) for i in range(3)])
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "evalsuite", "metrics", str(run)],
            stdout=write_end, stderr=subprocess.PIPE, env=env, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert done.stderr == b""


# --- Debris ----------------------------------------------------------------------------------


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


def test_report_removes_staging_dirs_of_killed_builds_only(tmp_path, cli):
    # Regression: a report killed with SIGKILL/SIGTERM left .NAME.XXXX.partial/ beside --out
    # for ever. The next build of the same --out removes those whose owner process is gone.
    from evalsuite.report.staging import _host

    run = write_run(tmp_path / "run", [record(i) for i in range(4)])
    out = tmp_path / "paper"
    dead = tmp_path / f".paper.{_dead_pid()}@{_host()}.x1y2.partial"
    live = tmp_path / f".paper.1@{_host()}.x1y2.partial"  # pid 1 is always alive
    elsewhere = tmp_path / f".paper.{_dead_pid()}@another-host.x1y2.partial"
    unknown_owner = tmp_path / ".paper.x1y2.partial"  # written before owners were recorded
    other_report = tmp_path / f".paper2.{_dead_pid()}@{_host()}.x1y2.partial"
    for debris in (dead, live, elsewhere, unknown_owner, other_report):
        (debris / "tables").mkdir(parents=True)
    result = cli("report", run, "--out", out, "--no-figures")
    assert result.code == 0, result.err
    assert (out / "report.json").is_file()
    assert not dead.exists()
    assert all(p.is_dir() for p in (live, elsewhere, unknown_owner, other_report))
    assert not [p for p in tmp_path.glob(f".paper.*{os.getpid()}@*")]  # its own is renamed


# --- Names reaching a parser -----------------------------------------------------------------

HOSTILE_NAME = "dss $\\frac{$ | *x*\nseed_1"
"""Mathtext that does not parse, a table-cell end, emphasis and a line break in one name."""


def _confident_run(path: Path, name: str) -> Path:
    records = [record(i, confidence=0.55 + i / 50, correct=i % 3 != 0) for i in range(12)]
    return write_run(path, records, name=name)


def test_hostile_run_name_in_metrics_figures(tmp_path, cli):
    # Regression: the name went to matplotlib as mathtext and "$\frac{$" crashed the drawing.
    run = _confident_run(tmp_path / "run", HOSTILE_NAME)
    result = cli("metrics", run, "--figures", tmp_path / "figures")
    assert result.code == 0, result.err
    assert (tmp_path / "figures" / "reliability.png").stat().st_size > 0
    assert (tmp_path / "figures" / "reliability_smooth.pdf").stat().st_size > 0


def test_hostile_run_name_in_the_explorer_figure(tmp_path):
    from evalsuite.report.explorer import load_run, reliability_png

    loaded = load_run(_confident_run(tmp_path / "run", HOSTILE_NAME))
    png = reliability_png(loaded.records, title=loaded.name)
    assert png is not None and png.startswith(b"\x89PNG")


def test_hostile_method_name_in_report_figures_and_summary(tmp_path, cli):
    # Regression: "$\frac{$" crashed the report's figures; a "|" or a newline in a method name
    # split summary.md's table rows.
    first = _confident_run(tmp_path / "a", "a")
    second = _confident_run(tmp_path / "b", "b")
    out = tmp_path / "report"
    result = cli("report", first, second, "--out", out, "--method", f"a={HOSTILE_NAME}",
                 "--method", "b=plain")  # fmt: skip
    assert result.code == 0, result.err
    assert any(p.name.startswith("accuracy_coverage") for p in (out / "figures").iterdir())
    summary = (out / "summary.md").read_text()
    escaped = r"dss $\\frac{$ \| \*x\* seed_1"
    assert f"| {escaped} |" in summary
    header = None
    for line in summary.splitlines():
        if not line.startswith("|"):
            header = None  # a table ended
        elif header is None:
            header = line
        else:  # every row has as many unescaped cell separators as its table's header
            assert line.replace(r"\|", "").count("|") == header.count("|"), line
    table = json.loads((out / "report.json").read_text())["main"]
    assert HOSTILE_NAME in table["methods"]  # the data keeps the name as given


# --- Runs that do not belong together --------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "split", "differs"), [("svamp", "test", "task"), ("arith", "valid", "split")]
)
def test_compare_refuses_runs_of_another_task_or_split(tmp_path, cli, task, split, differs):
    # Regression: a SVAMP run and an arith run whose ids and golds matched were compared (exit 0).
    records = [record(i, correct=i % 2 == 0) for i in range(10)]
    arith = write_run(tmp_path / "arith", records, task="arith")
    other = write_run(tmp_path / "other", records, task=task)
    if split != "test":
        manifest = json.loads((other / "manifest.json").read_text())
        (other / "manifest.json").write_text(json.dumps({**manifest, "split": split}))
    theirs, ours = (task, "arith") if differs == "task" else (split, "test")
    message = f"run {other} is {differs} '{theirs}' but run {arith} is {differs} '{ours}'"
    assert_one_line_error(cli("compare", arith, other), message, f"different {differs}s")
    result = cli("compare", "--group", f"a={arith}", "--group", f"b={other}")
    assert_one_line_error(result, message)
    same = write_run(tmp_path / "same", records, task="arith")
    assert cli("compare", arith, same).code == 0
