"""A safe evaluator for arithmetic expressions in model output: numbers and + - * / only.

Model output is data. The DSS release passes labels to Python's ``eval``; this walks the ``ast``
instead and refuses every node that is not a number, a unary sign or one of the four operators.
"""

from __future__ import annotations

import ast
import math

__all__ = ["MAX_EXPRESSION_CHARS", "evaluate_expression", "format_number", "numbers_equal"]

MAX_EXPRESSION_CHARS = 10_000
"""Longer text is refused outright. Within it, a chain of 1,200 additions is still evaluated:
the walk below keeps its own stack, and nesting too deep for Python's parser is a non-match."""

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


class _Refused(Exception):
    """A node outside the allow-list, or an arithmetic failure such as division by zero."""


def _constant(node: ast.Constant) -> float:
    if not isinstance(node.value, int | float) or isinstance(node.value, bool):
        raise _Refused(type(node.value).__name__)
    return float(node.value)


def _value(root: ast.AST) -> float:
    """Evaluate the tree bottom-up with an explicit stack, so that no depth of nesting, e.g. a
    left-leaning chain of thousands of additions, can exhaust Python's recursion limit."""
    pending: list[tuple[ast.AST, bool]] = [(root, False)]
    values: list[float] = []
    while pending:
        node, operands_done = pending.pop()
        if isinstance(node, ast.Expression):
            pending.append((node.body, False))
        elif isinstance(node, ast.Constant):
            values.append(_constant(node))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            if not operands_done:
                pending += [(node, True), (node.operand, False)]
            elif isinstance(node.op, ast.USub):
                values.append(-values.pop())
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            if not operands_done:  # the left operand is evaluated first
                pending += [(node, True), (node.right, False), (node.left, False)]
                continue
            right, left = values.pop(), values.pop()
            if isinstance(node.op, ast.Div) and right == 0:
                raise _Refused("division by zero")
            values.append(float(_BINARY[type(node.op)](left, right)))
        else:
            raise _Refused(type(node).__name__)
    return values.pop()


def evaluate_expression(text: str | None) -> float | None:
    """Evaluate an arithmetic expression of numbers and ``+ - * /``; ``None`` if it is not one.

    Parameters
    ----------
    text : str or None
        Candidate expression, e.g. ``"( 10.0 * 45.0 )"``.

    Returns
    -------
    float or None
        The value, or ``None`` for anything else: names, calls, powers, division by zero,
        non-finite results, text that does not parse.

    Examples
    --------
    >>> evaluate_expression("( 10.0 - ( 6.0 + 3.0 ) )")
    1.0
    >>> evaluate_expression("__import__('os')") is None
    True
    >>> evaluate_expression("3 / 0") is None
    True
    """
    if text is None:
        return None
    source = text.strip()
    if not source or len(source) > MAX_EXPRESSION_CHARS:
        return None
    try:
        tree = ast.parse(source, mode="eval")
        value = _value(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError, _Refused):
        return None
    return value if math.isfinite(value) else None


def numbers_equal(a: float, b: float, *, rel_tol: float = 1e-6, abs_tol: float = 1e-9) -> bool:
    """Whether two answers are the same number, with a relative tolerance of 1e-6 by default."""
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


def format_number(value: float) -> str:
    """Canonical text of a numeric answer: ``450`` rather than ``450.0``; ten significant digits.

    >>> format_number(450.0), format_number(2.5), format_number(1 / 3)
    ('450', '2.5', '0.3333333333')
    """
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"
