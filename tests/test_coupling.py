"""The coupling of rationale and answer: one per output format, recorded by score, derived for
runs written before it was recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalsuite import names
from evalsuite.coupling import COUPLINGS, OUTPUT_COUPLING, coupling_of_output
from evalsuite.errors import UsageError
from evalsuite.runs import Manifest, read_run

SCHEMA1 = Path(__file__).parent / "runs" / "fixtures" / "schema1"


def test_every_output_format_has_exactly_one_known_coupling() -> None:
    assert list(OUTPUT_COUPLING) == list(names.OUTPUT_FORMATS)
    assert set(OUTPUT_COUPLING.values()) <= set(COUPLINGS)


@pytest.mark.parametrize(
    ("output", "coupling"),
    [
        ("label", "none"),
        ("multitask", "separate"),
        ("rationale_then_label", "joint"),
        ("mixed", "joint"),
        ("socratic", "joint"),
    ],
)
def test_coupling_of_each_output_format(output: str, coupling: str) -> None:
    assert coupling_of_output(output) == coupling


def test_an_unknown_output_format_is_one_line() -> None:
    with pytest.raises(UsageError, match="unknown output format 'think2'; choose from label"):
        coupling_of_output("think2")


@pytest.mark.parametrize(("run", "coupling"), [("student-arith", "separate"),
                                               ("mixed-arith", "joint"),
                                               ("predictions-esnli", None)])  # fmt: skip
def test_old_runs_derive_the_coupling_from_their_prompt(run: str, coupling: str | None) -> None:
    manifest = read_run(SCHEMA1 / run).manifest
    assert manifest.model is None or manifest.model.coupling is None  # not recorded then
    assert manifest.coupling == coupling


def test_a_recorded_coupling_wins_and_round_trips() -> None:
    doc = {"kind": "student", "model": {"prompt": {"output": "multitask"}, "coupling": "joint"}}
    manifest = Manifest.from_json(doc, "manifest.json")
    assert manifest.coupling == "joint"
    assert manifest.to_json()["model"]["coupling"] == "joint"
    assert Manifest.from_json({"kind": "teacher"}, "m").coupling is None
