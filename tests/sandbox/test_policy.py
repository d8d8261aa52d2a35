"""The sandbox's AST allow-list: what it accepts, what it refuses and why, checked statically."""

from __future__ import annotations

import builtins
import math

import pytest

from evalsuite.sandbox.policy import (
    ALLOWED_ATTRIBUTES,
    FORBIDDEN_NAMES,
    MATH_NAMES,
    MAX_PROGRAM_CHARS,
    SAFE_BUILTIN_NAMES,
    check_program,
)

# ----------------------------------------------------------------------------- hand-written cases

ALLOWED = [
    "apples = 15\napples = apples + 21\nans = apples",
    "total = 0\nfor i in range(10):\n    if i % 2 == 0:\n        total += i\nans = total",
    "def solve(a, b=2):\n    return a * b\nans = solve(21)",
    "ans = round(math.sqrt(2) * math.pi, 3)",
    "xs = [1, 2, 3]\nxs.append(4)\nans = sum(x * x for x in xs)",
    "d = {'a': 1}\nd.update(b=2)\nans = max(d.values())",
    "ans = ' '.join(['a', 'b']).upper()",
    "n = 10\nwhile n > 1:\n    n = n // 2 if n % 2 == 0 else 3 * n + 1\nans = n",
    "ans = (lambda x: x + 1)(41)",
    "ans = f'{3.14159:.2f}'",
    "a, *rest = [1, 2, 3]\nans = len(rest)",
    "_ = 3\nans = _",
    "ans = (x := 4) * x",
    "print('step', 1)\nans = None",
]


@pytest.mark.parametrize("source", ALLOWED)
def test_ordinary_programs_are_allowed(source: str) -> None:
    assert check_program(source) is None


FORBIDDEN = [
    # (program, message): the message names the line and the construct
    ("import os", "line 1: import is not allowed"),
    ("x = 1\nfrom subprocess import run", "line 2: import is not allowed"),
    ("ans = __import__('os')", "line 1: dunder name '__import__' is not allowed"),
    ("ans = __builtins__", "line 1: dunder name '__builtins__' is not allowed"),
    ("__x = 1", "line 1: dunder name '__x' is not allowed"),
    ("ans = ().__class__.__base__", "line 1: dunder attribute '__base__' is not allowed"),
    ("ans = open('f')", "line 1: name 'open' is not allowed"),
    ("ans = eval('1')", "line 1: name 'eval' is not allowed"),
    ("exec('ans = 1')", "line 1: name 'exec' is not allowed"),
    ("c = compile('1', 'f', 'eval')", "line 1: name 'compile' is not allowed"),
    ("ans = getattr(1, 'real')", "line 1: name 'getattr' is not allowed"),
    ("setattr(math, 'pi', 3)", "line 1: name 'setattr' is not allowed"),
    ("ans = globals()", "line 1: name 'globals' is not allowed"),
    ("ans = locals()", "line 1: name 'locals' is not allowed"),
    ("ans = vars()", "line 1: name 'vars' is not allowed"),
    ("ans = type(1)", "line 1: name 'type' is not allowed"),
    ("ans = '{0.__class__}'.format(1)", "line 1: attribute 'format' is not allowed"),
    ("g = (x for x in [1])\nans = g.gi_frame", "line 2: attribute 'gi_frame' is not allowed"),
    ("ans = int.mro()", "line 1: attribute 'mro' is not allowed"),
    ("math.pi = 3", "line 1: assigning or deleting attribute 'pi' is not allowed"),
    ("del math.pi", "line 1: assigning or deleting attribute 'pi' is not allowed"),
    ("def __init__():\n    pass", "line 1: dunder function name '__init__' is not allowed"),
    ("def f(__a):\n    pass", "line 1: dunder argument name '__a' is not allowed"),
    ("ans = dict(__x=1)", "line 1: dunder keyword '__x' is not allowed"),
    ("class A:\n    pass", "line 1: class definitions are not allowed"),
    ("try:\n    x = 1\nexcept Exception:\n    pass", "line 1: try/except is not allowed"),
    ("with f() as g:\n    pass", "line 1: 'with' is not allowed"),
    ("raise ValueError", "line 1: raise is not allowed"),
    ("def g():\n    yield 1", "line 2: 'Yield' is not allowed"),
    ("async def g():\n    pass", "line 1: 'AsyncFunctionDef' is not allowed"),
    ("match 1:\n    case 1:\n        pass", "line 1: 'Match' is not allowed"),
    ("global __x", "line 1: dunder name '__x' is not allowed"),
]


@pytest.mark.parametrize(("source", "message"), FORBIDDEN)
def test_forbidden_constructs_are_named(source: str, message: str) -> None:
    violation = check_program(source)
    assert violation is not None
    assert violation.kind == "forbidden"
    assert violation.message.startswith(message)


def test_the_first_violation_in_source_order_is_reported() -> None:
    violation = check_program("x = 1\nans = open('f')\nimport os")
    assert violation is not None and violation.message == "line 2: name 'open' is not allowed"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("ans = (", "line 1: '(' was never closed"),
        ("ans = 1\n  x = 2", "line 2: unexpected indent"),
        ("x\0 = 1", "source code string cannot contain null bytes"),
        ("ans = " + "(" * 300 + "1" + ")" * 300, "line 1: too many nested parentheses"),
        ("ans = " + "1+" * 40_000 + "1", "cannot parse: RecursionError"),
    ],
)
def test_text_that_is_not_python_is_a_syntax_error(source: str, message: str) -> None:
    violation = check_program(source)
    assert violation is not None and violation.kind == "syntax_error"
    assert violation.message.startswith(message)


def test_overlong_program_is_refused_before_parsing() -> None:
    source = "x = 1\n" * (MAX_PROGRAM_CHARS // 6 + 1)
    violation = check_program(source)
    assert violation is not None and violation.kind == "forbidden"
    assert violation.message == f"program has {len(source)} characters; at most {MAX_PROGRAM_CHARS}"


# ----------------------------------------------------------------------------- properties


def test_safe_builtins_exist_and_none_is_forbidden_or_dunder() -> None:
    for name in SAFE_BUILTIN_NAMES:
        assert hasattr(builtins, name), name
        assert name not in FORBIDDEN_NAMES and not name.startswith("_"), name


def test_allowed_attributes_hold_no_private_or_string_format_names() -> None:
    assert not [name for name in ALLOWED_ATTRIBUTES if name.startswith("_")]
    assert {"format", "format_map", "mro", "gi_frame", "f_globals"}.isdisjoint(ALLOWED_ATTRIBUTES)
    assert MATH_NAMES <= ALLOWED_ATTRIBUTES
    assert {"sqrt", "pi", "floor"} <= MATH_NAMES


def _reachable_attribute_names() -> set[str]:
    """Every attribute name on the kinds of object a program can make or reach."""

    def function() -> None: ...

    generator = (x for x in [1])
    objects = [1, 1.5, True, "s", [1], (1,), {1: 1}, {1}, range(3), function, generator, print]
    objects += [map(abs, [1]), zip([1], [1], strict=True), enumerate([1]), math.sqrt]
    names = set()
    for obj in objects:
        names |= set(dir(obj)) | set(dir(type(obj)))
    return names


def test_every_reachable_attribute_outside_the_allow_list_is_refused() -> None:
    refused = sorted(_reachable_attribute_names() - ALLOWED_ATTRIBUTES)
    assert len(refused) > 100  # dunders, format, gi_frame, mro, __self__, ...
    for name in refused:
        violation = check_program(f"x = [1]\nans = x.{name}")
        assert violation is not None and violation.kind == "forbidden", name
        assert f"attribute '{name}' is not allowed" in violation.message


def test_every_dunder_of_object_is_refused_as_name_and_attribute() -> None:
    for name in dir(object):
        for source in (f"ans = {name}", f"ans = math.{name}", f"{name} = 1"):
            violation = check_program(source)
            assert violation is not None and violation.kind == "forbidden", source


def test_every_forbidden_name_is_refused_in_every_position() -> None:
    for name in FORBIDDEN_NAMES:
        for source in (f"ans = {name}", f"{name} = 1", f"ans = [{name} for x in [1]]"):
            violation = check_program(source)
            assert violation is not None, source
            assert violation.message == f"line 1: name '{name}' is not allowed"
