"""`evalsuite sweep` end to end at a toy size (2 fractions, 1 seed, 3 steps, a tiny model): the
figure, the tables and report.json hold the numbers of the runs it wrote, whatever the tiny
students happen to answer; --jobs 1 writes the same numbers as the default --jobs 2; a rerun
redoes nothing; bad options exit 2 before any work."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from evalsuite.cli import main
from evalsuite.provenance import file_sha256
from evalsuite.runs import read_run
from evalsuite.sweep.figure import read_png_points

TINY = "num_layers=1,num_decoder_layers=1,d_model=16,d_ff=32,num_heads=2,d_kv=8,vocab_size=120"
ARITH = "n_train=16,n_valid=4,n_test=12,max_operations=1"
RECIPES = ("standard", "dss")
FRACTIONS = (0.5, 1.0)


def _sweep(work: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (status, stdout, stderr)."""
    args = ["sweep", "--recipes", ",".join(RECIPES), "--fractions", "0.5,1", "--seeds", "0",
            "--max-steps", "3", "--batch-size", "4", "--warmup-steps", "0", "--tiny", TINY,
            "--arith", ARITH, "--test", "mcnemar", "--n-resamples", "200",
            "--work", str(work), "--out", str(out), *extra]  # fmt: skip
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(args)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("sweep")
    code, out, err = _sweep(root / "work", root / "report")
    assert code == 0, err
    return root / "work", root / "report", out


def _run_accuracy(work: Path, recipe: str, fraction: float) -> dict:
    """The accuracy a point's run wrote in its own metrics.json."""
    run = read_run(work / "runs" / f"{recipe}-f{fraction:g}-n0-s0")
    assert run.complete and run.metrics is not None
    return run.metrics["accuracy"]


def test_report_json_holds_each_runs_own_accuracy(swept) -> None:
    work, report, _ = swept
    document = json.loads((report / "report.json").read_text())
    assert document["kind"] == "sweep" and document["axis"] == "fraction"
    assert document["provenance"]["suite_version"] and document["config"]["seeds"] == [0]
    cells = {(c["recipe"], c["fraction"]): c for c in document["cells"]}
    assert set(cells) == {(r, f) for r in RECIPES for f in FRACTIONS}
    for (recipe, fraction), cell in cells.items():
        accuracy = _run_accuracy(work, recipe, fraction)
        assert cell["accuracy"] == accuracy  # one seed: the pooled rate is the run's own
        assert cell["seeds"][0]["accuracy"] == accuracy and cell["spread"]["sd"] is None
    for fraction in FRACTIONS:
        test = cells[("dss", fraction)]["versus_baseline"]
        difference = (
            _run_accuracy(work, "dss", fraction)["value"]
            - _run_accuracy(work, "standard", fraction)["value"]
        )
        assert test["baseline"] == "standard" and test["difference"] == pytest.approx(difference)
        assert cells[("standard", fraction)]["versus_baseline"] is None
    (trend,) = document["trend"]
    for recipe in RECIPES:
        first, last = (100 * _run_accuracy(work, recipe, f)["value"] for f in FRACTIONS)
        assert f"{recipe} {first:.1f} % -> {last:.1f} % ({last - first:+.1f} points)" in trend
    for point in document["points"]:
        assert point["records_sha256"] == file_sha256(Path(point["run"]) / "records.jsonl")


def test_tables_show_each_runs_accuracy_and_interval(swept) -> None:
    work, report, stdout = swept
    markdown = (report / "tables" / "sweep-fraction.md").read_text()
    latex = (report / "tables" / "sweep-fraction.tex").read_text()
    assert markdown in stdout  # the CLI prints the same table
    for recipe in RECIPES:
        row = next(line for line in markdown.splitlines() if line.startswith(f"| {recipe} |"))
        cells = row.strip("|").split("|")[1:]
        tex_row = next(line for line in latex.splitlines() if line.startswith(f"{recipe} &"))
        for fraction, cell in zip(FRACTIONS, cells, strict=True):
            a = _run_accuracy(work, recipe, fraction)
            value, low, high = (f"{100 * a[k]:.1f}" for k in ("value", "low", "high"))
            match = re.search(r"([\d.]+)\**(?:<sup>[^<]*</sup>)? \[([\d.]+), ([\d.]+)\]", cell)
            assert match is not None, cell
            assert match.groups() == (value, low, high)
            assert value in tex_row and f"[{low}, {high}]" in tex_row


def test_the_figure_draws_each_runs_accuracy(swept) -> None:
    work, report, _ = swept
    assert (report / "figures" / "sweep-fraction.pdf").read_bytes().startswith(b"%PDF")
    points = read_png_points(report / "figures" / "sweep-fraction.png")
    drawn = {s["label"]: s for s in points["accuracy"]}
    assert set(drawn) == set(RECIPES)
    for recipe in RECIPES:
        runs = [_run_accuracy(work, recipe, f) for f in FRACTIONS]
        assert drawn[recipe]["x"] == list(FRACTIONS)
        assert drawn[recipe]["y"] == pytest.approx([a["value"] for a in runs])
        assert drawn[recipe]["low"] == pytest.approx([a["low"] for a in runs])
        assert drawn[recipe]["high"] == pytest.approx([a["high"] for a in runs], abs=1e-12)
    (difference,) = points["difference"]
    assert difference["label"] == "dss"
    assert difference["y"] == pytest.approx(
        [
            _run_accuracy(work, "dss", f)["value"] - _run_accuracy(work, "standard", f)["value"]
            for f in FRACTIONS
        ]
    )


def _numbers(report: Path) -> dict:
    """What a sweep report says, less where and when it was made: every cell, the sentences,
    each point's records hash in order, the tables and the figure's plotted points."""
    document = json.loads((report / "report.json").read_text())
    for cell in document["cells"]:
        for seed in cell["seeds"]:
            seed["run"] = Path(seed["run"]).name  # under each sweep's own --work
    return {
        "cells": document["cells"],
        "findings": document["findings"],
        "trend": document["trend"],
        "points": [(p["name"], p["records_sha256"]) for p in document["points"]],
        "tables": [(report / "tables" / f"sweep-fraction.{k}").read_text() for k in ("md", "tex")],
        "figure": read_png_points(report / "figures" / "sweep-fraction.png"),
    }


def test_one_job_at_a_time_writes_the_numbers_of_two_side_by_side(swept, tmp_path: Path) -> None:
    import torch

    report = swept[1]  # trained two at a time (the default), one torch thread each
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each worker: float sums then run in the same order
    try:
        code, _, err = _sweep(tmp_path / "work", tmp_path / "report", "--jobs", "1")
    finally:
        torch.set_num_threads(threads)
    assert code == 0, err
    assert err.count("trained and scored") == 4
    assert _numbers(tmp_path / "report") == _numbers(report)
    assert [p["name"] for p in json.loads((report / "report.json").read_text())["points"]] == [
        f"{r}-f{f:g}-n0-s0" for f in FRACTIONS for r in RECIPES
    ]


def test_a_rerun_redoes_nothing_and_a_lost_run_is_scored_again_without_training(
    swept, tmp_path: Path
) -> None:
    work = swept[0]
    copy = tmp_path / "work"
    shutil.copytree(work, copy)
    records = {p: file_sha256(p / "records.jsonl") for p in (copy / "runs").iterdir()}
    code, _, err = _sweep(copy, tmp_path / "report")
    assert code == 0, err
    assert err.count("already complete") == 4
    assert {p: file_sha256(p / "records.jsonl") for p in records} == records

    lost = copy / "runs" / "dss-f0.5-n0-s0"
    manifest = copy / "ckpt" / "dss-f0.5-n0-s0" / "train_manifest.json"
    trained = manifest.read_bytes()
    shutil.rmtree(lost)
    code, _, err = _sweep(copy, tmp_path / "report")
    assert code == 0, err
    assert err.count("already complete") == 3
    assert read_run(lost).complete and manifest.read_bytes() == trained  # scored, not retrained


def test_a_rerun_with_other_training_options_is_refused(swept, tmp_path: Path) -> None:
    work, _, _ = swept
    copy = tmp_path / "work"
    shutil.copytree(work, copy)
    code, _, err = _sweep(copy, tmp_path / "report", "--lr", "0.01")
    assert code == 2
    (line,) = err.strip().splitlines()[-1:]
    assert f"--work {copy}: point standard-f0.5-n0-s0:" in line and "lr: 0.001 -> 0.01" in line
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fractions", "0"], "--fractions: 0.0 is not in (0, 1]"),
        (["--fractions", "0.5,1.5"], "--fractions: 1.5 is not a number in [0, 1]"),
        (["--fractions", "0.5,half"], "argument --fractions: 'half' is not a number"),
        (["--fractions", "0.5,0.5"], "--fractions: a value is given twice"),
        (["--recipes", "standard,distill"], "unknown recipe 'distill'; choose from standard"),
        (["--recipes", "dss,mi"], "--baseline 'standard': not among --recipes (dss, mi)"),
        (["--seeds", "0,-1"], "--seeds: distinct integers >= 0, got 0, -1"),
        (["--noise", "0,1.2"], "--noise: 1.2 is not a number in [0, 1]"),
        (["--noise", "0,0.2", "--task", "svamp"], "--noise: teacher noise needs the synthetic"),
        (["--noise", "0,0.2", "--label-source", "gold"], "--label-source gold does not use"),
        (["--arith", "label_noise=0.1"], "--arith: set the teacher's noise with --noise"),
        (["--arith", "n_tests=3"], "--arith: unknown key 'n_tests'"),
        (["--tiny", "d_model=0"], "tiny student: d_model must be positive, got 0"),
        (["--max-steps", "0"], "--max-steps must be an integer >= 1, got 0"),
        (["--alpha", "1"], "--alpha must be in (0, 1), got 1"),
        (["--jobs", "0"], "--jobs must be >= 1, got 0"),
        (["--jobs", "two"], "argument --jobs: invalid int value: 'two'"),
        (["--test", "ttest"], "argument --test: invalid choice: 'ttest'"),
    ],
)
def test_bad_options_exit_2_with_one_line_before_any_work(
    cli, tmp_path: Path, args: list[str], message: str
) -> None:
    work, out = tmp_path / "work", tmp_path / "report"
    result = cli("sweep", "--work", work, "--out", out, "--max-steps", "3", *args)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.err
    assert not work.exists() and not out.exists()


def test_an_out_that_is_not_a_report_is_refused_before_training(cli, tmp_path: Path) -> None:
    out = tmp_path / "notes"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    result = cli("sweep", "--work", tmp_path / "work", "--out", out)
    assert result.code == 2 and "is not a report (no report.json)" in result.err
    assert not (tmp_path / "work").exists() and (out / "mine.txt").read_text() == "keep me"


def test_each_point_trains_with_its_coordinates_and_evaluates_once_at_the_end() -> None:
    from evalsuite.cli import build_parser
    from evalsuite.commands.sweep import Trainer, config_from
    from evalsuite.sweep import SweepPoint
    from trainers.config import TINY_DEFAULTS

    args = build_parser().parse_args(["sweep", "--fractions", "0.5", "--noise", "0,0.2"])
    config = config_from(args)
    training = Trainer().config(config, SweepPoint("dss", 0.5, 0.2, 3))
    assert training.max_steps == TINY_DEFAULTS["max_steps"] == training.eval_every
    assert (training.recipe, training.train_fraction, training.seed) == ("dss", 0.5, 3)
    assert training.label_source == "teacher" and training.arith.label_noise == 0.2
    assert training.arith.rationale_noise == 0.0
    assert Path(training.out) == Path("runs/sweep/ckpt/dss-f0.5-n0.2-s3")
    every = config_from(build_parser().parse_args(["sweep", "--eval-every", "7"]))
    assert Trainer().config(every, SweepPoint("standard", 1.0, 0.0, 0)).eval_every == 7
