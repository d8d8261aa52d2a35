"""Representation shards: merged in example order, newest row wins, missing rows refused."""

from __future__ import annotations

import numpy as np
import pytest

from evalsuite.errors import DataError
from evalsuite.runs import REPRESENTATIONS
from evalsuite.runs.representations import SHARD_DIR, RepresentationShards


def _rows(values):
    return {"label_repr": np.array(values, dtype=np.float32).reshape(len(values), 1)}


def test_merge_orders_rows_and_removes_shards(tmp_path):
    shards = RepresentationShards(tmp_path)
    shards.write(["c", "a"], _rows([3.0, 1.0]))
    shards.write(["b"], _rows([2.0]))
    merged = shards.merge(["a", "b", "c"])
    assert merged["ids"].tolist() == ["a", "b", "c"]
    assert merged["label_repr"][:, 0].tolist() == [1.0, 2.0, 3.0]
    assert not (tmp_path / SHARD_DIR).exists()
    with np.load(tmp_path / REPRESENTATIONS, allow_pickle=False) as data:
        assert sorted(data.files) == ["ids", "label_repr"]
        assert data["label_repr"][:, 0].tolist() == [1.0, 2.0, 3.0]


def test_a_resumed_writer_continues_numbering_and_the_newest_row_wins(tmp_path):
    # Pins the kill-between-shard-and-records case: the batch is recomputed after resuming,
    # and the recomputed row (whose record was kept) must win over the orphan one.
    RepresentationShards(tmp_path).write(["a", "b"], _rows([0.0, 0.0]))
    resumed = RepresentationShards(tmp_path)
    resumed.write(["a", "b"], _rows([1.0, 2.0]))
    assert sorted(p.name for p in (tmp_path / SHARD_DIR).iterdir()) == [
        "00000001.npz",
        "00000002.npz",
    ]
    assert resumed.merge(["a", "b"])["label_repr"][:, 0].tolist() == [1.0, 2.0]


def test_missing_rows_and_mismatched_keys_are_refused(tmp_path):
    shards = RepresentationShards(tmp_path)
    shards.write(["a"], _rows([1.0]))
    with pytest.raises(DataError, match=r"no representation for 1 examples, e.g. 'b'"):
        shards.merge(["a", "b"])
    shards.write(["b"], {"other": np.zeros((1, 1))})
    with pytest.raises(DataError, match=r"00000002.npz: keys \('other',\) differ"):
        shards.merge(["a", "b"])


def test_a_completed_run_merges_again_from_its_merged_file(tmp_path):
    # Pins a bug: re-running a complete run found no shards and failed.
    RepresentationShards(tmp_path).write(["a", "b"], _rows([1.0, 2.0]))
    RepresentationShards(tmp_path).merge(["a", "b"])
    again = RepresentationShards(tmp_path).merge(["a", "b"])
    assert again["label_repr"][:, 0].tolist() == [1.0, 2.0]


def test_a_run_begun_under_the_encoder_key_names_merges_under_the_prompt_names(tmp_path):
    # A partial run scored before causal students wrote label_encoder_repr; resumed now, its
    # new shards say label_prompt_repr. Both are one key, merged under the new name.
    old = {"label_encoder_repr": np.array([[1.0]], dtype=np.float32)}
    RepresentationShards(tmp_path).write(["a"], old)
    resumed = RepresentationShards(tmp_path)
    resumed.write(["b"], {"label_prompt_repr": np.array([[2.0]], dtype=np.float32)})
    merged = resumed.merge(["a", "b"])
    assert sorted(merged) == ["ids", "label_prompt_repr"]
    assert merged["label_prompt_repr"][:, 0].tolist() == [1.0, 2.0]
