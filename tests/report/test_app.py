"""The Streamlit page (app.py) under AppTest, on the fixture runs: every panel, checked on what it
shows. Numbers are hand-computed in tests/report/fixture_runs.py."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.report import fixture_runs as fx
from tests.report.fixture_runs import ex_ids

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT_S = 60


@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """Run app.py as ``streamlit run app.py -- ARGS``: AppTest passes no script arguments, so
    the page reads them from sys.argv, as under ``streamlit run``."""

    def run(*args: str | os.PathLike[str]) -> AppTest:
        monkeypatch.setattr(sys, "argv", [str(APP), *map(str, args)])
        return AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).run()

    return run


@pytest.fixture
def app(open_app, runs_dir: Path) -> AppTest:
    at = open_app("--runs", runs_dir)
    assert not at.exception
    return at


def texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def metrics(at: AppTest) -> dict[str, list[str]]:
    shown: dict[str, list[str]] = {}
    for m in at.metric:
        shown.setdefault(m.label, []).append(m.value)
    return shown


def example_options(at: AppTest) -> list[str]:
    picker = next(s for s in at.selectbox if s.label == "Example")
    return [option.split(" · ")[0] for option in picker.options]


def select_run(at: AppTest, name: str) -> AppTest:
    at.selectbox(key="run").set_value(name).run()
    assert not at.exception
    return at


# ----------------------------------------------------------------------------- overview


def test_overview_shows_rates_with_intervals(app):
    shown = metrics(app)
    assert shown["Examples"] == ["10"]
    assert shown["Accuracy"] == ["70.0 %"]
    assert shown["Extraction failed"] == ["0.0 %"]
    assert shown["Rationale consistent"] == ["77.8 %"]
    assert shown["Agrees with teacher"] == ["70.0 %"]
    assert shown["ECE"] == ["0.240"]  # hand-computed in fixture_runs.py
    page = texts(app)
    heading = "alpha · task anli1 · split test · 10 records · status complete"
    assert f"{heading} · metrics computed from records" in page
    assert "95 % CI [39.7, 89.2] · 7/10" in page  # Wilson interval of 7/10
    assert "95 % CI [45.3, 93.7] · 7/9" in page  # consistency: id 9 has no rationale


def test_reliability_panel_draws_the_diagram_the_coverage_curve_and_its_bins(app):
    assert len(app.image) == 2  # reliability diagram and accuracy-coverage curve
    bins = next(df.value for df in app.dataframe if "bin" in df.value.columns)
    assert list(bins["count"]) == [0, 0, 0, 0, 1, 2, 2, 1, 2, 2]
    accuracy = bins["accuracy"].to_numpy(dtype=float, na_value=np.nan)
    assert np.allclose(accuracy[4:], [0.0, 0.5, 1.0, 0.0, 1.0, 1.0])
    assert np.isnan(accuracy[:4]).all()


# ----------------------------------------------------------------------------- browser


def test_table_and_detail_start_on_the_first_example(app):
    page = texts(app)
    assert "10 of 10 examples match the filters" in page
    assert "Rows 1–10 · page 1 of 1" in page
    table = next(df.value for df in app.dataframe if "extraction_failed" in df.value.columns)
    assert list(table["id"]) == [f"ex-{i:02d}" for i in range(10)]
    assert list(table["correct"]).count(True) == 7
    assert example_options(app)[0] == "ex-00"
    assert "alpha reads example 0: the premise points to entailment." in page
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["Download 10 filtered records (CSV)"]


@pytest.mark.parametrize(
    ("key", "value", "count", "ids"),
    [
        ("f_correct", "incorrect", 3, ["ex-04", "ex-07", "ex-09"]),
        (
            "f_correct",
            "correct",
            7,
            ex_ids(0, 1, 2, 3, 5, 6, 8),
        ),
        ("f_consistent", "inconsistent", 2, ["ex-02", "ex-07"]),
        (
            "f_consistent",
            "consistent",
            7,
            ex_ids(0, 1, 3, 4, 5, 6, 8),
        ),
    ],
)
def test_radio_filters(app, key, value, count, ids):
    app.radio(key=key).set_value(value).run()
    assert f"{count} of 10 examples match the filters" in texts(app)
    assert example_options(app) == ids
    assert [b.label for b in app.get("download_button")] == [
        f"Download {count} filtered records (CSV)"
    ]


def test_confidence_range_and_text_search_combine(app):
    app.slider(key="f_conf").set_value((0.5, 0.7)).run()
    assert "4 of 10 examples match the filters" in texts(app)
    assert example_options(app) == ["ex-05", "ex-06", "ex-07", "ex-08"]
    app.text_input(key="f_text").input("SCENE 7").run()
    assert "1 of 10 examples match the filters" in texts(app)
    assert example_options(app) == ["ex-07"]


def test_no_match_says_so(app):
    app.radio(key="f_extraction").set_value("failed").run()
    assert "0 of 10 examples match the filters" in texts(app)
    assert [i.value for i in app.info] == ["No example matches the filters."]
    assert not [s for s in app.selectbox if s.label == "Example"]


def test_detail_pane_shows_every_field_of_the_chosen_example(app):
    app.radio(key="f_correct").set_value("incorrect").run()
    app.selectbox(key="ex").set_value(4).run()  # the value is the row; the label is its id
    page = texts(app)
    for shown in (
        "ex-04",
        fx.MARKUP_INPUT,
        "neutral",  # gold, and the teacher's label
        "contradiction",  # prediction and answer
        "False",
        "0.7500 (label_set)",
        "label_set · matched True",
        fx.MARKUP_RATIONALE.format(answer="contradiction"),
        "Teacher explains example 4: neutral.",
    ):
        assert shown in page
    probs = next(df.value for df in app.dataframe if "probability" in df.value.columns)
    assert list(probs["label"]) == ["contradiction", "entailment", "neutral"]
    assert np.allclose(probs["probability"], [0.75, 0.125, 0.125])


def test_model_text_is_never_rendered_as_markdown_or_html(app):
    app.text_input(key="f_text").input("script").run()
    assert example_options(app) == ["ex-04"]
    rationale = fx.MARKUP_RATIONALE.format(answer="contradiction")
    assert rationale in texts(app) and fx.MARKUP_INPUT in texts(app)
    markdown_like = [
        *app.markdown, *app.caption, *app.error, *app.warning, *app.info, *app.success,
        *app.title, *app.header, *app.subheader,
    ]  # fmt: skip
    for element in markdown_like:
        assert "script" not in element.value and "Bold" not in element.value
        assert not getattr(element.proto, "allow_html", False)
    source = APP.read_text()
    assert "unsafe_allow_html" not in source and "st.html" not in source


def test_pages_of_a_long_run(open_app, tmp_path):
    records = [
        {"id": f"n-{i:03d}", "gold": "1", "answer": "1", "correct": True, "confidence": 0.5}
        for i in range(60)
    ]
    fx.write_run(tmp_path, "long", "arith", records)
    at = open_app("--runs", tmp_path)
    assert "Rows 1–25 · page 1 of 3" in texts(at)
    at.number_input(key="page").set_value(3).run()
    assert "Rows 51–60 · page 3 of 3" in texts(at)
    # The picker spans every matching example (type an id to jump), not the page alone.
    assert example_options(at) == [f"n-{i:03d}" for i in range(60)]
    table = next(df.value for df in at.dataframe if "extraction_failed" in df.value.columns)
    assert list(table["id"]) == [f"n-{i:03d}" for i in range(50, 60)]


# ----------------------------------------------------------------------------- runs of each kind


def test_run_with_failed_extractions(app):
    select_run(app, "failed")
    shown = metrics(app)
    assert (shown["Accuracy"], shown["Extraction failed"]) == (["50.0 %"], ["33.3 %"])
    assert shown["Rationale consistent"] == ["n/a"]
    app.radio(key="f_extraction").set_value("failed").run()
    assert "2 of 6 examples match the filters" in texts(app)
    assert example_options(app) == ["f-1", "f-4"]
    page = texts(app)
    assert "I cannot say." in page  # the raw prediction, kept
    assert "none · matched False" in page
    app.slider(key="f_conf").set_value((0.0, 0.9)).run()  # no confidence: left out once narrowed
    assert "0 of 6 examples match the filters" in texts(app)


def test_empty_run(app):
    select_run(app, "empty")
    shown = metrics(app)
    assert shown["Examples"] == ["0"]
    assert shown["Accuracy"] == ["n/a"] and shown["ECE"] == ["n/a"]
    assert [i.value for i in app.info] == [
        "No confidences in this run, so there is no reliability diagram.",
        "This run has no records: there are no examples to browse.",
    ]
    assert not app.image and not app.get("download_button")


def test_multi_path_records_show_each_path_as_its_own_block(app):
    select_run(app, "paths")
    assert "Reasoning paths" in [c.value for c in app.caption]
    blocks = [
        [t.value for t in block.text]
        for block in app.get("flex_container")
        if block.text and block.text[0].value.startswith("Path ")
    ]
    assert blocks == [
        ["Path 1 · cot · answer 7 · correct n/a · confidence n/a", "0 plus 7 is 7."],
        [
            "Path 2 · pot · answer 7 · correct n/a · confidence n/a",
            "def solution():\n    return 0 + 7",
            "sandbox: ran, value 7",
        ],
    ]


def test_socratic_records_show_their_steps(app):
    select_run(app, "socratic")
    captions = [c.value for c in app.caption]
    assert "Socratic steps: each sub-question and the solver's answer" in captions
    (steps,) = [d.value for d in app.dataframe if "sub-question" in d.value.columns]
    assert steps.to_dict("records") == [
        {"#": 1, "sub-question": "How many at first?", "answer": "4"},
        {"#": 2, "sub-question": "How many after buying 3?", "answer": "4 + 3 = 7"},
    ]


# ----------------------------------------------------------------------------- compare mode


def test_compare_mode_pairs_runs_by_id(app):
    app.toggle(key="compare").set_value(True).run()
    assert not app.exception
    assert app.selectbox(key="run_b").value == "beta"
    assert metrics(app)["Accuracy"] == ["70.0 %", "81.8 %"]  # alpha 7/10, beta 9/11
    assert len(app.image) == 4  # each run's reliability diagram and accuracy-coverage curve
    assert (
        "10 examples in both runs (0 only in alpha, 1 only in beta); 10 shown "
        "(all shared examples; filters apply to alpha)"
    ) in texts(app)
    app.radio(key="view").set_value("answers differ").run()
    assert example_options(app) == ["ex-03", "ex-04", "ex-07", "ex-09"]
    app.radio(key="view").set_value("one correct, one not").run()
    assert example_options(app) == ["ex-03", "ex-04", "ex-07"]
    table = next(df.value for df in app.dataframe if "disagree" in df.value.columns)
    assert list(table["answer_a"]) == ["entailment", "contradiction", "contradiction"]
    assert list(table["answer_b"]) == ["contradiction", "neutral", "neutral"]
    assert [b.label for b in app.get("download_button")] == ["Download 3 pairs (CSV)"]


def test_compare_detail_shows_both_runs_on_the_same_example(app):
    app.toggle(key="compare").set_value(True).run()
    app.radio(key="f_correct").set_value("incorrect").run()  # filters apply to run A
    app.radio(key="view").set_value("answers differ").run()
    assert example_options(app) == ["ex-04", "ex-07", "ex-09"]
    app.selectbox(key="ex_pair").set_value("ex-09 · differ").run()  # by its label
    page = texts(app)
    assert page.index("Run alpha") < page.index("Run beta")
    alpha_side = page[page.index("Run alpha") : page.index("Run beta")]
    beta_side = page[page.index("Run beta") :]
    assert "neutral" in alpha_side and "contradiction" in beta_side
    assert "beta reads example 9: the premise points to contradiction." in beta_side
    assert "Teacher explains example 9: entailment." in page


def test_compare_with_an_empty_run(app):
    app.toggle(key="compare").set_value(True).run()
    app.selectbox(key="run_b").set_value("empty").run()
    assert "0 examples in both runs (10 only in alpha, 0 only in empty)" in texts(app)
    assert "The two runs share no example ids, so there is nothing to compare." in [
        i.value for i in app.info
    ]


# ----------------------------------------------------------------------------- bad starts


def _problem(at: AppTest) -> tuple[list[str], list[str]]:
    assert not at.exception
    return [e.value for e in at.error], texts(at)


def test_no_runs_argument(open_app, monkeypatch):
    monkeypatch.delenv("EVALSUITE_RUNS", raising=False)
    errors, page = _problem(open_app())
    assert errors == ["The explorer cannot start."]
    assert page == [
        "no runs directory given; start the explorer with: streamlit run app.py -- --runs DIR"
    ]


def test_runs_directory_from_the_environment(open_app, monkeypatch, runs_dir):
    monkeypatch.setenv("EVALSUITE_RUNS", str(runs_dir))
    assert "10 of 10 examples match the filters" in texts(open_app())


def test_missing_runs_directory(open_app, tmp_path):
    errors, page = _problem(open_app("--runs", tmp_path / "nowhere"))
    assert errors == ["The explorer cannot start."]
    assert page == [
        f"--runs {tmp_path / 'nowhere'}: no such directory; usage: streamlit run app.py -- "
        "--runs DIR"
    ]


def test_empty_runs_directory(open_app, tmp_path):
    errors, page = _problem(open_app("--runs", tmp_path))
    assert errors == ["No runs found."]
    assert page[0].startswith(f"{tmp_path} holds no run directory (one with manifest.json")


def test_unknown_argument(open_app, runs_dir):
    _, page = _problem(open_app("--run", runs_dir))
    assert page == ["unknown argument '--run'; usage: streamlit run app.py -- --runs DIR"]


def test_malformed_run_shows_the_file_and_line(open_app, tmp_path):
    path = fx.write_run(tmp_path, "bad", "arith", fx.paths_records())
    with (path / "records.jsonl").open("a") as handle:
        handle.write("{not json\n")
    errors, page = _problem(open_app("--runs", tmp_path))
    assert errors == ["Could not read this run."]
    where = path / "records.jsonl"
    assert page == [
        f"{where} line 4: invalid JSON (Expecting property name enclosed in double quotes)"
    ]


# ----------------------------------------------------------------------------- caching


def test_reload_after_the_records_change(open_app, tmp_path):
    # Pins the cache key: a run re-scored in place must not keep showing the old records.
    path = fx.write_run(tmp_path, "grow", "arith", fx.paths_records()[:2])
    at = open_app("--runs", tmp_path)
    assert "2 of 2 examples match the filters" in texts(at)
    writer_records = fx.paths_records()
    with (path / "records.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(writer_records[2]) + "\n")
    stat = (path / "records.jsonl").stat()
    os.utime(path / "records.jsonl", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    at.run()
    assert "3 of 3 examples match the filters" in texts(at)


# ----------------------------------------------------------------------------- issue 17: the table


def table_of(at: AppTest) -> Any:
    return next(df.value for df in at.dataframe if "extraction_failed" in df.value.columns)


def test_table_shows_the_rationale_cut_and_the_gold_value(open_app, tmp_path):
    long = "We first add three and four, " + "then we check the sum twice, " * 5 + "so 7."
    records = [
        {"id": "q-0", "gold": "( 3.0 + 4.0 )", "answer": "7", "correct": True,
         "confidence": 0.9, "rationale": long},
        {"id": "q-1", "gold": "( 10.0 - ( 6.0 + 3.0 ) )", "answer": "2", "correct": False,
         "confidence": 0.4, "rationale": "short"},
    ]  # fmt: skip
    fx.write_run(tmp_path, "eq", "svamp", records)
    at = open_app("--runs", tmp_path)
    table = table_of(at)
    assert list(table["gold"]) == ["( 3.0 + 4.0 )", "( 10.0 - ( 6.0 + 3.0 ) )"]
    assert list(table["gold_value"]) == ["7", "1"]
    cut = table["rationale"].iloc[0]
    assert len(cut) == 80 and cut.endswith("…") and long.startswith(cut[:-1])
    assert table["rationale"].iloc[1] == "short"
    page = texts(at)
    assert long in page  # the detail view shows it whole
    assert "( 3.0 + 4.0 ) = 7" in page


def test_sort_orders_the_whole_run_not_the_page(open_app, tmp_path):
    # Pins issue 17: sorting acted on the 25 rows on screen, so the run's most confident
    # example (here on page 3) never came first.
    confidences = [round(0.2 + 0.01 * (i % 30), 2) for i in range(60)]
    confidences[55] = 0.99
    records = [
        {"id": f"n-{i:03d}", "gold": "1", "answer": "1", "correct": i % 2 == 0, "confidence": c}
        for i, c in enumerate(confidences)
    ]
    fx.write_run(tmp_path, "long", "arith", records)
    at = open_app("--runs", tmp_path)
    at.selectbox(key="sort").set_value("confidence, highest first").run()
    table = table_of(at)
    assert table["id"].iloc[0] == "n-055"
    assert list(table["confidence"])[:3] == [0.99, 0.49, 0.49]
    assert example_options(at)[0] == "n-055"
    at.selectbox(key="sort").set_value("confidence, lowest first").run()
    assert list(table_of(at)["id"])[:2] == ["n-000", "n-030"]
    at.radio(key="f_correct").set_value("incorrect").run()  # filters and sort combine
    assert list(table_of(at)["id"])[:2] == ["n-001", "n-031"]


def test_sort_incorrect_first_keeps_file_order_within_ties(app):
    app.selectbox(key="sort").set_value("incorrect first").run()
    assert list(table_of(app)["id"]) == ex_ids(4, 7, 9, 0, 1, 2, 3, 5, 6, 8)


# ----------------------------------------------------------------------------- deep links


def test_deep_link_opens_one_example(open_app, runs_dir, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(APP), "--runs", str(runs_dir)])
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["run"] = "beta"
    at.query_params["id"] = "ex-09"
    at.run()
    assert not at.exception
    assert at.selectbox(key="run").value == "beta"
    page = texts(at)
    assert "beta reads example 9: the premise points to contradiction." in page
    assert at.query_params["id"] == "ex-09"


def test_deep_link_to_a_later_page_opens_that_page(open_app, tmp_path, monkeypatch):
    records = [
        {"id": f"n-{i:03d}", "gold": "1", "answer": "1", "correct": True, "rationale": f"r{i}"}
        for i in range(60)
    ]
    fx.write_run(tmp_path, "long", "arith", records)
    monkeypatch.setattr(sys, "argv", [str(APP), "--runs", str(tmp_path)])
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["run"] = "long"
    at.query_params["id"] = "n-055"
    at.run()
    assert "Rows 51–60 · page 3 of 3" in texts(at)
    assert "r55" in texts(at)


def test_deep_link_to_a_missing_example_or_run_says_so(runs_dir, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(APP), "--runs", str(runs_dir)])
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["run"] = "alpha"
    at.query_params["id"] = "nope"
    at.run()
    assert [e.value for e in at.error] == ["The link's example is not shown."]
    assert "no example 'nope' in alpha" in texts(at)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["run"] = "gamma"
    at.run()
    assert [e.value for e in at.error] == ["The link names a run that is not here."]
    assert "no run 'gamma'" in texts(at)


def test_compare_link_opens_the_pair(runs_dir, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(APP), "--runs", str(runs_dir)])
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params.update({"a": "alpha", "b": "beta", "id": "ex-07"})
    at.run()
    assert not at.exception
    assert at.toggle(key="compare").value is True
    assert at.selectbox(key="run_b").value == "beta"
    page = texts(at)
    assert "Run alpha" in page and "Run beta" in page
    assert "beta reads example 7: the premise points to neutral." in page


# ----------------------------------------------------------------------------- the detail view


def test_word_diff_against_the_teacher_is_text(app):
    page = texts(app)
    # ex-00: teacher "Teacher explains example 0: entailment.", student
    # "alpha reads example 0: the premise points to entailment."
    assert (
        "[-Teacher explains-] {+alpha reads+} example 0: {+the premise points to+} entailment."
    ) in page
    assert "3 of 5 teacher words kept, 6 added; similarity 43 %" in page
    assert "Word diff, teacher to student: [-teacher only-] {+student only+}" in [
        c.value for c in app.caption
    ]


def test_markup_in_a_rationale_is_diffed_as_text(app):
    app.selectbox(key="ex").set_value(4).run()
    diff = next(t for t in texts(app) if t.startswith("[-Teacher"))
    assert "{+**Not bold** <script>alert('x')</script> _so_ the answer is" in diff
    for element in [*app.markdown, *app.caption]:
        assert "script" not in element.value


def test_a_run_without_a_teacher_says_there_is_no_diff(app):
    select_run(app, "paths")
    assert "No word diff: the teacher's or the student's rationale is missing." in texts(app)


# ----------------------------------------------------------------------------- calibration


def test_selecting_a_confidence_bin_lists_its_examples(app):
    picker = app.selectbox(key="bin_a")
    assert picker.options[1:] == [
        "[0.40, 0.50) · 1", "[0.50, 0.60) · 2", "[0.60, 0.70) · 2", "[0.70, 0.80) · 1",
        "[0.80, 0.90) · 2", "[0.90, 1.00] · 2",
    ]  # fmt: skip
    picker.set_value("[0.50, 0.60) · 2").run()
    assert "2 examples with confidence in [0.50, 0.60)" in texts(app)
    members = next(df.value for df in app.dataframe if "extraction_failed" in df.value.columns)
    assert list(members["id"]) == ["ex-07", "ex-08"]


# ----------------------------------------------------------------------------- the matrix


def matrix_buttons(at: AppTest) -> dict[str, str]:
    return {b.key: b.label for b in at.button if b.key.startswith("cell ")}


def test_matrix_counts_and_mcnemar(app):
    app.toggle(key="compare").set_value(True).run()
    # alpha right on 0 1 2 3 5 6 8, beta on 0 1 2 4 5 6 7 8: both 6, only alpha 1 (ex-03),
    # only beta 2 (ex-04, ex-07), neither 1 (ex-09). McNemar exact on 1 vs 2: p = 1.
    assert matrix_buttons(app) == {
        "cell both right": "both right: 6",
        "cell only A right": "only A right: 1",
        "cell only B right": "only B right: 2",
        "cell neither right": "neither right: 1",
    }
    assert "A = alpha, B = beta: 10 shared examples; McNemar's exact test p = 1" in texts(app)


@pytest.mark.parametrize(
    ("cell", "ids"),
    [
        ("only B right", ["ex-04", "ex-07"]),
        ("only A right", ["ex-03"]),
        ("neither right", ["ex-09"]),
        ("both right", ex_ids(0, 1, 2, 5, 6, 8)),
    ],
)
def test_clicking_a_matrix_cell_shows_exactly_its_examples(app, cell, ids):
    app.toggle(key="compare").set_value(True).run()
    app.button(key=f"cell {cell}").click().run()
    assert not app.exception
    assert example_options(app) == ids
    table = next(df.value for df in app.dataframe if "disagree" in df.value.columns)
    assert list(table["id"]) == ids
    assert any(t.endswith(f"(cell {cell}; filters apply to alpha)") for t in texts(app))
    app.button(key="cell_clear").click().run()
    assert len(example_options(app)) == 10


# ----------------------------------------------------------------------------- usage statistics


def test_usage_statistics_are_off_in_config_and_in_the_readme():
    import re
    import tomllib

    repo = APP.parent
    config = tomllib.loads((repo / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    readme = (repo / "README.md").read_text()
    launches = re.findall(r"streamlit run app\.py[^`\n]*", readme)
    assert launches, "the README should say how to start the explorer"
    for command in launches:
        assert "--browser.gatherUsageStats false" in command, command
