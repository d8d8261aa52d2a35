"""The seed a run was made with: the checkpoint's training seed and the decoding seed are in the
run manifest and in the report's runs table.

Regression: the report read a training seed (``model.seed``) that scoring never wrote, so every
report showed "–"; hand-built test manifests carried the field and hid it. Here the checkpoint is
really trained with ``--seed 3`` and really scored, so nothing is hand-built.
"""

from __future__ import annotations

import json
from pathlib import Path

from evalsuite.runs import read_run
from tests.trainers.conftest import FAST


def test_a_run_from_a_checkpoint_trained_with_seed_3_shows_seed_3(cli, tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    trained = cli("train", "dss", "--task", "arith", "--out", ckpt, *FAST,
                  "--max-steps", "2", "--eval-every", "2", "--seed", "3")  # fmt: skip
    assert trained.code == 0, trained.err
    assert json.loads((ckpt / "train_manifest.json").read_text())["seed"] == 3

    run = tmp_path / "runs" / "dss-seed3"
    scored = cli("score", ckpt, "--out", run, "--limit", "2", "--seed", "5",
                 "--no-representations", "--quiet")  # fmt: skip
    assert scored.code == 0, scored.err
    manifest = read_run(run).manifest
    assert manifest.training_seed == 3 and manifest.seed == 5 and manifest.version == 2
    assert json.loads((run / "manifest.json").read_text())["model"]["seed"] == 3

    report = tmp_path / "report"
    built = cli("report", run, "--out", report, "--mi-estimators", "none", "--no-figures")
    assert built.code == 0, built.err
    summary = (report / "summary.md").read_text()
    assert "| run | method | task | split | seed | decoding seed |" in summary
    assert "| dss-seed3 | dss | arith | test | 3 | 5 | student | 1 | complete |" in summary
    facts = json.loads((report / "report.json").read_text())["manifest"]["runs"]
    assert (facts[0]["seed"], facts[0]["decoding_seed"]) == (3, 5)


def test_a_checkpoint_seed_of_the_wrong_type_is_one_line(cli, tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    trained = cli("train", "dss", "--task", "arith", "--out", ckpt, *FAST,
                  "--max-steps", "1", "--eval-every", "1")  # fmt: skip
    assert trained.code == 0, trained.err
    manifest = json.loads((ckpt / "train_manifest.json").read_text())
    (ckpt / "train_manifest.json").write_text(json.dumps({**manifest, "seed": "three"}))
    result = cli("score", ckpt, "--out", tmp_path / "run", "--limit", "1", "--quiet")
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    assert "train_manifest.json: field 'seed' must be a non-negative integer, got 'three'" in (
        result.err
    )
    assert not (tmp_path / "run").exists()  # refused before anything was written
