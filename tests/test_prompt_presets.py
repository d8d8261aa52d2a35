"""Prompt-format presets: one registry, read by `score --format` and `evalsuite formats`."""

from __future__ import annotations

import json
from dataclasses import fields

from evalsuite.cli import build_parser, main
from evalsuite.prompt_presets import PLANNED_PRESETS, PRESETS, FormatRequest
from trainers.config import TrainConfig
from trainers.recipes import LABEL_PREFIX, RATIONALE_PREFIX


def test_the_release_preset_is_the_dss_trainers_format() -> None:
    release = PRESETS["dss-release"]
    assert (release.label_prefix, release.rationale_prefix) == (LABEL_PREFIX, RATIONALE_PREFIX)
    defaults = {f.name: f.default for f in fields(TrainConfig)}
    assert (release.max_input_length, release.max_target_length) == (
        defaults["max_input_length"], defaults["max_target_length"],
    )  # fmt: skip
    assert release.max_input_length == 1024  # the DSS release's limit


def test_score_takes_exactly_the_registered_presets() -> None:
    score = build_parser()._subparsers._group_actions[0].choices["score"]  # type: ignore[union-attr]
    (action,) = [a for a in score._actions if "--format" in a.option_strings]
    assert tuple(action.choices) == PRESETS.names
    assert not set(PLANNED_PRESETS) & set(PRESETS)


def test_formats_lists_every_preset_think_included(capsys) -> None:
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    assert [line.split(":")[0] for line in out.splitlines() if not line.startswith(" ")][:4] == [
        *PRESETS.names,
    ]  # fmt: skip
    assert "think: " in out and "not built yet" not in out
    assert main(["formats", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc["presets"]) == list(PRESETS.names)
    assert doc["presets"]["dss-release"]["label_prefix"] == "predict: "
    assert doc["presets"]["think"]["output"] == "think" and doc["not_built"] == {}


def test_a_request_names_its_source() -> None:
    assert FormatRequest(preset="single").source == "preset single"
    assert FormatRequest(output="label", label_prefix="q: ").source == "flags"
    assert FormatRequest(preset="single", output="label").source == "preset single + flags"
    assert not FormatRequest().given
