"""`evalsuite score` end to end: the run directory, refusals, broken checkpoints, resume after
SIGKILL, and two torchrun processes against one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from evalsuite.cli import main
from evalsuite.runs import read_run
from tests.scoring.conftest import one_thread
from tests.scoring.tiny_checkpoint import ARITH

REPO = Path(__file__).resolve().parents[2]
LIMIT, BATCH = "24", "4"
# Subprocesses run on one thread, like the in-process runs (see conftest.py).
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}


def _score_args(ckpt: Path, out: Path, *extra: str) -> list[str]:
    return ["score", str(ckpt), "--limit", LIMIT, "--batch-size", BATCH, "--out", str(out),
            "--quiet", *extra]  # fmt: skip


@pytest.fixture(scope="module")
def reference(checkpoints, tmp_path_factory) -> Path:
    """An uninterrupted single-process run of the dss student (24 arith test examples)."""
    out = tmp_path_factory.mktemp("runs") / "reference"
    with one_thread():
        assert main(_score_args(checkpoints["dss"], out)) == 0
    return out


def _same_run(a: Path, b: Path) -> None:
    """Records byte for byte, representations array for array, metrics equal."""
    assert (a / "records.jsonl").read_bytes() == (b / "records.jsonl").read_bytes()
    with np.load(a / "representations.npz") as x, np.load(b / "representations.npz") as y:
        assert sorted(x.files) == sorted(y.files)
        for key in x.files:
            np.testing.assert_array_equal(x[key], y[key])
    assert json.loads((a / "metrics.json").read_text()) == json.loads(
        (b / "metrics.json").read_text()
    )


@pytest.mark.kernels
def test_run_directory(reference, checkpoints):
    run = read_run(reference)
    assert run.complete and len(run.records) == int(LIMIT)
    manifest = run.manifest
    assert manifest.kind == "student" and manifest.task == "arith"
    assert manifest.split == "test" and manifest.limit == int(LIMIT)
    assert manifest.n_examples == int(LIMIT) and manifest.device == "cpu"
    assert manifest.decoding.mode == "greedy" and manifest.decoding.max_new_tokens == 40
    assert manifest.model.prompt["output"] == "multitask"
    assert manifest.model.coupling == manifest.coupling == "separate"  # recorded, not derived
    assert len(manifest.model_hash) == 64 and len(manifest.data_hash) == 64
    assert manifest.data.generator["arith"]["seed"] == ARITH.seed
    for key in ("suite_version", "git", "command", "packages", "started", "finished"):
        assert key in manifest.to_json()
    assert manifest.version == 2 and manifest.seed == 0  # schema 2; the decoding seed
    # The checkpoint's own arith data: its test split, in order.
    assert [r.id for r in run.records] == [f"test-{i}" for i in range(int(LIMIT))]
    assert all(r.rationale is not None and r.confidence is not None for r in run.records)
    assert run.metrics is not None
    assert run.metrics["n"] == int(LIMIT)
    assert run.metrics["accuracy"]["k"] == sum(r.correct for r in run.records)
    reprs = run.representations()
    assert reprs is not None
    assert list(reprs.ids) == [r.id for r in run.records]
    assert reprs.array("label_repr").shape == (int(LIMIT), 32)
    assert not (reference / ".representations").exists()


def test_rerun_of_a_complete_run_scores_nothing(reference, tmp_path, cli):
    copy = tmp_path / "again"
    shutil.copytree(reference, copy)
    before = (copy / "records.jsonl").read_bytes()
    result = cli(*_score_args(read_run(reference).manifest.model.path, copy))
    assert result.code == 0, result.err
    assert "(24 resumed from an earlier run)" in result.out
    assert (copy / "records.jsonl").read_bytes() == before


def test_a_different_run_in_out_is_refused(reference, tmp_path, cli):
    copy = tmp_path / "other"
    shutil.copytree(reference, copy)
    ckpt = read_run(reference).manifest.model.path
    result = cli(*_score_args(ckpt, copy, "--num-beams", "2"))
    assert result.code == 2
    assert f"--out {copy}: existing run differs in 'decoding'" in result.err
    assert "Traceback" not in result.err


def test_a_resume_with_another_batch_size_is_refused(reference, tmp_path, cli):
    # Regression: a run started with --batch-size 4 and resumed with 32 was accepted, and its
    # metrics equalled neither uninterrupted run (batches pad to their longest input).
    copy = tmp_path / "partial"
    shutil.copytree(reference, copy)
    records = (copy / "records.jsonl").read_text().splitlines(keepends=True)
    (copy / "records.jsonl").write_text("".join(records[:5]))
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "status": "partial"}))
    ckpt = manifest["model"]["path"]
    args = _score_args(ckpt, copy)
    args[args.index("--batch-size") + 1] = str(int(BATCH) + 3)
    result = cli(*args)
    assert result.code == 2
    assert result.err.strip() == (
        f"evalsuite: error: --out {copy}: existing run differs in 'batch_size' ({int(BATCH)} vs "
        f"{int(BATCH) + 3}); resume with the same settings or choose another --out"
    )
    assert (copy / "records.jsonl").read_text() == "".join(records[:5])


def _broken(src: Path, dst: Path, damage: str) -> Path:
    shutil.copytree(src, dst)
    if damage == "no tokenizer":
        (dst / "tokenizer.json").unlink()
    elif damage == "no manifest":
        (dst / "train_manifest.json").unlink()
    elif damage == "truncated weights":
        data = (dst / "model.safetensors").read_bytes()
        (dst / "model.safetensors").write_bytes(data[:200])
    elif damage == "pickled weights":
        (dst / "model.safetensors").rename(dst / "pytorch_model.bin")
    elif damage in ("wider config", "deeper config"):
        config = json.loads((dst / "config.json").read_text())
        key = "d_ff" if damage == "wider config" else "num_layers"
        config[key] = config[key] * 2
        (dst / "config.json").write_text(json.dumps(config))
    elif damage == "manifest field of the wrong type":
        manifest = json.loads((dst / "train_manifest.json").read_text())
        manifest["prompt"]["max_input_length"] = "lots"
        (dst / "train_manifest.json").write_text(json.dumps(manifest))
    return dst


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("no tokenizer", r"checkpoint has no tokenizer \(tokenizer.json\)"),
        ("no manifest", r"train_manifest.json: checkpoint has no train_manifest.json"),
        ("truncated weights", r"cannot load the model \(Error while deserializing header"),
        ("pickled weights", r"no safetensors weights \(pickled .bin weights are refused\)"),
        ("manifest field of the wrong type",
         r"field 'prompt': field 'max_input_length' must be a positive integer, got 'lots'"),
    ],
)  # fmt: skip
def test_a_broken_checkpoint_exits_2_in_one_line(checkpoints, tmp_path, cli, damage, message):
    ckpt = _broken(checkpoints["dss"], tmp_path / "ckpt", damage)
    out = tmp_path / "run"
    result = cli(*_score_args(ckpt, out))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evalsuite: error: ")
    assert __import__("re").search(message, lines[0]), lines[0]
    assert not out.exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("wider config", "config.json does not match the weights: some tensor shapes differ"),
        ("deeper config", "does not match the weights (9 missing tensors, e.g. encoder.block.1."),
    ],
)
def test_weights_that_do_not_fit_the_config_are_one_line(checkpoints, tmp_path, damage, message):
    # Regression: exit 2 came only after 7-29 lines of transformers' load report; and a config
    # with more layers than the weights loaded with the missing ones initialised at random.
    # A subprocess, so that whatever transformers writes to the real stderr is seen.
    ckpt = _broken(checkpoints["dss"], tmp_path / "ckpt", damage)
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "evalsuite", *_score_args(ckpt, out)],
        capture_output=True, text=True, env=ENV, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"evalsuite: error: checkpoint {ckpt}: " + done.stderr.split(f"{ckpt}: ", 1)[-1].strip()
    ]
    assert message in done.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "0"], r"--limit must be >= 1, got 0"),
        (["--num-samples", "0"], r"--num-samples must be >= 1, got 0"),
        (["--task", "nope"], r"unknown task 'nope'; choose from"),
    ],
)
def test_bad_options_exit_2(checkpoints, tmp_path, cli, args, message):
    result = cli("score", checkpoints["dss"], "--out", tmp_path / "run", *args)
    assert result.code == 2
    assert __import__("re").search(message, result.err), result.err
    assert not (tmp_path / "run").exists()


def test_resume_after_sigkill_equals_an_uninterrupted_run(reference, checkpoints, tmp_path, cli):
    out = tmp_path / "killed"
    records = out / "records.jsonl"
    args = [sys.executable, "-m", "evalsuite", *_score_args(checkpoints["dss"], out)]
    process = subprocess.Popen(args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        # Kill as soon as the first batch's records are on disk, mid-run.
        while not (records.is_file() and records.read_bytes().count(b"\n") >= 1):
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "no records written within 120 s"
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    written = records.read_bytes().count(b"\n")
    assert 1 <= written < int(LIMIT)  # really interrupted
    assert json.loads((out / "manifest.json").read_text())["status"] == "partial"
    # A torn last line, as a kill during a write leaves it.
    with records.open("ab") as handle:
        handle.write(b'{"id": "test-23", "inp')

    result = cli(*_score_args(checkpoints["dss"], out))
    assert result.code == 0, result.err
    assert f"({written} resumed from an earlier run)" in result.out
    assert read_run(out).manifest.status == "complete"
    _same_run(out, reference)


def test_two_torchrun_processes_equal_one(reference, checkpoints, tmp_path):
    out = tmp_path / "ddp"
    torchrun = Path(sys.executable).parent / "torchrun"
    args = [str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "evalsuite",
            *_score_args(checkpoints["dss"], out)]  # fmt: skip
    done = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("24 examples") == 1  # only rank 0 reports
    manifest = read_run(out).manifest
    assert manifest.world_size == 2 and manifest.status == "complete"
    _same_run(out, reference)


def test_progress_on_stderr_and_the_default_out(checkpoints, tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("score", checkpoints["standard"], "--limit", "4", "--batch-size", "2",
                 "--no-representations")  # fmt: skip
    assert result.code == 0, result.err
    assert "score arith/test" in result.err and "ex/s" in result.err  # tqdm: rate and ETA
    run_dir = Path("runs") / "standard-arith-test"
    assert result.out.startswith(f"{run_dir}: 4 examples, accuracy ")
    run = read_run(tmp_path / run_dir)
    assert run.complete and not (tmp_path / run_dir / "representations.npz").exists()
    assert run.manifest.representations is False


def test_an_unwritable_out_is_one_line(checkpoints, tmp_path, cli):
    # Regression: an output path the system refuses gave an OSError traceback. A path below a
    # regular file stands in for a read-only file system (tests run as root, where chmod does
    # not stop writes).
    wall = tmp_path / "a-file"
    wall.write_text("")
    result = cli(*_score_args(checkpoints["dss"], wall / "run"))
    assert result.code == 2
    assert result.err == f"evalsuite: error: {wall / 'run'}: cannot write (Not a directory)\n"
