"""Browser tests: a real `streamlit run` on a free loopback port, driven by Debian's Chromium through Playwright.

The server gets its own copy of a database built from sample_data/, so the tests neither read nor change
data/collab.duckdb. Tests that write (an import) use `scratch_server`, a server on a fresh copy of its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1366, "height": 768}
STARTUP_TIMEOUT_S = 60

APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stPlotlyChart"]'
MAIN = '[data-testid="stMain"]'


# The server ---------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    # start_new_session made the server the leader of a process group of its own: ending the group ends
    # streamlit and anything it started, and nothing else.
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def running_dashboard(database: Path, log_dir: Path, env: dict | None = None) -> Iterator[str]:
    """`streamlit run dashboard.py` on COLLAB_DB=database (and `env`); yields the base URL once /_stcore/health
    says ok."""
    port = _free_port()
    log_path = log_dir / f"streamlit-{port}.log"
    env = {**os.environ, "COLLAB_DB": str(database), "PYTHONUNBUFFERED": "1", **(env or {})}
    command = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(f"{base}/_stcore/health"):
            if process.poll() is not None or time.monotonic() > deadline:
                why = (f"exited with code {process.returncode}" if process.poll() is not None
                       else f"was not healthy after {STARTUP_TIMEOUT_S} s")
                pytest.fail(f"streamlit {why}; its log:\n{log_path.read_text(errors='replace')}", pytrace=False)
            time.sleep(0.25)
        yield base
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def sample_database(tmp_path_factory) -> Path:
    """A database built from sample_data/, never opened by a server: each server gets a copy."""
    from metrics import opening

    path = tmp_path_factory.mktemp("browser-sample") / "collab.duckdb"
    opening.open_store(path).close()
    return path


@pytest.fixture(scope="session")
def sample_months(sample_database) -> list[str]:
    """The sample data's months (YYYY-MM), oldest first."""
    from metrics import scorecard, store

    con = store.connect(sample_database)
    try:
        return list(scorecard.months_available(con))
    finally:
        con.close()


@pytest.fixture(scope="session")
def newest_month(sample_months) -> str:
    """The month every page opens on."""
    return sample_months[-1]


def _copy(sample_database: Path, tmp_path_factory, name: str) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp(name)
    return Path(shutil.copy(sample_database, directory / "collab.duckdb")), directory


@pytest.fixture(scope="session")
def server(sample_database, tmp_path_factory) -> Iterator[str]:
    """The dashboard for tests that only read."""
    database, directory = _copy(sample_database, tmp_path_factory, "browser-server")
    with running_dashboard(database, directory) as base:
        yield base


@pytest.fixture
def scratch_server(sample_database, tmp_path_factory) -> Iterator[str]:
    """A dashboard on a fresh copy of the sample database, for a test that imports or undoes."""
    database, directory = _copy(sample_database, tmp_path_factory, "browser-scratch")
    with running_dashboard(database, directory) as base:
        yield base


# The browser --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found. The browser tests drive Debian's Chromium: install it with "
                    "`apt-get install -y chromium` (CI's .ci/run does). Never `playwright install`.", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def opened_dashboard(browser, base: str):
    """A fresh browser context (so a fresh Streamlit session) on the dashboard's front page at 1920×1080."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(30_000)
    try:
        tab = context.new_page()
        tab.goto(base)
        settle(tab)
        yield tab
    finally:
        context.close()


@pytest.fixture
def page(browser, server):
    with opened_dashboard(browser, server) as tab:
        yield tab


@pytest.fixture
def scratch_page(browser, scratch_server):
    with opened_dashboard(browser, scratch_server) as tab:
        yield tab


# Helpers ------------------------------------------------------------------------------------------------------

def settle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script is idle and every plotly chart has drawn, then a short pause for layout."""
    page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout_ms)
    # The script state turns idle before the charts mount.
    page.wait_for_function(
        "(sel) => Array.from(document.querySelectorAll(sel)).every(chart => chart.querySelector('.main-svg'))",
        arg=CHART, timeout=timeout_ms)
    page.wait_for_timeout(400)
    page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout_ms)


def sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def sidebar_link(page, title: str):
    nav = page.locator('[data-testid="stSidebarNav"]')
    return (nav if nav.count() else sidebar(page)).get_by_role("link", name=title, exact=True)


def has_page(page, title: str) -> bool:
    return sidebar_link(page, title).count() > 0


def go_to(page, title: str) -> None:
    """Click the sidebar link to a page: a `goto` to its URL would start a new session and lose the filters."""
    link = sidebar_link(page, title)
    link.click()
    page.wait_for_function("(link) => link.getAttribute('aria-current') === 'page'", arg=link.element_handle())
    settle(page)


def choose(page, label: str, option: str, within=None) -> None:
    """Pick an option of a select box by the select box's label."""
    box = (within or page).get_by_role("combobox", name=label, exact=True)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)
    settle(page)


def page_title(page):
    """The page's title (its h1) as a locator, for `expect(...).to_have_text(...)`, which waits out a rerun."""
    return page.locator(f"{MAIN} h1").first


def metric_value(page, label: str) -> str:
    tile = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return tile.locator('[data-testid="stMetricValue"]').first.inner_text().strip()


def chart_counts(page) -> tuple[int, int]:
    """(plotly charts on the page, how many of them have drawn)."""
    return page.evaluate(
        """(sel) => { const charts = Array.from(document.querySelectorAll(sel));
                      return [charts.length, charts.filter(c => c.querySelector('.main-svg')).length]; }""", CHART)


def dataframe_first_column(page, index: int = 0) -> list[str]:
    """The first cells of a dataframe's rows, read from the accessible table glide-data-grid keeps in the DOM."""
    table = page.locator('[data-testid="stDataFrame"]').nth(index).locator("table")
    if not table.count():
        return []
    return table.first.locator("tbody tr").evaluate_all(
        "(rows) => rows.map(row => row.cells[0] ? row.cells[0].innerText.trim() : '')")


def horizontal_overflow(page) -> int:
    """By how many pixels stMain's content is wider than stMain; at most 1 is rounding."""
    return page.evaluate(
        "(sel) => { const main = document.querySelector(sel); return main.scrollWidth - main.clientWidth; }", MAIN)


def set_viewport(page, size: dict) -> None:
    page.set_viewport_size(size)
    page.wait_for_timeout(300)  # plotly redraws on resize
    settle(page)


def full_page_screenshot(page, name: str) -> Path:
    """Screenshot the whole of stMain, which scrolls inside the window, by growing the viewport to its height."""
    viewport = dict(page.viewport_size)
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        for _ in range(3):  # growing the window can grow the page (charts sized to the window)
            height = page.evaluate("(sel) => document.querySelector(sel).scrollHeight", MAIN)
            if height <= page.viewport_size["height"]:
                break
            page.set_viewport_size({"width": viewport["width"], "height": height})
            page.wait_for_timeout(300)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)
    return path
