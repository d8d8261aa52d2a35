"""Retake the README's screenshots of the explorer: overview, detail view, compare mode.

    python scripts/screenshots.py                       # the demo's runs (runs/demo/runs)
    python scripts/screenshots.py --runs DIR --run A --compare B [--example ID]
    python scripts/screenshots.py --fixtures            # the test fixture runs

It starts ``streamlit run app.py`` on a free localhost port (usage statistics off), opens deep
links in headless Chromium (Debian's ``chromium`` and ``chromedriver``), and writes
docs/img/explorer-{overview,detail,compare}.png, reduced to a 256-colour palette to stay small.
Without ``--runs`` and without the demo's runs it falls back to the test fixture runs
(tests/report/fixture_runs.py), and says so.
"""

from __future__ import annotations

import argparse
import io
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evalsuite.report.explorer import example_link, list_runs, load_run  # noqa: E402

DEMO_RUNS = REPO / "runs" / "demo" / "runs"
OUT = REPO / "docs" / "img"
WIDTH, HEIGHT = 1280, 1400
WAIT_S = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_explorer(runs: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
        "--server.headless", "true", "--server.address", "127.0.0.1",
        "--server.port", str(port), "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false", "--", "--runs", str(runs),
    ]  # fmt: skip
    with log.open("wb") as handle:
        server = subprocess.Popen(command, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit(f"streamlit did not start within {WAIT_S} s:\n{log.read_text()}")


def browser():  # selenium's Chrome driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--hide-scrollbars", f"--window-size={WIDTH},{HEIGHT}"):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def shoot(driver, url: str, ready_text: str, scroll_to: str | None, path: Path) -> None:
    """Open ``url`` in a fresh session, wait for ``ready_text``, scroll the heading
    ``scroll_to`` to the top, and save a palette PNG."""
    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")
    driver.get(url)
    WebDriverWait(driver, WAIT_S, poll_frequency=0.3).until(
        lambda d: ready_text in d.find_element(By.TAG_NAME, "body").text
    )
    time.sleep(2.0)  # images and grids finish drawing
    if scroll_to is not None:
        for heading in driver.find_elements(By.CSS_SELECTOR, "h1, h2, h3"):
            if heading.text.strip() == scroll_to:
                driver.execute_script("arguments[0].scrollIntoView(true);", heading)
        time.sleep(1.0)
    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, help=f"runs directory (default {DEMO_RUNS})")
    parser.add_argument("--fixtures", action="store_true", help="use the test fixture runs")
    parser.add_argument("--run", help="the run shown (default: the first)")
    parser.add_argument("--compare", help="the second run of compare mode (default: the next)")
    parser.add_argument("--example", help="the example of the detail view (default: an error)")
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go (docs/img)")
    args = parser.parse_args()

    runs = args.runs
    if args.fixtures or (runs is None and not DEMO_RUNS.is_dir()):
        from tests.report.fixture_runs import write_fixture_runs

        if not args.fixtures:
            print(f"{DEMO_RUNS} not found (make demo writes it): using the test fixture runs")
        runs = write_fixture_runs(Path(tempfile.mkdtemp(prefix="evalsuite-shots-")))
        args.run, args.compare = args.run or "alpha", args.compare or "beta"
    elif runs is None:
        runs = DEMO_RUNS
    entries = list_runs(runs)
    names = [entry.name for entry in entries]
    run = args.run or names[0]
    other = args.compare or next(name for name in names if name != run)
    loaded = load_run(next(entry.path for entry in entries if entry.name == run))
    wrong = [r.id for r in loaded.records if not r.correct and r.rationale]
    example = args.example or (wrong or [loaded.records[0].id])[0]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        server = start_explorer(runs, port, Path(tmp) / "streamlit.log")
        driver = browser()
        try:
            shoot(driver, f"{base}/?run={run}", "examples match the filters", None,
                  args.out / "explorer-overview.png")  # fmt: skip
            shoot(driver, example_link(base, run, example), "Word diff", "Example detail",
                  args.out / "explorer-detail.png")  # fmt: skip
            shoot(driver, f"{base}/?a={run}&b={other}&id={example}", "McNemar",
                  "Compare examples", args.out / "explorer-compare.png")  # fmt: skip
        finally:
            driver.quit()
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
