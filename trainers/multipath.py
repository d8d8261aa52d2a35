"""Training material of the mixed (CoT + PoT) recipe: task prefixes, PoT programs, the loss.

One student learns two reasoning paths, each selected by a task prefix: ``"cot: " + input`` ->
``"<rationale> So the answer is <label>"`` and ``"pot: " + input`` -> a Python program that sets
``ans`` (program of thought), written in the one-line form of :mod:`evalsuite.program_text`
(``<nl>`` for newlines, ``<tab>`` per indentation level: tokenizers drop newlines). Where the
programs come from, in order:

1. ``example.extra["pot"]``: the arith teacher's programs, or a user JSONL row's ``pot`` field
   (rows carry ``pot`` beside the task's usual fields; see :mod:`evalsuite.data.records`);
2. for arithmetic tasks (SVAMP), a program **derived** from the equation label the student is
   trained on (gold or teacher, per ``--label-source``), one assignment per operation
   (:func:`equation_program`). These programs were not written by the teacher.

The loss is ``lam * L_cot + (1 - lam) * L_pot`` (:func:`mixed_loss`); ``lam`` is
``TrainConfig.alpha`` (``evalsuite train mixed --lam``).
"""

from __future__ import annotations

import ast

from torch import Tensor

from evalsuite.errors import DataError
from evalsuite.example import Example
from evalsuite.program_text import program_to_line
from evalsuite.tasks import Task
from trainers.losses import dss_loss

__all__ = [
    "COT_PREFIX",
    "MIXED_PREFIXES",
    "POT_PREFIX",
    "equation_program",
    "mixed_loss",
    "pot_program",
    "pot_target",
]

COT_PREFIX = "cot: "
POT_PREFIX = "pot: "
MIXED_PREFIXES = {"cot": COT_PREFIX, "pot": POT_PREFIX}
"""``PromptFormat.path_prefixes`` of a mixed student: path kind -> task prefix."""

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def mixed_loss(cot_loss: Tensor, pot_loss: Tensor, *, lam: float) -> Tensor:
    """The mixed-distillation loss ``lam * L_cot + (1 - lam) * L_pot``.

    The same convex combination as DSS's, with the CoT path in the label's place.

    Examples
    --------
    >>> import torch
    >>> float(mixed_loss(torch.tensor(2.0), torch.tensor(4.0), lam=0.75))
    2.5
    """
    return dss_loss(cot_loss, pot_loss, alpha=lam)


def _number(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return repr(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None else f"-{inner}"
    return None


def equation_program(equation: str) -> str | None:
    """A step-by-step program computing an equation label: one ``t<i>`` per operation.

    Only numbers, parentheses and ``+ - * /`` are accepted; anything else gives ``None``.
    The program is *derived* from the label, not written by a teacher.

    Examples
    --------
    >>> print(equation_program("( ( 10.0 + 5.0 ) * 3.0 )"))
    t1 = 10.0 + 5.0
    t2 = t1 * 3.0
    ans = t2
    >>> print(equation_program("7"))
    ans = 7
    >>> equation_program("import os") is None
    True
    """
    try:
        tree = ast.parse(equation.strip(), mode="eval")
    except SyntaxError:
        return None
    lines: list[str] = []

    def emit(node: ast.expr) -> str | None:
        number = _number(node)
        if number is not None:
            return number
        if not (isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS):
            return None
        left, right = emit(node.left), emit(node.right)
        if left is None or right is None:
            return None
        lines.append(f"t{len(lines) + 1} = {left} {_OPERATORS[type(node.op)]} {right}")
        return f"t{len(lines)}"

    result = emit(tree.body)
    return None if result is None else "\n".join([*lines, f"ans = {result}"])


def pot_program(example: Example, label: str, task: Task) -> str:
    """The PoT training target of one example (see the module docstring for the sources).

    Raises
    ------
    DataError
        When the example has no ``pot`` program and none can be derived from ``label``, or its
        ``pot`` field is not a string.
    """
    program = example.extra.get("pot")
    if program is not None:
        if not isinstance(program, str) or not program.strip():
            raise DataError(
                f"{example.split} example {example.id}: field 'pot' must be a non-empty string "
                f"(a Python program setting ans), got {program!r}"
            )
        return program
    derived = equation_program(label) if task.name in ("svamp", "arith") else None
    if derived is None:
        raise DataError(
            f"{example.split} example {example.id}: no PoT program for recipe 'mixed' (give a "
            f"'pot' field, or an equation label of numbers and + - * /, got {label!r})"
        )
    return derived


def pot_target(example: Example, label: str, task: Task) -> str:
    """The PoT branch's target text: :func:`pot_program` in its one-line form."""
    return program_to_line(pot_program(example, label, task))
