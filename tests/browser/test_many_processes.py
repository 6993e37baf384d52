"""One store, many processes, in Chromium: with a dashboard up and a page open, commands work against the same
store and an import from the command line shows at the page's next rerun; two dashboard processes on one store
both draw every page, and an upload through one is in the other's import history. The dashboards serve the store
as `make run` does (COLLAB_DB_SERVE=1: the tests' conftest turns serving off for the AppTests)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from metrics.scorecard import month_label
from metrics.store import served

from .conftest import (ROOT, chart_counts, go_to, metric_value, opened_dashboard, page_title, running_dashboard,
                       settle)
from .test_browser import BOARD_PACK, NEWEST, PAGES, zeta_survey

pytestmark = pytest.mark.timeout(900)
SERVING = {"COLLAB_DB_SERVE": "1"}


def command(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "metrics", *args, "--db", str(db)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "COLLAB_DB_SERVE": "0"})


def newest_import(db: Path) -> int:
    listed = command("imports", "--json", db=db)
    assert listed.returncode == 0, listed.stderr
    return max(entry["import_id"] for entry in json.loads(listed.stdout))


def served_within(db: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while served.served_at(str(db)) is None:
        assert time.monotonic() < deadline, f"the dashboard did not serve {db} within {seconds} s"
        time.sleep(0.2)


def shows_import(page, import_id: int) -> None:
    """The Data page's import history offers the import to undo, the newest first."""
    go_to(page, "Data")
    page.get_by_role("tab", name="Import history").click()
    undo = page.get_by_role("combobox", name="Import to undo", exact=True)
    expect(undo).to_have_value(str(import_id), timeout=30_000)


@pytest.fixture
def store_copy(sample_database, tmp_path) -> Path:
    return Path(shutil.copy(sample_database, tmp_path / "collab.duckdb"))


def test_commands_work_while_the_dashboard_is_open_and_an_import_shows_at_the_next_rerun(
        browser, store_copy, tmp_path, newest_month):
    with running_dashboard(store_copy, tmp_path, SERVING) as base, opened_dashboard(browser, base) as page:
        served_within(store_copy)
        before = metric_value(page, "Alignment")
        scorecard = command("scorecard", "--month", newest_month, "--json", db=store_copy)
        assert scorecard.returncode == 0, scorecard.stderr
        assert "Zeta" not in {unit["business_unit"] for unit in json.loads(scorecard.stdout)["business_units"]}

        imported = command("import", "survey", str(zeta_survey(tmp_path, newest_month)), db=store_copy)
        assert imported.returncode == 0, imported.stderr
        assert "imported 24" in imported.stdout
        after_json = json.loads(command("scorecard", "--month", newest_month, "--json", db=store_copy).stdout)
        assert "Zeta" in {unit["business_unit"] for unit in after_json["business_units"]}

        shows_import(page, newest_import(store_copy))            # a rerun (a page link) reads the new data
        go_to(page, "Scorecard")
        expect(page_title(page)).to_have_text(f"Collaboration scorecard · {month_label(newest_month)}")
        after = metric_value(page, "Alignment")
        assert float(after) > float(before), (before, after)     # two dozen top answers raise the index
        assert page.locator('[data-testid="stException"]').count() == 0


def _draws_every_page(page, newest_month) -> None:
    for link, title, min_charts in PAGES:
        go_to(page, link)
        exceptions = page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, exceptions.first.inner_text()
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0, \
            page.locator('[data-testid="stAlertContentError"]').first.inner_text()
        if link != BOARD_PACK:
            expect(page_title(page)).to_have_text(title.replace(NEWEST, month_label(newest_month)))
        charts, drawn = chart_counts(page)
        assert drawn == charts >= min_charts, f"{link}: {drawn} of {charts} charts drawn, {min_charts} expected"


def test_two_dashboards_on_one_store_draw_every_page_and_see_each_others_uploads(
        browser, store_copy, tmp_path, newest_month):
    with running_dashboard(store_copy, tmp_path, SERVING) as first_base, \
            opened_dashboard(browser, first_base) as first:
        served_within(store_copy)                                 # the first holds the file and serves it
        with running_dashboard(store_copy, tmp_path, SERVING) as second_base, \
                opened_dashboard(browser, second_base) as second:
            _draws_every_page(second, newest_month)               # the second reaches it through the first
            _draws_every_page(first, newest_month)

            go_to(second, "Data")
            uploader = second.locator('[data-testid="stFileUploader"]')
            uploader.locator('input[type="file"]').set_input_files(str(zeta_survey(tmp_path, newest_month)))
            rows_read = second.locator('[data-testid="stMetric"]').filter(has_text="Rows read")
            expect(rows_read.locator('[data-testid="stMetricValue"]')).to_have_text("24", timeout=60_000)
            settle(second)
            second.get_by_role("button", name="Import 24 rows", exact=True).click()
            expect(second.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
                "Imported 24 rows from zeta_survey.csv", timeout=120_000)
            landed = newest_import(store_copy)
            shows_import(first, landed)                           # seen by the other dashboard
            shows_import(second, landed)
