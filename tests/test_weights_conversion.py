"""`evalsuite convert`: pickled weights to safetensors without running the pickle; one-line
refusals of everything else."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest
import torch

from evalsuite.cli import main
from evalsuite.model_loading import load_pretrained
from tests.scoring.foreign_checkpoint import save_mi_release, tiny_t5


@pytest.fixture(scope="module")
def model_and_tokenizer():
    return tiny_t5(seed=0)


def _one_line_error(capsys, argv: list[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


def _loaded_state(path: Path) -> dict[str, torch.Tensor]:
    from transformers import AutoModelForSeq2SeqLM

    return load_pretrained(AutoModelForSeq2SeqLM, path, what="checkpoint").state_dict()


def test_sharded_bin_converts_to_sharded_safetensors_with_an_index(model_and_tokenizer, tmp_path):
    model, tokenizer = model_and_tokenizer
    source = save_mi_release(model, tokenizer, tmp_path / "sharded")
    state = torch.load(source / "pytorch_model.bin", weights_only=True)
    (source / "pytorch_model.bin").unlink()
    names = sorted(state)
    halves = {"pytorch_model-00001-of-00002.bin": names[::2],
              "pytorch_model-00002-of-00002.bin": names[1::2]}  # fmt: skip
    for shard, keys in halves.items():
        torch.save({k: state[k] for k in keys}, source / shard)
    weight_map = {k: shard for shard, keys in halves.items() for k in keys}
    (source / "pytorch_model.bin.index.json").write_text(json.dumps({"weight_map": weight_map}))

    out = tmp_path / "converted"
    assert main(["convert", str(source), "--out", str(out)]) == 0
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert sorted(set(index["weight_map"].values())) == [
        "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
    ]  # fmt: skip
    loaded = _loaded_state(out)
    expected = model.state_dict()
    assert loaded.keys() == expected.keys()
    assert all(torch.equal(loaded[k], expected[k]) for k in expected)
    # the tie survives: one embedding matrix, read by encoder, decoder and the shared table
    assert loaded["shared.weight"].data_ptr() == loaded["encoder.embed_tokens.weight"].data_ptr()


class _Payload:
    """Unpickling this object would create ``marker``: the attack a .bin file can carry."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(
    model_and_tokenizer, tmp_path, capsys
):
    model, tokenizer = model_and_tokenizer
    source = save_mi_release(model, tokenizer, tmp_path / "evil")
    marker = tmp_path / "marker-created-by-the-pickle"
    state = dict(model.state_dict())
    state["payload"] = _Payload(marker)  # type: ignore[assignment]
    torch.save(state, source / "pytorch_model.bin")

    out = tmp_path / "out"
    err = _one_line_error(capsys, ["convert", str(source), "--out", str(out)])
    assert err.startswith(
        f"evalsuite: error: {source / 'pytorch_model.bin'}: refused, not a pickle of tensors "
        "only (torch.load weights_only:"
    )
    assert not marker.exists()  # the payload never ran
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["evil"]
    # the payload is live: the pickle calls os.mkdir on the marker when unpickled unsafely
    assert (f"{os.mkdir.__module__} mkdir", str(marker)) in _pickle_strings(
        source / "pytorch_model.bin"
    )


def _pickle_strings(path: Path) -> set[tuple[str, str]]:
    """Adjacent string operands of the pickle inside a torch.save zip (read, never run)."""
    import pickletools
    import zipfile

    with zipfile.ZipFile(path) as archive:
        data = archive.read(next(n for n in archive.namelist() if n.endswith("data.pkl")))
    strings = [arg for _, arg, _ in pickletools.genops(data) if isinstance(arg, str)]
    return set(itertools.pairwise(strings))


def test_everything_else_is_refused_in_one_line(model_and_tokenizer, tmp_path, capsys):
    model, tokenizer = model_and_tokenizer
    source = save_mi_release(model, tokenizer, tmp_path / "release")

    err = _one_line_error(capsys, ["convert", str(tmp_path / "nothing"), "--out", "x"])
    assert err.endswith("nothing does not exist (not a directory)")
    empty = tmp_path / "empty"
    empty.mkdir()
    err = _one_line_error(capsys, ["convert", str(empty), "--out", str(tmp_path / "o1")])
    assert err.endswith(f"{empty}: no pytorch_model.bin or pytorch_model.bin.index.json to convert")

    assert main(["convert", str(source), "--out", str(tmp_path / "done")]) == 0
    err = _one_line_error(
        capsys, ["convert", str(tmp_path / "done"), "--out", str(tmp_path / "o2")]
    )
    assert err.endswith("already holds safetensors weights; score it as it is")
    err = _one_line_error(capsys, ["convert", str(source), "--out", str(tmp_path / "done")])
    assert err.endswith("exists; choose a new directory (nothing is replaced)")

    not_tensors = tmp_path / "not-tensors"
    not_tensors.mkdir()
    torch.save({"step": 3, "lr": [0.1]}, not_tensors / "pytorch_model.bin")
    err = _one_line_error(capsys, ["convert", str(not_tensors), "--out", str(tmp_path / "o3")])
    assert err.endswith("refused, not a state dict (a mapping of names to tensors)")

    bad_index = tmp_path / "bad-index"
    bad_index.mkdir()
    weight_map = {"shared.weight": "../../etc/passwd.bin"}
    (bad_index / "pytorch_model.bin.index.json").write_text(json.dumps({"weight_map": weight_map}))
    err = _one_line_error(capsys, ["convert", str(bad_index), "--out", str(tmp_path / "o4")])
    assert "shard '../../etc/passwd.bin' is not a .bin file name" in err
    assert not any((tmp_path / f"o{i}").exists() for i in range(1, 5))
