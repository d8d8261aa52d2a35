"""`evalsuite export`: a run as an lm-eval samples file or an inspect_ai log, and back."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from evalsuite.cli import main
from evalsuite.data import load_examples
from evalsuite.runs import read_run
from tests.interop.conftest import lm_eval_file


@pytest.fixture(scope="module")
def imported_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An arith run with everything an import can carry: confidences, rationales, a failed
    extraction, right and wrong answers; imported once per module (its summary is the slow
    part), each test gets a copy (:func:`predictions_run`)."""
    tmp_path = tmp_path_factory.mktemp("predictions")
    examples = load_examples("arith", "test")[:6]
    lines = [
        {"id": e.id, "prediction": p, "rationale": r, "confidence": c}
        for e, p, r, c in zip(
            examples,
            [examples[0].gold, "7", "nonsense", examples[3].gold, "( 2.0 + 2.0 )", "0"],
            ["It is so.", None, "Hmm.", "Add then double.", None, "Zero."],
            [0.9, 0.2, None, 0.75, 0.5, None],
            strict=True,
        )
    ]
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "run"
    assert main(["import-predictions", str(path), "--task", "arith", "--out", str(out)]) == 0
    return out


@pytest.fixture
def predictions_run(imported_run: Path, tmp_path: Path) -> Path:
    """A copy of the imported run that the test may change."""
    return Path(shutil.copytree(imported_run, tmp_path / "run"))


def _without_provenance(records):
    return [replace(r, imported=None) for r in records]


def test_lm_eval_export_round_trips(tmp_path, cli, predictions_run):
    result = cli("export", predictions_run, "--to", "lm-eval", "--out", tmp_path / "lm")
    assert result.code == 0, result.err
    (path,) = (tmp_path / "lm").glob("samples_arith_*.jsonl")
    first = json.loads(path.read_text().splitlines()[0])
    assert set(first) >= {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps",
                          "filter", "metrics", "acc"}  # fmt: skip
    back = tmp_path / "back"
    result = cli("import-predictions", path, "--from", "lm-eval", "--task", "arith",
                 "--out", back)  # fmt: skip
    assert result.code == 0, result.err
    original, again = read_run(predictions_run), read_run(back)
    assert _without_provenance(again.records) == list(original.records)
    assert again.metrics["accuracy"] == original.metrics["accuracy"]


def test_an_imported_lm_eval_log_exports_and_reimports_the_same(tmp_path, cli, nli12):
    run = tmp_path / "run"
    cli("import-predictions", lm_eval_file("nli"), "--from", "lm-eval", "--task", "esnli",
        "--data-dir", nli12, "--out", run)  # fmt: skip
    assert cli("export", run, "--to", "lm-eval", "--out", tmp_path / "lm").code == 0
    (path,) = (tmp_path / "lm").glob("samples_esnli_*.jsonl")
    back = tmp_path / "back"
    result = cli("import-predictions", path, "--from", "lm-eval", "--task", "esnli",
                 "--data-dir", nli12, "--out", back)  # fmt: skip
    assert result.code == 0, result.err
    assert _without_provenance(read_run(back).records) == _without_provenance(read_run(run).records)


@pytest.mark.parametrize("suffix", [".eval", ".json"])
def test_inspect_export_is_read_by_inspect_and_round_trips(tmp_path, cli, predictions_run, suffix):
    inspect_log = pytest.importorskip("inspect_ai.log")
    path = tmp_path / f"run{suffix}"
    result = cli("export", predictions_run, "--to", "inspect", "--out", path)
    assert result.code == 0, result.err
    log = inspect_log.read_eval_log(str(path))  # inspect's own reader
    original = read_run(predictions_run)
    assert [s.id for s in log.samples] == [r.id for r in original.records]
    accuracy = log.results.scores[0].metrics["accuracy"].value
    assert accuracy == original.metrics["accuracy"]["value"]
    back = tmp_path / "back"
    result = cli("import-predictions", path, "--from", "inspect", "--task", "arith",
                 "--out", back)  # fmt: skip
    assert result.code == 0, result.err
    assert _without_provenance(read_run(back).records) == list(original.records)
    assert not list(tmp_path.glob(".*partial*"))


def test_export_refuses_to_overwrite_and_bad_paths(tmp_path, cli, predictions_run):
    pytest.importorskip("inspect_ai")
    taken = tmp_path / "taken.eval"
    taken.write_text("mine")
    cases = [
        (("--to", "inspect", "--out", taken), f"--out {taken}: exists; an export never overwrites"),
        (("--to", "inspect", "--out", tmp_path / "x.zip"),
         f"--out {tmp_path / 'x.zip'}: an inspect log is named .eval or .json"),
        (("--to", "lm-eval", "--out", taken),
         f"--out {taken}: not a folder (lm-eval samples go into a folder)"),
    ]  # fmt: skip
    for args, message in cases:
        result = cli("export", predictions_run, *args)
        assert result.code == 2 and result.err == f"evalsuite: error: {message}\n"
    assert taken.read_text() == "mine"
    assert cli("export", predictions_run, "--to", "lm-eval", "--out", tmp_path / "lm").code == 0
    again = cli("export", predictions_run, "--to", "lm-eval", "--out", tmp_path / "lm")
    assert again.code == 2 and "already holds samples_arith_" in again.err


def test_export_refuses_a_partial_run(tmp_path, cli, predictions_run):
    manifest = predictions_run / "manifest.json"
    doc = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**doc, "status": "partial"}))
    result = cli("export", predictions_run, "--to", "lm-eval", "--out", tmp_path / "lm")
    assert result.code == 2
    assert result.err == (
        f"evalsuite: error: {predictions_run}: the run is not complete (status 'partial')\n"
    )
