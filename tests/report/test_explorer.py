"""The explorer's data helpers: hand-checked cases on the fixture runs, a plain-Python reference
for the filters, and properties over random records."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from evalsuite.errors import DataError, UsageError
from evalsuite.metrics.summary import summarize_run
from evalsuite.report import explorer as ex
from evalsuite.runs import RunWriter, read_run
from evalsuite.tasks import get_task
from tests.report import fixture_runs as fx
from tests.report.fixture_runs import ex_ids

# ----------------------------------------------------------------------------- arguments and runs


def test_parse_app_args_reads_runs_in_both_spellings():
    assert ex.parse_app_args(["--runs", "a/b"], environ={}).runs == Path("a/b")
    assert ex.parse_app_args(["--runs=a/b"], environ={}).runs == Path("a/b")


def test_parse_app_args_falls_back_to_the_environment():
    assert ex.parse_app_args([], environ={"EVALSUITE_RUNS": "env/runs"}).runs == Path("env/runs")
    assert ex.parse_app_args(["--runs", "x"], environ={"EVALSUITE_RUNS": "y"}).runs == Path("x")
    assert ex.parse_app_args([], environ={"EVALSUITE_RUNS": ""}).runs is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--runs"], r"--runs: expected a directory after it; usage: streamlit run app.py"),
        (["--runs", "--other"], r"--runs: expected a directory after it"),
        (["--runs="], r"--runs: expected a directory after it"),
        (["--rnus", "x"], r"unknown argument '--rnus'; usage: streamlit run app.py -- --runs DIR"),
    ],
)
def test_parse_app_args_errors_name_the_argument(argv, message):
    with pytest.raises(UsageError, match=message):
        ex.parse_app_args(argv, environ={})


def test_list_runs_finds_the_fixture_runs_sorted(runs_dir):
    entries = ex.list_runs(runs_dir)
    assert [e.name for e in entries] == list(fx.RUN_NAMES)
    assert all(e.path == runs_dir / e.name for e in entries)


def test_list_runs_nested_hidden_and_incomplete_dirs(tmp_path):
    fx.write_run(tmp_path / "task" / "seed1", "dss", "arith", fx.paths_records())
    fx.write_run(tmp_path / ".trash", "old", "arith", fx.paths_records())
    (tmp_path / "not_a_run").mkdir()
    (tmp_path / "not_a_run" / "manifest.json").write_text("{}")  # no records.jsonl
    assert [e.name for e in ex.list_runs(tmp_path)] == ["task/seed1/dss"]


def test_list_runs_accepts_a_run_directory_itself(runs_dir):
    entries = ex.list_runs(runs_dir / "alpha")
    assert [(e.name, e.path) for e in entries] == [("alpha", runs_dir / "alpha")]


def test_list_runs_missing_directory(tmp_path):
    with pytest.raises(UsageError, match=r"--runs .*nowhere: no such directory"):
        ex.list_runs(tmp_path / "nowhere")


def test_list_runs_empty_directory(tmp_path):
    assert ex.list_runs(tmp_path) == []


def test_records_mtime_changes_when_records_are_rewritten(tmp_path):
    path = fx.write_run(tmp_path, "r", "arith", fx.paths_records())
    before = ex.records_mtime_ns(path)
    os.utime(path / "records.jsonl", ns=(before + 10**9, before + 10**9))
    assert ex.records_mtime_ns(path) == before + 10**9


# ----------------------------------------------------------------------------- the table


@pytest.fixture(scope="module")
def alpha() -> list[dict[str, Any]]:
    return fx.alpha_records()


def test_records_frame_columns_and_missing_values(alpha):
    frame = ex.records_frame(alpha)
    assert list(frame.index) == list(range(10))
    assert set(ex.TABLE_COLUMNS) <= set(frame.columns)
    assert frame["correct"].sum() == 7
    assert frame.loc[9, "consistent"] is pd.NA
    assert list(frame["consistent"].fillna(True)).count(False) == 2
    assert frame.loc[4, "input"] == fx.MARKUP_INPUT  # verbatim, nothing escaped
    assert frame.loc[0, "teacher_label"] == "entailment"


def test_extraction_failed_matches_the_summary_rule():
    # Null answer, or an answer whose extraction says matched=false (the summary counts both).
    base = {"id": "a", "gold": "3", "correct": True}
    assert ex.extraction_failed({**base, "answer": None})
    assert ex.extraction_failed({**base, "answer": "3", "extraction": {"matched": False}})
    assert not ex.extraction_failed({**base, "answer": "3", "extraction": {"matched": True}})
    assert not ex.extraction_failed({**base, "answer": "3"})


def _ids(frame: pd.DataFrame) -> list[str]:
    return list(frame["id"])


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (ex.RecordFilter(), [f"ex-{i:02d}" for i in range(10)]),
        (ex.RecordFilter(correct=False), ["ex-04", "ex-07", "ex-09"]),
        (
            ex.RecordFilter(correct=True),
            ex_ids(0, 1, 2, 3, 5, 6, 8),
        ),
        (ex.RecordFilter(consistent=False), ["ex-02", "ex-07"]),
        (ex.RecordFilter(correct=False, consistent=False), ["ex-07"]),
        (ex.RecordFilter(extraction_failed=True), []),
        (ex.RecordFilter(confidence=(0.5, 0.7)), ["ex-05", "ex-06", "ex-07", "ex-08"]),
        (ex.RecordFilter(confidence=(0.95, 1.0)), ["ex-00", "ex-01"]),
        (ex.RecordFilter(text="scene 3"), ["ex-03"]),
        (ex.RecordFilter(text="SCRIPT>"), ["ex-04"]),  # rationale, case-insensitive
        (ex.RecordFilter(text="[link](http"), ["ex-04"]),  # literal, not a regex
    ],
)
def test_filter_records_hand_cases(alpha, where, expected):
    assert _ids(ex.filter_records(ex.records_frame(alpha), where)) == expected


def test_consistent_filter_leaves_out_unknown_consistency(alpha):
    frame = ex.records_frame(alpha)
    shown = ex.filter_records(frame, ex.RecordFilter(consistent=True))
    assert len(shown) == 7 and "ex-09" not in _ids(shown)


def test_confidence_range_keeps_missing_confidence_only_at_full_range():
    records = fx.failed_records()  # f-1 and f-4 have no confidence
    frame = ex.records_frame(records)
    assert len(ex.filter_records(frame, ex.RecordFilter())) == 6
    assert _ids(ex.filter_records(frame, ex.RecordFilter(extraction_failed=True))) == [
        "f-1",
        "f-4",
    ]
    narrowed = ex.RecordFilter(confidence=(0.0, 0.99))
    assert _ids(ex.filter_records(frame, narrowed)) == ["f-0", "f-2", "f-3", "f-5"]


@pytest.mark.parametrize("bounds", [(0.6, 0.4), (-0.1, 0.5), (0.2, 1.5)])
def test_record_filter_rejects_bad_ranges(bounds):
    with pytest.raises(UsageError, match=r"confidence range must satisfy 0 <= low <= high <= 1"):
        ex.RecordFilter(confidence=bounds)


def _reference_filter(records: list[dict[str, Any]], where: ex.RecordFilter) -> list[str]:
    """The filter rules written out record by record, independently of pandas."""
    kept = []
    for r in records:
        if where.correct is not None and r["correct"] != where.correct:
            continue
        if where.consistent is not None and r.get("consistent") is not where.consistent:
            continue
        failed = r.get("answer") is None or (r.get("extraction") or {}).get("matched") is False
        if where.extraction_failed is not None and failed != where.extraction_failed:
            continue
        if where.confidence != (0.0, 1.0):
            c = r.get("confidence")
            if c is None or not where.confidence[0] <= c <= where.confidence[1]:
                continue
        needle = where.text.casefold()
        haystack = [r.get(k) for k in ("input", "prediction", "rationale")]
        if needle and not any(h is not None and needle in h.casefold() for h in haystack):
            continue
        kept.append(r["id"])
    return kept


def _random_records(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    words = ["cat", "Dog", "bird", "<b>", "**x**", "42"]
    records = []
    for i in range(n):
        answer = None if rng.random() < 0.2 else str(rng.integers(3))
        records.append(
            {
                "id": f"r{i}",
                "gold": str(rng.integers(3)),
                "answer": answer,
                "correct": bool(rng.random() < 0.5),
                "confidence": None if rng.random() < 0.2 else float(rng.random()),
                "consistent": [None, True, False][int(rng.integers(3))],
                "input": " ".join(rng.choice(words, size=3)),
                "prediction": None if rng.random() < 0.1 else str(rng.choice(words)),
                "rationale": None if rng.random() < 0.3 else " ".join(rng.choice(words, size=2)),
                "extraction": {"matched": bool(rng.random() < 0.9)},
            }
        )
    return records


def test_filter_records_agrees_with_a_plain_reference_on_random_inputs():
    rng = np.random.default_rng(0)
    for _ in range(200):
        records = _random_records(rng, int(rng.integers(0, 30)))
        low, high = sorted(rng.choice([0.0, 0.25, 0.5, 0.75, 1.0, float(rng.random())], 2))
        where = ex.RecordFilter(
            correct=[None, True, False][int(rng.integers(3))],
            consistent=[None, True, False][int(rng.integers(3))],
            extraction_failed=[None, True, False][int(rng.integers(3))],
            confidence=(low, high),
            text=str(rng.choice(["", "cat", "dog", "<B>", "*x*", "4"])),
        )
        got = _ids(ex.filter_records(ex.records_frame(records), where))
        assert got == _reference_filter(records, where)


# ----------------------------------------------------------------------------- paging


def test_paginate_hand_cases():
    frame = pd.DataFrame({"x": range(60)})
    first = ex.paginate(frame, page=1, page_size=25)
    assert (first.number, first.n_pages, first.start, first.stop) == (1, 3, 0, 25)
    last = ex.paginate(frame, page=3, page_size=25)
    assert list(last.rows["x"]) == list(range(50, 60))
    assert ex.paginate(frame, page=99, page_size=25).number == 3  # clipped, not empty
    empty = ex.paginate(frame.iloc[:0], page=2, page_size=25)
    assert (empty.number, empty.n_pages, len(empty.rows)) == (1, 1, 0)


def test_paginate_pages_partition_the_frame():
    rng = np.random.default_rng(1)
    for _ in range(100):
        n, size = int(rng.integers(0, 80)), int(rng.integers(1, 30))
        frame = pd.DataFrame({"x": range(n)})
        n_pages = ex.paginate(frame, page=1, page_size=size).n_pages
        rows = [ex.paginate(frame, page=p, page_size=size).rows for p in range(1, n_pages + 1)]
        assert list(pd.concat(rows)["x"]) == list(range(n))
        assert all(0 < len(r) <= size for r in rows) or n == 0


def test_paginate_rejects_a_bad_page_size():
    with pytest.raises(UsageError, match=r"page_size must be a positive integer, got 0"):
        ex.paginate(pd.DataFrame({"x": [1]}), page=1, page_size=0)


# ----------------------------------------------------------------------------- one run


def test_load_run_alpha(runs_dir):
    run = ex.load_run(runs_dir / "alpha")
    assert (run.name, len(run.records), len(run.frame)) == ("alpha", 10, 10)
    assert run.summary["accuracy"]["k"] == 7
    assert run.same_answer is not None and run.same_answer("Entailment", "entailment")


def test_load_run_reuses_metrics_json_only_when_it_summarises_these_records(tmp_path):
    records = fx.paths_records()
    summary = summarize_run(records)
    # tells the two apart (the value: a changed count of right answers is another summary)
    marked = {**summary, "accuracy": {**summary["accuracy"], "value": 0.99}}
    path = tmp_path / "r"
    writer = RunWriter(path, {"name": "r", "task": "arith"})
    writer.append(records)
    writer.finish([r["id"] for r in records], metrics=marked)
    run = ex.load_run(path)
    assert (run.summary_source, run.summary["accuracy"]["value"]) == ("from metrics.json", 0.99)
    # records rewritten after metrics.json: stale, so recomputed
    stamp = ex.records_mtime_ns(path) + 10**9
    os.utime(path / "records.jsonl", ns=(stamp, stamp))
    run = ex.load_run(path)
    assert (run.summary_source, run.summary["accuracy"]["value"]) == ("computed from records", 1.0)
    # a metrics.json over another number of records, or missing a summary key: not used
    os.utime(path / "metrics.json", ns=(stamp + 1, stamp + 1))
    assert ex.load_run(path).summary_source == "from metrics.json"
    for bad in ({**marked, "n": 2}, {k: v for k, v in marked.items() if k != "calibration"}):
        (path / "metrics.json").write_text(json.dumps(bad))
        os.utime(path / "metrics.json", ns=(stamp + 1, stamp + 1))
        assert ex.load_run(path).summary_source == "computed from records"


def test_load_run_reports_a_malformed_run(tmp_path):
    path = fx.write_run(tmp_path, "bad", "arith", fx.paths_records())
    with (path / "records.jsonl").open("a") as handle:
        handle.write('{"id": "x", "gold": "1", "correct": "yes"}\n')
    with pytest.raises(DataError, match=r"records.jsonl line 4: field 'correct' must be true"):
        ex.load_run(path)


def test_overview_items_alpha_against_statsmodels(runs_dir):
    items = {i.label: i for i in ex.overview_items(ex.load_run(runs_dir / "alpha").summary)}
    low, high = proportion_confint(7, 10, alpha=0.05, method="wilson")
    assert items["Accuracy"].value == "70.0 %"
    assert items["Accuracy"].detail == f"95 % CI [{100 * low:.1f}, {100 * high:.1f}] · 7/10"
    assert items["Accuracy"].detail == "95 % CI [39.7, 89.2] · 7/10"
    assert (items["Rationale consistent"].value, items["Examples"].value) == ("77.8 %", "10")
    assert items["Extraction failed"].detail.endswith("· 0/10")
    assert items["Agrees with teacher"].value == "70.0 %"  # the teacher's label is the gold
    # ECE over 10 bins by hand: (2·.05 + 2·.15 + .75 + 2·.35 + 2·.05 + .45) / 10 = 0.24.
    assert items["ECE"].value == "0.240"
    # Brier by hand: (2·.05² + 2·.15² + .75² + 2·.35² + .45² + .55² + .45²) / 10 = 0.1565.
    assert items["Brier"].value == f"{0.1565:.3f}"


def test_overview_items_without_rationales_teacher_or_confidence():
    records = [{"id": "a", "gold": "1", "answer": None, "correct": False}]
    items = {i.label: i for i in ex.overview_items(summarize_run(records))}
    assert items["Extraction failed"].value == "100.0 %"
    assert items["Rationale consistent"].value == "n/a"
    assert items["Agrees with teacher"].value == "n/a"
    assert (items["ECE"].value, items["ECE"].detail) == ("n/a", "no confidences recorded")


def test_reliability_table_alpha_by_hand(runs_dir):
    summary = ex.load_run(runs_dir / "alpha").summary
    table = ex.reliability_table(summary["calibration"]["reliability"])
    assert list(table["count"]) == [0, 0, 0, 0, 1, 2, 2, 1, 2, 2]
    assert table["accuracy"].isna().sum() == 4
    assert list(table["accuracy"].iloc[4:]) == [0.0, 0.5, 1.0, 0.0, 1.0, 1.0]
    assert np.allclose(list(table["confidence"].iloc[4:]), [0.45, 0.55, 0.65, 0.75, 0.85, 0.95])
    assert (table["bin"].iloc[0], table["bin"].iloc[-1]) == ("[0.00, 0.10)", "[0.90, 1.00]")


def test_confidence_pairs_and_png(runs_dir):
    records = fx.failed_records()
    y_prob, y_true = ex.confidence_pairs(records)
    assert list(y_prob) == [0.6, 0.6, 0.6, 0.6]
    assert list(y_true) == [True, True, True, False]
    png = ex.reliability_png(records, title="failed")
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert ex.reliability_png([{"id": "a", "gold": "1", "correct": True}]) is None


def test_label_probs_frame_most_probable_first(alpha):
    table = ex.label_probs_frame(alpha[4])
    assert table is not None
    assert list(table["label"]) == ["contradiction", "entailment", "neutral"]
    assert np.allclose(table["probability"], [0.75, 0.125, 0.125])
    assert ex.label_probs_frame(fx.paths_records()[0]) is None


# ----------------------------------------------------------------------------- compare mode


def test_align_alpha_with_beta_by_hand():
    alignment = ex.align_runs(
        ex.records_frame(fx.alpha_records()), ex.records_frame(fx.beta_records())
    )
    frame = alignment.frame
    assert (alignment.only_a, alignment.only_b) == (0, 1)
    assert list(frame["id"]) == [f"ex-{i:02d}" for i in range(10)]
    assert list(frame.loc[frame["disagree"], "id"]) == ["ex-03", "ex-04", "ex-07", "ex-09"]
    assert list(frame.loc[frame["correct_differs"], "id"]) == ["ex-03", "ex-04", "ex-07"]
    row = frame.set_index("id").loc["ex-09"]
    assert (row["answer_a"], row["answer_b"]) == ("neutral", "contradiction")
    assert row["gold"] == "entailment"
    assert (row["index_a"], row["index_b"]) == (9, 9)


def test_align_uses_the_task_comparison_and_pairs_failed_extractions():
    def rec(i: str, answer: str | None) -> dict[str, Any]:
        return {"id": i, "gold": "3", "answer": answer, "correct": answer == "3"}

    a = ex.records_frame([rec("x", "3"), rec("y", None), rec("z", None), rec("w", "1")])
    b = ex.records_frame([rec("w", "1.0"), rec("z", "2"), rec("y", None), rec("x", "3.0000001")])
    arith = get_task("arith").same_answer
    with_task = ex.align_runs(a, b, same_answer=arith).frame.set_index("id")["disagree"]
    assert with_task.to_dict() == {"x": False, "y": False, "z": True, "w": False}
    exact = ex.align_runs(a, b).frame.set_index("id")["disagree"]
    assert exact.to_dict() == {"x": True, "y": False, "z": True, "w": True}


def test_align_properties_on_random_runs():
    rng = np.random.default_rng(2)
    for _ in range(50):
        records = _random_records(rng, int(rng.integers(0, 25)))
        frame = ex.records_frame(records)
        itself = ex.align_runs(frame, frame)
        assert (itself.only_a, itself.only_b) == (0, 0)
        assert not itself.frame["disagree"].any() and not itself.frame["correct_differs"].any()
        other = ex.records_frame(_random_records(rng, int(rng.integers(0, 25))))
        ab, ba = ex.align_runs(frame, other), ex.align_runs(other, frame)
        assert (ab.only_a, ab.only_b) == (ba.only_b, ba.only_a)
        assert sorted(ab.frame["id"]) == sorted(ba.frame["id"])
        assert ab.frame["disagree"].sum() == ba.frame["disagree"].sum()


def test_compare_rows_views_and_filters():
    frame_a = ex.records_frame(fx.alpha_records())
    alignment = ex.align_runs(frame_a, ex.records_frame(fx.beta_records()))
    everything = ex.filter_records(frame_a, ex.RecordFilter())
    incorrect = ex.filter_records(frame_a, ex.RecordFilter(correct=False))
    assert len(ex.compare_rows(alignment, everything, view="all shared examples")) == 10
    assert _ids(ex.compare_rows(alignment, everything, view="answers differ")) == [
        "ex-03",
        "ex-04",
        "ex-07",
        "ex-09",
    ]
    assert _ids(ex.compare_rows(alignment, incorrect, view="one correct, one not")) == [
        "ex-04",
        "ex-07",
    ]


def test_compare_rows_unknown_view():
    alignment = ex.align_runs(ex.records_frame([]), ex.records_frame([]))
    with pytest.raises(UsageError, match=r"unknown compare view 'diff'; choose from all shared"):
        ex.compare_rows(alignment, ex.records_frame([]), view="diff")


# ----------------------------------------------------------------------------- CSV


def test_records_csv_round_trips_through_the_csv_module(runs_dir):
    records = read_run(runs_dir / "alpha").records
    rows = list(csv.DictReader(io.StringIO(ex.records_csv(records).decode("utf-8"))))
    assert list(rows[0]) == [f for f in ex.RECORD_FIELDS if f not in ("paths", "socratic")]
    assert [r["id"] for r in rows] == [r.id for r in records]
    assert rows[4]["input"] == fx.MARKUP_INPUT
    assert rows[4]["rationale"] == fx.MARKUP_RATIONALE.format(answer="contradiction")
    assert json.loads(rows[4]["label_probs"]) == records[4].label_probs
    assert json.loads(rows[0]["teacher"]) == records[0].to_json()["teacher"]
    assert rows[9]["rationale"] == "" and rows[9]["consistent"] == ""
    assert [r["correct"] for r in rows].count("True") == 7


def test_records_csv_agrees_with_pandas_and_keeps_extra_fields():
    records = fx.paths_records()
    records[0] = {**records[0], "zeta": 1, "alpha_extra": "é"}
    frame = pd.read_csv(io.BytesIO(ex.records_csv(records)), keep_default_na=False)
    assert list(frame.columns)[-2:] == ["alpha_extra", "zeta"]
    assert list(frame["alpha_extra"]) == ["é", "", ""]
    # every path field is written, those the fixture left out as null
    assert json.loads(frame.loc[1, "paths"]) == [
        {"correct": None, "sequence_confidence": None, "error": None, **path}
        for path in records[1]["paths"]
    ]


def test_records_csv_of_nothing_is_the_header_alone():
    assert ex.records_csv([]).decode() == ",".join(ex.RECORD_FIELDS) + "\n"
