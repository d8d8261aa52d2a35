"""The names-only registries (evalsuite.names) agree with the registries that attach behaviour,
and the CLI offers exactly those names without importing a numerics library."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from evalsuite import names
from evalsuite.cli import build_parser
from evalsuite.errors import UsageError
from evalsuite.registry import Registry


def _choices(verb: str, option: str) -> tuple[str, ...]:
    """The argparse choices of ``evalsuite VERB OPTION``."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    action = next(a for a in sub.choices[verb]._actions if option in a.option_strings)
    assert action.choices is not None
    return tuple(action.choices)


def test_behaviour_registries_have_exactly_the_registered_names() -> None:
    from evalsuite.metrics.mutual_info import ESTIMATORS
    from evalsuite.metrics.significance import PAIRED_TESTS
    from evalsuite.probes.registry import PROBES
    from evalsuite.scoring.formats import FORMATS
    from trainers.recipes import RECIPES

    assert list(ESTIMATORS) == list(names.MI_ESTIMATORS)
    assert list(PROBES) == list(names.FAITHFULNESS_PROBES)
    assert list(PAIRED_TESTS) == list(names.PAIRED_TESTS)
    assert set(FORMATS) == set(names.OUTPUT_FORMATS)
    # socratic is two students, trained by trainers.socratic rather than one Recipe class
    assert [*RECIPES, "socratic"] == list(names.RECIPES)
    assert set(names.TEST_LABELS) == {*names.PAIRED_TESTS, names.GROUP_TEST}
    # the demo and the sweep rank every recipe they may start by it
    assert sorted(names.RECIPES_LONGEST_FIRST) == sorted(names.RECIPES)


def test_cli_choices_come_from_the_names() -> None:
    assert _choices("compare", "--test") == names.PAIRED_TESTS.names
    assert _choices("report", "--test") == names.PAIRED_TESTS.names
    assert _choices("mi", "--estimator") == (*names.MI_ESTIMATORS, "all")
    assert _choices("score", "--paths") == names.PATH_MODES.names


def test_help_imports_no_numerics_library() -> None:
    """`evalsuite --help` stays fast: building every verb's parser imports names, not numpy."""
    code = (
        "import sys, json; from evalsuite.cli import build_parser; build_parser(); "
        "print(json.dumps(sorted(m for m in ('numpy', 'scipy', 'torch', 'transformers') "
        "if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize(
    ("registry", "unknown", "message"),
    [
        (names.RECIPES, "sft", "unknown recipe 'sft'; choose from standard, single, dss, mi"),
        (names.OUTPUT_FORMATS, "json", "unknown output format 'json'; choose from label,"),
        (names.PATH_MODES, "all", "unknown path mode 'all'; choose from multi, cot, pot"),
        (names.PAIRED_TESTS, "t", "unknown paired test 't'; choose from bootstrap, mcnemar"),
        (names.MI_ESTIMATORS, "mine", "unknown estimator 'mine'; choose from ksg, infonce"),
    ],
)
def test_an_unknown_name_is_refused_with_the_choices(
    registry: Registry[str], unknown: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        registry.check(unknown)
    assert registry.check(registry.names[0]) == registry.names[0]


def test_library_registries_raise_value_error() -> None:
    from evalsuite.metrics.significance import PAIRED_TESTS

    with pytest.raises(ValueError, match="unknown test 'z'; choose from bootstrap, mcnemar"):
        PAIRED_TESTS["z"]
