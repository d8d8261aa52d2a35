"""The explorer's new pure functions (issue 17): whole-run sort, previews and gold values, the
word diff, path blocks, the disagreement matrix, confidence-bin membership, and links.
Hand-computed cases, agreement with independent references (statsmodels, difflib's own ratio,
the reliability curve's counts), and properties over random inputs."""

from __future__ import annotations

import difflib
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import mcnemar

from evalsuite.errors import UsageError
from evalsuite.metrics.calibration import reliability_curve
from evalsuite.report import explorer as ex
from evalsuite.runs import as_records
from tests.report import fixture_runs as fx
from tests.report.fixture_runs import ex_ids

# ----------------------------------------------------------------------------- sorting


def test_sort_confidence_puts_missing_last_in_both_directions():
    frame = ex.records_frame(
        [
            {"id": "a", "gold": "1", "correct": True, "confidence": 0.3},
            {"id": "b", "gold": "1", "correct": True, "confidence": None},
            {"id": "c", "gold": "1", "correct": False, "confidence": 0.9},
            {"id": "d", "gold": "1", "correct": False, "confidence": 0.3},
        ]
    )
    assert list(ex.sort_records(frame, "confidence, highest first")["id"]) == ["c", "a", "d", "b"]
    assert list(ex.sort_records(frame, "confidence, lowest first")["id"]) == ["a", "d", "c", "b"]
    assert list(ex.sort_records(frame, "incorrect first")["id"]) == ["c", "d", "a", "b"]
    shuffled = frame.iloc[[3, 1, 0, 2]]
    assert list(ex.sort_records(shuffled, "file order")["id"]) == ["a", "b", "c", "d"]


def test_sort_unknown_order():
    with pytest.raises(UsageError, match=r"unknown sort order 'size'; choose from file order, "):
        ex.sort_records(ex.records_frame([]), "size")


def test_sort_highest_first_agrees_with_a_plain_reference_on_random_runs():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 80))
        conf = [None if rng.random() < 0.2 else float(rng.random()) for _ in range(n)]
        frame = ex.records_frame(
            [{"id": f"r{i}", "gold": "1", "correct": True, "confidence": c}
             for i, c in enumerate(conf)]
        )  # fmt: skip
        got = list(ex.sort_records(frame, "confidence, highest first").index)
        scored = sorted((i for i, c in enumerate(conf) if c is not None), key=lambda i: -conf[i])
        assert got == scored + [i for i, c in enumerate(conf) if c is None]


def test_gold_value_and_preview():
    assert ex.gold_value("( ( 8.0 * 3.0 ) / 2.0 )") == "12"
    assert ex.gold_value("( 1.0 / 3.0 )") == "0.3333333333"
    assert ex.gold_value("__import__('os')") is None  # never evaluated, only walked
    assert ex.gold_value("neutral") is None
    assert ex.preview("x" * 80) == "x" * 80
    assert ex.preview("x" * 81) == "x" * 79 + "…"
    assert ex.preview("a\n\tb") == "a b"


def test_table_rows_cut_long_text_only():
    frame = ex.records_frame(fx.alpha_records())
    shown = ex.table_rows(frame)
    assert list(shown.columns) == list(ex.TABLE_COLUMNS)
    assert shown.loc[9, "rationale"] is pd.NA
    assert shown.loc[0, "rationale"] == frame.loc[0, "rationale"]  # short: whole


# ----------------------------------------------------------------------------- the word diff


def test_word_diff_hand_case():
    d = ex.word_diff("Teacher explains example 0: entailment.",
                     "alpha reads example 0: the premise points to entailment.")  # fmt: skip
    assert d.text() == (
        "[-Teacher explains-] {+alpha reads+} example 0: {+the premise points to+} entailment."
    )
    assert (d.shared, d.n_teacher, d.n_student) == (3, 5, 9)
    assert d.summary() == "3 of 5 teacher words kept, 6 added; similarity 43 %"


def test_word_diff_edge_cases():
    assert ex.word_diff(None, None).text() == "" and ex.word_diff(None, None).similarity == 1.0
    assert ex.word_diff("", "a b").text() == "{+a b+}"
    assert ex.word_diff("a b", "").text() == "[-a b-]"
    markup = "<script>alert(1)</script>"
    assert ex.word_diff("x", f"x {markup}").text() == f"x {{+{markup}+}}"


def test_word_diff_agrees_with_difflib_and_rebuilds_both_texts():
    rng = np.random.default_rng(1)
    vocabulary = ["the", "sum", "is", "7", "so", "add", "3", "and", "4"]
    for _ in range(200):
        a = [str(w) for w in rng.choice(vocabulary, size=int(rng.integers(0, 12)))]
        b = [str(w) for w in rng.choice(vocabulary, size=int(rng.integers(0, 12)))]
        d = ex.word_diff(" ".join(a), " ".join(b))
        teacher = [w for s in d.spans if s.kind != "student" for w in s.words]
        student = [w for s in d.spans if s.kind != "teacher" for w in s.words]
        assert (teacher, student) == (a, b)
        if a or b:
            ratio = difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio()
            assert d.similarity == pytest.approx(ratio)


# ----------------------------------------------------------------------------- paths and steps


def test_path_blocks_show_sandbox_values_and_errors():
    record = as_records([{
        "id": "m", "gold": "7", "correct": True, "chosen_path": 0,
        "paths": [
            {"kind": "pot", "text": "ans = 3 + 4", "answer": "7", "ok": True, "correct": True,
             "confidence": 0.8125},
            {"kind": "pot", "text": "while True: pass", "answer": None, "ok": False,
             "error": {"kind": "timeout", "message": "ran past 2 s"}},
            {"kind": "pot", "text": "x = 1", "answer": None, "ok": False},
            {"kind": "cot", "text": None, "answer": "7", "ok": True},
        ],
    }])[0]  # fmt: skip
    blocks = ex.path_blocks(record)
    assert [b.heading for b in blocks] == [
        "Path 1 · pot · answer 7 · correct True · confidence 0.8125 · chosen",
        "Path 2 · pot · answer none · correct n/a · confidence n/a",
        "Path 3 · pot · answer none · correct n/a · confidence n/a",
        "Path 4 · cot · answer 7 · correct n/a · confidence n/a",
    ]
    assert [b.sandbox for b in blocks] == [
        "sandbox: ran, value 7",
        "sandbox: timeout: ran past 2 s",
        "sandbox: ran, set no value",
        None,
    ]
    assert [b.text for b in blocks][3] == "—"
    assert ex.socratic_frame(record) is None


def test_socratic_frame():
    steps = ex.socratic_frame(as_records(fx.socratic_records())[0])
    assert steps is not None
    assert steps.to_dict("records")[1] == {
        "#": 2,
        "sub-question": "How many after buying 3?",
        "answer": "4 + 3 = 7",
    }


# ----------------------------------------------------------------------------- the matrix


def _alpha_beta() -> ex.Alignment:
    return ex.align_runs(ex.records_frame(fx.alpha_records()), ex.records_frame(fx.beta_records()))


def test_matrix_alpha_beta_by_hand():
    alignment = _alpha_beta()
    m = ex.disagreement_matrix(alignment)
    assert m.counts == {"both right": 6, "only A right": 1, "only B right": 2, "neither right": 1}
    assert m.n == 10 and m.p_value == pytest.approx(1.0)
    assert list(ex.cell_rows(alignment, "only B right")["id"]) == ex_ids(4, 7)
    assert list(ex.cell_rows(alignment, "neither right")["id"]) == ex_ids(9)


def test_matrix_agrees_with_statsmodels_and_cells_partition_the_pairs():
    rng = np.random.default_rng(2)
    for _ in range(40):
        n = int(rng.integers(1, 60))
        a, b = rng.random(n) < 0.6, rng.random(n) < 0.5

        def run(flags):
            return ex.records_frame(
                [{"id": str(i), "gold": "1", "correct": bool(c)} for i, c in enumerate(flags)]
            )

        alignment = ex.align_runs(run(a), run(b))
        m = ex.disagreement_matrix(alignment)
        table = [[m.counts["both right"], m.counts["only A right"]],
                 [m.counts["only B right"], m.counts["neither right"]]]  # fmt: skip
        assert table == [[int(np.sum(a & b)), int(np.sum(a & ~b))],
                         [int(np.sum(~a & b)), int(np.sum(~a & ~b))]]  # fmt: skip
        if table[0][1] + table[1][0]:
            assert m.p_value == pytest.approx(mcnemar(table, exact=True).pvalue)
        cells = [set(ex.cell_rows(alignment, c).index) for c in ex.MATRIX_CELLS]
        assert sum(map(len, cells)) == n and set().union(*cells) == set(range(n))


def test_matrix_unknown_cell():
    with pytest.raises(UsageError, match=r"unknown matrix cell 'A'; choose from both right, "):
        ex.cell_rows(_alpha_beta(), "A")


# ----------------------------------------------------------------------------- confidence bins


def test_bin_rows_number_the_reliability_counts():
    rng = np.random.default_rng(3)
    conf = np.round(rng.random(300), 2)  # many on bin edges
    conf[:5] = [0.0, 0.1, 0.5, 0.9, 1.0]
    frame = ex.records_frame(
        [{"id": str(i), "gold": "1", "correct": bool(i % 2), "confidence": float(c)}
         for i, c in enumerate(conf)]
    )  # fmt: skip
    curve = reliability_curve(conf, np.arange(300) % 2 == 1, n_bins=ex.RELIABILITY_BINS)
    sizes = [len(ex.bin_rows(frame, b)) for b in range(ex.RELIABILITY_BINS)]
    assert sizes == [int(c) for c in curve.counts]
    assert list(ex.bin_rows(frame, 9).index[:2]) == [3, 4]  # 0.9 and 1.0 in the last bin


def test_bin_rows_alpha_by_hand():
    frame = ex.records_frame(fx.alpha_records())
    assert list(ex.bin_rows(frame, 5)["id"]) == ex_ids(7, 8)
    assert ex.bin_rows(frame, 0).empty


# ----------------------------------------------------------------------------- links


def test_links_round_trip_through_the_query_string():
    link = ex.example_link("http://host:8501/sub/", "dss/seed 0&x", "test#1")
    parts = urlsplit(link)
    assert (parts.netloc, parts.path) == ("host:8501", "/sub/")
    params = dict(parse_qsl(parts.query))
    assert params == {"run": "dss/seed 0&x", "id": "test#1"}
    assert ex.parse_deep_link(params) == ex.DeepLink("dss/seed 0&x", None, "test#1")
    pair = dict(parse_qsl(urlsplit(ex.compare_link(ex.DEFAULT_EXPLORER_URL, "a", "b", "i")).query))
    assert ex.parse_deep_link(pair) == ex.DeepLink("a", "b", "i")
    assert ex.parse_deep_link({"run": "", "id": ""}) == ex.DeepLink()


def test_find_run_by_name_or_unique_directory_name(tmp_path):
    runs = [
        ex.RunEntry("a/x", tmp_path / "a" / "x"),
        ex.RunEntry("b/x", tmp_path / "b" / "x"),
        ex.RunEntry("y", Path("y")),
    ]
    assert ex.find_run(runs, "a/x") == runs[0]
    assert ex.find_run(runs, "x") is None  # two runs are called x: ambiguous
    assert ex.find_run(runs, "y") == runs[2]


def test_find_example_and_its_page_in_the_sorted_table():
    frame = ex.records_frame(
        [{"id": f"n-{i}", "gold": "1", "correct": True, "confidence": i / 100} for i in range(60)]
    )
    ranked = ex.sort_records(frame, "confidence, highest first")
    row = ex.find_example(ranked, "n-10")
    assert row == 10
    assert ex.page_of(ranked, row, page_size=25) == 2  # row 50 of the sorted table
    assert ex.page_of(ranked, 9, page_size=25) == 3  # row 51
    assert ex.page_of(frame, row, page_size=25) == 1
    assert ex.find_example(ranked.iloc[:5], "n-10") is None  # filtered out
    assert ex.find_example(ranked, "nope") is None


def test_bin_choices_list_the_nonempty_bins_with_their_counts():
    frame = ex.records_frame(fx.alpha_records())
    curve = reliability_curve(
        frame["confidence"].to_numpy(dtype=float), frame["correct"].to_numpy(dtype=bool)
    )
    choices = ex.bin_choices(ex.reliability_table(curve.as_dict()))
    assert choices == {
        "[0.40, 0.50) · 1": 4, "[0.50, 0.60) · 2": 5, "[0.60, 0.70) · 2": 6,
        "[0.70, 0.80) · 1": 7, "[0.80, 0.90) · 2": 8, "[0.90, 1.00] · 2": 9,
    }  # fmt: skip
    for label, index in choices.items():
        assert len(ex.bin_rows(frame, index)) == int(label.rsplit(" ", 1)[1])
