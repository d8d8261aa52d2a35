"""Causal students through the CLI: every recipe trains one, and each tiny causal architecture
goes train dss -> score -> metrics -> report. Nothing here depends on what the students emit."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from evalsuite.checkpoint import read_checkpoint
from tests.trainers.conftest import weights
from tests.trainers.test_train_cli import initial_weights

pytestmark = pytest.mark.kernels

MODEL_TYPES = {"tiny-gpt2": "gpt2", "tiny-llama": "llama"}


def _model_type(ckpt) -> str:
    return json.loads((ckpt / "config.json").read_text())["model_type"]


@pytest.mark.parametrize(
    ("recipe", "variant", "model"),
    [("standard", "released", "tiny-gpt2"), ("single", "released", "tiny-gpt2"),
     ("dss", "released", "tiny-gpt2"), ("mi", "released", "tiny-gpt2"),
     ("mi", "infonce", "tiny-gpt2"), ("mi", "infonce", "tiny-llama"),
     ("mixed", "released", "tiny-gpt2"), ("socratic", "released", "tiny-gpt2")],
)  # fmt: skip
def test_every_recipe_trains_a_causal_student(train_cli, recipe, variant, model):
    result, out = train_cli(
        recipe, "--model", model, "--mi-variant", variant, "--max-steps", "2", "--eval-every", "2"
    )
    assert result.code == 0, result.err
    students = [out / "decompose", out / "solve"] if recipe == "socratic" else [out]
    for ckpt in students:
        assert _model_type(ckpt) == MODEL_TYPES[model]
        manifest = json.loads((ckpt / "train_manifest.json").read_text())
        assert manifest["steps"] == {"completed": 2, "max": 2}
        curves = manifest["curves"]
        assert all(math.isfinite(v) for _, v in curves["train_loss"] + curves["valid_loss"])
        if recipe == "mi":
            assert all(math.isfinite(row["mi"]) for row in curves["train"])
        # the steps changed the weights the loop started from
        before, after = initial_weights(ckpt, kind=model), weights(ckpt)
        shared = [k for k in after if k in before]
        assert shared and any(not torch.equal(before[k], after[k]) for k in shared)


@pytest.mark.parametrize(
    ("recipe", "model"),
    [("dss", "tiny-gpt2"), ("dss", "tiny-llama"), ("mixed", "tiny-gpt2"),
     ("socratic", "tiny-gpt2")],
)  # fmt: skip
def test_train_score_metrics_report_end_to_end(train_cli, cli, tmp_path, recipe, model):
    result, ckpt = train_cli(recipe, "--model", model, "--max-steps", "2", "--eval-every", "2")
    assert result.code == 0, result.err
    _, prompt = read_checkpoint(ckpt)
    assert prompt.recipe == recipe

    run = tmp_path / "run"
    scored = cli("score", ckpt, "--split", "test", "--out", run, "--max-new-tokens", "8")
    assert scored.code == 0, scored.err
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["model"]["architecture"] == "causal" and manifest["status"] == "complete"
    records = [json.loads(line) for line in (run / "records.jsonl").read_text().splitlines()]
    # a Socratic chain that never answers has no confidence
    assert records and all(
        r["confidence"] is None or 0.0 <= r["confidence"] <= 1.0 for r in records
    )
    if recipe == "dss":
        reps = np.load(run / "representations.npz")
        assert set(reps.files) == {"ids", "label_repr", "rationale_repr", "label_prompt_repr",
                                   "rationale_prompt_repr"}  # fmt: skip
        assert reps["label_prompt_repr"].shape == (len(records), 16)  # the test shape's width

    metrics = cli("metrics", run)
    assert metrics.code == 0, metrics.err
    report = cli("report", run, "--out", tmp_path / "report")
    assert report.code == 0, report.err
    assert (tmp_path / "report" / "summary.md").is_file()
