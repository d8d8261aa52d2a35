"""The Socratic recipe: its two students' training examples, their judging, and a real run
through the CLI (layout, manifests, resumption, refusals)."""

from __future__ import annotations

import json

import pytest

from evalsuite.checkpoint import read_checkpoint
from evalsuite.data import ArithConfig, load_examples
from evalsuite.example import Example
from evalsuite.socratic import solver_input
from evalsuite.tasks import get_task
from trainers.config import make_config
from trainers.socratic import DecomposerRecipe, SolverRecipe

ARITH = get_task("arith")
CONFIG = make_config(recipe="socratic", task="arith", out="ckpt")
STEPS = [["How many at first?", "4"], ["How many after buying 3?", "4 + 3 = 7"]]
EXAMPLE = Example(
    id="train-5", input="Ann has 4.\nShe buys 3.", gold="( 4 + 3 )", split="train",
    teacher_label="( 4 + 3 )", extra={"socratic": STEPS},
)  # fmt: skip


def test_decomposer_learns_every_sub_question_at_once():
    recipe = DecomposerRecipe(CONFIG, ARITH)
    (example,) = recipe.training_examples([EXAMPLE])
    assert (example.id, example.input) == ("train-5", EXAMPLE.input)
    assert example.gold == example.teacher_label == "How many at first? | How many after buying 3?"
    pair = recipe.pairs(example, example.gold)["label"]
    assert pair.source == "decompose: Ann has 4.\nShe buys 3."
    assert recipe.prompt_format().label_prefix == "decompose: "
    # judged on the whole list, whitespace and case aside
    assert recipe.judge("how many at first?  |  How many after buying 3?", example)
    assert not recipe.judge("How many at first?", example)


def test_solver_learns_one_example_per_sub_question_from_the_teacher_answers():
    recipe = SolverRecipe(CONFIG, ARITH)
    first, second = recipe.training_examples([EXAMPLE])
    assert [first.id, second.id] == ["train-5#1", "train-5#2"]
    assert first.input == solver_input(EXAMPLE.input, [], "How many at first?")
    assert (
        second.input
        == "Ann has 4.\nShe buys 3. | Q: How many at first? A: 4 | Q: How many after buying 3?"
    )
    assert (second.gold, second.teacher_label) == ("4 + 3 = 7", "4 + 3 = 7")
    assert recipe.pairs(second, second.gold)["label"].source.startswith("solve: Ann has 4.")
    # judged by the value stated after the last "=", through the task
    assert recipe.judge("4 + 3 = 7.0", second) and recipe.judge("3 + 4 = 7", second)
    assert not recipe.judge("4 + 3 = 8", second) and not recipe.judge("", second)


def test_arith_has_one_solver_example_per_operation():
    examples = load_examples(ARITH, "train", arith=ArithConfig(n_train=20, n_valid=2, n_test=2))
    solver = SolverRecipe(CONFIG, ARITH).training_examples(examples)
    assert len(solver) == sum(len(e.extra["problem"]["steps"]) for e in examples)


def _manifest(path):
    return json.loads((path / "train_manifest.json").read_text())


@pytest.mark.kernels
def test_a_socratic_run_trains_both_students_and_resumes(train_cli):
    result, out = train_cli("socratic", "--max-steps", "2", "--eval-every", "2")
    assert result.code == 0, result.err
    assert "socratic student, 2 steps" in result.out
    manifest, prompt = read_checkpoint(out)
    assert prompt.output == "socratic"
    assert prompt.path_prefixes == {"decompose": "decompose: ", "solve": "solve: "}
    assert manifest["status"] == "complete" and manifest["data"]["n_problems_train"] == 16
    for stage in ("decompose", "solve"):
        student = _manifest(out / stage)
        assert student["status"] == "complete" and student["steps"]["completed"] == 2
        assert manifest["students"][stage]["best"] == student["best"]
        assert (out / stage / "tokenizer.json").is_file()
    # the solver trains on one example per sub-question (one operation per problem here)
    assert _manifest(out / "solve")["data"]["n_train"] == 16
    again, _ = train_cli("socratic", "--max-steps", "2", "--eval-every", "2", out=out)
    assert again.code == 0 and "already trained for 2 steps; nothing to do" in again.err
    other, _ = train_cli("socratic", "--max-steps", "3", "--eval-every", "3", out=out)
    assert other.code == 2
    assert "different config (eval_every: 2 -> 3; max_steps: 2 -> 3)" in other.err


def test_data_without_socratic_steps_exits_2_naming_the_example(cli, tmp_path):
    data = tmp_path / "svamp.jsonl"
    data.write_text("".join(
        json.dumps({"input": f"Ann has {i} and {i + 1}.", "label": f"( {i} + {i + 1} )"}) + "\n"
        for i in range(12)
    ))  # fmt: skip
    out = tmp_path / "ckpt"
    result = cli("train", "socratic", "--task", "svamp", "--data-dir", data, "--out", out)
    assert result.code == 2 and result.err.count("\n") == 1
    assert "no 'socratic' field" in result.err and "example" in result.err
    assert not out.exists()


@pytest.mark.parametrize("bad", ['"How many?"', '[["A | B?", "2"]]'])
def test_user_jsonl_socratic_field_reaches_the_recipe_checked(cli, tmp_path, bad):
    rows = [
        {"input": "Ann has 4 and 3.", "label": "( 4 + 3 )",
         "socratic": [["How many together?", "4 + 3 = 7"]]}
        for _ in range(10)
    ]  # fmt: skip
    data = tmp_path / "svamp.jsonl"
    lines = [json.dumps(r) for r in rows]
    lines[3] = lines[3].replace('[["How many together?", "4 + 3 = 7"]]', bad)
    data.write_text("\n".join(lines) + "\n")
    result = cli(
        "train", "socratic", "--task", "svamp", "--data-dir", data, "--out", tmp_path / "c"
    )
    assert result.code == 2 and result.err.count("\n") == 1
    assert "field 'socratic'" in result.err
