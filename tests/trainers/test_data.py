"""Training data: subsampling, labels, fingerprints, empty splits."""

from __future__ import annotations

import json

import pytest

from evalsuite.data import ArithConfig
from evalsuite.errors import UsageError
from evalsuite.example import Example
from evalsuite.provenance import file_sha256
from evalsuite.tasks import get_task
from trainers.data import data_fingerprint, load_training_data, subsample

ROWS = [Example(id=str(i), input=f"x{i}", gold="y", split="train") for i in range(20)]


def test_subsample_keeps_a_seeded_ordered_fraction():
    half = subsample(ROWS, 0.5, 7)
    assert len(half) == 10 and half == subsample(ROWS, 0.5, 7)
    assert [e.id for e in half] == sorted((e.id for e in half), key=int)  # original order
    assert any(subsample(ROWS, 0.5, s) != half for s in range(8, 12))
    assert len(subsample(ROWS, 0.01, 0)) == 1 and subsample(ROWS, 1.0, 0) == ROWS


def test_arith_fingerprint_is_its_config():
    config = ArithConfig(n_train=5, seed=2)
    fingerprint = data_fingerprint(get_task("arith"), None, config)
    assert fingerprint == {"source": "synthetic", "arith": {**fingerprint["arith"], "seed": 2}}
    assert fingerprint["arith"]["n_train"] == 5


def test_file_data_fingerprint_hashes_train_and_valid_files(tmp_path):
    rows = {"input": "Tom has 3 apples. How many?", "label": "( 3.0 )"}
    for split in ("train", "valid", "test"):
        (tmp_path / f"{split}.jsonl").write_text(json.dumps(rows) + "\n")
    fingerprint = data_fingerprint(get_task("svamp"), tmp_path, ArithConfig())
    assert sorted(fingerprint["files"]) == [str(tmp_path / "train.jsonl"),
                                           str(tmp_path / "valid.jsonl")]  # fmt: skip
    assert fingerprint["files"][str(tmp_path / "train.jsonl")] == file_sha256(
        tmp_path / "train.jsonl"
    )


def test_empty_valid_split_is_a_usage_error():
    with pytest.raises(UsageError, match="task arith: the valid split is empty"):
        load_training_data(
            "arith", data_dir=None, arith=ArithConfig(n_train=2, n_valid=0, n_test=0),
            train_fraction=1.0, seed=0, teacher=True,
        )  # fmt: skip


@pytest.mark.realdata
def test_svamp_release_holds_out_valid_from_train(dss_root):
    data = load_training_data(
        "svamp", data_dir=dss_root, arith=ArithConfig(), train_fraction=1.0, seed=0, teacher=True
    )
    assert (len(data.train), len(data.valid)) == (720, 80)  # the release's 10 % hold-out
    assert not {e.input for e in data.train} & {e.input for e in data.valid}
    assert all(e.teacher_rationale is not None for e in data.train)
    assert len(data.fingerprint["files"]) >= 2  # rows and teacher outputs
