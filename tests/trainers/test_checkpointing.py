"""The output directory: resume, refuse, never delete; state directories appear whole."""

from __future__ import annotations

import json

import pytest
import torch

from evalsuite.errors import UsageError
from trainers.checkpointing import (
    CONFIG_FILE,
    claim_output,
    latest_state,
    load_state,
    save_state,
)
from trainers.config import make_config

CONFIG = make_config(recipe="dss", task="arith", out="x")


class _Model:
    """Stands in for a Hugging Face model: save_pretrained writes one file."""

    def save_pretrained(self, directory, safe_serialization=True):
        (directory / "model.safetensors").write_bytes(b"weights")


def test_missing_or_empty_directory_starts_fresh(tmp_path):
    assert claim_output(tmp_path / "new", CONFIG) is False
    (tmp_path / "empty").mkdir()
    assert claim_output(tmp_path / "empty", CONFIG) is False


def test_same_config_resumes_other_config_is_refused(tmp_path):
    (tmp_path / CONFIG_FILE).write_text(json.dumps(CONFIG.to_dict()))
    assert claim_output(tmp_path, CONFIG) is True
    other = make_config(recipe="dss", task="arith", out="x", lr=0.5, seed=3)
    with pytest.raises(UsageError, match=r"different config \(lr: 0.001 -> 0.5; seed: 0 -> 3\)"):
        claim_output(tmp_path, other)


def test_a_file_or_a_foreign_directory_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="exists and is not a directory"):
        claim_output(tmp_path / "file", CONFIG)
    with pytest.raises(UsageError, match=r"is not empty and holds no train_config\.json"):
        claim_output(tmp_path, CONFIG)
    assert (tmp_path / "file").read_text() == "x"


def test_save_state_keeps_only_the_newest_step(tmp_path):
    for step in (2, 4):
        path = save_state(
            tmp_path, step, model=_Model(),
            training={"rng": torch.arange(3)}, state={"step": step},
        )  # fmt: skip
    assert path.name == "step-0000004" and latest_state(tmp_path) == path
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["step-0000004"]
    training, state = load_state(path)
    assert torch.equal(training["rng"], torch.arange(3)) and state == {"step": 4}


def test_a_failed_save_leaves_no_partial_state(tmp_path):
    class Broken(_Model):
        def save_pretrained(self, directory, safe_serialization=True):
            (directory / "half.bin").write_bytes(b"x")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        save_state(tmp_path, 1, model=Broken(), training={}, state={})
    assert latest_state(tmp_path) is None
    assert list((tmp_path / "state").iterdir()) == []
