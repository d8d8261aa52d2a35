"""What a program-of-thought may use: the AST allow-list checked before a program runs.

This is the first of the sandbox's layers (see :mod:`evalsuite.sandbox` for the others).
A PoT program is short straight-line Python that sets ``ans``; it needs arithmetic, names, loops,
small functions and a few containers, and nothing that reaches the interpreter's internals. So the
check is an allow-list, not a deny-list: every AST node type, attribute name and builtin must be
listed here, and anything new in a later Python is refused until someone adds it on purpose.

Attribute names are allow-listed too, not only dunders refused: ``"{0.__class__}".format(x)``
walks attributes inside a string, and ``gen.gi_frame.f_globals`` reaches a module's globals
without a single dunder.

This module imports only the standard library: the sandbox's worker loads it in a bare interpreter.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "FORBIDDEN_NAMES",
    "MATH_NAMES",
    "MAX_PROGRAM_CHARS",
    "SAFE_BUILTIN_NAMES",
    "PolicyViolation",
    "check_program",
]

MAX_PROGRAM_CHARS = 100_000
"""Longer programs are refused before parsing: a PoT program is a few lines."""

SAFE_BUILTIN_NAMES: tuple[str, ...] = (
    "abs", "all", "any", "bin", "bool", "chr", "dict", "divmod", "enumerate", "filter", "float",
    "frozenset", "hex", "int", "isinstance", "len", "list", "map", "max", "min", "oct", "ord",
    "pow", "print", "range", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip",
)  # fmt: skip
"""The builtins a program sees (``print`` is replaced by one that captures the output)."""

MATH_NAMES: frozenset[str] = frozenset(name for name in dir(math) if not name.startswith("_"))
"""Public functions and constants of :mod:`math`, offered as a pre-bound ``math`` namespace."""

_METHOD_NAMES = frozenset(
    {
        # numbers
        "real", "imag", "numerator", "denominator", "conjugate", "is_integer",
        "as_integer_ratio", "bit_length",
        # lists, dicts, sets
        "append", "extend", "insert", "pop", "remove", "index", "count", "sort", "reverse",
        "copy", "clear", "keys", "values", "items", "get", "update", "setdefault", "add",
        "discard", "union", "intersection", "difference", "symmetric_difference", "issubset",
        "issuperset",
        # strings (no format/format_map: their fields walk attributes, "{0.__class__}")
        "lower", "upper", "title", "capitalize", "strip", "lstrip", "rstrip", "split",
        "splitlines", "join", "replace", "startswith", "endswith", "find", "rfind", "isdigit",
        "isalpha", "isnumeric", "zfill", "center", "ljust", "rjust", "partition",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: frozenset[str] = _METHOD_NAMES | MATH_NAMES
"""Attribute names a program may read (never assign): container and string methods, ``math.*``."""

FORBIDDEN_NAMES: frozenset[str] = frozenset(
    {
        "open", "exec", "eval", "compile", "getattr", "setattr", "delattr", "hasattr",
        "globals", "locals", "vars", "dir", "breakpoint", "input", "help", "exit", "quit",
        "memoryview", "type", "object", "super", "classmethod", "staticmethod", "property",
    }
)  # fmt: skip
"""Names refused outright, even as plain variables: the builtins of every known escape.

They are absent from the program's builtins as well; refusing them here says why a program
failed ("forbidden") instead of a puzzling ``NameError``.
"""

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    # structure
    ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Pass, ast.Delete,
    ast.If, ast.For, ast.While, ast.Break, ast.Continue, ast.Assert,
    ast.FunctionDef, ast.Return, ast.Lambda, ast.arguments, ast.arg, ast.Global, ast.Nonlocal,
    # expressions
    ast.Name, ast.Constant, ast.Attribute, ast.Subscript, ast.Slice, ast.Starred,
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.NamedExpr, ast.Call,
    ast.keyword, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.SetComp,
    ast.DictComp, ast.GeneratorExp, ast.comprehension, ast.JoinedStr, ast.FormattedValue,
    # contexts and operators
    ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop,
)  # fmt: skip

_WHY_NOT = {
    ast.Import: "import is not allowed (math is pre-bound: use math.sqrt(x) without importing)",
    ast.ImportFrom: "import is not allowed (math is pre-bound: use math.sqrt(x) without importing)",
    ast.ClassDef: "class definitions are not allowed",
    ast.With: "'with' is not allowed (there are no files or resources to manage)",
    ast.Try: "try/except is not allowed (a failing program is reported, not hidden)",
    ast.Raise: "raise is not allowed",
}


@dataclass(frozen=True)
class PolicyViolation:
    """Why a program is refused before it runs.

    Attributes
    ----------
    kind : {"syntax_error", "forbidden"}
        ``syntax_error`` when the text is not Python; ``forbidden`` when it is, but uses
        something outside the allow-list.
    message : str
        One line naming the line number and the construct, e.g.
        ``"line 1: name 'open' is not allowed"``.
    """

    kind: Literal["syntax_error", "forbidden"]
    message: str


def _identifier_problem(name: str, what: str) -> str | None:
    if name.startswith("__"):
        return f"dunder {what} '{name}' is not allowed"
    if name in FORBIDDEN_NAMES:
        return f"{what} '{name}' is not allowed"
    return None


def _node_problem(node: ast.AST) -> str | None:
    """Why ``node`` alone breaks the policy, or None (children are checked on their own)."""
    if not isinstance(node, _ALLOWED_NODES):
        kind = type(node)
        return _WHY_NOT.get(kind, f"'{kind.__name__}' is not allowed")
    if isinstance(node, ast.Name):
        return _identifier_problem(node.id, "name")
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("__"):
            return f"dunder attribute '{node.attr}' is not allowed"
        if not isinstance(node.ctx, ast.Load):
            return f"assigning or deleting attribute '{node.attr}' is not allowed"
        if node.attr not in ALLOWED_ATTRIBUTES:
            return f"attribute '{node.attr}' is not allowed"
    if isinstance(node, ast.FunctionDef):
        return _identifier_problem(node.name, "function name")
    if isinstance(node, ast.arg):
        return _identifier_problem(node.arg, "argument name")
    if isinstance(node, ast.keyword) and node.arg is not None:
        return _identifier_problem(node.arg, "keyword")
    if isinstance(node, ast.Global | ast.Nonlocal):
        problems = (_identifier_problem(name, "name") for name in node.names)
        return next((p for p in problems if p is not None), None)
    return None


def check_program(source: str) -> PolicyViolation | None:
    """Check a program against the allow-list without running it.

    Parameters
    ----------
    source : str
        The program text (model output).

    Returns
    -------
    PolicyViolation or None
        None when the program may run; else the first violation in source order.

    Examples
    --------
    >>> check_program("apples = 15\\napples = apples + 21\\nans = apples") is None
    True
    >>> check_program("import os\\nans = os.getcwd()").message
    'line 1: import is not allowed (math is pre-bound: use math.sqrt(x) without importing)'
    >>> check_program("ans = ().__class__").message
    "line 1: dunder attribute '__class__' is not allowed"
    >>> check_program("ans = (").kind
    'syntax_error'
    """
    if len(source) > MAX_PROGRAM_CHARS:
        return PolicyViolation(
            "forbidden", f"program has {len(source)} characters; at most {MAX_PROGRAM_CHARS}"
        )
    try:
        tree = ast.parse(source, filename="<program>", mode="exec")
    except SyntaxError as err:
        where = f"line {err.lineno}: " if err.lineno is not None else ""
        return PolicyViolation("syntax_error", f"{where}{err.msg}")
    except (ValueError, RecursionError, MemoryError) as err:  # null bytes; absurd nesting
        return PolicyViolation("syntax_error", f"cannot parse: {type(err).__name__}: {err}")
    # Depth-first in source order, with an explicit stack: a deeply nested program cannot
    # exhaust the recursion limit here. Nodes without a position (operators, match cases)
    # report the line of their nearest positioned ancestor.
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, line = stack.pop()
        line = getattr(node, "lineno", line)
        problem = _node_problem(node)
        if problem is not None:
            return PolicyViolation("forbidden", f"line {line}: {problem}")
        stack.extend((child, line) for child in reversed(list(ast.iter_child_nodes(node))))
    return None
