"""The synthetic arith task: determinism, a teacher that is right at zero noise, exact noise."""

from __future__ import annotations

import ast

import pytest

from evalsuite.data import ArithConfig, generate_arith, load_examples
from evalsuite.errors import UsageError
from evalsuite.example import Example
from evalsuite.tasks import get_task
from evalsuite.tasks.arithmetic_eval import evaluate_expression

TASK = get_task("arith")
SMALL = ArithConfig(n_train=300, n_valid=50, n_test=100, seed=3)


def _program_value(program: str) -> float | None:
    """Follow a straight-line PoT program of assignments without executing it.

    Each right-hand side has its names replaced by their values and goes through the ast
    evaluator, so the test checks the teacher's programs without running model-shaped code.
    """
    env: dict[str, float] = {}
    for statement in ast.parse(program).body:
        assert isinstance(statement, ast.Assign) and len(statement.targets) == 1
        target = statement.targets[0]
        assert isinstance(target, ast.Name)
        expression = ast.unparse(statement.value)
        for name, value in sorted(env.items(), key=lambda kv: -len(kv[0])):
            expression = expression.replace(name, repr(value))
        result = evaluate_expression(expression)
        assert result is not None, expression
        env[target.id] = result
    return env.get("ans")


def _gold_value(example: Example) -> float:
    value = evaluate_expression(example.gold)
    assert value is not None
    return value


def test_same_seed_same_data_other_seed_other_data() -> None:
    first, again = generate_arith(SMALL), generate_arith(SMALL)
    assert first == again
    other = generate_arith(ArithConfig(n_train=300, n_valid=50, n_test=100, seed=4))
    assert [e.input for e in other["test"]] != [e.input for e in first["test"]]


def test_test_split_does_not_depend_on_the_training_size() -> None:
    # Regression: one stream for all splits made the test set change with n_train, so a
    # student trained on more problems and the teacher run were scored on different tests.
    small = generate_arith(ArithConfig(n_train=100, n_valid=20, n_test=50))
    large = generate_arith(ArithConfig(n_train=3000, n_valid=20, n_test=50))
    assert small["test"] == large["test"]
    assert small["valid"] == large["valid"]


def test_sizes_ids_and_no_problem_in_two_splits() -> None:
    splits = generate_arith(SMALL)
    assert {s: len(v) for s, v in splits.items()} == {"train": 300, "valid": 50, "test": 100}
    assert splits["test"][7].id == "test-7"
    inputs = [e.input for v in splits.values() for e in v]
    assert len(inputs) == len(set(inputs))
    assert len(generate_arith(ArithConfig())["train"]) == 2000  # the documented default


def test_problems_use_one_to_three_operations_of_all_kinds() -> None:
    examples = generate_arith(ArithConfig(n_train=500, n_valid=0, n_test=0))["train"]
    counts = {len(e.extra["problem"]["steps"]) for e in examples}
    ops = {op for e in examples for op, _ in e.extra["problem"]["steps"]}
    assert counts == {1, 2, 3}
    assert ops == {"+", "-", "*", "/"}
    assert len({e.input.split(" ")[0] for e in examples}) > 10  # varied names


def test_teacher_forms_all_reach_the_gold_answer_without_noise() -> None:
    for example in generate_arith(SMALL)["test"]:
        gold = _gold_value(example)
        assert TASK.is_correct(TASK.extract_answer(example.teacher_label, example).answer, example)
        assert example.extra["teacher_cot"].endswith(f"The answer is {example.gold}.")
        stated = TASK.rationale_answer(example.teacher_rationale, example).answer
        assert stated is not None and TASK.same_answer(stated, str(gold))
        assert _program_value(example.extra["pot"]) == pytest.approx(gold)
        assert example.extra["socratic"][-1][1] == example.gold  # the last sub-answer
        assert len(example.extra["socratic"]) == len(example.extra["problem"]["steps"])


def test_socratic_sub_answers_are_the_equation_of_the_steps_so_far() -> None:
    # The solver copies its previous sub-answer and the sub-question's number; it never has to
    # know a product by heart (a value such as "147 * 2 = 294" did: 10.8 % valid accuracy).
    example = next(e for e in generate_arith(SMALL)["test"] if len(e.extra["socratic"]) == 3)
    (a, b), (c, d), (e, f) = example.extra["problem"]["steps"]
    start = float(example.extra["problem"]["start"])
    first = f"( {start} {a} {float(b)} )"
    second = f"( {first} {c} {float(d)} )"
    answers = [answer for _, answer in example.extra["socratic"]]
    assert answers == [first, second, f"( {second} {e} {float(f)} )"]
    values = [evaluate_expression(answer) for answer in answers]
    problem_values = [start]
    for op, operand in example.extra["problem"]["steps"]:
        problem_values.append(evaluate_expression(f"{problem_values[-1]} {op} {operand}") or 0.0)
    assert values == pytest.approx(problem_values[1:])


@pytest.mark.parametrize(("rationale_noise", "label_noise"), [(0.2, 0.0), (0.0, 0.3), (0.25, 0.1)])
def test_measured_corruption_matches_configured_noise(
    rationale_noise: float, label_noise: float
) -> None:
    config = ArithConfig(
        n_train=400, n_valid=0, n_test=200, rationale_noise=rationale_noise, label_noise=label_noise
    )
    for examples in generate_arith(config).values():
        if not examples:
            continue
        wrong_labels = sum(
            not TASK.is_correct(TASK.extract_answer(e.teacher_label, e).answer, e) for e in examples
        )
        wrong_rationales = sum(
            not TASK.is_correct(TASK.rationale_answer(e.teacher_rationale, e).answer, e)
            for e in examples
        )
        wrong_programs = sum(
            _program_value(e.extra["pot"]) != pytest.approx(_gold_value(e)) for e in examples
        )
        wrong_chains = sum(
            evaluate_expression(e.extra["socratic"][-1][1]) != pytest.approx(_gold_value(e))
            for e in examples
        )
        assert wrong_labels == round(label_noise * len(examples))
        expected = round(rationale_noise * len(examples))
        assert wrong_rationales == wrong_programs == wrong_chains == expected
        flagged = sum(e.extra["rationale_corrupted"] for e in examples)
        assert flagged == wrong_rationales


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_train": -1}, "n_train must be >= 0, got -1"),
        ({"label_noise": 1.5}, r"label_noise must be in \[0, 1\], got 1.5"),
        ({"max_operations": 4}, "max_operations must be 1, 2 or 3, got 4"),
    ],
)
def test_config_is_validated(kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ArithConfig(**kwargs)


def test_one_split_equals_the_full_generation_and_draws_only_what_it_depends_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: every load of the test split (each scoring, the teacher's import) generated
    all three splits, 10 700 problems for the demo's 500 test ones."""
    import evalsuite.data.arith as arith

    cfg = ArithConfig(n_train=300, n_valid=20, n_test=30, seed=3)
    full = generate_arith(cfg)
    for split in ("train", "valid", "test"):
        assert arith.arith_split(cfg, split) == full[split]
    drawn = []
    real = arith._make_problem

    def counted(*args, **kwargs):
        drawn.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(arith, "_make_problem", counted)
    assert load_examples("arith", "test", arith=cfg) == full["test"]
    assert 30 <= len(drawn) < 60  # the test split's draws (and a few repeats), no train ones
