"""The built-in synthetic task: seeded arithmetic word problems with a rule-based teacher.

Each problem is a short story of 1-3 operations on one quantity. Its gold label is a SVAMP-style
equation, so the arithmetic task family judges arith and SVAMP alike. The teacher writes three
forms of reasoning for every problem:

* a chain of thought ending in ``"The answer is ( equation )."``, like the SVAMP teacher;
* a program of thought, short Python that sets ``ans``;
* a Socratic decomposition into (sub-question, sub-answer) pairs.

Teacher noise corrupts exactly ``round(rate * n)`` examples per split, chosen at random: a
corrupted rationale reasons from a misread first number (so all three forms reach the same wrong
value); a corrupted label is the equation over that misread number. The two are drawn separately.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

from evalsuite.errors import UsageError
from evalsuite.example import Example

__all__ = ["ArithConfig", "ArithProblem", "arith_split", "generate_arith", "teacher_forms"]

_NAMES = (
    "Ava", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Isla", "Jamal",
    "Kira", "Liam", "Mei", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
)  # fmt: skip
_ITEMS = (
    "apples", "stickers", "marbles", "books", "pencils", "cookies", "shells", "coins",
    "stamps", "cards", "balloons", "beads", "flowers", "toy cars", "eggs", "candles",
)  # fmt: skip
_OPENINGS = (
    "{name} has {a} {item}.",
    "{name} starts the day with {a} {item}.",
    "There are {a} {item} in {name}'s box.",
)
_STEPS = {
    "+": (
        "Then {name} gets {b} more {item}.",
        "A friend gives {name} {b} {item}.",
        "{name} finds another {b} {item}.",
    ),
    "-": (
        "Then {name} gives away {b} {item}.",
        "{name} loses {b} of the {item}.",
        "{name} uses {b} {item} for a project.",
    ),
    "*": (
        "Then the number of {item} becomes {b} times as large.",
        "{name} collects until there are {b} times as many {item}.",
    ),
    "/": (
        "Then {name} shares the {item} equally among {b} bags and keeps one bag.",
        "{name} splits the {item} into {b} equal piles and keeps one pile.",
    ),
}
_QUESTIONS = (
    "How many {item} does {name} have now?",
    "How many {item} are left with {name} at the end?",
)
_SUB_QUESTIONS = {
    "+": "How many {item} does {name} have after getting {b} more?",
    "-": "How many {item} does {name} have after losing {b}?",
    "*": "How many {item} are there when the amount becomes {b} times as large?",
    "/": "How many {item} are in one of the {b} equal shares?",
}
_SPLIT_ORDER = ("train", "valid", "test")
_GENERATION_ORDER = ("test", "valid", "train")


@dataclass(frozen=True)
class ArithConfig:
    """Sizes, seed and teacher noise of the synthetic task. Validated once, never mutated."""

    n_train: int = 2000
    n_valid: int = 200
    n_test: int = 500
    seed: int = 0
    rationale_noise: float = 0.0
    label_noise: float = 0.0
    max_operations: int = 3

    def __post_init__(self) -> None:
        for name in ("n_train", "n_valid", "n_test"):
            if getattr(self, name) < 0:
                raise UsageError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("rationale_noise", "label_noise"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise UsageError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not 1 <= self.max_operations <= 3:
            raise UsageError(f"max_operations must be 1, 2 or 3, got {self.max_operations}")

    def size(self, split: str) -> int:
        """Number of examples in ``split``."""
        return int(getattr(self, f"n_{split}"))


@dataclass(frozen=True)
class ArithProblem:
    """The structure behind one story: a start value and a list of (operator, operand) steps."""

    start: int
    steps: tuple[tuple[str, int], ...]
    name: str
    item: str

    def values(self, start: int | None = None) -> list[float]:
        """The running value after each step (the start value first)."""
        current = float(self.start if start is None else start)
        out = [current]
        for op, b in self.steps:
            current = {
                "+": current + b,
                "-": current - b,
                "*": current * b,
                "/": current / b,
            }[op]
            out.append(current)
        return out

    def equation(self, start: int | None = None, *, n_steps: int | None = None) -> str:
        """SVAMP-style equation, e.g. ``( ( 17.0 + 15.0 ) * 2.0 )``; of the first ``n_steps``
        steps only when given (``( 17.0 + 15.0 )``)."""
        text = f"{float(self.start if start is None else start)}"
        for op, b in self.steps[:n_steps]:
            text = f"( {text} {op} {float(b)} )"
        return text


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _pick_step(rng: random.Random, current: int) -> tuple[str, int]:
    """An operation that keeps every intermediate value a positive whole number."""
    options = ["+", "*"]
    if current > 1:
        options.append("-")
    divisors = [d for d in range(2, 10) if current % d == 0 and current // d > 0]
    if divisors:
        options.append("/")
    op = rng.choice(options)
    if op == "+":
        return op, rng.randint(1, 40)
    if op == "-":
        return op, rng.randint(1, current - 1)
    if op == "*":
        return op, rng.randint(2, 5)
    return op, rng.choice(divisors)


def _make_problem(rng: random.Random, max_operations: int) -> tuple[ArithProblem, str]:
    name, item = rng.choice(_NAMES), rng.choice(_ITEMS)
    start = rng.randint(2, 50)
    steps: list[tuple[str, int]] = []
    current = start
    for _ in range(rng.randint(1, max_operations)):
        op, b = _pick_step(rng, current)
        steps.append((op, b))
        current = {"+": current + b, "-": current - b, "*": current * b, "/": current // b}[op]
    problem = ArithProblem(start=start, steps=tuple(steps), name=name, item=item)
    fill = {"name": name, "item": item, "a": start}
    sentences = [rng.choice(_OPENINGS).format(**fill)]
    sentences += [rng.choice(_STEPS[op]).format(**fill, b=b) for op, b in steps]
    question = rng.choice(_QUESTIONS).format(**fill)
    return problem, " ".join(sentences) + "\n" + question


def teacher_forms(problem: ArithProblem, *, start: int | None = None) -> dict[str, Any]:
    """The teacher's CoT, PoT and Socratic forms, reasoning from ``start`` (default: the truth).

    Returns a dict with ``cot`` (the full continuation, ending "The answer is ( equation )."),
    ``pot`` (Python setting ``ans``) and ``socratic`` (a list of [question, answer] pairs).

    A Socratic sub-answer is the equation of the steps so far, in the label's own form (the
    k-th is ``equation(n_steps=k)``, so the last is the label), judged by its value as labels
    are. A tiny solver writes it by copying the previous sub-answer and the sub-question's
    number; a sub-answer that states the value (``"147 * 2 = 294"``) asks it to know every
    product by heart. Measured with tiny llama solvers (800 steps): equations 82.2 % valid
    accuracy, values 9.3 % halfway through (loss flat at 1.3; 10.8 % after a 400-step run).
    """
    first = problem.start if start is None else start
    values = problem.values(first)
    item, name = problem.item, problem.name
    cot = [f"{name} starts with {first} {item}."]
    pot = [f"{item.replace(' ', '_')} = {first}"]
    var = item.replace(" ", "_")
    socratic = []
    steps = zip(problem.steps, values[:-1], values[1:], strict=True)
    for k, ((op, b), before, after) in enumerate(steps, start=1):
        cot.append(f"After that, {name} has {_number(before)} {op} {b} = {_number(after)} {item}.")
        pot.append(f"{var} = {var} {op} {b}")
        socratic.append(
            [
                _SUB_QUESTIONS[op].format(item=item, name=name, b=b),
                problem.equation(first, n_steps=k),
            ]
        )
    pot.append(f"ans = {var}")
    cot_text = " ".join(cot) + f" The answer is {problem.equation(first)}."
    return {"cot": cot_text, "pot": "\n".join(pot), "socratic": socratic}


def _misread(rng: random.Random, start: int) -> int:
    """A wrong first number. Every operation is injective in its running value, so it changes
    the final answer."""
    return start + rng.randint(1, 3)


def generate_arith(config: ArithConfig | None = None) -> dict[str, list[Example]]:
    """Generate train, valid and test splits; no problem text occurs in two splits.

    Each split draws from its own seeded stream, test first, then valid, then train (skipping
    problems already drawn), so the test split depends only on the seed and ``n_test``: a
    student trained on more problems is scored on the same test set as the teacher.

    Examples
    --------
    >>> splits = generate_arith(ArithConfig(n_train=3, n_valid=1, n_test=2, seed=7))
    >>> [len(splits[s]) for s in ("train", "valid", "test")]
    [3, 1, 2]
    """
    out = _generate(config or ArithConfig(), through=_GENERATION_ORDER[-1])
    return {split: out[split] for split in _SPLIT_ORDER}


def arith_split(config: ArithConfig | None, split: str) -> list[Example]:
    """One split, equal to ``generate_arith(config)[split]``, generating only what it depends on:
    the splits drawn before it (test, then valid, then train). Scoring on test so draws 500
    problems, not the 10 700 of every split.

    Examples
    --------
    >>> cfg = ArithConfig(n_train=3, n_valid=1, n_test=2, seed=7)
    >>> arith_split(cfg, "valid") == generate_arith(cfg)["valid"]
    True
    """
    return _generate(config or ArithConfig(), through=split)[split]


def _generate(cfg: ArithConfig, *, through: str) -> dict[str, list[Example]]:
    """The splits in :data:`_GENERATION_ORDER` up to and including ``through``."""
    from evalsuite.tasks import get_task

    task = get_task("arith")
    seen: set[str] = set()
    out: dict[str, list[Example]] = {}
    order = _GENERATION_ORDER[: _GENERATION_ORDER.index(through) + 1]
    for split in order:
        n = cfg.size(split)
        rng = random.Random(f"arith-{cfg.seed}-{split}")
        noise_rng = random.Random(f"arith-noise-{cfg.seed}-{split}")
        bad_rationale = set(noise_rng.sample(range(n), round(cfg.rationale_noise * n)))
        bad_label = set(noise_rng.sample(range(n), round(cfg.label_noise * n)))
        examples: list[Example] = []
        while len(examples) < n:
            problem, text = _make_problem(rng, cfg.max_operations)
            if text in seen:
                continue
            seen.add(text)
            index = len(examples)
            wrong = _misread(noise_rng, problem.start)
            forms = teacher_forms(problem, start=wrong if index in bad_rationale else None)
            teacher = task.parse_teacher(forms["cot"])
            label = problem.equation(wrong if index in bad_label else None)
            examples.append(
                Example(
                    id=f"{split}-{index}",
                    input=text,
                    gold=problem.equation(),
                    split=split,
                    teacher_rationale=teacher.rationale,
                    teacher_label=label,
                    extra={
                        "teacher_cot": forms["cot"],
                        "pot": forms["pot"],
                        "socratic": forms["socratic"],
                        "rationale_corrupted": index in bad_rationale,
                        "label_corrupted": index in bad_label,
                        "problem": asdict(problem),
                    },
                )
            )
        out[split] = examples
    return out
