"""One real dss step on the DSS release's SVAMP, with the PaLM rationales, through the CLI."""

from __future__ import annotations

import json

import pytest

from evalsuite.checkpoint import read_checkpoint
from tests.trainers.conftest import TINY


@pytest.mark.realdata
def test_one_dss_step_on_svamp(cli, dss_root, tmp_path):
    out = tmp_path / "svamp-dss"
    result = cli(
        "train", "dss", "--task", "svamp", "--data-dir", dss_root, "--out", out,
        "--tiny", TINY, "--train-fraction", "0.1", "--batch-size", "4",
        "--max-steps", "1", "--eval-every", "1", "--label-source", "teacher",
    )  # fmt: skip
    assert result.code == 0, result.err
    manifest, prompt = read_checkpoint(out)
    assert prompt.label_prefix == "predict: " and manifest["data"]["n_train"] == 72
    assert manifest["data"]["n_valid"] == 80  # the 10 % hold-out of train, never test
    files = manifest["data"]["files"]
    assert any(path.endswith("svamp_train.json") for path in files)
    assert not any("test" in path.rsplit("/", 1)[-1] for path in files)
    assert json.loads((out / "train_config.json").read_text())["label_source"] == "teacher"
