"""The analysis verbs end to end: `evalsuite metrics`, `compare` and `mi`, and every error path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.metrics.runs import record, simulated_records, write_run


def one_line_error(result, pattern: str) -> None:
    """Exit 2 with exactly one line on stderr matching ``pattern``, nothing on stdout."""
    import re

    assert result.code == 2, result.err
    assert result.out == ""
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert re.search(pattern, result.err), result.err


@pytest.fixture
def run_a(tmp_path: Path) -> Path:
    records = simulated_records(120, accuracy=0.8, rng=np.random.default_rng(0))
    for r in records:
        r["rationale"] = "3 + 4 = 7 so the answer is 7"
        r["teacher"] = {"rationale": "3 + 4 = 7", "label": r["gold"]}
        r["consistent"] = r["correct"]
    return write_run(tmp_path / "a", records)


@pytest.fixture
def run_b(tmp_path: Path) -> Path:
    records = simulated_records(120, accuracy=0.6, rng=np.random.default_rng(1))
    return write_run(tmp_path / "b", records)


# -- evalsuite metrics ---------------------------------------------------------------------------
def test_metrics_table(cli, run_a: Path) -> None:
    result = cli("metrics", run_a)
    assert result.code == 0, result.err
    for text in ("accuracy", "ECE, 10 equal-width bins", "smooth ECE", "MMCE", "AURC", "BLEU"):
        assert text in result.out
    assert "0.00 %  [0.00, 3.10]  (0/120)" in result.out  # no failure, still with counts


def test_metrics_json_is_one_document(cli, run_a: Path) -> None:
    result = cli("metrics", run_a, "--json")
    assert result.code == 0
    doc = json.loads(result.out)
    assert doc["run"] == "a" and doc["n"] == 120
    assert doc["accuracy"]["n"] == 120 and doc["calibration"]["n"] == 120
    assert doc["rationale"]["n_with_teacher"] == 120


def test_metrics_table_shows_reasoning_paths(cli, tmp_path: Path) -> None:
    records = [record(i, correct=i < 3) for i in range(4)]
    for i, r in enumerate(records):
        r["paths"] = [
            {"kind": "cot", "answer": "7", "ok": True, "correct": i < 2},
            {"kind": "pot", "answer": None if i == 0 else "7", "ok": i != 0, "correct": i == 1},
        ]
    result = cli("metrics", write_run(tmp_path / "m", records))
    assert result.code == 0, result.err
    assert "reasoning paths (4 records with paths)" in result.out
    assert "accuracy of cot paths" in result.out and "(2/4)" in result.out
    lines = {line[:30].strip(): line[30:].strip() for line in result.out.splitlines()}
    assert lines["voting accuracy"].startswith("75.00 %") and "(3/4)" in lines["voting accuracy"]
    assert lines["PoT execution failures"].endswith("(1/4)")
    assert lines["agreement, CoT-PoT pairs"].endswith("(3/4)")
    plain = cli("metrics", write_run(tmp_path / "p", [record(i) for i in range(4)]))
    assert "reasoning paths" not in plain.out


def test_metrics_marks_empty_bins(cli, tmp_path: Path) -> None:
    run = write_run(tmp_path / "r", [record(i, confidence=0.95) for i in range(5)])
    result = cli("metrics", run)
    assert result.out.count("(empty)") == 9


def test_metrics_without_confidences(cli, tmp_path: Path) -> None:
    run = write_run(tmp_path / "r", [record(1), record(2, correct=False, answer=None)])
    result = cli("metrics", run, "--json")
    doc = json.loads(result.out)
    assert doc["calibration"] is None and doc["extraction_failure"]["k"] == 1
    assert "no record has a confidence" in cli("metrics", run).out


def test_metrics_figures(cli, run_a: Path, tmp_path: Path) -> None:
    out = tmp_path / "figs"
    result = cli("metrics", run_a, "--figures", out, "--json")
    assert result.code == 0
    json.loads(result.out)  # the figures are announced on stderr, stdout stays one document
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "reliability.pdf", "reliability.png", "reliability_smooth.pdf", "reliability_smooth.png"
    ]  # fmt: skip
    assert (out / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "reliability.pdf").read_bytes()[:5] == b"%PDF-"


def test_metrics_errors(cli, tmp_path: Path) -> None:
    one_line_error(cli("metrics", tmp_path / "nope"), r"run directory .*nope does not exist")
    run = write_run(tmp_path / "r", [record(1)])
    one_line_error(
        cli("metrics", run, "--figures", tmp_path / "f"),
        r"--figures .*f: no record has a confidence",
    )
    confident = write_run(tmp_path / "c", [record(1, confidence=0.5)])
    (tmp_path / "file").write_text("x")
    one_line_error(
        cli("metrics", confident, "--figures", tmp_path / "file"), "exists and is not a directory"
    )


# -- evalsuite compare ---------------------------------------------------------------------------
def test_compare_two_runs(cli, run_a: Path, run_b: Path) -> None:
    result = cli("compare", run_a, run_b, "--test", "mcnemar")
    assert result.code == 0, result.err
    assert "120 shared examples, paired by id" in result.out
    # run a is right on 101, b on 72: McNemar's b = 42, c = 13, exact p = 1.1e-04
    assert (
        "  significant at alpha = 0.05 (McNemar's exact test, n = 120 shared), p = 1.1e-04; "
        "only a right: 42, only b: 13"
    ) in result.out
    assert "a - b: accuracy difference +24.17 pts [+" in result.out
    assert "(paired bootstrap percentile 95 % interval)" in result.out
    assert "ECE difference" in result.out and "±" not in result.out


def test_compare_states_the_decision_at_the_chosen_alpha(cli, run_a: Path, run_b: Path) -> None:
    # a - c: p = 0.0045 with the bootstrap: significant at 0.05, not at 0.001
    result = cli("compare", run_a, run_b, "--alpha", "0.001", "--n-resamples", "999")
    assert result.code == 0, result.err
    assert "(paired bootstrap percentile 99.9 % interval)" in result.out
    assert (
        "significant at alpha = 0.001 (paired bootstrap, B = 999, n = 120 shared), p = 0.001"
        in (result.out)
    )
    doc = json.loads(cli("compare", run_a, run_b, "--alpha", "0.001", "--json").out)
    assert doc["alpha"] == 0.001 and doc["pair"]["decision"].endswith("at alpha = 0.001")
    one_line_error(cli("compare", run_a, run_b, "--alpha", "1.5"), r"--alpha: must be between 0")


def test_compare_resampling_p_value_is_never_below_one_over_b_plus_one(cli, tmp_path: Path) -> None:
    # a right everywhere, b wrong everywhere: no bootstrap resample is as extreme, so
    # p = 1/(B+1); the two-sided permutation test counts the observed flip and its mirror
    a = write_run(tmp_path / "a", [record(i, confidence=0.9) for i in range(50)])
    b = write_run(tmp_path / "b", [record(i, correct=False, confidence=0.9) for i in range(50)])
    for test, p in (("bootstrap", 1 / 100), ("permutation", 2 / 100)):
        doc = json.loads(cli("compare", a, b, "--test", test, "--n-resamples", "99", "--json").out)
        assert doc["pair"]["p_value"] == pytest.approx(p), test
        text = cli("compare", a, b, "--test", test, "--n-resamples", "99").out
        assert f"p = {p:g}" in text and "p = 0.0e+00" not in text and "p < " not in text, test


def test_compare_intervals_do_not_depend_on_the_test(cli, run_a: Path, run_b: Path) -> None:
    docs = {
        test: json.loads(cli("compare", run_a, run_b, "--test", test, "--json").out)
        for test in ("bootstrap", "mcnemar", "permutation")
    }
    accuracy = {(d["pair"]["low"], d["pair"]["high"]) for d in docs.values()}
    ece = {(d["ece_pair"]["low"], d["ece_pair"]["high"]) for d in docs.values()}
    assert len(accuracy) == 1 and len(ece) == 1
    assert len({d["pair"]["p_value"] for d in docs.values()}) == 3  # the tests do differ


def test_compare_json(cli, run_a: Path, run_b: Path) -> None:
    result = cli("compare", run_a, run_b, "--json", "--n-resamples", "500", "--seed", "3")
    doc = json.loads(result.out)
    assert doc["pair"]["test"] == "bootstrap" and doc["seed"] == 3
    assert doc["pair"]["n_resamples"] == 500
    assert (
        json.loads(
            cli("compare", run_a, run_b, "--json", "--n-resamples", "500", "--seed", "3").out
        )
        == doc
    )


def test_compare_three_runs_and_groups(cli, run_a: Path, run_b: Path, tmp_path: Path) -> None:
    c = write_run(
        tmp_path / "c", simulated_records(120, accuracy=0.7, rng=np.random.default_rng(2))
    )
    d = write_run(
        tmp_path / "d", simulated_records(120, accuracy=0.7, rng=np.random.default_rng(3))
    )
    result = cli("compare", run_a, run_b, c, "--test", "mcnemar")
    assert "Cochran's Q" in result.out and "Holm p" in result.out
    assert "(df 2, n = 120 shared)" in result.out
    grouped = cli("compare", "--group", f"x={run_a},{run_b}", "--group", f"y={c},{d}", "--json")
    doc = json.loads(grouped.out)
    assert [g["name"] for g in doc["groups"]] == ["x", "y"]
    assert doc["group_tests"][0]["test"] == "welch"


def test_compare_refuses_different_examples_naming_an_id(cli, run_a: Path, tmp_path: Path) -> None:
    fewer = write_run(
        tmp_path / "fewer", simulated_records(100, accuracy=0.7, rng=np.random.default_rng(4))
    )
    one_line_error(
        cli("compare", run_a, fewer), r"id '100' is in a but not in fewer; pass --intersect"
    )
    result = cli("compare", run_a, fewer, "--intersect", "--test", "mcnemar")
    assert result.code == 0
    assert "100 shared examples, paired by id (--intersect dropped 20: 20 not in every run" in (
        result.out
    )


def test_compare_refuses_differing_gold(cli, tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", [record(1, gold="3"), record(2, gold="4")])
    b = write_run(tmp_path / "b", [record(1, gold="3"), record(2, gold="5")])
    one_line_error(cli("compare", a, b), r"id '2' has gold '4' in a but '5' in b")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{a}"], r"compare needs at least two runs \(got 1\)"),
        (["{a}", "{a}"], r"run .*a is given more than once"),
        (["{a}", "{b}", "--test", "t"], r"argument --test: invalid choice: 't'"),
        (["{a}", "{b}", "--n-resamples", "0"], r"--n-resamples: must be a positive integer"),
        (["--group", "x"], r"--group 'x': expected NAME=RUN,RUN"),
        (["--group", "x={a}", "--group", "x={b}"], r"group name 'x' is given twice"),
        (["{a}", "{missing}"], r"run directory .*missing does not exist"),
    ],
)
def test_compare_usage_errors(cli, run_a: Path, run_b: Path, tmp_path: Path, args, message) -> None:
    paths = {"a": run_a, "b": run_b, "missing": tmp_path / "missing"}
    one_line_error(cli("compare", *[a.format(**paths) for a in args]), message)


# -- evalsuite mi --------------------------------------------------------------------------------
def representations(n: int, *, mi_rho: float = 0.8, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    label = rng.normal(size=(n, 6))
    rationale = mi_rho * label + np.sqrt(1 - mi_rho**2) * rng.normal(size=(n, 6))
    return {
        "ids": np.array([str(i) for i in range(n)]),
        "label_repr": label,
        "rationale_repr": rationale,
    }


@pytest.fixture
def mi_run(tmp_path: Path) -> Path:
    labels = ["entailment", "neutral", "contradiction"]
    records = [
        record(
            i, gold=labels[i % 3], answer=labels[i % 3], label_probs=dict.fromkeys(labels, 1 / 3)
        )
        for i in range(300)
    ]
    reps = representations(300)
    reps["rationale_repr"][:, 0] += 3.0 * (np.arange(300) % 3)  # the label is readable from it
    return write_run(tmp_path / "mi", records, representations=reps)


def test_mi_ksg_table_and_json(cli, mi_run: Path) -> None:
    result = cli("mi", mi_run)
    assert result.code == 0, result.err
    assert "I(label_repr; rationale_repr) over 300 examples, in nats" in result.out
    assert "ksg" in result.out and "note:" in result.out
    doc = json.loads(cli("mi", mi_run, "--json").out)
    (estimate,) = doc["estimates"]
    assert estimate["estimator"] == "ksg" and estimate["value"] > 0.5 and doc["unit"] == "nats"


def test_mi_all_estimators(cli, mi_run: Path) -> None:
    result = cli("mi", mi_run, "--estimator", "all", "--steps", "30", "--n-seeds", "1", "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert [e["estimator"] for e in doc["estimates"]] == [
        "ksg",
        "infonce",
        "nwj",
        "smile",
        "club",
        "probe",
    ]
    probe = doc["estimates"][-1]
    assert 0.3 < probe["value"] <= probe["entropy"] + 1e-9
    assert "estimating MI with infonce" in result.err


def test_mi_other_keys_and_open_label_sets(cli, tmp_path: Path) -> None:
    reps = representations(50)
    reps["other"] = reps["rationale_repr"] * 2
    run = write_run(tmp_path / "r", [record(i) for i in range(50)], representations=reps)
    result = cli("mi", run, "--x", "rationale_repr", "--y", "other", "--json")
    assert json.loads(result.out)["y"] == "other"
    skipped = cli("mi", run, "--estimator", "all", "--steps", "5", "--n-seeds", "1", "--json")
    assert "closed label set" in json.loads(skipped.out)["skipped"]["probe"]
    one_line_error(
        cli("mi", run, "--estimator", "probe"), r"--estimator probe: needs a closed label set"
    )


def test_mi_without_representations_names_the_file(cli, tmp_path: Path) -> None:
    run = write_run(tmp_path / "r", [record(1)])
    one_line_error(cli("mi", run), r"r/representations\.npz: file not found")


def test_mi_data_errors(cli, tmp_path: Path) -> None:
    reps = representations(40)
    one_line_error(
        cli(
            "mi",
            write_run(tmp_path / "k", [record(i) for i in range(40)], representations=reps),
            "--x",
            "nope",
        ),
        r"--x nope: .*has no array 'nope'; it has label_repr, rationale_repr",
    )
    short = dict(reps, rationale_repr=reps["rationale_repr"][:30])
    one_line_error(
        cli("mi", write_run(tmp_path / "s", [record(i) for i in range(40)], representations=short)),
        r"representations\.npz: 'rationale_repr' has 30 rows but 'ids' has 40 entries",
    )
    bad_ids = dict(reps, ids=reps["ids"][:5])
    one_line_error(
        cli(
            "mi", write_run(tmp_path / "i", [record(i) for i in range(40)], representations=bad_ids)
        ),
        r"representations\.npz: 'label_repr' has 40 rows but 'ids' has 5 entries",
    )
    tiny = {k: v[:5] for k, v in reps.items()}
    one_line_error(
        cli("mi", write_run(tmp_path / "t", [record(i) for i in range(5)], representations=tiny)),
        r"5 complete examples \(0 without a finite 'label_repr' or 'rationale_repr'\); "
        r"mutual information needs at least 10",
    )
    nan = dict(reps, label_repr=np.full((40, 6), np.nan))
    one_line_error(
        cli("mi", write_run(tmp_path / "n", [record(i) for i in range(40)], representations=nan)),
        r"0 complete examples \(40 without a finite 'label_repr' or 'rationale_repr'\)",
    )


def test_mi_leaves_out_examples_without_a_representation(cli, tmp_path: Path) -> None:
    # Regression: one NaN row (a single-output generation with no rationale) made `mi` refuse
    # the whole run; now those examples are left out and counted.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    y = x + 0.5 * rng.normal(size=(60, 2))
    y[:7] = np.nan
    reps = {"ids": np.array([str(i) for i in range(60)]), "label_repr": x, "rationale_repr": y}
    path = write_run(tmp_path / "p", [record(i) for i in range(60)], representations=reps)
    result = cli("mi", path, "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert (document["n"], document["n_dropped"]) == (53, 7)


def test_mi_usage_errors(cli, mi_run: Path) -> None:
    one_line_error(cli("mi", mi_run, "--estimator", "mine"), r"invalid choice: 'mine'")
    one_line_error(cli("mi", mi_run, "--n-seeds", "0"), r"--n-seeds: must be a positive integer")
    one_line_error(cli("mi", mi_run, "--steps", "0"), r"--steps: must be a positive integer")
