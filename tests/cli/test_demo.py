"""`evalsuite demo` refuses bad options before any work: one line, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-steps", "0"], "--max-steps must be >= 1, got 0"),
        (["--arith-train", "0"], "--arith-train must be >= 1, got 0"),
        (["--jobs", "0"], "--jobs must be >= 1, got 0"),
        (
            ["--model", "t5-base"],
            "--model must be one of tiny, tiny-gpt2, tiny-llama, got 't5-base'",
        ),
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


def test_the_printed_explorer_command_works_from_a_fresh_shell(tmp_path: Path) -> None:
    """No activated environment: the command names this interpreter, app.py and the runs by
    absolute paths, and that interpreter has streamlit."""
    import shlex
    import subprocess
    import sys

    from evalsuite.commands.demo import explorer_command

    argv = shlex.split(explorer_command("runs/demo/runs"))
    assert argv[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert (
        Path(argv[4]).is_absolute() and Path(argv[4]).name == "app.py" and Path(argv[4]).is_file()
    )
    assert argv[5:7] == ["--browser.gatherUsageStats", "false"]  # usage statistics off
    assert argv[7:9] == ["--", "--runs"] and argv[9] == str(Path("runs/demo/runs").resolve())
    # from an empty environment (no PATH, no VIRTUAL_ENV), in another directory
    found = subprocess.run(
        [argv[0], "-c", "import streamlit"], env={}, cwd=tmp_path, capture_output=True, timeout=120
    )
    assert found.returncode == 0, found.stderr


def test_data_prints_the_teacher_accuracy_with_its_interval(cli) -> None:
    result = cli("data", "--task", "arith", "--split", "test")
    assert result.code == 0, result.err
    line = next(x for x in result.out.splitlines() if "teacher accuracy" in x)
    # a percent, a [low, high] interval in percent, the counts, and which interval it is
    import re

    match = re.search(r"(\d+\.\d\d) %  \[(\d+\.\d\d), (\d+\.\d\d)\]  \((\d+)/(\d+)\)", line)
    assert match and "Wilson 95 % interval" in line and "±" not in line
    value, low, high, k, n = (float(g) for g in match.groups())
    assert low <= value <= high and value == pytest.approx(100 * k / n, abs=0.005)


def test_the_demo_report_runs_every_mi_estimator_with_fewer_neural_trainings() -> None:
    from evalsuite.commands.demo import DEMO_NEURAL_RESAMPLES, DemoConfig, demo_report_config
    from evalsuite.metrics.mi_bootstrap import DEFAULT_RESAMPLES
    from evalsuite.names import MI_ESTIMATORS

    config = demo_report_config(DemoConfig())
    assert config.mi_estimators == tuple(MI_ESTIMATORS) and config.baseline == "standard"
    mi = config.mi_config()
    assert mi.n_seeds == 1 and config.to_dict()["mi_neural_resamples"] == DEMO_NEURAL_RESAMPLES
    for name in MI_ESTIMATORS:
        neural = name in ("infonce", "nwj", "smile", "club")
        assert mi.resamples(name) == (DEMO_NEURAL_RESAMPLES if neural else DEFAULT_RESAMPLES[name])


@pytest.mark.parametrize(
    ("options", "message"),
    [({"mi_seeds": 0}, "mi_seeds 0: must be a positive integer"),
     ({"mi_neural_resamples": 1}, "mi_neural_resamples 1: must be at least 2")],
)  # fmt: skip
def test_bad_mi_budgets_of_a_report_are_usage_errors(options, message) -> None:
    from evalsuite.errors import UsageError
    from evalsuite.report.config import ReportConfig

    with pytest.raises(UsageError, match=message):
        ReportConfig(**options)


def test_the_report_phases_print_the_demo_step_lines_once_in_order(capsys) -> None:
    from evalsuite.commands.demo import TOTAL_STEPS, ReportProgress

    progress = ReportProgress("standard")
    lines = [
        "summarising arith-dss-test (500 records)",
        "summarising arith-mi-test (500 records)",
        "comparing dss with standard on arith",
        "arith-dss-test: choosing KSG's components by a known-truth check at 128+128 dims",
        "arith-dss-test: estimating MI with ksg on 500 pairs (200 half-samples)",
        "arith-mi-test: estimating MI with nwj on 500 pairs (5 half-samples)",
        "drawing figures",
        "wrote reports/demo",
    ]
    for line in lines:
        progress(line)
    err = capsys.readouterr().err.splitlines()
    steps = [line for line in err if line.startswith("[")]
    assert [s.split("]")[0] for s in steps] == [f"[{k}/{TOTAL_STEPS}" for k in (4, 5, 6)]
    assert "compar" in steps[0] and "standard" in steps[0] and "mutual information" in steps[1]
    assert [line.strip() for line in err if not line.startswith("[")] == lines


@pytest.mark.parametrize(("recipe", "probed"), [("single", True), ("mixed", True),
                                                ("dss", False), ("socratic", False)])  # fmt: skip
def test_the_single_and_mixed_students_are_probed_on_the_first_test_examples(
    monkeypatch, tmp_path: Path, recipe: str, probed: bool
) -> None:
    """Scoring and probing stand in (the probes are tested on students of known behaviour in
    tests/probes); this pins which students the demo probes, with what, and where it goes."""
    import evalsuite.probes.runner as runner
    import evalsuite.scoring.scorer as scorer
    from evalsuite.commands.demo import DEMO_PROBE_LIMIT, DemoConfig, _score_student

    calls: list[tuple[Path, object, Path]] = []
    monkeypatch.setattr(scorer, "score_checkpoint", lambda ckpt, config, *, out: None)
    monkeypatch.setattr(runner, "probe_checkpoint",
                        lambda ckpt, config, *, out: calls.append((ckpt, config, out)))  # fmt: skip
    config = DemoConfig(work=str(tmp_path))
    runs = _score_student(config, recipe, tmp_path / "ckpt")
    probe_run = config.runs / f"arith-{recipe}-probe-test"
    assert (probe_run in runs) is probed and len(calls) == int(probed)
    if probed:
        ((ckpt, probe_config, out),) = calls
        assert ckpt == tmp_path / "ckpt" and out == probe_run and runs[-1] == probe_run
        assert probe_config.probes == ("early_answering", "corrupted_step")
        assert (probe_config.task, probe_config.split) == ("arith", "test")
        assert probe_config.limit == DEMO_PROBE_LIMIT == 100


@pytest.mark.parametrize("model", [None, "tiny"])
def test_each_student_is_trained_with_the_demo_model_and_budget(
    monkeypatch, tmp_path: Path, model: str | None
) -> None:
    """Training stands in; this pins what the demo asks of it: the tiny llama by default (the
    tiny T5 on request), the demo's steps and training size, evaluated halfway and at the end."""
    import trainers.loop as loop
    from evalsuite.commands.demo import DemoConfig, _train_student

    seen = []
    monkeypatch.setattr(loop, "train", lambda config: seen.append(config) or config)
    options = {} if model is None else {"model": model}
    config = DemoConfig(work=str(tmp_path), max_steps=30, n_train=500, **options)
    _train_student(config, "dss")
    (trained,) = seen
    assert trained.model == (model or "tiny-llama") and trained.recipe == "dss"
    assert (trained.max_steps, trained.eval_every, trained.arith.n_train) == (30, 15, 500)
    assert Path(trained.out) == config.checkpoints / "arith-dss"
