"""The checkpoint contract: how a checkpoint is prompted (its manifest, a preset, flags), and
open_checkpoint's one-line errors on broken or foreign checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.checkpoint import (
    TRAIN_MANIFEST,
    PromptFormat,
    open_checkpoint,
    read_checkpoint,
    tokenizer_hash,
    trainer_checkpoints,
)
from evalsuite.errors import DataError, UsageError
from evalsuite.prompt_presets import FormatRequest
from evalsuite.provenance import file_sha256

DSS_PROMPT = PromptFormat(
    recipe="dss", task="arith", output="multitask", label_prefix="predict: ",
    rationale_prefix="explain: ",
)  # fmt: skip


def _fake_checkpoint(root: Path, *, weights: str = "model.safetensors") -> Path:
    root.mkdir()
    (root / TRAIN_MANIFEST).write_text(json.dumps({"prompt": DSS_PROMPT.to_dict()}))
    (root / "tokenizer.json").write_text("{}")
    (root / "config.json").write_text("{}")
    (root / weights).write_bytes(b"")
    return root


def test_complete_checkpoint_reads_back_its_prompt(tmp_path: Path) -> None:
    manifest, prompt = read_checkpoint(_fake_checkpoint(tmp_path / "ckpt"))
    assert prompt == DSS_PROMPT
    assert manifest["prompt"]["label_prefix"] == "predict: "


def test_missing_parts_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_checkpoint(tmp_path / "nothing")
    ckpt = _fake_checkpoint(tmp_path / "a")
    (ckpt / "tokenizer.json").unlink()
    with pytest.raises(DataError, match="checkpoint has no tokenizer"):
        read_checkpoint(ckpt)
    ckpt = _fake_checkpoint(tmp_path / "b")
    (ckpt / TRAIN_MANIFEST).unlink()
    with pytest.raises(DataError, match=f"checkpoint has no {TRAIN_MANIFEST}"):
        read_checkpoint(ckpt)
    ckpt = _fake_checkpoint(tmp_path / "c", weights="pytorch_model.bin")
    with pytest.raises(
        DataError, match=r"no safetensors weights \(pickled .bin weights are refused\)"
    ):
        read_checkpoint(ckpt)
    ckpt = _fake_checkpoint(tmp_path / "d")
    (ckpt / TRAIN_MANIFEST).write_text(json.dumps({"prompt": {"recipe": "dss"}}))
    with pytest.raises(DataError, match="field 'prompt' is malformed"):
        read_checkpoint(ckpt)


def test_prompt_format_is_validated() -> None:
    with pytest.raises(UsageError, match="unknown recipe 'cot'"):
        PromptFormat(recipe="cot", task="arith", output="label")
    with pytest.raises(UsageError, match="needs a rationale_prefix"):
        PromptFormat(recipe="dss", task="arith", output="multitask")
    with pytest.raises(UsageError, match="socratic prompt format needs path_prefixes for exactly"):
        PromptFormat(recipe="socratic", task="arith", output="socratic")
    with pytest.raises(UsageError, match=r"got \['../x', 'decompose'\]"):
        PromptFormat(
            recipe="socratic", task="arith", output="socratic",
            path_prefixes={"decompose": "d: ", "../x": "s: "},
        )  # fmt: skip


# -- checkpoints from elsewhere: formats, shapes, manifests of other weights ------------------


def _bare_checkpoint(root: Path, *, tokenizer: bool = True) -> Path:
    """A save_pretrained folder without a train manifest."""
    root.mkdir(parents=True)
    (root / "config.json").write_text("{}")
    (root / "model.safetensors").write_bytes(b"weights")
    if tokenizer:
        (root / "tokenizer.json").write_text("{}")
    return root


def test_a_checkpoint_without_manifest_needs_a_format_and_a_task(tmp_path: Path) -> None:
    ckpt = _bare_checkpoint(tmp_path / "ckpt")
    with pytest.raises(DataError, match=r"no train_manifest.json; describe it with --format NAME"):
        open_checkpoint(ckpt)
    with pytest.raises(UsageError, match="--task is required for a checkpoint without"):
        open_checkpoint(ckpt, request=FormatRequest(preset="dss-release"))
    found = open_checkpoint(ckpt, request=FormatRequest(preset="dss-release"), task="svamp")
    assert found.format_source == "preset dss-release" and found.train_manifest == {}
    assert found.prompt == PromptFormat(
        recipe="dss", task="svamp", output="multitask", label_prefix="predict: ",
        rationale_prefix="explain: ", max_input_length=1024, max_target_length=256,
    )  # fmt: skip


def test_flags_override_a_preset_or_describe_alone(tmp_path: Path) -> None:
    ckpt = _bare_checkpoint(tmp_path / "ckpt")
    request = FormatRequest(preset="dss-release", rationale_prefix="why: ")
    found = open_checkpoint(ckpt, request=request, task="arith")
    assert (found.prompt.label_prefix, found.prompt.rationale_prefix) == ("predict: ", "why: ")
    assert found.format_source == "preset dss-release + flags"
    found = open_checkpoint(ckpt, request=FormatRequest(output="label"), task="arith")
    assert (found.prompt.recipe, found.prompt.label_prefix, found.format_source) == (
        "standard", "", "flags",
    )  # fmt: skip
    with pytest.raises(UsageError, match="--output multitask needs --rationale-prefix"):
        open_checkpoint(ckpt, request=FormatRequest(output="multitask"), task="arith")
    with pytest.raises(UsageError, match="need --format NAME or --output KIND"):
        FormatRequest(label_prefix="predict: ")
    with pytest.raises(UsageError, match="--output 'mixed': choose from label, "):
        FormatRequest(output="mixed")
    think = FormatRequest(preset="think").prompt("arith")
    assert (think.output, think.recipe, think.label_prefix) == ("think", "single", "")
    with pytest.raises(UsageError, match="unknown format preset; choose from dss-release"):
        FormatRequest(preset="cot")


def test_a_format_must_agree_with_the_checkpoints_manifest(tmp_path: Path) -> None:
    ckpt = _fake_checkpoint(tmp_path / "ckpt")  # dss, max lengths 512 and 256
    with pytest.raises(UsageError, match=r"prompts otherwise \(max_input_length 1024 vs 512\)"):
        open_checkpoint(ckpt, request=FormatRequest(preset="dss-release"))
    with pytest.raises(UsageError, match=r"output 'label' vs 'multitask'"):
        open_checkpoint(ckpt, request=FormatRequest(preset="standard"))
    # flags alone start from no rationale prefix and the release's lengths
    with pytest.raises(UsageError, match="rationale_prefix None vs 'explain: '"):
        open_checkpoint(ckpt, request=FormatRequest(output="multitask"))
    found = open_checkpoint(ckpt)
    assert found.format_source == "checkpoint" and found.prompt == DSS_PROMPT
    # a format that agrees is accepted, and the checkpoint's own manifest is what is used
    release = PromptFormat(**{**DSS_PROMPT.to_dict(), "recipe": "mi", "max_input_length": 1024})
    (ckpt / TRAIN_MANIFEST).write_text(json.dumps({"prompt": release.to_dict()}))
    found = open_checkpoint(ckpt, request=FormatRequest(preset="dss-release"))
    assert found.format_source == "checkpoint" and found.prompt == release


def test_trainer_output_directory_lists_its_checkpoints(tmp_path: Path) -> None:
    root = tmp_path / "out"
    for step in (20, 100, 10):
        _bare_checkpoint(root / f"checkpoint-{step}")
    (root / "checkpoint-best").mkdir()  # not a step: not listed
    with pytest.raises(
        DataError,
        match=r"a Trainer output directory with 3 checkpoints \(checkpoint-10, checkpoint-20, "
        r"checkpoint-100\); score one of them",
    ):
        open_checkpoint(root, request=FormatRequest(preset="standard"), task="arith")
    assert trainer_checkpoints(root)[-1].name == "checkpoint-100"
    found = open_checkpoint(
        root / "checkpoint-20", request=FormatRequest(preset="standard"), task="arith"
    )
    assert found.path == root / "checkpoint-20"


def test_a_folder_without_tokenizer_borrows_one(tmp_path: Path) -> None:
    ckpt = _bare_checkpoint(tmp_path / "ckpt", tokenizer=False)
    request = FormatRequest(preset="standard")
    with pytest.raises(DataError, match=r"checkpoint has no tokenizer .*give one with --tokenizer"):
        open_checkpoint(ckpt, request=request, task="arith")
    with pytest.raises(DataError, match="--tokenizer has no tokenizer"):
        open_checkpoint(ckpt, request=request, task="arith", tokenizer=tmp_path / "nope")
    tok = tmp_path / "tok"
    tok.mkdir()
    (tok / "tokenizer.json").write_text('{"model": 1}')
    found = open_checkpoint(ckpt, request=request, task="arith", tokenizer=tok)
    assert found.tokenizer_dirs == [tok]
    before = tokenizer_hash([tok])
    (tok / "tokenizer.json").write_text('{"model": 2}')
    assert tokenizer_hash([tok]) != before


def test_a_manifest_of_other_weights_is_refused_and_older_ones_still_read(tmp_path: Path) -> None:
    ckpt = _fake_checkpoint(tmp_path / "ckpt")
    (ckpt / "model.safetensors").write_bytes(b"these weights")
    manifest = {"prompt": DSS_PROMPT.to_dict()}
    open_checkpoint(ckpt)  # no weights_sha256: a manifest from before the hash still reads
    manifest["weights_sha256"] = file_sha256(ckpt / "model.safetensors")
    (ckpt / TRAIN_MANIFEST).write_text(json.dumps(manifest))
    assert open_checkpoint(ckpt).format_source == "checkpoint"
    (ckpt / "model.safetensors").write_bytes(b"other weights")
    with pytest.raises(
        DataError,
        match=r"describes other weights \(sha256 [0-9a-f]{12}\.\.\.\); score with --format",
    ):
        open_checkpoint(ckpt)
    # --format describes the checkpoint instead of the foreign manifest
    found = open_checkpoint(ckpt, request=FormatRequest(preset="standard"), task="arith")
    assert found.format_source == "preset standard" and found.train_manifest == {}
    manifest["weights_sha256"] = 12
    (ckpt / TRAIN_MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="field 'weights_sha256' must be a string, got 12"):
        open_checkpoint(ckpt)


def test_pickled_weights_name_the_convert_command(tmp_path: Path) -> None:
    ckpt = _fake_checkpoint(tmp_path / "my ckpt", weights="pytorch_model.bin")
    with pytest.raises(DataError) as err:
        open_checkpoint(ckpt)
    assert str(err.value).endswith(
        f"convert them first: evalsuite convert '{ckpt}' --out '{tmp_path / 'my ckpt-safetensors'}'"
    )


def test_socratic_students_are_checked_against_their_own_manifests(tmp_path: Path) -> None:
    root = tmp_path / "socratic"
    prompt = PromptFormat(
        recipe="socratic", task="arith", output="socratic", label_prefix="decompose: ",
        path_prefixes={"decompose": "decompose: ", "solve": "solve: "},
    )  # fmt: skip
    root.mkdir()
    (root / TRAIN_MANIFEST).write_text(json.dumps({"prompt": prompt.to_dict()}))
    for stage in ("decompose", "solve"):
        student = _bare_checkpoint(root / stage)
        own = {
            "prompt": DSS_PROMPT.to_dict(),
            "weights_sha256": file_sha256(student / "model.safetensors"),
        }
        (student / TRAIN_MANIFEST).write_text(json.dumps(own))
    assert open_checkpoint(root).tokenizer_dirs == [root / "decompose", root / "solve"]
    with pytest.raises(UsageError, match="--tokenizer: a Socratic checkpoint's students carry"):
        open_checkpoint(root, tokenizer=tmp_path)
    (root / "solve" / "model.safetensors").write_bytes(b"a stranger's weights")
    with pytest.raises(DataError, match=r"solve/train_manifest.json describes other weights"):
        open_checkpoint(root)
