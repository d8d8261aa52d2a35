"""Checkpoints not written by ``evalsuite train``: the MI release's pickled folder converted and
scored with ``--format dss-release``, a Trainer's ``checkpoint-N`` folders, a manifest copied
beside other weights. Each refusal is one line on stderr and exit status 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from evalsuite.checkpoint import TRAIN_MANIFEST, WEIGHTS_FILE, tokenizer_hash
from evalsuite.cli import main
from evalsuite.provenance import file_sha256
from tests.scoring.foreign_checkpoint import save_mi_release, save_safetensors, tiny_t5
from tests.scoring.tiny_checkpoint import PROMPTS

SCORE = [
    "--task",
    "arith",
    "--limit",
    "6",
    "--max-new-tokens",
    "12",
    "--quiet",
    "--batch-size",
    "4",
]


@pytest.fixture(scope="module")
def model_and_tokenizer():
    return tiny_t5(seed=0)


def _records(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "records.jsonl").read_text().splitlines()]


def _manifest(run: Path) -> dict:
    return json.loads((run / "manifest.json").read_text())


def _one_line_error(capsys, argv: list[str]) -> str:
    capsys.readouterr()  # what the test's own setup printed
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


def test_mi_release_folder_converts_and_scores_as_the_safetensors_original(
    model_and_tokenizer, tmp_path, capsys
):
    model, tokenizer = model_and_tokenizer
    original = save_safetensors(model, tokenizer, tmp_path / "original")
    release = save_mi_release(model, tokenizer, tmp_path / "t5-small-mi")
    # T5's embeddings are shared three ways in the pickle: safetensors would refuse them as is.
    state = torch.load(release / "pytorch_model.bin", weights_only=True)
    assert state["shared.weight"].data_ptr() == state["encoder.embed_tokens.weight"].data_ptr()

    # score refuses the pickle and names the exact command that converts it
    err = _one_line_error(capsys, ["score", str(release), "--format", "dss-release", *SCORE])
    converted = tmp_path / "t5-small-mi-safetensors"
    assert f"convert them first: evalsuite convert {release} --out {converted}" in err
    assert not (tmp_path / "runs").exists()

    assert main(["convert", str(release), "--out", str(converted)]) == 0
    assert (converted / WEIGHTS_FILE).is_file() and not (converted / "pytorch_model.bin").exists()
    assert (converted / "tokenizer.json").is_file() and (converted / "config.json").is_file()

    runs = {}
    for name, ckpt in (("original", original), ("converted", converted)):
        runs[name] = tmp_path / f"run-{name}"
        code = main(
            ["score", str(ckpt), "--format", "dss-release", *SCORE, "--out", str(runs[name])]
        )
        assert code == 0, capsys.readouterr().err
    original_records, converted_records = _records(runs["original"]), _records(runs["converted"])
    assert len(original_records) == 6
    assert converted_records == original_records

    manifest = _manifest(runs["converted"])
    assert manifest["model"]["format_source"] == "preset dss-release"
    prompt = manifest["model"]["prompt"]
    assert (prompt["output"], prompt["label_prefix"], prompt["rationale_prefix"]) == (
        "multitask", "predict: ", "explain: ",
    )  # fmt: skip
    assert (prompt["max_input_length"], prompt["max_target_length"]) == (1024, 256)
    assert manifest["model"]["tokenizer_sha256"] == tokenizer_hash([converted])
    assert manifest["model"]["tokenizer_sha256"] == tokenizer_hash([original])


def test_flags_override_a_preset_and_are_recorded(model_and_tokenizer, tmp_path, capsys):
    model, tokenizer = model_and_tokenizer
    ckpt = save_safetensors(model, tokenizer, tmp_path / "ckpt")
    run = tmp_path / "run"
    argv = ["score", str(ckpt), "--format", "standard", "--label-prefix", "predict: "]
    assert main([*argv, *SCORE, "--out", str(run)]) == 0, capsys.readouterr().err
    model_block = _manifest(run)["model"]
    assert model_block["format_source"] == "preset standard + flags"
    assert model_block["prompt"]["label_prefix"] == "predict: "
    assert model_block["prompt"]["output"] == "label" and model_block["recipe"] == "standard"
    # the same --out with another format is another run, refused (not resumed)
    err = _one_line_error(
        capsys, ["score", str(ckpt), "--format", "dss-release", *SCORE, "--out", str(run)]
    )
    assert "existing run differs in 'prompt'" in err


def test_trainer_directory_is_refused_with_its_checkpoints_and_one_of_them_scores(
    model_and_tokenizer, tmp_path, capsys
):
    model, tokenizer = model_and_tokenizer
    trainer_out = tmp_path / "dss-out"
    save_safetensors(model, None, trainer_out / "checkpoint-10")
    save_safetensors(model, None, trainer_out / "checkpoint-20")  # no tokenizer, as Trainer may
    (trainer_out / "checkpoint-20" / "trainer_state.json").write_text("{}")
    tokenizer_dir = save_tokenizer(tokenizer, tmp_path / "tok")

    err = _one_line_error(capsys, ["score", str(trainer_out), "--format", "dss-release", *SCORE])
    assert err == (
        f"evalsuite: error: {trainer_out}: a Trainer output directory with 2 checkpoints "
        f"(checkpoint-10, checkpoint-20); score one of them, e.g. {trainer_out / 'checkpoint-20'}"
    )
    ckpt = trainer_out / "checkpoint-20"
    err = _one_line_error(capsys, ["score", str(ckpt), "--format", "dss-release", *SCORE])
    assert err.endswith(
        "checkpoint has no tokenizer (tokenizer.json); give one with --tokenizer PATH"
    )

    run = tmp_path / "run"
    argv = ["score", str(ckpt), "--format", "dss-release", "--tokenizer", str(tokenizer_dir)]
    assert main([*argv, *SCORE, "--out", str(run)]) == 0, capsys.readouterr().err
    manifest = _manifest(run)
    assert len(_records(run)) == 6 and manifest["status"] == "complete"
    assert manifest["model"]["tokenizer"] == str(tokenizer_dir.resolve())
    assert manifest["model"]["tokenizer_sha256"] == tokenizer_hash([tokenizer_dir])


def save_tokenizer(tokenizer, out: Path) -> Path:
    tokenizer.save_pretrained(out)
    return out


def test_a_manifest_copied_beside_other_weights_is_refused(tmp_path, capsys):
    trained, tokenizer = tiny_t5(seed=1)
    own = save_safetensors(trained, tokenizer, tmp_path / "own")
    manifest = {
        "recipe": "dss", "task": "arith", "prompt": PROMPTS["dss"].to_dict(),
        "weights_sha256": file_sha256(own / WEIGHTS_FILE),
    }  # fmt: skip
    (own / TRAIN_MANIFEST).write_text(json.dumps(manifest))
    other, _ = tiny_t5(seed=2)
    impostor = save_safetensors(other, tokenizer, tmp_path / "random")
    shutil.copyfile(own / TRAIN_MANIFEST, impostor / TRAIN_MANIFEST)

    err = _one_line_error(capsys, ["score", str(impostor), *SCORE])
    digest = manifest["weights_sha256"][:12]
    assert err == (
        f"evalsuite: error: {impostor / TRAIN_MANIFEST} describes other weights (sha256 "
        f"{digest}...); score with --format to describe this checkpoint"
    )
    # its own checkpoint scores from the manifest; --format describes the impostor instead
    assert main(["score", str(own), *SCORE, "--out", str(tmp_path / "r1")]) == 0
    assert _manifest(tmp_path / "r1")["model"]["format_source"] == "checkpoint"
    argv = [
        "score",
        str(impostor),
        "--format",
        "dss-release",
        *SCORE,
        "--out",
        str(tmp_path / "r2"),
    ]
    assert main(argv) == 0, capsys.readouterr().err
    assert _manifest(tmp_path / "r2")["model"]["format_source"] == "preset dss-release"
