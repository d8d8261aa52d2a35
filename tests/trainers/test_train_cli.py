"""`evalsuite train` end to end on tiny arith: one real step per recipe, resume, refusal, errors."""

from __future__ import annotations

import json
import math

import pytest
import torch

import trainers.loop
from evalsuite.checkpoint import read_checkpoint
from evalsuite.commands.train import parse_tiny
from evalsuite.provenance import file_sha256
from tests.trainers.conftest import TINY, weights
from trainers.config import DEFAULT_TINY
from trainers.student import TinyStudentConfig, tiny_model

EXPECTED_PROMPT = {
    "standard": ("label", "", None),
    "single": ("rationale_then_label", "", None),
    "dss": ("multitask", "predict: ", "explain: "),
    "mi": ("multitask", "predict: ", "explain: "),
}


def initial_weights(ckpt, seed: int = 0, kind: str = "tiny") -> dict[str, torch.Tensor]:
    """The weights the loop starts from: the tiny student seeded as the loop seeds it (a causal
    one with room for the default prompt and target lengths)."""
    from transformers import AutoTokenizer

    shape = dict(item.split("=") for item in TINY.split(","))
    config = TinyStudentConfig(**{k: int(v) for k, v in shape.items()})
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(ckpt)
    model = tiny_model(tokenizer, config, kind=kind, max_positions=1024 + 256)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.kernels
@pytest.mark.parametrize(
    ("recipe", "variant"),
    [("standard", "released"), ("single", "released"), ("dss", "released"),
     ("mi", "released"), ("mi", "infonce")],
)  # fmt: skip
def test_one_real_step_per_recipe(train_cli, recipe, variant):
    result, out = train_cli(
        recipe, "--mi-variant", variant, "--max-steps", "1", "--eval-every", "1"
    )
    assert result.code == 0, result.err
    assert f"{recipe} student, 1 steps, best valid accuracy" in result.out

    manifest, prompt = read_checkpoint(out)  # the scorer's reader accepts it
    assert (prompt.output, prompt.label_prefix, prompt.rationale_prefix) == EXPECTED_PROMPT[recipe]
    assert (manifest["recipe"], manifest["task"], manifest["status"]) == (
        recipe,
        "arith",
        "complete",
    )
    assert manifest["steps"] == {"completed": 1, "max": 1}
    assert manifest["config"]["mi_variant"] == variant and manifest["seed"] == 0
    assert manifest["data"]["arith"]["n_train"] == 16 and manifest["data"]["n_valid"] == 4
    assert manifest["provenance"]["suite_version"]
    # the manifest names the weights it describes (score refuses it beside other weights)
    assert manifest["weights_sha256"] == file_sha256(out / "model.safetensors")
    curves = manifest["curves"]
    assert [s for s, _ in curves["train_loss"]] == [1]
    assert all(math.isfinite(v) for _, v in curves["train_loss"] + curves["valid_loss"])
    assert [s for s, _ in curves["valid_accuracy"]] == [1] and manifest["best"]["step"] == 1
    if recipe == "mi":
        assert "mi" in curves["train"][0] and math.isfinite(curves["train"][0]["mi"])

    # the step changed the weights
    before, after = initial_weights(out), weights(out)
    shared = [k for k in after if k in before]
    assert shared and any(not torch.equal(before[k], after[k]) for k in shared)


def test_pretrained_path_is_loaded_and_fine_tuned(train_cli, tmp_path):
    base = train_cli("standard", "--max-steps", "1", "--eval-every", "1")[1]
    result, out = train_cli(
        "dss", "--model", str(base), "--max-steps", "1", "--eval-every", "1",
        out=tmp_path / "finetuned",
    )  # fmt: skip
    assert result.code == 0, result.err
    manifest = json.loads((out / "train_manifest.json").read_text())
    assert manifest["config"]["lr"] == 5e-5  # the DSS release's default for a pretrained T5
    before, after = weights(base), weights(out)
    assert any(not torch.equal(before[k], after[k]) for k in after)


def test_interrupted_run_resumes_to_the_uninterrupted_result(train_cli, tmp_path, monkeypatch):
    # Dropout makes the result depend on the saved random state; the interrupt comes one step
    # after an evaluation, so both the evaluation's save and the interrupt's save are exercised.
    tiny = TINY + ",dropout_rate=0.1"
    options = ("dss", "--max-steps", "4", "--eval-every", "2", "--tiny", tiny)
    straight, straight_out = train_cli(*options, out=tmp_path / "straight")
    assert straight.code == 0, straight.err

    real_get_lr = trainers.loop.get_lr

    def interrupt_at_fourth_step(it, **kwargs):
        if it == 3:
            raise KeyboardInterrupt
        return real_get_lr(it, **kwargs)

    monkeypatch.setattr(trainers.loop, "get_lr", interrupt_at_fourth_step)
    result, out = train_cli(*options, out=tmp_path / "resumed")
    assert result.code == 130
    manifest = json.loads((out / "train_manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["steps"]["completed"] == 3
    assert [p.name for p in (out / "state").iterdir()] == ["step-0000003"]

    monkeypatch.setattr(trainers.loop, "get_lr", real_get_lr)
    result, out = train_cli(*options, out=out)
    assert result.code == 0, result.err
    reference, resumed = weights(straight_out), weights(out)
    assert all(torch.equal(reference[k], resumed[k]) for k in reference)
    manifests = [json.loads((d / "train_manifest.json").read_text()) for d in (straight_out, out)]
    assert manifests[0]["curves"]["train_loss"] == manifests[1]["curves"]["train_loss"]
    assert manifests[1]["status"] == "complete"
    assert [p.name for p in (out / "state").iterdir()] == ["step-0000004"]


def test_same_seed_same_weights_other_seed_different(train_cli, tmp_path):
    runs = [
        train_cli("mi", "--seed", seed, "--max-steps", "2", "--eval-every", "2", out=tmp_path / n)
        for seed, n in (("3", "a"), ("3", "b"), ("4", "c"))
    ]
    assert all(r.code == 0 for r, _ in runs)
    a, b, c = (weights(out) for _, out in runs)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(a[k].shape == c[k].shape and not torch.equal(a[k], c[k]) for k in a if k in c)


def test_complete_run_is_not_trained_again(train_cli):
    _, out = train_cli("standard", "--max-steps", "1", "--eval-every", "1")
    before = (out / "model.safetensors").read_bytes()
    again, _ = train_cli("standard", "--max-steps", "1", "--eval-every", "1", out=out)
    assert again.code == 0 and "already trained for 1 steps" in again.err
    assert (out / "model.safetensors").read_bytes() == before


def test_existing_run_with_other_options_is_refused_and_kept(train_cli):
    _, out = train_cli("dss", "--max-steps", "1", "--eval-every", "1")
    files = sorted(p.name for p in out.iterdir())
    refused, _ = train_cli(
        "dss", "--max-steps", "1", "--eval-every", "1", "--alpha", "0.2", out=out
    )
    assert refused.code == 2
    assert "holds a run with a different config (alpha: 0.5 -> 0.2)" in refused.err
    assert refused.err.count("\n") == 1  # one line, no traceback
    assert sorted(p.name for p in out.iterdir()) == files


def test_foreign_directory_is_refused_and_untouched(train_cli, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    result, _ = train_cli("dss", "--max-steps", "1", out=out)
    assert result.code == 2 and "is not empty and holds no train_config.json" in result.err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--model", "/no/such/t5"), "--model /no/such/t5: not a local checkpoint directory"),
        (("--arith", "n_train=abc"), "--arith: n_train must be int, got 'abc'"),
        (("--arith", "colour=3"), "--arith: unknown key 'colour'; choose from n_train"),
        (("--tiny", "d_model"), "--tiny 'd_model': expected KEY=VALUE items"),
        (("--tiny", "d_model=0"), "tiny student: d_model must be positive, got 0"),
        (("--arith", "n_valid=0"), "the valid split is empty"),
        (("--batch-size", "0"), "--batch-size must be an integer >= 1, got 0"),
        (
            ("--tiny", "num_layers=1,num_decoder_layers=2"),
            "--tiny num_decoder_layers=2: the tiny T5's decoder may be no deeper than its "
            "encoder (num_layers=1)",
        ),
    ],
)
def test_bad_options_are_one_line_errors(train_cli, tmp_path, options, message):
    result, out = train_cli("dss", *options)
    assert result.code == 2
    assert message in result.err and result.err.count("\n") == 1
    assert not (out / "model.safetensors").exists()


def test_num_layers_alone_sets_the_decoder_depth_too(train_cli):
    """Regression: ``--tiny num_layers=1`` kept the default 2-layer decoder under a 1-layer
    encoder, and validation's generate() died with an IndexError inside transformers."""
    shape = "num_layers=1,d_model=16,d_ff=32,num_heads=2,d_kv=8,vocab_size=120"
    result, out = train_cli("dss", "--tiny", shape, "--max-steps", "1", "--eval-every", "1")
    assert result.code == 0, result.err
    config = json.loads((out / "config.json").read_text())
    assert (config["num_layers"], config["num_decoder_layers"]) == (1, 1)


def test_parse_tiny_lets_the_decoder_follow_the_encoder_unless_given():
    assert parse_tiny(None) == DEFAULT_TINY
    assert (
        parse_tiny("num_layers=3").num_layers,
        parse_tiny("num_layers=3").num_decoder_layers,
    ) == (3, 3)
    assert parse_tiny("num_layers=3,num_decoder_layers=1").num_decoder_layers == 1
    assert parse_tiny("d_model=64").num_decoder_layers == DEFAULT_TINY.num_decoder_layers


def test_train_fraction_subsamples_the_train_split(train_cli):
    result, out = train_cli("standard", "--train-fraction", "0.5", "--max-steps", "1")
    assert result.code == 0, result.err
    manifest = json.loads((out / "train_manifest.json").read_text())
    assert manifest["data"]["n_train"] == 8


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (("config.json", "pytorch_model.bin"), "no safetensors weights (pickled .bin weights"),
        (("model.safetensors",), "no config.json (not a Hugging Face checkpoint)"),
    ],
)
def test_model_directories_that_are_not_loadable_are_refused(train_cli, tmp_path, files, message):
    model_dir = tmp_path / "t5"
    model_dir.mkdir()
    for name in files:
        (model_dir / name).write_text("{}")
    result, _ = train_cli("dss", "--model", str(model_dir), "--max-steps", "1")
    assert result.code == 2 and message in result.err and result.err.count("\n") == 1


def test_resume_state_is_read_from_safetensors_only(train_cli, tmp_path, monkeypatch):
    # Regression: the loop resumed with from_pretrained(state_dir) without use_safetensors, so a
    # pytorch_model.bin planted in state/step-N was unpickled.
    options = ("standard", "--max-steps", "3", "--eval-every", "3")
    real_get_lr = trainers.loop.get_lr

    def interrupt_at_second_step(it, **kwargs):
        if it == 1:
            raise KeyboardInterrupt
        return real_get_lr(it, **kwargs)

    monkeypatch.setattr(trainers.loop, "get_lr", interrupt_at_second_step)
    result, out = train_cli(*options, out=tmp_path / "run")
    assert result.code == 130
    monkeypatch.setattr(trainers.loop, "get_lr", real_get_lr)
    (state,) = (out / "state").iterdir()
    torch.save(weights(state), state / "pytorch_model.bin")
    (state / "model.safetensors").unlink()
    result, _ = train_cli(*options, out=out)
    assert result.code == 2
    assert result.err.strip() == (
        f"evalsuite: error: resume state {state}: no safetensors weights (pickled .bin "
        "weights are refused)"
    )


def test_data_the_recipe_refuses_leaves_nothing_behind(cli, tmp_path):
    # Regression: a run refused for bad data left CKPT/train_config.json (and the tokenizer).
    rows = tmp_path / "rows.jsonl"
    lines = [json.dumps({"input": f"{i} + 1", "label": f"( {i}.0 + 1.0 )"}) for i in range(12)]
    rows.write_text("\n".join(lines) + "\n")
    out = tmp_path / "ckpt"
    result = cli("train", "dss", "--task", "svamp", "--data-dir", rows, "--out", out,
                 "--max-steps", "1")  # fmt: skip
    assert result.code == 2 and result.err.count("\n") == 1
    assert "no teacher rationale; recipe 'dss' trains on the teacher's rationales" in result.err
    assert not out.exists()


@pytest.mark.parametrize("lam", ["2", "-0.5", "nan"])
def test_lam_out_of_range_is_named_lam(train_cli, lam):
    # Regression: `train mixed --lam 2` was refused as "--alpha must be ...".
    result, out = train_cli("mixed", f"--lam={lam}")
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"--lam must be a number in [0.0, 1.0], got {float(lam)}" in result.err
    assert not out.exists()


def test_an_unwritable_out_is_one_line(train_cli, tmp_path):
    # Regression: an output path the system refuses gave an OSError traceback. A path below a
    # regular file stands in for a read-only file system (tests run as root).
    wall = tmp_path / "a-file"
    wall.write_text("")
    result, out = train_cli("standard", "--max-steps", "1", out=wall / "ckpt")
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"{out / 'train_config.json'}: cannot write (Not a directory: {out})" in result.err
