"""The checkpoint contract: read_checkpoint's one-line errors on broken checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.checkpoint import TRAIN_MANIFEST, PromptFormat, read_checkpoint
from evalsuite.errors import DataError, UsageError

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
