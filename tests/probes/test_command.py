"""``evalsuite probe`` end to end on tiny checkpoints: refusals by coupling, the probe run
directory, resuming, and greedy decoding after a forced prefix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from evalsuite.probes.forcing import Seq2SeqForcing
from evalsuite.probes.records import interventions_of
from evalsuite.probes.summary import summarize_probes
from evalsuite.runs import read_run
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.student import load_student
from evalsuite.socratic import Step, transcript

SCHEMA1 = Path(__file__).parents[1] / "runs" / "fixtures" / "schema1"


def _probe(cli, ckpt, out, *extra):
    options = ("--limit", "3", "--batch-size", "2", "--quiet", "--device", "cpu")
    lengths = ("--max-new-tokens", "16", "--answer-tokens", "4")
    return cli("probe", ckpt, "--out", out, *options, *lengths, *extra)


@pytest.mark.parametrize(
    ("student", "probe", "coupling"),
    [("dss", "early_answering", "separate"), ("standard", "filler", "none")],
)
def test_a_probe_the_coupling_does_not_allow_exits_2_in_one_line(
    cli, probe_checkpoints, tmp_path, student, probe, coupling
):
    result = _probe(cli, probe_checkpoints[student], tmp_path / "out", "--probe", probe)
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1
    assert f"probe '{probe}' applies to joint students only" in result.err
    assert f"has coupling '{coupling}'" in result.err and f"recipe {student}" in result.err
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_scored_run_is_refused_by_its_recorded_or_derived_coupling(cli, tmp_path):
    run = shutil.copytree(SCHEMA1 / "student-arith", tmp_path / "dss-run")  # a schema-1 DSS run
    result = _probe(cli, run, tmp_path / "out", "--probe", "corrupted_step")
    assert result.code == 2 and result.err.count("\n") == 1
    expected = f"probe 'corrupted_step' applies to joint students only; run {run} has coupling "
    assert expected + "'separate'" in result.err


def test_a_probe_run_of_a_joint_student(cli, probe_checkpoints, tmp_path):
    out = tmp_path / "probe"
    args = ("--probe", "early_answering", "--probe", "corrupted_step", "--probe", "filler")
    result = _probe(cli, probe_checkpoints["single"], out, *args)
    assert result.code == 0, result.err
    assert result.out.startswith(f"{out}: 3 examples, full-rationale accuracy")
    assert "early answering: AOC" in result.out and "filler: accuracy" in result.out
    run = read_run(out)
    assert run.manifest.kind == "probe" and run.manifest.complete
    assert run.manifest.coupling == "joint" and run.manifest.model.recipe == "single"
    assert run.manifest.probe["probes"] == ["early_answering", "corrupted_step", "filler"]
    assert len(run.records) == 3
    for record in run.records:
        for intervention in interventions_of(record):
            assert intervention.probe in ("early_answering", "corrupted_step", "filler")
            if intervention.probe != "corrupted_step":
                assert intervention.prefix.endswith("So the answer is")
    # metrics.json is the summary of the records, recomputable from them
    assert run.metrics == summarize_probes(run.records, run.manifest.probe["probes"], rng=0)

    again = _probe(cli, probe_checkpoints["single"], out, *args)  # resumes: nothing to do
    assert again.code == 0 and json.loads((out / "metrics.json").read_text()) == run.metrics
    other = _probe(cli, probe_checkpoints["single"], out, *args, "--rate", "0.3")
    assert other.code == 2 and "existing run differs in 'probe'" in other.err

    # the report's faithfulness table holds the numbers of the probe run's metrics.json
    scored = shutil.copytree(SCHEMA1 / "student-arith", tmp_path / "scored")
    report = cli("report", scored, out, "--out", tmp_path / "report", "--mi-estimators", "none")
    assert report.code == 0, report.err
    numbers = json.loads((tmp_path / "report" / "report.json").read_text())["faithfulness"]
    for entry in numbers:
        assert {k: v for k, v in entry.items() if k not in ("run", "path", "task", "method",
                "probe")} == run.metrics["probes"][entry["probe"]]  # fmt: skip
    assert [e["probe"] for e in numbers] == ["early_answering", "corrupted_step", "filler"]


def test_a_mixed_student_is_probed_through_its_cot_prompt(cli, probe_checkpoints, tmp_path):
    result = _probe(cli, probe_checkpoints["mixed"], tmp_path / "m", "--probe", "oracle")
    assert result.code == 0, result.err
    run = read_run(tmp_path / "m")
    assert run.manifest.coupling == "joint"
    oracle = [i for r in run.records for i in interventions_of(r)]
    assert len(oracle) == 3 and all(i.prefix.endswith("So the answer is") for i in oracle)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--probe", "nope"), "argument --probe: invalid choice: 'nope'"),
        (("--probe", "filler", "--rate", "0"), "--rate must be in (0, 1], got 0.0"),
        (("--probe", "filler", "--probe", "filler"), "a probe is named twice"),
        (("--probe", "filler", "--answer-tokens", "0"), "--answer-tokens must be >= 1, got 0"),
    ],
)
def test_bad_options_exit_2(cli, probe_checkpoints, tmp_path, args, message):
    result = _probe(cli, probe_checkpoints["single"], tmp_path / "o", *args)
    assert result.code == 2 and message in result.err and result.err.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("student", "args"),
    [
        ("single", ("--probe", "filler", "--rate", "0")),  # a bad setting
        ("dss", ("--probe", "early_answering")),  # a coupling refusal
        ("single", ("--probe", "robustness", "--probe", "filler")),  # robustness runs alone
        ("single", ("--probe", "filler", "--task", "nope")),  # an unknown task
    ],
)
def test_a_refusal_leaves_a_directory_the_user_made_as_it_was(
    cli, probe_checkpoints, tmp_path, student, args
):
    mine = tmp_path / "mine"
    mine.mkdir()
    result = _probe(cli, probe_checkpoints[student], mine, *args)
    assert result.code == 2 and result.err.count("\n") == 1
    assert mine.is_dir() and not any(mine.iterdir())
    nested = tmp_path / "a" / "b"
    assert _probe(cli, probe_checkpoints[student], nested, *args).code == 2
    assert not (tmp_path / "a").exists()


def test_forced_decoding_agrees_with_the_scorers_greedy_generation(probe_checkpoints):
    student = load_student(
        probe_checkpoints["single"], device=torch.device("cpu"), max_input_length=64
    )
    prompts = ["There are 3 eggs in a box.", "Sam has 4 apples and eats 1 of them now."]
    generated = student.generate(
        student.encode(prompts), DecodingConfig(), max_new_tokens=12, seed=0
    )
    forcing = Seq2SeqForcing(student)
    assert forcing.continue_after(prompts, ["", ""], max_new_tokens=12) == generated.texts
    # forcing the first 5 generated tokens continues with the rest of the same generation
    heads = [student.decode(ids[:5]) for ids in generated.token_ids]
    tails = forcing.continue_after(prompts, heads, max_new_tokens=7)
    for ids, tail in zip(generated.token_ids, tails, strict=True):
        rest = ids[5:]
        assert tail == student.decode(rest[:7]) or not rest


def test_robustness_applies_to_a_separate_branch_student(cli, probe_checkpoints, tmp_path):
    result = _probe(cli, probe_checkpoints["dss"], tmp_path / "r", "--probe", "robustness")
    assert result.code == 0, result.err
    assert "robustness equivalence, 10% of input tokens replaced: labels changed" in result.out
    run = read_run(tmp_path / "r")
    assert run.manifest.coupling == "separate"
    for record in run.records:
        assert [i.rate for i in interventions_of(record)] == [0.1, 0.2, 0.3]
    assert run.metrics == summarize_probes(run.records, ["robustness"], rng=0)
    alone = _probe(cli, probe_checkpoints["single"], tmp_path / "x", "--probe", "robustness",
                   "--probe", "filler")  # fmt: skip
    assert alone.code == 2 and "--probe robustness rescores perturbed inputs and runs alone" in (
        alone.err
    )
    none = _probe(cli, probe_checkpoints["standard"], tmp_path / "y", "--probe", "robustness")
    assert none.code == 2
    assert "probe 'robustness' applies to joint or separate students only" in none.err


# -- a Socratic student: its chains forced pair by pair (tests/probes/test_chains.py fixes what
# the solver does; this checks the command, the run directory and records <-> summary) --------
FORCING = ("early_answering", "corrupted_step", "filler", "token_perturbation", "oracle")


def test_a_probe_run_of_a_socratic_student(cli, socratic_checkpoint, tmp_path):
    out = tmp_path / "socratic-probe"
    args = [a for name in FORCING for a in ("--probe", name)]
    result = _probe(cli, socratic_checkpoint, out, *args)
    assert result.code == 0, result.err
    assert result.out.startswith(f"{out}: 3 examples, full-rationale accuracy")
    assert {"manifest.json", "records.jsonl", "metrics.json"} <= {p.name for p in out.iterdir()}
    run = read_run(out)
    assert run.manifest.kind == "probe" and run.manifest.complete
    assert run.manifest.coupling == "joint" and run.manifest.model.recipe == "socratic"
    assert len(run.records) == 3
    for record in run.records:
        steps = [Step(s.question, s.answer) for s in record.socratic or ()]
        forced = [i for i in interventions_of(record) if i.probe == "early_answering"]
        n = len(steps) - 1  # the pairs before the last sub-question
        assert [i.position for i in forced] == (list(range(n + 1)) if n > 0 else [])
        assert [i.prefix for i in forced] == [transcript(steps[:k]) for k in range(len(forced))]
        assert len([i for i in interventions_of(record) if i.probe == "oracle"]) == 1
    assert run.metrics == summarize_probes(run.records, list(FORCING), rng=0)
    again = _probe(cli, socratic_checkpoint, out, *args)  # resumes: nothing to do
    assert again.code == 0 and json.loads((out / "metrics.json").read_text()) == run.metrics


def test_a_trained_solver_is_forced_on_a_fixed_decomposition(socratic_checkpoint):
    """The trained solver (its tokenizer, its batched generate) under every forcing probe, on
    chains a fixed decomposer starts: the plan's structure, never what the solver writes."""
    from evalsuite.probes.chains import probe_chains_batch
    from evalsuite.probes.forcing import StudentTokens
    from evalsuite.scoring.student import SocraticStudents, load_students
    from evalsuite.tasks import get_task
    from tests.probes.chain_fakes import socratic_examples
    from tests.scoring.fakes import FakeStudent
    from tests.scoring.test_socratic import PROMPT

    examples = socratic_examples(3)
    solver = load_students(
        socratic_checkpoint, socratic=True, device=torch.device("cpu"), max_input_length=64
    ).solver
    questions = {e.input: [q for q, _ in e.extra["socratic"]] for e in examples}
    decomposer = FakeStudent({f"decompose: {text}": [(" | ".join(qs), 1.0)]
                              for text, qs in questions.items()})  # fmt: skip
    records = probe_chains_batch(
        SocraticStudents(decomposer, solver), StudentTokens(solver), get_task("arith"), PROMPT,
        examples, probes=FORCING, seed=0, perturbation_rate=0.5, batch_size=4, max_new_tokens=6,
    )  # fmt: skip
    for record, example in zip(records, examples, strict=True):
        steps = [Step(s.question, s.answer) for s in record.socratic]
        assert [s.question for s in steps] == questions[example.input]
        by_probe: dict[str, list] = {}
        for i in interventions_of(record):
            by_probe.setdefault(i.probe, []).append(i)
        n = len(steps) - 1
        assert [i.prefix for i in by_probe["early_answering"]] == [
            transcript(steps[:k]) for k in range(n + 1)
        ]
        for i in by_probe["early_answering"]:  # the last sub-question, asked at once
            assert i.continuation.startswith(f"Q: {steps[-1].question} A:")
        for i in by_probe.get("corrupted_step", []):  # the later sub-questions, re-solved
            assert i.prefix.startswith(transcript(steps[: i.position]))
            later = [f"Q: {s.question} A:" for s in steps[i.position + 1 :]]
            assert i.continuation.startswith(later[0])
            places = [i.continuation.find(q) for q in later]
            assert -1 not in places and places == sorted(places)  # in order
        (perturbed,) = by_probe["token_perturbation"]
        ids = [t for s in steps[:-1] for part in (s.question, s.answer)
               for t in StudentTokens(solver).token_ids(part)]  # fmt: skip
        assert perturbed.detail == f"{round(len(ids) / 2)} of {len(ids)} tokens"
        assert by_probe["filler"][0].prefix.count("Q: ") == n


def test_the_oracle_of_a_socratic_student_needs_teacher_pairs(cli, socratic_checkpoint, dss_root,
                                                              tmp_path):  # fmt: skip
    args = ("--task", "svamp", "--data-dir", dss_root, "--probe", "filler", "--probe", "oracle")
    result = _probe(cli, socratic_checkpoint, tmp_path / "o", *args)
    assert result.code == 2 and result.out == "" and result.err.count("\n") == 1
    assert "probe 'oracle': task 'svamp' has no teacher Socratic decomposition" in result.err
    assert not (tmp_path / "o").exists()
