"""`evalsuite report`: tables, significance marks, seeds, summary.md, report.json, error paths.

The fixture runs are built so the answers are known by hand:

- task ``arith``, 200 paired examples: ``standard`` is right on examples 0-99, ``dss`` on
  0-159 (every example standard gets right, and 60 more: clearly better), ``single`` on 0-99
  (equal to standard), ``teacher`` on 0-149 (better, but not the best; no confidences), and
  ``gpt`` (imported predictions, method given with --method) on 0-119;
- task ``svamp``, 20 paired examples: three ``dss`` seeds right on 12, 13 and 14 (mean 65.0 %,
  sd 5.0) and two ``standard`` seeds right on 8 and 9 (mean 42.5 %, sd 3.5355).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import ttest_ind
from statsmodels.stats.proportion import proportion_confint

from evalsuite.provenance import file_sha256
from evalsuite.report.build import ReportConfig, build_report
from evalsuite.report.runs import read_runs
from evalsuite.runs import REPRESENTATIONS, RunWriter
from tests.metrics.runs import record
from tests.metrics.test_commands import one_line_error


def write_student(
    root: Path,
    name: str,
    correct: set[int],
    *,
    n: int,
    method: str | None,
    task: str = "arith",
    kind: str = "student",
    seed: int | None = None,
    confident: bool = True,
    split: str = "test",
    representations: bool = False,
    rationale_repr: bool = True,
) -> Path:
    """A finished run whose manifest has the scorer's shape (kind, task, split, model block)."""
    prefix = "" if task == "arith" else f"{task}-"
    records = [
        record(
            f"{prefix}{i}",
            gold=str(i % 7),
            correct=i in correct,
            # right answers at 0.9 or 0.7, wrong ones at 0.6 or 0.4: calibrated-ish, run-specific
            confidence=((0.9 if i % 2 else 0.7) if i in correct else (0.6 if i % 2 else 0.4))
            if confident
            else None,
        )
        for i in range(n)
    ]
    if kind == "student":
        model: dict[str, Any] = {"path": f"/ckpt/{name}", "recipe": method, "seed": seed}
    elif kind == "teacher":
        model = {"name": "teacher", "source": "rule-based synthetic teacher"}
    else:
        model = {"predictions_file": f"/preds/{name}.jsonl", "lines": n}
    manifest = {"name": name, "kind": kind, "task": task, "split": split, "model": model}
    writer = RunWriter(root / name, manifest)
    writer.append(records)
    writer.finish([r["id"] for r in records])
    if representations:
        rng = np.random.default_rng(len(name))
        x = rng.normal(size=(n, 6))
        arrays = {"ids": np.array([r["id"] for r in records]), "label_repr": x}
        if rationale_repr:  # a label-only student has no rationale to represent
            arrays["rationale_repr"] = 0.8 * x + 0.6 * rng.normal(size=(n, 6))
        np.savez(root / name / REPRESENTATIONS, **arrays)
    return root / name


def arith_runs(root: Path) -> dict[str, Path]:
    return {
        "standard": write_student(
            root,
            "standard",
            set(range(100)),
            n=200,
            method="standard",
            representations=True,
            rationale_repr=False,
        ),
        "single": write_student(root, "single", set(range(100)), n=200, method="single"),
        "dss": write_student(
            root, "dss", set(range(160)), n=200, method="dss", representations=True
        ),
        "teacher": write_student(
            root, "teacher", set(range(150)), n=200, method=None, kind="teacher", confident=False
        ),
        "gpt": write_student(root, "gpt", set(range(120)), n=200, method=None, kind="predictions"),
    }


def svamp_runs(root: Path) -> dict[str, Path]:
    runs = {}
    for seed, k in ((1, 12), (2, 13), (3, 14)):
        runs[f"dss-s{seed}"] = write_student(
            root, f"svamp-dss-s{seed}", set(range(k)), n=20, method="dss", task="svamp", seed=seed
        )
    for seed, k in ((1, 8), (2, 9)):
        runs[f"standard-s{seed}"] = write_student(
            root, f"svamp-std-s{seed}", set(range(k)), n=20, method="standard", task="svamp",
            seed=seed,
        )  # fmt: skip
    return runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    return {**arith_runs(root), **{f"svamp-{k}": v for k, v in svamp_runs(root).items()}}


@pytest.fixture(scope="module")
def report(runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full report (both tasks, figures on), built once through the library."""
    out = tmp_path_factory.mktemp("reports") / "full"
    config = ReportConfig(
        baseline="standard",
        methods={str(runs["gpt"]): "gpt"},
        n_resamples=2000,
        mi_estimators=("ksg",),  # every estimator: tests/report/test_mi_table.py
    )
    build_report(read_runs(list(runs.values())), out, config)
    return out


def doc(report: Path) -> dict[str, Any]:
    return json.loads((report / "report.json").read_text())


def cell(document: dict[str, Any], method: str, task: str) -> dict[str, Any]:
    return next(c for c in document["main"]["cells"] if (c["method"], c["task"]) == (method, task))


def wilson_text(k: int, n: int, *, bold: bool = False, dagger: bool = False) -> str:
    """The LaTeX cell of k/n: its value over statsmodels' Wilson interval as [low, high],
    computed independently of the report."""
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    value = f"{100 * k / n:.1f}"
    value = (rf"\textbf{{{value}}}" if bold else value) + (r"$^\dagger$" if dagger else "")
    return rf"\shortstack{{{value}\\{{\scriptsize [{100 * low:.1f}, {100 * high:.1f}]}}}}"


def tex_row(tex: str, row: str) -> str:
    return next(line for line in tex.splitlines() if line.startswith(f"{row} &"))


# -- the main table ----------------------------------------------------------------------------
def test_rows_in_method_order_then_others(report: Path) -> None:
    document = doc(report)
    assert document["main"]["methods"] == ["standard", "single", "dss", "teacher", "gpt"]
    assert document["main"]["tasks"] == ["arith", "svamp"]


def test_bold_and_dagger_on_a_known_case(report: Path) -> None:
    tex = (report / "tables" / "main.tex").read_text()
    # dss: best in the column (bold), and 60 more right than standard with none fewer (dagger)
    assert tex_row(tex, "dss").startswith(
        rf"dss & {wilson_text(160, 200, bold=True, dagger=True)} &"
    )
    # teacher: significantly better than standard, but a reference: dagger, never bold
    assert tex_row(tex, "teacher").startswith(rf"teacher & {wilson_text(150, 200, dagger=True)} &")
    # single: the same answers as standard, so no difference and no mark
    assert tex_row(tex, "single").startswith(rf"single & {wilson_text(100, 200)} &")
    assert tex_row(tex, "standard").startswith(rf"standard & {wilson_text(100, 200)} &")
    assert tex_row(tex, "gpt").startswith(rf"gpt & {wilson_text(120, 200, dagger=True)} &")
    # the reference runs (teacher, imported predictions) come after a rule below the students
    lines = tex.splitlines()
    assert lines[lines.index(tex_row(tex, "teacher")) - 1] == r"\midrule"
    document = doc(report)
    marks = {(c["method"], c["bold"], c["significant"]) for c in document["main"]["cells"]}
    assert {("dss", True, True), ("teacher", False, True), ("single", False, False)} <= marks
    single = next(c for c in document["comparisons"] if c["method"] == "single")
    assert (single["difference"], single["p_value"]) == (0.0, 1.0)
    assert (
        "(two-sided p \\textless{} 0.05; one run against one: paired bootstrap on the shared "
        "examples (n = 200); seeds against seeds: Welch's t-test; not corrected" in tex
    )


def test_seeds_are_mean_and_sd_with_welch_across_seeds(report: Path) -> None:
    tex = (report / "tables" / "main.tex").read_text()
    # dss seeds 12/20, 13/20, 14/20: mean 65.0, sd 5.0; standard 8/20, 9/20: 42.5, sd 3.54
    dss = r"\shortstack{\textbf{65.0}$^\dagger$\\{\scriptsize (sd 5.0)}}"
    assert tex_row(tex, "dss").endswith(rf"& {dss} \\")
    assert tex_row(tex, "standard").endswith(r"& \shortstack{42.5\\{\scriptsize (sd 3.5)}} \\")
    assert tex_row(tex, "teacher").endswith(r"& -- \\")  # no teacher run on svamp
    document = doc(report)
    seeds = cell(document, "dss", "svamp")["seeds"]
    assert seeds["values"] == [0.6, 0.65, 0.7]
    assert seeds["mean"] == pytest.approx(0.65) and seeds["sd"] == pytest.approx(0.05)
    welch = next(c for c in document["comparisons"] if c["task"] == "svamp")
    reference = ttest_ind([0.6, 0.65, 0.7], [0.4, 0.45], equal_var=False)
    assert welch["test"] == "welch"
    assert welch["p_value"] == pytest.approx(reference.pvalue)
    assert welch["difference"] == pytest.approx(0.225)
    assert reference.pvalue < 0.05 and welch["significant"] is True  # p = 0.0109


def test_numbers_equal_evalsuite_metrics_json(cli, runs: dict[str, Path], report: Path) -> None:
    document = doc(report)
    tex = (report / "tables" / "main.tex").read_text()
    calibration_tex = (report / "tables" / "calibration.tex").read_text()
    for name in ("standard", "dss", "gpt"):
        result = cli("metrics", runs[name], "--json")
        assert result.code == 0, result.err
        metrics = json.loads(result.out)
        accuracy = metrics["accuracy"]
        assert cell(document, name, "arith")["accuracy"] == accuracy
        shown = (
            f"{100 * accuracy['value']:.1f}"
            + ("}" if name == "dss" else "")  # bold
            + (r"$^\dagger$" if name != "standard" else "")
            + rf"\\{{\scriptsize [{100 * accuracy['low']:.1f}, {100 * accuracy['high']:.1f}]}}"
        )
        assert shown in tex_row(tex, name)
        row = next(r for r in document["calibration"] if r["run"] == name)
        label = row["label"]
        for key in ("ece", "smooth_ece", "brier", "mean_confidence"):
            assert row[key] == metrics["calibration"][key]
        numbers = [f"{metrics['calibration'][k]:.3f}" for k in ("ece", "smooth_ece", "brier")]
        assert all(n in tex_row(calibration_tex, label) for n in numbers)
        del metrics["run"], metrics["path"]
        assert document["summaries"][name] == metrics  # the whole summary, not just the cells


def test_comparison_equals_evalsuite_compare_json(cli, runs: dict[str, Path], report: Path) -> None:
    result = cli("compare", runs["teacher"], runs["standard"], "--json", "--n-resamples", "2000")
    pair = json.loads(result.out)["pair"]
    comparison = next(c for c in doc(report)["comparisons"] if c["method"] == "teacher")
    assert comparison["difference"] == pair["difference"] == pytest.approx(0.25)
    assert (comparison["p_value"], comparison["low"], comparison["high"]) == (
        pair["p_value"], pair["low"], pair["high"]
    )  # fmt: skip
    # and the CLI and summary.md print that p-value, its method and B the same way
    text = cli("compare", runs["teacher"], runs["standard"], "--n-resamples", "2000").out
    cli_p = re.search(r"\(paired bootstrap, B = 2000, n = 200 shared\), (p = \S+)", text)
    summary = (report / "summary.md").read_text()
    line = next(x for x in summary.splitlines() if x.startswith("- arith: teacher vs standard"))
    assert cli_p and f"paired bootstrap, B = 2000, {cli_p.group(1)} " in line
    assert "200 shared examples" in line


def test_mcnemar_dagger_matches_the_binomial_reference(cli, tmp_path: Path) -> None:
    from scipy.stats import binomtest

    root = tmp_path / "runs"
    # b = 9 examples only a gets right, c = 1 only standard: exact p = 0.0215 (significant)
    a = write_student(root, "a", set(range(59)) - {0}, n=100, method="dss")
    base = write_student(root, "s", set(range(50)), n=100, method="standard")
    out = tmp_path / "r"
    result = cli("report", a, base, "--out", out, "--baseline", "standard", "--test", "mcnemar",
                 "--no-figures")  # fmt: skip
    assert result.code == 0, result.err
    comparison = doc(out)["comparisons"][0]
    assert comparison["p_value"] == pytest.approx(binomtest(9, 10, 0.5).pvalue)
    assert comparison["significant"] and "McNemar's exact test" in result.out
    assert r"$^\dagger$" in tex_row((out / "tables" / "main.tex").read_text(), "dss")


# -- calibration and MI ------------------------------------------------------------------------
def test_calibration_table_shows_dashes_without_confidences(report: Path) -> None:
    tex = (report / "tables" / "calibration.tex").read_text()
    assert r"teacher / arith & -- & -- & -- & -- & -- & -- \\" in tex
    # right answers at 0.9 (odd ids) or 0.7, wrong ones at 0.6 or 0.4: dss is 160 right, 40 wrong
    row = next(r for r in doc(report)["calibration"] if r["run"] == "dss")
    assert row["mean_confidence"] == pytest.approx(
        (80 * 0.9 + 80 * 0.7 + 20 * 0.6 + 20 * 0.4) / 200
    )
    assert "best not marked across tasks" in tex and r"\textbf" not in tex


def test_mi_table_equals_evalsuite_mi_json(cli, runs: dict[str, Path], report: Path) -> None:
    mi = json.loads(cli("mi", runs["dss"], "--json").out)["estimates"][0]
    estimate = doc(report)["mi"]["estimates"]
    assert [e["run"] for e in estimate] == ["dss"]  # the only run with representations.npz
    assert estimate[0]["value"] == mi["value"] and estimate[0]["low"] == mi["low"]
    tex = (report / "tables" / "mi.tex").read_text()
    interval = rf"{{\scriptsize [{mi['low']:.2f}, {mi['high']:.2f}]}}"
    assert rf"dss / arith & \shortstack{{{mi['value']:.2f}\\{interval}}} & " in tex
    assert "KSG: kNN estimate" in tex
    # standard's representations.npz has no rationale_repr: skipped and said so, not an error
    (skipped,) = doc(report)["mi"]["skipped"]
    assert (skipped["run"], skipped["estimator"]) == ("standard", "ksg")
    reason = skipped["reason"]  # the words `evalsuite mi` refuses the run with
    assert reason.endswith("representations.npz has no array 'rationale_repr'; it has label_repr")
    assert f"- MI ksg skipped for standard: {reason}" in (report / "summary.md").read_text()


# -- the files -------------------------------------------------------------------------------
def test_report_files_and_manifest(runs: dict[str, Path], report: Path) -> None:
    document = doc(report)
    written = sorted(str(p.relative_to(report)) for p in report.rglob("*") if p.is_file())
    assert written == sorted(document["files"])
    for stem in ("reliability_dss_arith", "reliability_dss_svamp_seed_1", "accuracy_coverage_arith",
                 "accuracy_coverage_svamp", "mutual_information"):  # fmt: skip
        found = [f for f in written if f.startswith(f"figures/{stem}")]
        assert {Path(f).suffix for f in found} == {".png", ".pdf"}, stem
    assert not any("teacher" in f for f in written if f.startswith("figures/"))
    assert (report / "figures" / "mutual_information.png").read_bytes()[:4] == b"\x89PNG"
    manifest = document["manifest"]
    assert manifest["config"]["baseline"] == "standard" and manifest["suite_version"]
    facts = {f["name"]: f for f in manifest["runs"]}
    assert facts["dss"]["records_sha256"] == file_sha256(runs["dss"] / "records.jsonl")
    assert facts["svamp-dss-s2"]["seed"] == 2 and facts["gpt"]["kind"] == "predictions"
    assert not list(report.parent.glob(".full.*"))  # no staging directory left behind


def test_summary_md_has_the_numbers_and_the_tests_in_words(report: Path) -> None:
    summary = (report / "summary.md").read_text()
    assert "| dss | **80.0**<sup>†</sup> [73.9, 85.0] | **65.0**<sup>†</sup> (sd 5.0) |" in summary
    assert "±" not in summary
    assert "| teacher / arith | – | – | – | – |" in summary
    assert re.search(r"arith: dss vs standard: significantly better at alpha = 0\.05; \+30\.0 "
                     r"points \[.*\], paired bootstrap, B = 2000, p = 5\.0e-04",
                     summary)  # fmt: skip
    assert "arith: single vs standard: no significant difference" in summary
    assert "svamp: dss vs standard: significantly better" in summary
    assert "Welch's t-test across seeds" in summary and "3 vs 2 runs" in summary
    # training seed from model.seed; a hand-built manifest records no decoding seed
    assert "| svamp-dss-s1 | dss | svamp | test | 1 | – | student | 20 | complete |" in summary


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_all_tex_compiles(report: Path, tmp_path: Path) -> None:
    shutil.copy(report / "tables" / "all.tex", tmp_path / "all.tex")
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "all.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "all.pdf").stat().st_size > 1000


# -- the CLI and its error paths -------------------------------------------------------------
def test_cli_prints_the_main_table_and_progress(cli, runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "reports" / "arith"
    result = cli("report", runs["standard"], runs["dss"], "--out", out, "--no-figures",
                 "--baseline", "standard", "--mi-estimators", "none")  # fmt: skip
    assert result.code == 0, result.err
    assert "| dss | **80.0**<sup>†</sup> [73.9, 85.0] |" in result.out
    assert "comparing dss with standard on arith" in result.err and f"wrote {out}" in result.err
    assert not (out / "tables" / "mi.tex").exists()
    assert "No mutual information" in (out / "summary.md").read_text()
    # an existing report is refused, then replaced with --overwrite
    again = [runs["standard"], "--out", out, "--no-figures"]
    one_line_error(cli("report", *again), r"--out .*arith: already exists; pass --overwrite")
    assert cli("report", *again, "--overwrite").code == 0
    assert doc(out)["main"]["methods"] == ["standard"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["arith"]


def test_a_run_without_a_method_is_named_and_said_so(
    cli, runs: dict[str, Path], tmp_path: Path
) -> None:
    result = cli("report", runs["gpt"], "--out", tmp_path / "r", "--no-figures")
    assert result.code == 0, result.err
    assert "run gpt does not record its method: shown as 'gpt' (set one with --method " in (
        result.err
    )
    assert doc(tmp_path / "r")["manifest"]["runs"][0]["method_from"] == "name"


def test_error_paths(cli, runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r"
    one_line_error(cli("report", "--out", out), "no runs given")
    one_line_error(cli("report", tmp_path / "nope", "--out", out), r"run directory .*nope")
    broken = write_student(tmp_path, "broken", {0}, n=3, method="dss")
    (broken / "records.jsonl").write_text('{"id": "0", "gold": "1", "correct": true}\n{oops\n')
    one_line_error(cli("report", broken, "--out", out), r"broken/records.jsonl line 2")
    one_line_error(
        cli("report", runs["dss"], "--out", out, "--baseline", "mi"),
        r"--baseline mi: no run has this method; methods: dss",
    )
    short = write_student(tmp_path, "short", set(range(50)), n=150, method="mi")
    one_line_error(
        cli("report", runs["standard"], short, "--out", out, "--baseline", "standard"),
        r"runs differ: id '150' is in standard but not in short; pass --intersect",
    )
    valid = write_student(tmp_path, "valid", {1}, n=200, method="mi", split="valid")
    one_line_error(
        cli("report", runs["standard"], valid, "--out", out),
        r"run valid is on split 'valid' but run standard of task 'arith' is on 'test'",
    )
    one_line_error(
        cli("report", runs["dss"], "--out", out, "--method", "elsewhere=x"),
        r"--method elsewhere=x: 'elsewhere' is not one of the runs",
    )
    one_line_error(cli("report", runs["dss"], "--out", out, "--method", "x"), "expected RUN=METHOD")
    one_line_error(cli("report", runs["dss"], "--out", out, "--alpha", "1.5"), "--alpha 1.5")
    one_line_error(
        cli("report", runs["dss"], "--out", out, "--mi-estimators", "ksg,magic"),
        "--mi-estimators magic: unknown estimator",
    )
    one_line_error(cli("report", runs["dss"], runs["dss"], "--out", out), "given more than once")
    empty = tmp_path / "empty"
    RunWriter(empty, {"kind": "student", "task": "arith", "split": "test"}).finish([])
    one_line_error(cli("report", empty, "--out", out), r"run empty .* has no records")
    assert not out.exists() and not list(tmp_path.glob(".r.*"))  # nothing half-written


def test_existing_out_is_never_deleted(cli, runs: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    one_line_error(
        cli("report", runs["dss"], "--out", tmp_path / "file"), "exists and is not a directory"
    )
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    one_line_error(
        cli("report", runs["dss"], "--out", precious, "--overwrite"),
        r"exists and is not a report \(no report.json\)",
    )
    assert (precious / "notes.txt").read_text() == "keep me"


def test_intersect_compares_the_shared_examples(cli, runs: dict[str, Path], tmp_path: Path) -> None:
    short = write_student(tmp_path, "short", set(range(50)), n=150, method="mi")
    out = tmp_path / "r"
    result = cli("report", runs["standard"], short, "--out", out, "--baseline", "standard",
                 "--intersect", "--no-figures")  # fmt: skip
    assert result.code == 0, result.err
    comparison = doc(out)["comparisons"][0]
    assert comparison["n"] == 150 and comparison["dropped"]["missing"] == 50
    # on ids 0-149 standard is right on 0-99 and mi on 0-49
    assert comparison["difference"] == pytest.approx(50 / 150 - 100 / 150)


def test_a_failure_while_writing_leaves_nothing_behind(
    runs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evalsuite.report.figures

    def broken(*args: Any, **kwargs: Any) -> list[Path]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(evalsuite.report.figures, "write_report_figures", broken)
    out = tmp_path / "r"
    with pytest.raises(RuntimeError, match="disk full"):
        build_report(read_runs([runs["dss"]]), out, ReportConfig(mi_estimators=()))
    assert list(tmp_path.iterdir()) == []  # neither the report nor its staging directory


def test_mi_skips_a_run_without_complete_pairs_with_a_clear_reason(tmp_path: Path) -> None:
    # Regression: a single-output student whose generations state no rationale has NaN rows;
    # with none complete the report said "k must be in [1, n - 1] = [1, -1]".
    path = write_student(tmp_path, "single", set(range(30)), n=40, method="single",
                         representations=True)  # fmt: skip
    arrays = dict(np.load(path / REPRESENTATIONS))
    arrays["rationale_repr"] = np.full_like(arrays["rationale_repr"], np.nan)
    np.savez(path / REPRESENTATIONS, **arrays)
    config = ReportConfig(figures=False, mi_estimators=("ksg",))
    result = build_report(read_runs([path]), tmp_path / "out", config)
    (skipped,) = result.document["mi"]["skipped"]
    assert skipped["reason"].endswith(
        "representations.npz: 0 complete examples (40 without a finite 'label_repr' or "
        "'rationale_repr'); mutual information needs at least 10"
    )


def test_the_findings_say_which_differences_are_significant_from_the_numbers(
    report: Path,
) -> None:
    """Known by hand: on arith dss (160 vs 100 right of 200), the teacher (150) and gpt (120)
    beat standard, single (100) ties it; on svamp dss's seeds (mean 65.0 %) beat standard's
    (42.5 %). The teacher and gpt are reference rows: a sentence of their own, never listed
    among the students (regression: the demo's findings named the teacher among the students
    significantly better than standard)."""
    document = json.loads((report / "report.json").read_text())
    arith, references, svamp = document["findings"]
    assert arith == (
        "On arith, significantly better than standard: dss (+30.0 points); "
        "no significant difference from standard: single (+0.0 points)."
    )
    assert references.startswith("On arith, for reference, significantly better than standard: ")
    assert "teacher (+25.0 points)" in references and "gpt (+10.0 points)" in references
    assert svamp == "On svamp, significantly better than standard: dss (+22.5 points)."
    # every method the sentences call better is one its comparison marks significant, and back
    for c in document["comparisons"]:
        sentence = svamp if c["task"] == "svamp" else references if c["reference"] else arith
        better = sentence.split("; ")[0]
        assert (f" {c['method']} (" in better or f": {c['method']} (" in better) == c[
            "significant"
        ], (c["method"], sentence)
    summary = (report / "summary.md").read_text()
    assert arith in summary and svamp in summary


def test_reference_rows_are_holm_adjusted_apart_from_the_students(report: Path) -> None:
    """The students' p-values are one Holm family, the reference rows' (teacher, gpt) another:
    a reference row's test must not make the students' correction stricter."""
    from statsmodels.stats.multitest import multipletests

    comparisons = doc(report)["comparisons"]
    assert {c["method"] for c in comparisons if c["reference"]} == {"teacher", "gpt"}
    for reference in (False, True):
        family = [c for c in comparisons if c["reference"] == reference]
        assert len(family) == (2 if reference else 3)  # students: single, dss on arith; svamp dss
        expected = multipletests([c["p_value"] for c in family], method="holm")[1]
        assert [c["p_holm"] for c in family] == pytest.approx(list(expected), rel=1e-12)


def test_no_baseline_no_findings(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "plain"
    build_report(read_runs([runs["dss"], runs["standard"]]), out, ReportConfig(figures=False,
                 mi_estimators=()))  # fmt: skip
    assert json.loads((out / "report.json").read_text())["findings"] == []
