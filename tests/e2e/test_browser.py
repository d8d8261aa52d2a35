"""The explorer in a real browser: ``streamlit run app.py`` on localhost, driven by Chromium.

It walks the issue's path on the fixture runs (tests/report/fixture_runs.py): pick a run, filter to
incorrect examples, open one, switch to compare mode; it asserts on the page's text at each step
and saves a screenshot (the test's tmp dir, and reports/e2e/screenshot.png for CI to keep). Then
issue 17's checks: a deep link opens one example; sorting by confidence puts the run's most
confident example (on page 3 in file order) on the first row; a cell of the disagreement matrix
shows exactly its examples; ``<script>alert(1)</script>`` in a rationale is text, with no alert;
a link of a report's examples.md opens its example.

Needs Debian's chromium and chromedriver (``apt-get install chromium chromium-driver``); skips
with the reason when they are absent. Run with ``make e2e`` (``pytest -m e2e``).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.report import fixture_runs as fx
from tests.report.fixture_runs import write_fixture_runs

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 60.0
SCRIPT = "<script>alert(1)</script>"
RANKED_TOP = "r-055"  # the most confident example of the 'ranked' run, on page 3 in file order


def write_e2e_runs(root: Path) -> Path:
    """The fixture runs, plus 'ranked' (60 records, the most confident one on page 3) and
    'hostile' (a rationale that is a script tag, beside the teacher's)."""
    write_fixture_runs(root)
    confidences = [round(0.2 + 0.01 * (i % 30), 2) for i in range(60)]
    confidences[55] = 0.99
    ranked = [
        {"id": f"r-{i:03d}", "gold": "( 3.0 + 4.0 )", "answer": "7", "correct": i % 2 == 0,
         "confidence": c, "rationale": f"ranked rationale {i}"}
        for i, c in enumerate(confidences)
    ]  # fmt: skip
    fx.write_run(root, "ranked", "svamp", ranked)
    hostile = [
        {"id": "h-0", "gold": "7", "answer": "7", "correct": True, "confidence": 0.9,
         "rationale": f"so {SCRIPT} 7", "teacher": {"rationale": "so the answer is 7"}},
    ]  # fmt: skip
    fx.write_run(root, "hostile", "arith", hostile)
    return root


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_e2e_runs(tmp_path_factory.mktemp("runs"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, runs_root: Path) -> Iterator[str]:
    """Start the explorer on fixture runs at a free localhost port; stop it afterwards."""
    runs = runs_root
    port = _free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
        "--server.headless", "true", "--server.address", "127.0.0.1",
        "--server.port", str(port), "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--", "--runs", str(runs),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", server, log_path)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer at {url} within {WAIT_S} s:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Headless Chromium through Debian's chromedriver, with a fresh profile."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(
            f"browser test needs {' and '.join(missing)}: "
            "apt-get install -y chromium chromium-driver"
        )
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1400,4000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


# ----------------------------------------------------------------------------- page helpers


def _page_texts(driver) -> list[str]:
    """The text of every st.text element on the page, in order."""
    from selenium.webdriver.common.by import By

    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stText"]')]


def _wait_for_text(driver, text: str) -> None:
    """Wait until an st.text element shows exactly ``text`` (the app reruns asynchronously)."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d) -> bool:
        try:
            return text in _page_texts(d)
        except StaleElementReferenceException:
            return False

    try:
        WebDriverWait(driver, WAIT_S, poll_frequency=0.2).until(shown)
    except TimeoutException:
        pytest.fail(f"page never showed {text!r}; it shows {_page_texts(driver)}")


def _widget(driver, testid: str, label: str):
    """The Streamlit widget of kind ``testid`` whose label reads ``label``."""
    from selenium.webdriver.common.by import By

    for element in driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]'):
        if element.text.splitlines()[:1] == [label]:
            return element
    pytest.fail(f"no {testid} labelled {label!r} on the page")


def _choose(driver, label: str, option: str) -> None:
    """Open the selectbox labelled ``label`` and click the option reading ``option``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _widget(driver, "stSelectbox", label).find_element(By.CSS_SELECTOR, "input").click()

    def option_element(d):
        for element in d.find_elements(By.CSS_SELECTOR, '[role="option"]'):
            if element.text.strip() == option:
                return element
        return False

    WebDriverWait(driver, WAIT_S).until(option_element).click()


def _click_label(driver, testid: str, label: str, choice: str) -> None:
    """Click the radio option (or toggle) reading ``choice`` in the widget labelled ``label``."""
    from selenium.webdriver.common.by import By

    widget = _widget(driver, testid, label)
    for element in widget.find_elements(By.CSS_SELECTOR, "label"):
        if element.text.strip() == choice:
            element.click()
            return
    pytest.fail(f"{label!r} has no option {choice!r}")


def _screenshot(driver, tmp_path: Path) -> Path:
    path = tmp_path / "screenshot.png"
    driver.save_screenshot(str(path))
    keep = REPO / "reports" / "e2e" / "screenshot.png"
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, keep)
    return path


# ----------------------------------------------------------------------------- the walk


def test_pick_filter_open_compare(browser, app_url: str, tmp_path: Path) -> None:
    driver = browser
    driver.get(app_url)
    # The first run (alpha) loads by default.
    _wait_for_text(driver, "10 of 10 examples match the filters")

    # 1. Pick a run: beta (11 records, 9 correct).
    _choose(driver, "Run", "beta")
    _wait_for_text(driver, "11 of 11 examples match the filters")
    heading = "beta · task anli1 · split test · 11 records · status complete"
    assert f"{heading} · metrics computed from records" in _page_texts(driver)

    # 2. Filter to incorrect examples: beta gets ids 3 and 9 wrong.
    _click_label(driver, "stRadio", "Correctness", "incorrect")
    _wait_for_text(driver, "2 of 11 examples match the filters")

    # 3. Open one: ex-09, whose gold is entailment and beta's answer contradiction.
    _choose(driver, "Example", "ex-09 · ✗")
    _wait_for_text(driver, "beta reads example 9: the premise points to contradiction.")
    texts = _page_texts(driver)
    assert "ex-09" in texts
    assert "Teacher explains example 9: entailment." in texts

    # 4. Compare mode: alpha is the second run; both runs' answers differ on ids 3 and 9.
    _click_label(driver, "stCheckbox", "Compare with a second run", "Compare with a second run")
    _wait_for_text(
        driver,
        "10 examples in both runs (1 only in beta, 0 only in alpha); 2 shown "
        "(all shared examples; filters apply to beta)",
    )
    _click_label(driver, "stRadio", "Show pairs", "answers differ")
    _wait_for_text(
        driver,
        "10 examples in both runs (1 only in beta, 0 only in alpha); 2 shown "
        "(answers differ; filters apply to beta)",
    )
    # The first pair, ex-03, side by side: beta says contradiction, alpha (correctly) entailment.
    _wait_for_text(driver, "alpha reads example 3: the premise points to entailment.")
    texts = _page_texts(driver)
    assert "Run beta" in texts and "Run alpha" in texts
    assert "beta reads example 3: the premise points to contradiction." in texts
    assert texts.index("Run beta") < texts.index("Run alpha")

    shot = _screenshot(driver, tmp_path)
    assert shot.stat().st_size > 10_000


# ----------------------------------------------------------------------------- issue 17


def _open(driver, url: str) -> None:
    """Load ``url`` in a fresh session of the page (a link is read when a session starts)."""
    driver.get("about:blank")
    driver.get(url)


def _table_ids(driver, header: str) -> list[str]:
    """The first column of the data grid whose header row has ``header``, as the grid's
    accessible table lists it (the rows on screen)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        for grid in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stDataFrame"]'):
            rows = grid.find_elements(By.CSS_SELECTOR, "tr")
            if not rows:
                continue
            heads = [
                c.get_attribute("textContent")
                for c in rows[0].find_elements(By.CSS_SELECTOR, "th, td")
            ]
            if header in heads:
                return [
                    r.find_elements(By.CSS_SELECTOR, "td")[0].get_attribute("textContent")
                    for r in rows[1:]
                    if r.find_elements(By.CSS_SELECTOR, "td")
                ]
    except StaleElementReferenceException:
        return []
    return []


def _wait_for_ids(driver, header: str, check, what: str) -> list[str]:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, WAIT_S, poll_frequency=0.3).until(
            lambda d: check(_table_ids(d, header))
        )
    except TimeoutException:
        pytest.fail(f"the table never showed {what}; it shows {_table_ids(driver, header)}")
    return _table_ids(driver, header)


def test_deep_link_opens_one_example(browser, app_url: str) -> None:
    _open(browser, f"{app_url}?run=beta&id=ex-07")
    _wait_for_text(browser, "beta reads example 7: the premise points to neutral.")
    texts = _page_texts(browser)
    assert "ex-07" in texts and "Teacher explains example 7: neutral." in texts


def test_sort_by_confidence_puts_the_most_confident_example_first(browser, app_url: str) -> None:
    _open(browser, f"{app_url}?run=ranked")
    _wait_for_text(browser, "60 of 60 examples match the filters")
    first = _wait_for_ids(browser, "gold_value", lambda ids: len(ids) > 0, "rows")
    assert first[0] == "r-000"  # file order
    _choose(browser, "Sort by", "confidence, highest first")
    ids = _wait_for_ids(browser, "gold_value", lambda ids: ids[:1] == [RANKED_TOP], RANKED_TOP)
    assert ids[0] == RANKED_TOP
    _wait_for_text(browser, "Rows 1–25 · page 1 of 3")


def test_clicking_a_matrix_cell_shows_exactly_its_examples(browser, app_url: str) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, f"{app_url}?a=alpha&b=beta")
    _wait_for_text(browser, "A = alpha, B = beta: 10 shared examples; McNemar's exact test p = 1")
    buttons = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stButton"] button')
    (cell,) = [b for b in buttons if b.text.strip() == "only B right: 2"]
    cell.click()
    _wait_for_text(
        browser,
        "10 examples in both runs (0 only in alpha, 1 only in beta); 2 shown "
        "(cell only B right; filters apply to alpha)",
    )
    ids = _wait_for_ids(browser, "answer_a", lambda ids: ids == ["ex-04", "ex-07"], "ex-04, ex-07")
    assert ids == ["ex-04", "ex-07"]


def test_a_script_in_a_rationale_is_shown_as_text(browser, app_url: str) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    _open(browser, f"{app_url}?run=hostile&id=h-0")
    _wait_for_text(browser, f"so {SCRIPT} 7")
    assert f"so [-the answer is-] {{+{SCRIPT}+}} 7" in _page_texts(browser)  # the word diff
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is what raises
    assert not browser.find_elements(By.XPATH, "//script[contains(text(), 'alert(1)')]")


def test_a_link_of_examples_md_opens_its_example(
    browser, app_url: str, runs_root: Path, tmp_path: Path
) -> None:
    import re

    from evalsuite.report.build import build_report
    from evalsuite.report.config import ReportConfig
    from evalsuite.runs import read_run

    config = ReportConfig(mi_estimators=(), figures=False, n_resamples=100,
                          explorer_url=app_url)  # fmt: skip
    runs = [read_run(runs_root / name) for name in ("alpha", "beta")]
    report = build_report(runs, tmp_path / "report", config)
    text = (report.out / "examples.md").read_text()
    # alpha's most confident error: ex-04 (confidence 0.75)
    name, url = re.findall(r"\[([^\]]+)\]\((http[^)]+)\)", text)[0]
    assert name == "ex-04" and url.startswith(app_url)
    _open(browser, url)
    _wait_for_text(browser, "Teacher explains example 4: neutral.")
    texts = _page_texts(browser)
    assert "ex-04" in texts
    assert fx.MARKUP_RATIONALE.format(answer="contradiction") in texts
