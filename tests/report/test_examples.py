"""examples.md (issue 17): each run's most confident errors and extraction failures and each
pair's largest disagreements, linked into the explorer; summary.md links the first of each.
Built with the real CLI on the explorer's fixture runs (numbers hand-set in fixture_runs.py)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from evalsuite.report import explorer as ex
from evalsuite.report.examples import EXAMPLES_MD
from tests.metrics.test_commands import one_line_error
from tests.report import fixture_runs as fx

LINK = re.compile(r"\[([^\]]+)\]\((http[^)]+)\)")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evalsuite.cli import main

    runs = fx.write_fixture_runs(tmp_path_factory.mktemp("runs"))
    out = tmp_path_factory.mktemp("reports") / "fixture"
    code = main(["report", *(str(runs / n) for n in ("alpha", "beta", "failed")), "--out",
                 str(out), "--no-figures", "--mi-estimators", "none", "--n-resamples", "100",
                 "--explorer-url", "http://lab:9000/explorer/"])  # fmt: skip
    assert code == 0
    return out


def _section(text: str, heading: str) -> list[tuple[str, str]]:
    body = text.split(heading, 1)[1].split("\n#", 1)[0]
    return LINK.findall(body)


def test_most_confident_errors_come_first(report):
    text = (report / EXAMPLES_MD).read_text()
    # alpha is wrong on ex-04 (0.75), ex-07 (0.55), ex-09 (0.45)
    alpha = text.split("## alpha", 1)[1]
    links = _section(alpha, "### Most confident errors (3 of 3)")
    assert [name for name, _ in links] == ["ex-04", "ex-07", "ex-09"]
    assert links[0][1] == "http://lab:9000/explorer/?run=alpha&id=ex-04"
    assert "- [ex-04](http://lab:9000/explorer/?run=alpha&id=ex-04): confidence 0.750, answer " \
        "contradiction, gold neutral" in text  # fmt: skip
    # failed: f-5 has a confidence, f-1 and f-4 none (last)
    failed = text.split("## failed", 1)[1]
    assert [n for n, _ in _section(failed, "### Most confident errors (3 of 3)")] == [
        "f-5", "f-1", "f-4",
    ]  # fmt: skip
    assert [n for n, _ in _section(failed, "### Extraction failures (2 of 2)")] == ["f-1", "f-4"]
    assert "No extraction failures." in alpha.split("## beta", 1)[0]


def test_largest_disagreements_by_confidence_gap(report):
    text = (report / EXAMPLES_MD).read_text()
    # alpha vs beta differ on 3 4 7 9; beta is always 0.8, alpha 0.85 0.75 0.55 0.45:
    # gaps 0.05 0.05 0.25 0.35. Runs of another task (failed: arith) are not paired.
    links = _section(text, "### alpha vs beta (4 of 4 whose answers differ)")
    assert [n for n, _ in links] == ["ex-09", "ex-07", "ex-03", "ex-04"]
    params = dict(parse_qsl(urlsplit(links[0][1]).query))
    assert ex.parse_deep_link(params) == ex.DeepLink("alpha", "beta", "ex-09")
    assert "alpha vs failed" not in text and "beta vs failed" not in text


def test_summary_links_the_first_examples_and_examples_md(report):
    summary = (report / "summary.md").read_text()
    section = summary.split("## Examples in the explorer", 1)[1]
    assert f"[{EXAMPLES_MD}]({EXAMPLES_MD})" in section
    line = next(s for s in section.splitlines() if s.startswith("- failed"))
    assert [n for n, _ in LINK.findall(line)] == ["f-5", "f-1", "f-4", "f-1", "f-4"]
    pair = next(s for s in section.splitlines() if s.startswith("- alpha vs beta"))
    assert [n for n, _ in LINK.findall(pair)] == ["ex-09", "ex-07", "ex-03"]
    assert EXAMPLES_MD in [Path(f).name for f in __import__("json").loads(
        (report / "report.json").read_text())["files"]]  # fmt: skip


def test_every_link_names_a_run_and_an_example_of_it(report):
    runs = {"alpha": fx.alpha_records(), "beta": fx.beta_records(), "failed": fx.failed_records()}
    ids = {name: {r["id"] for r in records} for name, records in runs.items()}
    for _, url in LINK.findall((report / EXAMPLES_MD).read_text()):
        link = ex.parse_deep_link(dict(parse_qsl(urlsplit(url).query)))
        assert link.example_id in ids[link.run]
        if link.compare_with is not None:
            assert link.example_id in ids[link.compare_with]


def test_markdown_in_a_run_name_cannot_break_a_link(cli, tmp_path):
    run = fx.write_run(tmp_path, "a](x)*b", "anli1", fx.alpha_records())
    out = tmp_path / "r"
    assert cli("report", run, "--out", out, "--no-figures", "--mi-estimators", "none").code == 0
    links = LINK.findall((out / EXAMPLES_MD).read_text())
    assert links and all(
        ex.parse_deep_link(dict(parse_qsl(urlsplit(u).query))).run == "a](x)*b" for _, u in links
    )


@pytest.mark.parametrize("url", ["localhost:8501", "ftp://x", "http://a b", ""])
def test_bad_explorer_url(cli, tmp_path, url):
    run = fx.write_run(tmp_path, "alpha", "anli1", fx.alpha_records())
    one_line_error(
        cli("report", run, "--out", tmp_path / "r", "--explorer-url", url),
        rf"--explorer-url {re.escape(url)}: expected an http:// or https:// address",
    )
    assert not (tmp_path / "r").exists()
