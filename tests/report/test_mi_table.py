"""The report's MI table: every estimator with its bootstrap interval, the truth covered or a
warning given, rationale quality beside it, warnings in the notes and summary.md, and the same
numbers as `evalsuite mi --estimator all --json`.

The run is hand-built: label and rationale representations of width 128 (what scoring writes)
drawn from correlated Gaussians with a known MI of 1 nat
(:func:`evalsuite.metrics.mi_truth.correlated_gaussians`), and its labels the sign of one signal
coordinate, so the probe's target I(label; rationale) is known too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evalsuite.metrics import mi_bootstrap
from evalsuite.metrics.mi_truth import GaussianSample, correlated_gaussians
from evalsuite.names import MI_ESTIMATORS
from evalsuite.report.build import ReportConfig, ReportResult, build_report
from evalsuite.report.mi_table import BLEU, CONSISTENT, ROUGE
from evalsuite.report.runs import read_runs
from evalsuite.runs import REPRESENTATIONS, RunWriter
from tests.report.test_latex import NO_PDFLATEX, assert_all_tex_compiles

N, WIDTH, TRUTH = 200, 128, 1.0


def write_gaussian_run(root: Path, name: str, sample: GaussianSample) -> Path:
    records = []
    for i, label in enumerate(sample.labels):
        answer = label if i % 4 else ("neg" if label == "pos" else "pos")
        records.append(
            {
                "id": str(i),
                "gold": label,
                "prediction": answer,
                "answer": answer,
                "correct": answer == label,
                "confidence": 0.8,
                "label_probs": {"pos": 0.8, "neg": 0.2} if answer == "pos" else
                               {"pos": 0.2, "neg": 0.8},
                "rationale": f"the sign is {answer} here",
                "rationale_answer": answer if i % 5 else label,
                "consistent": bool(i % 5) or answer == label,
                "teacher": {"rationale": f"the sign is {label}", "label": label},
            }
        )  # fmt: skip
    manifest = {"name": name, "kind": "student", "task": "anli1", "split": "test",
                "model": {"path": f"/ckpt/{name}", "recipe": "mi"}}  # fmt: skip
    writer = RunWriter(root / name, manifest)
    writer.append(records)
    writer.finish([r["id"] for r in records])
    ids = np.array([r["id"] for r in records])
    np.savez(root / name / REPRESENTATIONS, ids=ids, label_repr=sample.x, rationale_repr=sample.y)
    return root / name


@pytest.fixture(scope="module")
def sample() -> GaussianSample:
    return correlated_gaussians(N, WIDTH, WIDTH, mi=TRUTH, rng=7)


@pytest.fixture(scope="module")
def built(sample: GaussianSample, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("gauss")
    run = write_gaussian_run(root, "mi-gauss", sample)
    result = build_report(read_runs([run]), root / "report", ReportConfig(figures=False))
    return run, result


def _estimates(result: ReportResult) -> list[dict[str, Any]]:
    return result.document["mi"]["estimates"]


def test_every_estimator_covers_the_truth_or_carries_a_warning(built, sample) -> None:
    _, result = built
    estimates = _estimates(result)
    assert [e["estimator"] for e in estimates] == list(MI_ESTIMATORS)
    warnings = [w["warning"] for w in result.document["mi"]["warnings"]]
    table = result.mi
    assert table is not None and table.footnote is not None
    for e in estimates:
        truth = sample.label_mi if e["estimator"] == "probe" else sample.mi
        covered = e["low"] <= truth <= e["high"]
        warned = [w for w in warnings if w.startswith(e["estimator"])]
        assert covered or warned, (e["estimator"], e["low"], e["high"], truth)
        for line in warned:
            assert line in table.footnote
        assert e["interval"]["method"] == "half-sample bootstrap over examples"
        assert e["interval"]["n_resamples"] == mi_bootstrap.DEFAULT_RESAMPLES[e["estimator"]]


def test_ksg_components_and_bias_are_reported(built) -> None:
    _, result = built
    (entry,) = result.document["mi"]["runs"]
    chosen = entry["ksg"]["components"]
    assert entry["ksg"]["chosen_by"].startswith("smallest mean |bias|")
    by_components: dict[int, list[float]] = {}
    for check in entry["ksg"]["candidates"]:
        by_components.setdefault(check["ksg_components"], []).append(abs(check["bias"]))
    assert chosen == min(by_components, key=lambda c: np.mean(by_components[c]))
    row = result.mi.rows[0]
    assert f"{row}: {chosen}+{chosen} of 128+128 dims (chosen by the known-truth check)" in (
        result.mi.footnote
    )
    ksg_biases = [c["bias"] for c in entry["bias_checks"] if c["estimator"] == "ksg"]
    assert f"KSG {ksg_biases[0]:+.2f} at 1.00" in result.mi.footnote


def test_rationale_quality_beside_every_mi_number(built) -> None:
    _, result = built
    summary = result.document["summaries"]["mi-gauss"]
    table = result.mi
    row = table.rows[0]
    assert table.cells[(row, BLEU)].value == pytest.approx(summary["rationale"]["bleu"])
    assert table.cells[(row, ROUGE)].value == pytest.approx(100 * summary["rationale"]["rouge_l"])
    consistent = table.cells[(row, CONSISTENT)]
    rate = summary["consistency"]
    assert consistent.value == pytest.approx(100 * rate["value"])
    assert consistent.interval == pytest.approx((100 * rate["low"], 100 * rate["high"]))


def test_the_table_equals_evalsuite_mi_json(cli, built) -> None:
    run, result = built
    out = cli("mi", run, "--estimator", "all", "--json")
    assert out.code == 0, out.err
    doc = json.loads(out.out)
    (entry,) = result.document["mi"]["runs"]
    assert doc["estimates"] == entry["estimates"]
    assert doc["warnings"] == entry["warnings"]
    for line in doc["warnings"]:
        assert f"warning: {line}" in out.err
    for e in doc["estimates"]:
        cell = result.mi.cells[(result.mi.rows[0], MI_ESTIMATORS[e["estimator"]])]
        assert (cell.value, cell.interval) == (e["value"], (e["low"], e["high"]))


def test_a_planted_contradiction_is_a_warning_in_the_notes_and_summary(
    sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CLUB's "upper bound" of 67.6 nats on the demo's mi run (issue 14): plant it
    real = mi_bootstrap.mutual_information_with_interval

    def planted(name: str, *args: Any, **kwargs: Any):
        from dataclasses import replace

        estimate = real(name, *args, **kwargs)
        return replace(estimate, value=67.6, low=60.0, high=70.0) if name == "club" else estimate

    monkeypatch.setattr(mi_bootstrap, "mutual_information_with_interval", planted)
    run = write_gaussian_run(tmp_path, "planted", sample)
    config = ReportConfig(figures=False, mi_estimators=("ksg", "club"))
    result = build_report(read_runs([run]), tmp_path / "report", config)
    expected = f"club upper bound 67.60 [60.00, 70.00] exceeds log n = {np.log(N):.2f} nats"
    assert result.mi is not None and expected in (result.mi.footnote or "")
    summary = (tmp_path / "report" / "summary.md").read_text()
    shown = summary.replace("\\[", "[").replace("\\]", "]")  # Markdown escapes brackets
    assert f"WARNING {result.mi.rows[0]}: {expected}" in shown


@NO_PDFLATEX
def test_the_mi_table_compiles_without_overfull_boxes(built) -> None:
    run, _ = built
    tables = run.parent / "report" / "tables"
    assert (tables / "mi.tex").is_file()
    assert_all_tex_compiles(tables)
