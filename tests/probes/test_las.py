"""The LAS probe: the simulator's examples, the summary from records (a 12-item table by hand),
and ``evalsuite probe --probe las`` end to end on CQA with a student whose outputs are fixed.

The simulator is a tiny model trained for two steps: no test asserts on what it predicts, only
that records, summary, the metric and the report agree.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from evalsuite.data import load_examples
from evalsuite.errors import UsageError
from evalsuite.example import Example
from evalsuite.metrics.simulatability import leakage_adjusted_simulatability
from evalsuite.probes import simulatability
from evalsuite.probes.records import Simulation, simulation_of, with_simulation
from evalsuite.probes.simulation import (
    FORMS,
    SimulatorConfig,
    StudentOutput,
    assign_forms,
    simulator_examples,
    simulator_input,
)
from evalsuite.probes.summary import summarize_probes
from evalsuite.runs import Record, read_run
from evalsuite.scoring.records import PathOutput, ScoredExample, build_record
from evalsuite.tasks import get_task
from tests.conftest import dss_root_or_none
from tests.metrics.test_simulatability import ALONE, RATIONALE, STUDENT, WITH

SCHEMA1 = Path(__file__).parents[1] / "runs" / "fixtures" / "schema1"


def _record(i: int, answer: str | None) -> Record:
    return Record(id=str(i), gold="x", answer=answer, correct=False)


def test_the_summary_is_las_of_the_records_on_the_hand_computed_table():
    records = [
        with_simulation(
            _record(i, s),
            Simulation(input_rationale=w, input=a, rationale=r, leaked=r == s),
        )
        for i, (s, w, a, r) in enumerate(zip(STUDENT, WITH, ALONE, RATIONALE, strict=True))
    ]
    records.append(_record(12, None))  # an unreadable student answer: nothing to simulate
    block = summarize_probes(records, ["las"], rng=0)["probes"]["las"]
    assert block["kind"] == "simulatability"
    assert (block["n_examples"], block["n_unsimulated"]) == (12, 1)
    assert block["las"]["value"] == pytest.approx(0.5 * (2 / 5 + 3 / 7))
    assert block["las"]["low"] <= block["las"]["value"] <= block["las"]["high"]
    assert block["leaked"]["n"] == 5 and block["leaked"]["difference"] == pytest.approx(2 / 5)
    assert block["non_leaked"]["n"] == 7
    assert block["non_leaked"]["difference"] == pytest.approx(3 / 7)
    assert block["simulator_agreement"]["input_rationale"]["value"] == pytest.approx(9 / 12)
    assert block["simulator_agreement"]["rationale"]["value"] == pytest.approx(5 / 12)


def test_an_unreadable_simulator_prediction_is_a_miss_and_no_records_give_no_las():
    records = [
        with_simulation(_record(0, "a"), Simulation(input_rationale=None, input="a")),
        with_simulation(_record(1, "b"), Simulation(input_rationale="b", input=None)),
    ]
    block = summarize_probes(records, ["las"], rng=0)["probes"]["las"]
    # both non-leaked (no rationale prediction): xe - x = (0 - 1 + 1 - 0) / 2 = 0
    assert block["non_leaked"]["n"] == 2 and block["las"]["value"] == 0.0
    empty = summarize_probes([_record(0, None)], ["las"], rng=0)["probes"]["las"]
    assert empty["las"]["value"] is None and empty["n_unsimulated"] == 1


def test_a_simulation_round_trips_through_the_record():
    simulation = Simulation(input_rationale="a", input="b", rationale=None, leaked=False)
    record = Record.from_json(with_simulation(_record(0, "a"), simulation).to_json(), "r")
    assert simulation_of(record) == simulation and simulation_of(_record(1, "a")) is None


def _example(i: int, choices: tuple[str, ...] | None = None) -> Example:
    return Example(id=f"e{i}", input=f"question {i}", gold="a", split="train", choices=choices)


def test_simulator_inputs_of_the_three_forms():
    cqa = _example(0, ("bank", "river"))
    assert simulator_input("input", cqa, "why") == "question 0"
    assert simulator_input("input_rationale", cqa, "why") == "question 0 rationale: why"
    # the rationale alone keeps the answer choices, so that the simulator can name one
    assert simulator_input("rationale", cqa, "why") == "rationale: why choices: bank, river"
    with pytest.raises(Exception, match="unknown simulator input form 'both'"):
        simulator_input("both", cqa, "why")


def test_forms_are_drawn_with_the_dropout_shares_and_the_seed():
    forms = assign_forms(20_000, explanation_dropout=0.4, input_dropout=0.2, rng=1)
    shares = {f: forms.count(f) / len(forms) for f in FORMS}
    assert shares["input"] == pytest.approx(0.4, abs=0.02)
    assert shares["rationale"] == pytest.approx(0.2, abs=0.02)
    assert shares["input_rationale"] == pytest.approx(0.4, abs=0.02)
    assert forms[:50] == assign_forms(50, explanation_dropout=0.4, input_dropout=0.2, rng=1)


def test_simulator_examples_learn_the_students_answers_and_validate_in_every_form():
    examples = [_example(i) for i in range(12)]
    outputs: list[StudentOutput | None] = [StudentOutput(f"s{i}", f"r{i}") for i in range(12)]
    outputs[3] = None  # unreadable: left out
    train, valid = simulator_examples(examples, outputs, SimulatorConfig(), seed=0)
    assert len(train) == 10 and len(valid) == 3  # 11 readable: one validates, in three forms
    assert [e.id for e in valid] == ["e11#input_rationale", "e11#input", "e11#rationale"]
    assert all(e.gold == e.teacher_label == f"s{e.id[1:].split('#')[0]}" for e in train + valid)
    assert "e3" not in {e.id.split("#")[0] for e in train}
    with pytest.raises(UsageError, match="could be read on 1 of 2 train examples"):
        simulator_examples(examples[:2], [outputs[0], None], SimulatorConfig(), seed=0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"explanation_dropout": 0.6, "input_dropout": 0.4}, "must be < 1"),
        ({"input_dropout": 1.0}, "--input-dropout must be in [0, 1), got 1.0"),
        ({"split": "test"}, "--simulator-split 'test': choose from train, valid"),
        ({"examples": 1}, "--simulator-examples must be >= 2, got 1"),
        ({"steps": 0}, "--simulator-steps must be >= 1, got 0"),
    ],
)
def test_bad_simulator_settings_are_refused(options, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        SimulatorConfig(**options)


# -- the probe end to end ---------------------------------------------------------------------


def _fixed_student(student, task, prompt, examples, **_):  # type: ignore[no-untyped-def]
    """A student with fixed outputs: it picks a choice by the input's length; the rationale of
    every other example names it (leaks), the others' say nothing about it."""
    scored = []
    for i, example in enumerate(examples):
        choices = example.choices or ("?",)
        answer = choices[len(example.input) % len(choices)]
        rationale = f"the answer must be {answer}" if i % 2 == 0 else "people think a lot"
        record = build_record(task, example, PathOutput(answer, rationale))
        scored.append(ScoredExample(record, {}))
    return scored


@pytest.fixture(autouse=True)
def _release_in_environment(monkeypatch):
    """The probe command finds cqa through ``$EVALSUITE_DATA`` (``_las`` passes no --data-dir);
    a bare ``make test`` need not set it, so the tests' own default (../shared/data/dss) is put
    there. Where no release exists, the tests that need one skip through ``dss_root``."""
    root = dss_root_or_none()
    if root is not None:
        monkeypatch.setenv("EVALSUITE_DATA", str(root))


def _las(cli, ckpt, out, *extra):
    options = ("--probe", "las", "--task", "cqa", "--limit", "6", "--batch-size", "3")
    simulator = ("--simulator-examples", "12", "--simulator-steps", "2",
                 "--simulator-batch-size", "4")  # fmt: skip
    return cli("probe", ckpt, "--out", out, *options, *simulator, "--quiet", "--device", "cpu",
               *extra)  # fmt: skip


def test_las_probe_run_on_cqa(cli, probe_checkpoints, tmp_path, dss_root, monkeypatch):
    monkeypatch.setattr(simulatability, "score_batch", _fixed_student)
    out = tmp_path / "las"
    result = _las(cli, probe_checkpoints["dss"], out)  # a separate-branch student
    assert result.code == 0, result.err
    assert "leakage-adjusted simulatability: LAS" in result.out

    run = read_run(out)
    assert run.manifest.kind == "probe" and run.manifest.coupling == "separate"
    assert run.manifest.probe["simulator"]["steps"] == 2
    assert len(run.records) == 6
    simulations = [simulation_of(r) for r in run.records]
    for record, simulation in zip(run.records, simulations, strict=True):
        assert simulation is not None and record.answer is not None
        assert simulation.leaked == (simulation.rationale == record.answer)
    # the summary is the metric on the records, with the summary's own bootstrap stream
    block = run.metrics["probes"]["las"]
    expected = leakage_adjusted_simulatability(
        [r.answer or "" for r in run.records],
        [s.input_rationale or "" for s in simulations if s],
        [s.input or "" for s in simulations if s],
        [s.rationale or "" for s in simulations if s],
        n_resamples=2000,
        rng=np.random.default_rng(0).spawn(1)[0],
    )
    assert block["las"]["value"] == pytest.approx(expected.las)
    assert (block["las"]["low"], block["las"]["high"]) == (expected.low, expected.high)
    assert block["leaked"]["n"] == expected.leaked.n
    assert block["non_leaked"]["n"] == expected.non_leaked.n
    assert run.metrics == summarize_probes(run.records, ["las"], rng=0)

    # the simulator: a checkpoint with its train manifest, trained on train-split answers only
    manifest = json.loads((out / "simulator" / "train_manifest.json").read_text())
    assert manifest["status"] == "complete" and (out / "simulator" / "model.safetensors").is_file()
    assert manifest["data"]["source"] == "student predictions"
    assert manifest["data"]["split"] == "train" and manifest["data"]["n_examples"] == 12
    assert manifest["data"]["n_train"] + manifest["data"]["n_valid"] == 11 + 3
    assert manifest["input_format"]["label_source"] == "teacher"  # the student's answers
    train_ids = {e.id for e in load_examples("cqa", "train", teacher=False)[:12]}
    assert not train_ids & {r.id for r in run.records}

    # a rerun reuses the finished simulator and the finished records
    before = (out / "simulator" / "train_manifest.json").stat().st_mtime_ns
    again = _las(cli, probe_checkpoints["dss"], out)
    assert again.code == 0, again.err
    assert (out / "simulator" / "train_manifest.json").stat().st_mtime_ns == before
    assert json.loads((out / "metrics.json").read_text()) == run.metrics
    other = _las(cli, probe_checkpoints["dss"], out, "--simulator-steps", "3")
    assert other.code == 2 and "existing run differs in 'probe'" in other.err

    # the report's faithfulness table shows the run's own LAS with its interval
    scored = shutil.copytree(SCHEMA1 / "student-arith", tmp_path / "scored")
    report = cli("report", scored, out, "--out", tmp_path / "report", "--mi-estimators", "none")
    assert report.code == 0, report.err
    (entry,) = json.loads((tmp_path / "report" / "report.json").read_text())["faithfulness"]
    assert entry["probe"] == "las"
    assert {k: v for k, v in entry.items() if k not in ("run", "path", "task", "method",
            "probe")} == block  # fmt: skip
    table = (tmp_path / "report" / "tables" / "faithfulness.tex").read_text()
    assert "& LAS" in table and f"{block['las']['value']:.3f}" in table


@pytest.mark.parametrize(
    ("student", "args", "message", "needs_release"),
    [
        ("single", ("--task", "arith"),
         "probe 'las' needs a task with a closed label set (NLI, CQA); task 'arith' has", False),
        ("standard", ("--task", "cqa"),
         "probe 'las' applies to joint or separate students only", False),
        ("single", ("--task", "cqa", "--split", "train"),
         "--simulator-split train is the split probed", True),
        ("single", ("--task", "cqa", "--probe", "filler"),
         "--probe las trains a simulator and runs alone", False),
        ("single", ("--task", "cqa", "--explanation-dropout", "0.9"), "must be < 1", False),
    ],
)  # fmt: skip
def test_las_refusals_exit_2_in_one_line(
    cli, probe_checkpoints, tmp_path, request, student, args, message, needs_release
):
    if needs_release:  # refused after the probed examples are read from the release
        request.getfixturevalue("dss_root")
    out = tmp_path / "out"
    result = cli("probe", probe_checkpoints[student], "--probe", "las", "--out", out, "--quiet",
                 "--device", "cpu", "--limit", "2", *args)  # fmt: skip
    assert result.code == 2 and message in result.err and result.err.count("\n") == 1
    assert not out.exists()


def test_a_task_without_its_simulator_split_is_refused(cli, probe_checkpoints, tmp_path, dss_root):
    # anli1 has no train split in the DSS release copy: the simulator learns on valid instead
    result = cli("probe", probe_checkpoints["single"], "--probe", "las", "--task", "anli1",
                 "--out", tmp_path / "o", "--quiet", "--limit", "2")  # fmt: skip
    assert result.code == 2 and result.err.count("\n") == 1
    assert "split 'train' of task 'anli1' not found" in result.err
    assert "(the LAS simulator's; try --simulator-split valid)" in result.err
    assert not (tmp_path / "o").exists()
    assert get_task("anli1").label_set(_example(0)) is not None


def test_the_student_is_scored_by_the_scorers_batch_function(probe_checkpoints, dss_root):
    # the seam the CLI test replaces: the real scorer, one record per example, in order
    import torch

    from evalsuite.checkpoint import open_checkpoint
    from evalsuite.prompt_presets import FormatRequest
    from evalsuite.scoring.decoding import DecodingConfig
    from evalsuite.scoring.student import load_student

    ckpt = open_checkpoint(probe_checkpoints["dss"], request=FormatRequest(), task="cqa")
    student = load_student(probe_checkpoints["dss"], device=torch.device("cpu"),
                           max_input_length=64)  # fmt: skip
    setup = simulatability.ScoringSetup(
        student, get_task("cqa"), ckpt.prompt, DecodingConfig(), 8, batch_size=2
    )
    examples = load_examples("cqa", "test", teacher=False)[:3]
    records = simulatability.student_records(setup, examples)
    assert [r.id for r in records] == [e.id for e in examples]
    assert all(r.rationale is not None for r in records)  # DSS: its explain: branch


def test_a_joint_student_is_simulated_too(cli, probe_checkpoints, tmp_path, dss_root, monkeypatch):
    monkeypatch.setattr(simulatability, "score_batch", _fixed_student)
    result = _las(cli, probe_checkpoints["single"], tmp_path / "joint", "--limit", "3")
    assert result.code == 0, result.err
    run = read_run(tmp_path / "joint")
    assert run.manifest.coupling == "joint" and len(run.records) == 3
    assert run.metrics == summarize_probes(run.records, ["las"], rng=0)


def test_a_student_whose_answers_cannot_be_read_is_refused(
    cli, probe_checkpoints, tmp_path, dss_root, monkeypatch
):
    def unreadable(student, task, prompt, examples, **_):  # type: ignore[no-untyped-def]
        return [ScoredExample(build_record(task, e, PathOutput("no idea", "hmm")), {})
                for e in examples]  # fmt: skip

    monkeypatch.setattr(simulatability, "score_batch", unreadable)
    result = _las(cli, probe_checkpoints["single"], tmp_path / "u")
    assert result.code == 2 and result.err.count("\n") == 1
    assert "probe 'las': the student's answer could be read on 0 of 12 train examples" in (
        result.err
    )
    # regression: the refusal came after the probe run was opened and left a partial run
    assert not (tmp_path / "u").exists()
    (tmp_path / "mine").mkdir()  # a directory the user made is refused into, not removed
    again = _las(cli, probe_checkpoints["single"], tmp_path / "mine")
    assert again.code == 2 and "could be read on 0 of 12" in again.err
    assert (tmp_path / "mine").is_dir() and not any((tmp_path / "mine").iterdir())


def test_a_simulator_model_the_trainer_refuses_is_refused_before_writing(
    cli, probe_checkpoints, tmp_path, dss_root, monkeypatch
):
    monkeypatch.setattr(simulatability, "score_batch", _fixed_student)
    out = tmp_path / "runs" / "las"
    result = _las(cli, probe_checkpoints["single"], out, "--simulator-model", tmp_path / "nope")
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"probe 'las' simulator: --model {tmp_path / 'nope'}: not a local checkpoint" in (
        result.err
    )
    assert not (tmp_path / "runs").exists()


def test_a_refusal_after_the_run_is_opened_takes_back_what_it_made(
    cli, probe_checkpoints, tmp_path, dss_root, monkeypatch
):
    from evalsuite.errors import DataError

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise DataError("simulator: its predictions cannot be read")

    monkeypatch.setattr(simulatability, "score_batch", _fixed_student)
    monkeypatch.setattr(simulatability, "las_batch", broken)  # after the simulator trained
    out = tmp_path / "new" / "las"
    result = _las(cli, probe_checkpoints["single"], out)
    assert result.code == 2 and "its predictions cannot be read" in result.err
    assert not (tmp_path / "new").exists()  # the run, its simulator and the parent it made
    (tmp_path / "mine").mkdir()
    result = _las(cli, probe_checkpoints["single"], tmp_path / "mine")
    assert result.code == 2 and (tmp_path / "mine").is_dir()  # found, so never removed
