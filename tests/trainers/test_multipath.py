"""The mixed recipe: its loss, its PoT training targets, and one real step through the CLI."""

from __future__ import annotations

import json
import random

import pytest
import torch
from transformers import AutoTokenizer

from evalsuite.data import ArithConfig, load_examples
from evalsuite.errors import DataError
from evalsuite.example import Example
from evalsuite.program_text import line_to_program, program_to_line
from evalsuite.sandbox import run_programs
from evalsuite.tasks import get_task
from evalsuite.tasks.arithmetic_eval import evaluate_expression
from tests.trainers.conftest import ARITH, weights
from trainers.config import make_config
from trainers.multipath import equation_program, mixed_loss, pot_program
from trainers.recipes import get_recipe

SVAMP = get_task("svamp")
ARITH_TASK = get_task("arith")
ARITH_CONFIG = ArithConfig(**{k: int(v) for k, v in (item.split("=") for item in ARITH.split(","))})
"""The synthetic data the ``train_cli`` fixture trains on."""


def test_mixed_loss_hand_values_and_gradients():
    cot = torch.tensor(2.0, requires_grad=True)
    pot = torch.tensor(6.0, requires_grad=True)
    loss = mixed_loss(cot, pot, lam=0.25)
    assert float(loss.detach()) == pytest.approx(0.25 * 2.0 + 0.75 * 6.0)  # 5.0
    loss.backward()
    assert (float(cot.grad), float(pot.grad)) == (0.25, 0.75)
    assert float(mixed_loss(cot, pot, lam=1.0).detach()) == 2.0
    assert float(mixed_loss(cot, pot, lam=0.0).detach()) == 6.0


def test_equation_program_hand_case():
    assert equation_program("( ( 10.0 * 45.0 ) - 3.0 )") == (
        "t1 = 10.0 * 45.0\nt2 = t1 - 3.0\nans = t2"
    )
    assert equation_program("( -2 + 3 )") == "t1 = -2 + 3\nans = t1"
    for bad in ("x + 1", "( 1 + ", "2 ** 3", "f(1)", "'a'"):
        assert equation_program(bad) is None, bad


def _random_equation(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.3:
        return str(rng.choice([rng.randint(1, 50), round(rng.uniform(0.5, 20), 1)]))
    op = rng.choice("+-*/")
    return f"( {_random_equation(rng, depth - 1)} {op} {_random_equation(rng, depth - 1)} )"


def test_derived_programs_compute_their_equation_in_the_sandbox():
    # Reference: the suite's ast evaluator of equations; the program runs in the real sandbox.
    rng = random.Random(0)
    equations = [_random_equation(rng, 3) for _ in range(40)]
    programs = [equation_program(e) for e in equations]
    assert all(p is not None for p in programs)
    results = run_programs([p for p in programs if p is not None], n_workers=1)
    for equation, result in zip(equations, results, strict=True):
        expected = evaluate_expression(equation)
        if expected is None:  # a division by zero
            assert result.error_kind == "runtime_error"
        else:
            assert result.ok and result.value == pytest.approx(expected), equation


def test_pot_program_sources_and_errors():
    example = Example(id="e1", input="q", gold="( 1 + 2 )", split="train")
    assert pot_program(example, "( 1 + 2 )", SVAMP) == "t1 = 1 + 2\nans = t1"  # derived
    given = Example(id="e2", input="q", gold="3", split="train", extra={"pot": "ans = 3"})
    assert pot_program(given, "3", SVAMP) == "ans = 3"  # the data's own program wins
    with pytest.raises(DataError, match=r"train example e1: no PoT program for recipe 'mixed'"):
        pot_program(example, "three", SVAMP)
    with pytest.raises(DataError, match=r"train example e1: no PoT program .* got '\( 1 \+ 2 \)'"):
        pot_program(example, "( 1 + 2 )", get_task("esnli"))
    broken = Example(id="e3", input="q", gold="3", split="train", extra={"pot": 3})
    with pytest.raises(DataError, match=r"train example e3: field 'pot' must be a non-empty str"):
        pot_program(broken, "3", SVAMP)


def test_user_jsonl_pot_field_reaches_the_mixed_recipe(tmp_path):
    rows = [
        {"input": "Tom has 2 and gets 3.", "label": "( 2.0 + 3.0 )",
         "pot": "tom = 2\nans = tom + 3", "teacher_rationale": "2 + 3 = 5.",
         "teacher_label": "( 2.0 + 3.0 )"},
        {"input": "Ann has 4 and 5.", "label": "( 4.0 * 5.0 )",
         "teacher_rationale": "4 * 5 = 20.", "teacher_label": "( 4.0 * 5.0 )"},
    ]  # fmt: skip
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    examples = load_examples(SVAMP, "train", data_dir=tmp_path)
    config = make_config(recipe="mixed", task="svamp", out=str(tmp_path / "ckpt"))
    recipe = get_recipe(config, SVAMP)
    pairs = [recipe.pairs(e, e.gold) for e in examples]
    # one line each: tokenizers turn newlines into spaces (evalsuite.program_text)
    assert pairs[0]["pot"].target == "tom = 2 <nl> ans = tom + 3"
    assert pairs[1]["pot"].target == "t1 = 4.0 * 5.0 <nl> ans = t1"
    assert pairs[1]["pot"].source == "pot: Ann has 4 and 5."
    assert pairs[1]["label"].source == "cot: Ann has 4 and 5."
    assert pairs[1]["label"].target == "4 * 5 = 20. So the answer is ( 4.0 * 5.0 )"
    prompt = recipe.prompt_format()
    assert (prompt.output, prompt.path_prefixes) == ("mixed", {"cot": "cot: ", "pot": "pot: "})


@pytest.mark.kernels
def test_one_real_mixed_step_through_the_cli(train_cli):
    result, out = train_cli("mixed", "--max-steps", "2", "--eval-every", "2", "--lam", "0.3")
    assert result.code == 0, result.err
    manifest = json.loads((out / "train_manifest.json").read_text())
    assert manifest["prompt"]["path_prefixes"] == {"cot": "cot: ", "pot": "pot: "}
    assert manifest["config"]["alpha"] == 0.3
    for row in manifest["curves"]["train"]:
        assert row["loss"] == pytest.approx(0.3 * row["cot"] + 0.7 * row["pot"], rel=1e-5)
        assert row["cot"] > 0 and row["pot"] > 0
    assert set(manifest["curves"]["valid"][-1]) >= {"loss", "cot", "pot", "accuracy"}
    assert all(torch.isfinite(t).all() for t in weights(out).values())
    # PoT programs survive the tiny tokenizer in their one-line form: no unknown pieces, and
    # decoding gives back the very program (a raw program would lose its newlines).
    tokenizer = AutoTokenizer.from_pretrained(out, local_files_only=True)
    programs = [e.extra["pot"] for e in load_examples(ARITH_TASK, "train", arith=ARITH_CONFIG)]
    for program, ids in zip(
        programs, tokenizer([program_to_line(p) for p in programs])["input_ids"], strict=True
    ):
        assert tokenizer.unk_token_id not in ids
        decoded = tokenizer.decode(ids, skip_special_tokens=True)
        assert line_to_program(decoded) == program
    assert "\n" not in tokenizer.decode(tokenizer(programs[0])["input_ids"])


def test_lam_is_refused_for_other_recipes_and_with_alpha(train_cli):
    result, out = train_cli("dss", "--lam", "0.3")
    assert result.code == 2
    assert "--lam 0.3: only recipe mixed has lam" in result.err
    assert not out.exists()
    result, out = train_cli("mixed", "--lam", "0.3", "--alpha", "0.2")
    assert result.code == 2
    assert "--lam and --alpha set the same weight for recipe mixed; give one" in result.err
