"""The README's recipe, offline: lm-eval's own ``anli_r1`` task (its installed YAML, prompt,
``True``/``Neither``/``False`` choices and ``acc``) run by lm-eval on the DSS release's ANLI-R1
test rows with a scripted model, its samples file imported as an ``anli1`` run.

Regression guard for the join of a real lm-eval task's docs (``uid`` and premise/hypothesis) and
for its choice words, which are no label names.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from evalsuite.runs import read_run

N_ROWS = 30


@pytest.mark.realdata
def test_lm_evals_anli_r1_samples_import_with_its_accuracy(tmp_path, cli, dss_root):
    lm_eval = pytest.importorskip(
        "lm_eval", reason="lm-eval not installed (pip install '.[lm-eval]')"
    )
    import yaml
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    from tests.interop.fixtures.lm_eval.make_fixture import ScriptedLM

    rows_file = tmp_path / "anli1_test.jsonl"
    lines = (dss_root / "anli1" / "anli1_test.json").read_text().splitlines()[:N_ROWS]
    rows_file.write_text("\n".join(lines) + "\n")
    config = yaml.safe_load((Path(lm_eval.__file__).parent / "tasks/anli/anli_r1.yaml").read_text())
    config = {k: v for k, v in config.items() if k not in ("tag", "dataset_name")}
    config.update(
        task="anli_r1_local",
        dataset_path="json",
        dataset_kwargs={"data_files": {"test_r1": str(rows_file)}},
        training_split=None,
        validation_split=None,
    )
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "anli_r1_local.yaml").write_text(yaml.safe_dump(config))

    rows = [json.loads(line) for line in lines]
    words = ["True", "Neither", "False"]
    logliks = {}
    for i, row in enumerate(rows):
        context = (
            f"{row['premise']}\nQuestion: {row['hypothesis']} True, False, or Neither?\nAnswer:"
        )
        winner = row["label"] if i % 4 else (row["label"] + 2) % 3
        for j, word in enumerate(words):
            logliks[(context, f" {word}")] = (
                -0.3 - 0.2 * i / N_ROWS if j == winner else -1.5 - 0.1 * j
            )
    manager = TaskManager(include_path=str(tmp_path / "tasks"), include_defaults=False)
    tracker = EvaluationTracker(output_path=str(tmp_path / "out" / "results.json"))
    results = lm_eval.simple_evaluate(
        model=ScriptedLM({}, logliks), tasks=["anli_r1_local"], task_manager=manager,
        log_samples=True, evaluation_tracker=tracker,
    )  # fmt: skip
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)  # sets the file's date
    tracker.save_results_samples(task_name="anli_r1_local", samples=samples["anli_r1_local"])
    (samples_file,) = (tmp_path / "out").glob("samples_anli_r1_local_*.jsonl")

    out = tmp_path / "run"
    result = cli("import-predictions", samples_file, "--from", "lm-eval", "--task", "anli1",
                 "--data-dir", dss_root, "--out", out)  # fmt: skip
    assert result.code == 0, result.err
    run = read_run(out)
    reported = results["results"]["anli_r1_local"]["acc,none"]
    assert run.metrics["accuracy"]["value"] == pytest.approx(reported)
    assert run.metrics["accuracy"]["k"] == sum(1 for i in range(N_ROWS) if i % 4)
    assert [r.id for r in run.records] == [row["uid"] for row in rows]
    assert {r.imported["joined_by"] for r in run.records} == {"id and text"}
    assert len(run.manifest.not_covered) == 1000 - N_ROWS
    first = run.records[1]  # a row the scripted model gets right, its label most likely
    assert first.correct and first.confidence_source == "label_set"
    assert math.isclose(sum(first.label_probs.values()), 1.0)
    assert max(first.label_probs, key=first.label_probs.get) == first.gold
