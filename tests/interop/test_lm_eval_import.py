"""`import-predictions --from lm-eval`: sample logs that lm-eval wrote, read as runs.

The fixtures are lm-eval's own output (fixtures/lm_eval/README.md). Where lm-eval and evalsuite
judge answers alike the run's accuracy is lm-eval's reported metric; where they do not, the
test names the examples and why.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from evalsuite.runs import read_run
from tests.interop.conftest import lm_eval_file, lm_eval_lines


def _lm_eval_metric(name: str, key: str) -> float:
    results = json.loads(lm_eval_file(name, "results").read_text())["results"]
    return results[f"lmeval_{name}"][key]


def _import(cli, out: Path, *args) -> Path:
    result = cli("import-predictions", *args, "--out", out)
    assert result.code == 0, result.err
    return out


@pytest.mark.parametrize("flt", ["strict-match", "flexible-extract"])
def test_generative_log_matches_lm_evals_metric_except_where_it_compares_strings(
    tmp_path, cli, flt
):
    path = lm_eval_file("arith")
    run = read_run(
        _import(cli, tmp_path / "run", path, "--from", "lm-eval", "--task", "arith",
                "--filter", flt)
    )  # fmt: skip
    lines = [x for x in lm_eval_lines("arith") if x["filter"] == flt]
    assert [r.id for r in run.records] == [f"test-{x['doc_id']}" for x in lines]
    reported = _lm_eval_metric("arith", f"exact_match,{flt}")
    assert reported == pytest.approx(sum(x["exact_match"] for x in lines) / len(lines))
    # Where the two differ: lm-eval compares "294.0" with "294" as strings, evalsuite by value.
    differ = []
    for record, line in zip(run.records, lines, strict=True):
        assert record.prediction == line["filtered_resps"][0]
        assert record.rationale == line["resps"][0][0]  # the raw generation
        assert record.imported["metrics"] == {"exact_match": line["exact_match"]}
        assert record.imported["filter"] == flt and record.imported["line"] > 0
        if record.correct != bool(line["exact_match"]):
            differ.append(record.id)
            assert record.correct and line["filtered_resps"][0] != line["target"]
            assert float(line["filtered_resps"][0]) == float(line["target"])
    assert differ == ["test-2", "test-7"]  # the scripted "#### 294.0" shape
    accuracy = run.metrics["accuracy"]
    assert accuracy["n"] == 10
    assert accuracy["value"] == pytest.approx(reported + len(differ) / 10)


def test_multiple_choice_log_gives_label_probs_and_lm_evals_accuracy(tmp_path, cli, nli12):
    path = lm_eval_file("nli")
    run = read_run(
        _import(cli, tmp_path / "run", path, "--from", "lm-eval", "--task", "esnli",
                "--data-dir", nli12)
    )  # fmt: skip
    assert run.metrics["accuracy"]["value"] == pytest.approx(_lm_eval_metric("nli", "acc,none"))
    labels = ("entailment", "neutral", "contradiction")
    for record, line in zip(run.records, lm_eval_lines("nli"), strict=True):
        logliks = [float(pair[0]) for pair in line["filtered_resps"]]
        total = math.fsum(math.exp(v) for v in logliks)
        expected = {label: math.exp(v) / total for label, v in zip(labels, logliks, strict=True)}
        assert record.label_probs == pytest.approx(expected, abs=1e-12)
        assert record.prediction == labels[logliks.index(max(logliks))]
        assert record.confidence == pytest.approx(max(expected.values()))
        assert record.confidence_source == "label_set"
        assert record.correct == bool(line["acc"])


def test_uncovered_examples_are_counted_and_listed_in_the_manifest(tmp_path, cli):
    out = tmp_path / "run"
    result = cli("import-predictions", lm_eval_file("arith"), "--from", "lm-eval", "--task",
                 "arith", "--filter", "strict-match", "--out", out)  # fmt: skip
    assert result.code == 0, result.err
    assert "(predictions cover 10 of the split's 500)" in result.out
    manifest = read_run(out).manifest
    assert manifest.n_dataset_examples == 500
    assert manifest.not_covered == tuple(f"test-{i}" for i in range(10, 500))
    assert manifest.model.format == "lm-eval" and manifest.model.filter == "strict-match"
    assert manifest.model.tool_task == "lmeval_arith"


def test_metrics_and_report_treat_an_imported_run_like_any_other(tmp_path, cli, nli12):
    run = _import(cli, tmp_path / "lm-eval-nli", lm_eval_file("nli"), "--from", "lm-eval",
                  "--task", "esnli", "--data-dir", nli12)  # fmt: skip
    metrics = cli("metrics", run)
    assert metrics.code == 0, metrics.err
    assert "accuracy                      66.67 %" in metrics.out and "ECE" in metrics.out
    report = cli("report", run, "--out", tmp_path / "report", "--no-figures",
                 "--mi-estimators", "none", "--n-resamples", "200")  # fmt: skip
    assert report.code == 0, report.err
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert "66.7" in summary


def _edited(tmp_path: Path, name: str, edit) -> Path:
    lines = lm_eval_lines(name)
    edit(lines)
    path = tmp_path / f"samples_lmeval_{name}_2026-01-01T00-00-00.000000.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def _set(index: int, **fields):
    def edit(lines: list[dict]) -> None:
        lines[index].update(fields)

    return edit


def _drop(index: int, key: str):
    def edit(lines: list[dict]) -> None:
        del lines[index][key]

    return edit


def _swap_docs(lines: list[dict]) -> None:
    lines[0]["doc"], lines[1]["doc"] = lines[1]["doc"], lines[0]["doc"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set(1, doc_id=999), r"line 2: doc_id 999 is no example of task 'esnli' split 'test' "
                              r"\(12 examples\)"),
        (_drop(1, "filtered_resps"), r"line 2: missing field 'filtered_resps'"),
        (_set(1, doc={"premise": "Nothing like it.", "hypothesis": "At all."}),
         r"line 2: doc_id 1 is example 'test-1' of task 'esnli' split 'test', but the doc does "
         r"not hold that example's input"),
        (_swap_docs, r"line 1: doc_id 0 is example 'test-0' .* but the doc holds the input of "
                     r"'test-1'; .* pass --join text"),
        (_set(1, doc_id=0, doc=lm_eval_lines("nli")[0]["doc"]),
         r"line 2: example 'test-0' was already matched by .* line 1"),
        (_set(1, arguments={"gen_args_0": {"arg_1": " yes"}, "gen_args_1": {"arg_1": " maybe"},
                            "gen_args_2": {"arg_1": " no"}}),
         r"line 2: choice 'yes' is none of the task's labels .* --label-map 'yes=LABEL,...'"),
        (_set(1, filtered_resps=[["-1.0", "False"], ["lots", "False"], ["-2", "False"]]),
         r"line 2: field 'filtered_resps' holds 'lots', not a log-likelihood"),
    ],
)  # fmt: skip
def test_every_mismatch_exits_2_naming_file_and_line(tmp_path, cli, nli12, edit, message):
    path = _edited(tmp_path, "nli", edit)
    out = tmp_path / "run"
    result = cli("import-predictions", path, "--from", "lm-eval", "--task", "esnli",
                 "--data-dir", nli12, "--out", out)  # fmt: skip
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"evalsuite: error: {path} line "), lines
    assert re.search(message, lines[0]), lines[0]
    assert not out.exists()


def test_a_log_of_another_task_is_refused_on_its_first_line(tmp_path, cli):
    out = tmp_path / "run"
    path = lm_eval_file("nli")
    result = cli("import-predictions", path, "--from", "lm-eval", "--task", "arith",
                 "--out", out)  # fmt: skip
    assert result.code == 2 and not out.exists()
    assert result.err.strip() == (
        f"evalsuite: error: {path} line 1: doc_id 0 is example 'test-0' of task 'arith' split "
        "'test', but the doc does not hold that example's input (wrong --task or --split?)"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [(b'{"doc_id": 0, \xff}\n', r"line 1: .*UTF-8"), (b'{"doc_id": 0,\n', r"line 1: invalid JSON")],
)
def test_a_line_that_is_not_utf8_or_json_names_its_line(tmp_path, cli, nli12, raw, message):
    path = tmp_path / "samples_x_2026-01-01T00-00-00.0.jsonl"
    path.write_bytes(raw)
    result = cli("import-predictions", path, "--from", "lm-eval", "--task", "esnli",
                 "--data-dir", nli12, "--out", tmp_path / "run")  # fmt: skip
    assert result.code == 2 and re.search(message, result.err), result.err
    assert len(result.err.strip().splitlines()) == 1


def test_join_text_accepts_a_log_in_another_order(tmp_path, cli, nli12):
    # The same samples in reverse order, doc_ids renumbered by position, as a log of the same
    # split loaded from a copy in another order reads: positions no longer name the examples.
    def reorder(lines: list[dict]) -> None:
        lines.reverse()
        for i, line in enumerate(lines):
            line["doc_id"] = i

    path = _edited(tmp_path, "nli", reorder)
    refused = cli("import-predictions", path, "--from", "lm-eval", "--task", "esnli",
                  "--data-dir", nli12, "--out", tmp_path / "refused")  # fmt: skip
    assert refused.code == 2 and "pass --join text" in refused.err
    assert not (tmp_path / "refused").exists()
    run = read_run(_import(cli, tmp_path / "run", path, "--from", "lm-eval", "--task",
                           "esnli", "--data-dir", nli12, "--join", "text"))  # fmt: skip
    direct = read_run(_import(cli, tmp_path / "direct", lm_eval_file("nli"), "--from",
                              "lm-eval", "--task", "esnli", "--data-dir", nli12))  # fmt: skip
    assert [r.id for r in run.records] == [r.id for r in direct.records]
    assert [r.label_probs for r in run.records] == [r.label_probs for r in direct.records]
    assert {r.imported["joined_by"] for r in run.records} == {"text"}
    assert [r.imported["doc_id"] for r in run.records] == list(range(11, -1, -1))


def test_label_map_names_the_tools_choices(tmp_path, cli, nli12):
    def rename(lines: list[dict]) -> None:
        for line in lines:
            for i, word in enumerate((" yes", " maybe", " no")):
                line["arguments"][f"gen_args_{i}"]["arg_1"] = word

    path = _edited(tmp_path, "nli", rename)
    run = read_run(_import(cli, tmp_path / "run", path, "--from", "lm-eval", "--task", "esnli",
                           "--data-dir", nli12, "--label-map",
                           "yes=entailment,maybe=neutral,no=contradiction"))  # fmt: skip
    assert run.metrics["accuracy"]["value"] == pytest.approx(_lm_eval_metric("nli", "acc,none"))


def test_several_filters_need_one_chosen(tmp_path, cli):
    path = lm_eval_file("arith")
    result = cli("import-predictions", path, "--from", "lm-eval", "--task", "arith",
                 "--out", tmp_path / "run")  # fmt: skip
    assert result.code == 2
    assert result.err.strip() == (
        f"evalsuite: error: {path}: the file holds filters strict-match, flexible-extract; "
        "choose one with --filter"
    )
    result = cli("import-predictions", path, "--from", "lm-eval", "--task", "arith",
                 "--filter", "nope", "--out", tmp_path / "run")  # fmt: skip
    assert result.code == 2 and "no filter 'nope'" in result.err


def test_the_stored_fixture_is_what_lm_eval_writes(tmp_path):
    pytest.importorskip("lm_eval", reason="lm-eval not installed (pip install '.[lm-eval]')")
    from tests.interop.fixtures.lm_eval.make_fixture import main

    main(tmp_path)
    for name in ("arith", "nli"):
        (fresh,) = (tmp_path / name).glob("samples_*.jsonl")
        assert [json.loads(x) for x in fresh.read_text().splitlines()] == lm_eval_lines(name)


@pytest.mark.parametrize(
    ("args", "option"),
    [(("--filter", "x"), "--filter"), (("--label-map", "a=b"), "--label-map"),
     (("--join", "text"), "--join")],
)  # fmt: skip
def test_log_options_are_refused_for_jsonl(tmp_path, cli, args, option):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "test-0", "prediction": "1"}\n')
    result = cli("import-predictions", path, "--task", "arith", *args, "--out", tmp_path / "r")
    assert result.code == 2 and not (tmp_path / "r").exists()
    assert result.err == f"evalsuite: error: {option} applies to --from lm-eval or inspect\n"


def test_a_bad_label_map_names_the_item(tmp_path, cli, nli12):
    args = ["--task", "esnli", "--data-dir", nli12, "--label-map", "yes", "--out", tmp_path / "r"]
    result = cli("import-predictions", lm_eval_file("nli"), "--from", "lm-eval", *args)
    assert result.code == 2
    assert result.err == "evalsuite: error: --label-map: expected CHOICE=LABEL, got 'yes'\n"
