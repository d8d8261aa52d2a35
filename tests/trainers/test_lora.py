"""LoRA through the CLI: `train --lora-r` writes an adapter that names its base model, and
`score` on it (base + adapter, unmerged) gives the records of the merged model. Nothing here
depends on what the students emit: runs are compared with each other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

import trainers.loop
from evalsuite.checkpoint import base_model_hash
from evalsuite.cli import main
from evalsuite.provenance import file_sha256
from tests.scoring.conftest import one_thread
from tests.trainers.conftest import TINY, weights

ARITH = "n_train=16,n_valid=4,n_test=6,max_operations=1"
FAST = ("--task", "arith", "--arith", ARITH, "--batch-size", "4", "--warmup-steps", "0")
SCORE = ("--limit", "6", "--batch-size", "3", "--max-new-tokens", "8", "--quiet")


def _train(*args: str | Path) -> None:
    with one_thread():
        assert main(["train", "dss", *FAST, *(str(a) for a in args)]) == 0


def _score(ckpt: Path, out: Path) -> list[dict]:
    with one_thread():
        assert main(["score", str(ckpt), "--out", str(out), *SCORE]) == 0
    return [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    """A tiny-llama base (4 full steps) and a rank-4 adapter trained on it for 3 steps, with a
    learning rate high enough that the adapter visibly changes what the model computes."""
    root = tmp_path_factory.mktemp("lora")
    _train("--model", "tiny-llama", "--tiny", TINY, "--max-steps", "4", "--eval-every", "4",
           "--out", root / "base")  # fmt: skip
    _train("--model", root / "base", "--lora-r", "4", "--lr", "0.05", "--max-steps", "3",
           "--eval-every", "3", "--out", root / "adapter")  # fmt: skip
    return {"root": root, "base": root / "base", "adapter": root / "adapter"}


def _merged(adapter: Path, base: Path, out: Path) -> Path:
    """peft's own loader and merge_and_unload, saved as a plain checkpoint with the adapter's
    manifest (prompt, data) describing it: an independent reference for base + adapter."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, use_safetensors=True, dtype=torch.float32)
    merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    merged.save_pretrained(out, safe_serialization=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(adapter / name, out / name)
    manifest = json.loads((adapter / "train_manifest.json").read_text())
    manifest.update(base_model=None, weights_sha256=file_sha256(out / "model.safetensors"))
    (out / "train_manifest.json").write_text(json.dumps(manifest))
    return out


def _floats(record: dict, prefix: str = "") -> dict[str, float]:
    """Every number of a record (nested ones too), by its path."""
    found: dict[str, float] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            found.update(_floats(value, f"{prefix}{key}."))
        elif isinstance(value, float):
            found[prefix + key] = value
    return found


def _without_floats(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_floats(v) for k, v in value.items()}
    return None if isinstance(value, float) else value


def test_the_adapter_checkpoint_names_its_base_and_trains_only_the_adapter(trained):
    adapter, base = trained["adapter"], trained["base"]
    assert (adapter / "adapter_model.safetensors").is_file()
    assert not (adapter / "model.safetensors").exists() and not (adapter / "README.md").exists()
    manifest = json.loads((adapter / "train_manifest.json").read_text())
    assert manifest["base_model"] == {"path": str(base.resolve()), "sha256": base_model_hash(base)}
    assert manifest["weights_sha256"] == file_sha256(adapter / "adapter_model.safetensors")
    assert manifest["config"]["lora"] == {"r": 4, "alpha": 8, "targets": []}
    tensors = load_file(adapter / "adapter_model.safetensors")
    # peft's default for LLaMA: q_proj and v_proj of each of the 2 layers, A and B each
    assert len(tensors) == 8 and all("q_proj" in k or "v_proj" in k for k in tensors)
    # B starts at zero, so a non-zero B is what the steps learned
    assert all(float(t.abs().max()) > 0 for k, t in tensors.items() if "lora_B" in k)
    base_manifest = json.loads((base / "train_manifest.json").read_text())
    assert base_manifest["weights_sha256"] == file_sha256(base / "model.safetensors")  # frozen


@pytest.mark.kernels
def test_base_plus_adapter_scores_as_the_merged_model(trained, tmp_path):
    adapter, base = trained["adapter"], trained["base"]
    unmerged = _score(adapter, tmp_path / "adapter-run")
    merged = _score(_merged(adapter, base, tmp_path / "merged"), tmp_path / "merged-run")
    alone = _score(base, tmp_path / "base-run")
    assert len(unmerged) == len(merged) == 6
    worst_merged, worst_base = 0.0, 0.0
    for a, m, b in zip(unmerged, merged, alone, strict=True):
        assert a["prediction"] == m["prediction"] and a["rationale"] == m["rationale"]
        assert _without_floats(a) == _without_floats(m)  # every field but the numbers, exactly
        fa, fm, fb = _floats(a), _floats(m), _floats(b)
        assert fa.keys() == fm.keys() and fa
        worst_merged = max(worst_merged, *(abs(fa[k] - fm[k]) for k in fa))
        worst_base = max(worst_base, *(abs(fa[k] - fb[k]) for k in fa if k in fb))
    assert worst_merged < 1e-5
    # The adapter is really applied: the base alone scores otherwise.
    assert worst_base > 1e-3 or any(a["prediction"] != b["prediction"]
                                    for a, b in zip(unmerged, alone, strict=True))  # fmt: skip
    run = json.loads((tmp_path / "adapter-run" / "manifest.json").read_text())
    other = json.loads((tmp_path / "merged-run" / "manifest.json").read_text())
    assert run["model"]["architecture"] == "causal" and run["model_hash"] != other["model_hash"]


def _moved_base(trained, tmp_path: Path, base: Path) -> Path:
    """A copy of the adapter checkpoint whose manifest names ``base``."""
    ckpt = tmp_path / "adapter"
    shutil.copytree(trained["adapter"], ckpt)
    manifest = json.loads((ckpt / "train_manifest.json").read_text())
    manifest["base_model"]["path"] = str(base)
    (ckpt / "train_manifest.json").write_text(json.dumps(manifest))
    return ckpt


def test_a_missing_base_model_is_one_line_naming_the_path(trained, tmp_path, cli):
    missing = tmp_path / "gone" / "base"
    ckpt = _moved_base(trained, tmp_path, missing)
    result = cli("score", ckpt, "--out", tmp_path / "run", *SCORE)
    assert result.code == 2 and result.err.count("\n") == 1
    assert result.err == (
        f"evalsuite: error: {ckpt}: the adapter's base model {missing} is missing (not a "
        "directory; named in train_manifest.json)\n"
    )
    assert not (tmp_path / "run").exists()


def test_a_changed_base_model_is_refused(trained, tmp_path, cli):
    changed = tmp_path / "changed-base"
    shutil.copytree(trained["base"], changed)
    tensors = weights(changed)
    name = sorted(tensors)[0]
    tensors[name] = tensors[name] + 1.0
    save_file(tensors, changed / "model.safetensors", metadata={"format": "pt"})
    ckpt = _moved_base(trained, tmp_path, changed)
    result = cli("score", ckpt, "--out", tmp_path / "run", *SCORE)
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"{ckpt}: base model {changed} has changed since the adapter was trained" in result.err
    # the same files elsewhere are the same base: a moved base scores
    moved = tmp_path / "moved-base"
    shutil.copytree(trained["base"], moved)
    ok = _moved_base(trained, tmp_path / "ok", moved)
    assert cli("score", ok, "--out", tmp_path / "ok-run", *SCORE).code == 0


def test_pickled_adapter_weights_are_refused(trained, tmp_path, cli):
    ckpt = tmp_path / "pickled"
    shutil.copytree(trained["adapter"], ckpt)
    (ckpt / "adapter_model.safetensors").rename(ckpt / "adapter_model.bin")
    manifest = json.loads((ckpt / "train_manifest.json").read_text())
    del manifest["weights_sha256"]  # else refused first as a manifest of other weights
    (ckpt / "train_manifest.json").write_text(json.dumps(manifest))
    result = cli("score", ckpt, "--out", tmp_path / "run", *SCORE)
    assert result.code == 2
    assert result.err == (
        f"evalsuite: error: {ckpt}: adapter has no adapter_model.safetensors (pickled "
        "adapter_model.bin weights are refused)\n"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--lora-alpha", "16"), "--lora-alpha needs --lora-r (the adapter's rank)"),
        (("--lora-targets", "q_proj"), "--lora-targets needs --lora-r (the adapter's rank)"),
        (("--lora-r", "0"), "--lora-r must be an integer >= 1, got 0"),
        (("--lora-r", "4", "--lora-alpha", "0"), "--lora-alpha must be an integer >= 1, got 0"),
        (("--lora-r", "4", "--model", "tiny-llama"),
         "--lora-r: an adapter trains on a pretrained base model; give --model PATH (a local "
         "checkpoint, e.g. one trained with --model tiny-llama), not tiny-llama"),
    ],
)  # fmt: skip
def test_bad_lora_options_are_one_line(cli, tmp_path, options, message):
    out = tmp_path / "ckpt"
    result = cli("train", "dss", *FAST, "--out", out, *options)
    assert result.code == 2 and result.err == f"evalsuite: error: {message}\n"
    assert not out.exists()


def test_an_unknown_target_module_is_one_line(trained, cli, tmp_path):
    out = tmp_path / "ckpt"
    result = cli("train", "dss", *FAST, "--model", trained["base"], "--lora-r", "2",
                 "--lora-targets", "nowhere_proj", "--max-steps", "1", "--out", out)  # fmt: skip
    assert result.code == 2 and result.err.count("\n") == 1
    assert result.err.startswith("evalsuite: error: --lora-targets: ")
    assert "nowhere_proj" in result.err
    assert not (out / "adapter_model.safetensors").exists()


def test_explicit_targets_and_alpha_are_used(trained, tmp_path, cli):
    out = tmp_path / "ckpt"
    options = ("--model", trained["base"], "--lora-r", "2", "--lora-alpha", "3", "--lora-targets",
               "k_proj", "o_proj", "--max-steps", "1", "--eval-every", "1")  # fmt: skip
    assert cli("train", "dss", *FAST, *options, "--out", out).code == 0
    config = json.loads((out / "adapter_config.json").read_text())
    assert sorted(config["target_modules"]) == ["k_proj", "o_proj"]
    assert config["r"] == 2 and config["lora_alpha"] == 3
    # the same command again loads the saved adapter state and has nothing left to do
    again = cli("train", "dss", *FAST, *options, "--out", out)
    assert again.code == 0 and "already trained for 1 steps" in again.err


def test_an_interrupted_adapter_run_resumes_to_the_uninterrupted_result(
    trained, tmp_path, cli, monkeypatch
):
    # The resume state holds the adapter alone; the base is loaded again under it.
    options = ("dss", *FAST, "--model", trained["base"], "--lora-r", "2", "--lr", "0.01",
               "--max-steps", "4", "--eval-every", "2")  # fmt: skip
    assert cli("train", *options, "--out", tmp_path / "straight").code == 0
    real_get_lr = trainers.loop.get_lr

    def interrupt_at_fourth_step(it, **kwargs):
        if it == 3:
            raise KeyboardInterrupt
        return real_get_lr(it, **kwargs)

    monkeypatch.setattr(trainers.loop, "get_lr", interrupt_at_fourth_step)
    out = tmp_path / "resumed"
    assert cli("train", *options, "--out", out).code == 130
    assert sorted(p.name for p in (out / "state" / "step-0000003").iterdir()) == [
        "adapter_config.json", "adapter_model.safetensors", "state.json", "training.pt"
    ]  # fmt: skip
    monkeypatch.setattr(trainers.loop, "get_lr", real_get_lr)
    assert cli("train", *options, "--out", out).code == 0
    reference = load_file(tmp_path / "straight" / "adapter_model.safetensors")
    resumed = load_file(out / "adapter_model.safetensors")
    assert reference.keys() == resumed.keys()
    assert all(torch.equal(reference[k], resumed[k]) for k in reference)
