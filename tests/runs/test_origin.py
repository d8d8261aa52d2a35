"""Manifest pieces: data files per layout, the examples' hash, the checkpoint's arith config."""

from __future__ import annotations

from dataclasses import replace

import pytest

from evalsuite.data import ArithConfig, load_examples
from evalsuite.errors import DataError
from evalsuite.runs.origin import arith_config, data_block, data_files, examples_hash
from evalsuite.tasks import get_task
from tests.scoring.tiny_checkpoint import write_nli_jsonl


def test_data_files_per_layout(tmp_path):
    assert data_files(get_task("arith"), "test", None) == []
    path = write_nli_jsonl(tmp_path / "nli.jsonl", 3, seed=0)
    assert data_files(get_task("esnli"), "test", path) == [path]
    (tmp_path / "dir").mkdir()
    split = write_nli_jsonl(tmp_path / "dir" / "test.jsonl", 3, seed=0)
    assert data_files(get_task("esnli"), "test", tmp_path / "dir") == [split]


@pytest.mark.realdata
def test_data_files_of_the_dss_release(dss_root):
    files = data_files(get_task("svamp"), "test", dss_root)
    assert files[0].name == "svamp_test.json"
    assert files[1:] and all(f.parent.name == "llm" and "test_CoT" in f.name for f in files[1:])


def test_examples_hash_changes_with_any_field():
    examples = load_examples("arith", "test", arith=ArithConfig(n_train=2, n_valid=1, n_test=3))
    digest = examples_hash(examples)
    assert digest == examples_hash(list(examples))
    changed = [replace(examples[0], gold="( 1.0 + 1.0 )"), *examples[1:]]
    assert examples_hash(changed) != digest
    assert examples_hash(examples[::-1]) != digest


def test_data_block_records_the_generator_of_synthetic_data():
    config = ArithConfig(n_train=2, n_valid=1, n_test=3, seed=4)
    examples = load_examples("arith", "test", arith=config)
    block = data_block(get_task("arith"), "test", None, examples, arith=config)
    assert block["files"] == {} and block["generator"]["arith"]["seed"] == 4
    assert block["examples_sha256"] == examples_hash(examples)


def test_arith_config_from_a_train_manifest():
    assert arith_config({}, "m.json") is None
    got = arith_config({"data": {"arith": {"n_test": 5, "seed": 2}}}, "m.json")
    assert got == ArithConfig(n_test=5, seed=2)
    with pytest.raises(DataError, match=r"m.json: field 'data.arith' is malformed"):
        arith_config({"data": {"arith": {"n_tests": 5}}}, "m.json")
    with pytest.raises(DataError, match=r"m.json: field 'data.arith': n_test must be >= 0"):
        arith_config({"data": {"arith": {"n_test": -1}}}, "m.json")
    with pytest.raises(DataError, match=r"m.json: field 'data.arith' must be an object"):
        arith_config({"data": {"arith": 3}}, "m.json")
