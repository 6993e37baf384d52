"""Sign-in and roles end to end: a local OpenID provider (oidc-provider-mock), the dashboard with an [auth] section
and a roles file, and Chromium signing in as an admin, an analyst, a viewer and a user with no role, and out.
Also: without sign-in configured, every page says the app runs as a single local user."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect

from metrics.ingest import KIND_LABELS

from .conftest import (APP_IDLE, DESKTOP, ROOT, STARTUP_TIMEOUT_S, _free_port, _healthy, _stop, full_page_screenshot,
                       go_to, page_title, settle, sidebar)

pytestmark = pytest.mark.timeout(300)

LOCAL_NOTICE = "Single local user: sign-in is not configured"
EVERY_PAGE = ["Scorecard", "Review", "Alignment", "Collaboration and results", "Meetings", "Joint projects", "Board pack",
              "Data", "Definitions"]
VIEWER_PAGES = [title for title in EVERY_PAGE if title != "Data"]

ROLES = {"admin": "admin@example.com", "analyst": "analyst@example.com", "viewer": "viewer@example.com"}
LEADERS = {"marketing": "cmo@example.com", "it": "cio@example.com"}   # the leader role, by side
NOBODY = "nobody@example.com"  # signs in fine, but the roles file does not name them


# The OpenID provider and the dashboard ---------------------------------------------------------------------------

def _wait_until(ready, process: subprocess.Popen, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            why = (f"exited with code {process.returncode}" if process.poll() is not None
                   else f"was not ready after {STARTUP_TIMEOUT_S} s")
            pytest.fail(f"{what} {why}; its log:\n{log_path.read_text(errors='replace')}", pytrace=False)
        time.sleep(0.25)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running_provider(log_dir: Path, token_max_age: int | None = None) -> Iterator[str]:
    """oidc-provider-mock on a free loopback port (its command line allows plain http, as a test needs); yields its
    issuer URL. Any client id and secret are accepted; the authorization form asks for the subject. A subject
    registered with `register_users` gets its claims; any other gets {"email": subject} (no email_verified)."""
    port = _free_port()
    log_path = log_dir / f"oidc-provider-{port}.log"
    command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    if token_max_age is not None:
        command += ["--token-max-age", str(token_max_age)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: _answers(f"{issuer}/.well-known/openid-configuration"), process, "oidc-provider-mock",
                    log_path)
        yield issuer
    finally:
        _stop(process)


def register_users(issuer: str, users: dict[str, dict]) -> None:
    """Give each subject its claims at the provider (PUT /users/<sub>)."""
    for sub, claims in users.items():
        request = urllib.request.Request(f"{issuer}/users/{urllib.parse.quote(sub, safe='')}",
                                         data=json.dumps(claims).encode(), method="PUT",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 204, (sub, response.status)


def verified(*emails: str) -> dict[str, dict]:
    """Subjects whose provider vouches for their address, as real providers do."""
    return {email: {"email": email, "email_verified": True} for email in emails}


def write_roles(directory: Path, text: str | None = None) -> Path:
    roles_file = directory / "roles.toml"
    if text is None:
        text = ("\n".join(f'{role} = ["{email}"]' for role, email in ROLES.items()) + "\n\n[leader]\n"
                + "\n".join(f'{side} = ["{email}"]' for side, email in LEADERS.items()) + "\n")
    roles_file.write_text(text, encoding="utf-8")
    return roles_file


@contextmanager
def dashboard_with_sign_in(database: Path, directory: Path, issuer: str, *, cookie_secret: str | None = None,
                           redirect_scheme: str = "http", port: int | None = None) -> Iterator[str]:
    """`streamlit run dashboard.py` with a secrets file of its own (--secrets.files, so the repository's .streamlit/
    is neither read nor written) whose [auth] points at `issuer`, and the roles file directory/roles.toml (written
    with ROLES unless already there) through $COLLAB_ROLES. Yields the base URL, on localhost: the host of
    redirect_uri, where the sign-in cookies are set. The server's log is directory/streamlit-<port>.log."""
    port = port or _free_port()
    secrets_file = directory / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{redirect_scheme}://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{cookie_secret or secrets.token_hex(32)}"\n'
        'client_id = "collaboration-health-test"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n', encoding="utf-8")
    roles_file = directory / "roles.toml"
    if not roles_file.exists():
        write_roles(directory)
    log_path = directory / f"streamlit-{port}.log"
    env = {**os.environ, "COLLAB_DB": str(database), "COLLAB_ROLES": str(roles_file), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--secrets.files", str(secrets_file)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        _wait_until(lambda: _healthy(f"http://127.0.0.1:{port}/_stcore/health"), process, "streamlit", log_path)
        yield f"http://localhost:{port}"
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def signed_server(sample_database, tmp_path_factory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("browser-sign-in")
    database = Path(shutil.copy(sample_database, directory / "collab.duckdb"))
    with running_provider(directory) as issuer:
        register_users(issuer, verified(*ROLES.values(), *LEADERS.values(), NOBODY))
        with dashboard_with_sign_in(database, directory, issuer) as base:
            yield base


@pytest.fixture
def visitor(browser, signed_server):
    """A fresh browser context (no cookies: nobody signed in) on the dashboard with sign-in."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


# Helpers ---------------------------------------------------------------------------------------------------------

def open_url(page, url: str) -> None:
    page.goto(url)
    settle(page)


def sign_in(page, base: str, email: str) -> None:
    """From the sign-in page, through the provider's authorization form as `email`, back to the dashboard."""
    open_url(page, base)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/oauth2/authorize**")
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{base}/**")
    page.wait_for_selector(APP_IDLE, state="attached", timeout=60_000)
    settle(page)


def sign_out(page, base: str) -> None:
    """The sidebar's Sign out, through the provider's end-session form, back on the dashboard's sign-in page."""
    sidebar(page).get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/oauth2/end_session**")
    page.get_by_role("button", name="End session", exact=True).click()
    page.wait_for_url(f"{base}/**")
    settle(page)
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()


def nav_titles(page) -> list[str]:
    nav = page.locator('[data-testid="stSidebarNav"]')
    if not nav.count():
        return []
    # A link's text starts with its icon's name (a material-symbols ligature): the title is its last line.
    return [text.strip().splitlines()[-1].strip() for text in nav.get_by_role("link").all_inner_texts()]


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_timeout(300)


def assert_gate_only(page) -> None:
    """Nothing of the dashboard: no menu, no sidebar, no figures, tables or upload."""
    assert nav_titles(page) == []
    # A fresh page has no sidebar at all; a session that was signed in keeps an empty one after its next run.
    expect(sidebar(page).locator('[data-testid="stSidebarUserContent"] [data-testid="stElementContainer"]')
           ).to_have_count(0)
    for test_id in ("stMetric", "stDataFrame", "stPlotlyChart", "stFileUploader", "stTabs"):
        assert page.locator(f'[data-testid="{test_id}"]').count() == 0, test_id
    assert page.locator('[data-testid="stException"]').count() == 0


# With sign-in --------------------------------------------------------------------------------------------------
# The first two tests run first on the fresh server on purpose (pytest keeps a file's order): until a run of
# dashboard.py has called st.navigation, Streamlit serves pages/ as an old-style multipage app whose pages run
# without dashboard.py's gate.

def test_first_request_on_a_fresh_server_to_an_analysis_page_shows_no_data(visitor, signed_server):
    open_url(visitor, f"{signed_server}/alignment")  # finds no month chosen, so shows no figures
    for test_id in ("stMetric", "stDataFrame", "stPlotlyChart", "stFileUploader"):
        assert visitor.locator(f'[data-testid="{test_id}"]').count() == 0, test_id


def test_first_request_on_a_fresh_server_to_an_analysis_page_asks_to_sign_in(visitor, signed_server):
    open_url(visitor, f"{signed_server}/alignment")
    expect(visitor.get_by_role("button", name="Sign in", exact=True)).to_be_visible(timeout=5_000)


def test_first_request_to_the_data_page_goes_through_the_gate_and_ends_that_mode(visitor, signed_server):
    open_url(visitor, f"{signed_server}/data")       # pages/data.py has the app run through dashboard.py
    expect(visitor.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    assert_gate_only(visitor)
    open_url(visitor, f"{signed_server}/alignment")  # from now on every page goes through dashboard.py
    expect(visitor.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    assert_gate_only(visitor)


def test_a_visitor_who_has_not_signed_in_sees_only_the_sign_in_page(visitor, signed_server):
    for path in ("", "/alignment", "/data", "/definitions"):
        open_url(visitor, signed_server + path)
        expect(page_title(visitor)).to_have_text("Collaboration Health")
        expect(visitor.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
        assert_gate_only(visitor)
    full_page_screenshot(visitor, "sign-in-page-1920x1080")


def test_an_admin_sees_data_with_undo_and_settings_and_signs_out(visitor, signed_server):
    page = visitor
    sign_in(page, signed_server, ROLES["admin"])
    expect(sidebar(page)).to_contain_text(f"Signed in as {ROLES['admin']} (admin)")
    assert LOCAL_NOTICE not in sidebar(page).inner_text()
    assert nav_titles(page) == EVERY_PAGE
    expect(page_title(page)).to_contain_text("Collaboration scorecard")

    go_to(page, "Data")
    expect(page.locator('[data-testid="stFileUploader"]')).to_be_visible()
    open_tab(page, "Import history")
    expect(page.get_by_role("button", name="Undo import", exact=True)).to_be_visible()
    open_tab(page, "Settings")
    expect(page.get_by_role("button", name="Save settings", exact=True)).to_be_visible()
    full_page_screenshot(page, "sign-in-admin-data-1920x1080")

    # Signing out ends the provider's session too (its end-session form), then lands on the sign-in page.
    sign_out(page, signed_server)
    assert_gate_only(page)
    open_url(page, f"{signed_server}/data")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    assert_gate_only(page)


def test_an_analyst_sees_data_without_undo_or_settings(visitor, signed_server):
    page = visitor
    sign_in(page, signed_server, ROLES["analyst"])
    expect(sidebar(page)).to_contain_text(f"Signed in as {ROLES['analyst']} (analyst)")
    assert nav_titles(page) == EVERY_PAGE
    go_to(page, "Data")
    expect(page.locator('[data-testid="stFileUploader"]')).to_be_visible()
    tabs = [t.strip() for t in page.get_by_role("tab").all_inner_texts()]
    assert tabs == ["Upload", "Import history", "Export", "Templates"]
    open_tab(page, "Import history")
    expect(page.get_by_text("Undoing an import is for admins.")).to_be_visible()
    assert page.get_by_role("button", name="Undo import").count() == 0
    open_tab(page, "Export")
    expect(page.get_by_role("button", name=f"Export {KIND_LABELS['survey'].lower()}", exact=True)).to_be_visible()


def test_a_viewer_has_no_data_page_and_its_url_is_refused(visitor, signed_server):
    page = visitor
    sign_in(page, signed_server, ROLES["viewer"])
    expect(sidebar(page)).to_contain_text(f"Signed in as {ROLES['viewer']} (viewer)")
    assert nav_titles(page) == VIEWER_PAGES
    expect(page_title(page)).to_contain_text("Collaboration scorecard")
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible()   # waits: the tiles draw after the title
    go_to(page, "Definitions")
    expect(page_title(page)).to_have_text("Definitions")

    open_url(page, f"{signed_server}/data")          # typed in: a new session, still signed in
    expect(page_title(page)).to_have_text("Data")
    expect(page.locator('[data-testid="stAlertContentError"]')).to_contain_text(
        f"The Data page is for the analyst and admin roles. You are signed in as {ROLES['viewer']}, a viewer.")
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    assert page.locator('[data-testid="stTabs"]').count() == 0
    assert nav_titles(page) == VIEWER_PAGES
    full_page_screenshot(page, "sign-in-viewer-data-refused-1920x1080")


def editor_rows(editor) -> int:
    return editor.locator('[role="row"]').count() - 1      # the accessible table's rows, less the header


def type_editor_row(page, editor, row: int, values: list[str | None]) -> None:
    """Type into row `row` of a data editor (a canvas: no DOM cell to click) from its second column on, as a user
    does with the keyboard: Enter opens a cell's editor, Tab commits it and moves right; None leaves a cell."""
    editor.scroll_into_view_if_needed()   # a rerun scrolls the page back to its top: the canvas must be on screen
    page.wait_for_timeout(400)            # and stand still before its position is read
    box = editor.bounding_box()
    page.mouse.click(box["x"] + 25, box["y"] + 35 * (row + 1) + 17)   # a cell of the row (the grid may be scrolled)
    page.keyboard.press("Home")           # the row's first (read-only) column, wherever the grid is scrolled to
    page.wait_for_timeout(150)
    page.keyboard.press("ArrowRight")
    for value in values:
        if value is None:
            page.keyboard.press("ArrowRight")
            continue
        page.keyboard.press("Enter")
        page.wait_for_timeout(400)
        page.keyboard.type(value, delay=20)
        page.wait_for_timeout(400)        # a dropdown cell (the target) filters its options as it is typed into
        page.keyboard.press("Tab")
        page.wait_for_timeout(300)


def add_editor_row(page, editor, values: list[str | None]) -> int:
    """Add a row to a data editor and type its cells; returns the new row's index."""
    row = editor_rows(editor)
    editor.hover()
    editor.get_by_role("button", name="Add row").click()
    page.wait_for_timeout(300)
    type_editor_row(page, editor, row, values)
    return row


def test_a_leader_writes_their_sides_note_and_an_action_and_is_refused_in_words(visitor, signed_server):
    page = visitor
    sign_in(page, signed_server, LEADERS["marketing"])
    expect(sidebar(page)).to_contain_text(f"Signed in as {LEADERS['marketing']} (leader, marketing (the CMO's note))")
    assert nav_titles(page) == VIEWER_PAGES          # a viewer's pages: no Data page
    go_to(page, "Review")
    expect(page_title(page)).to_contain_text("Monthly review")
    areas = page.locator('[data-testid="stTextArea"]')
    expect(areas).to_have_count(1)                   # the CMO's note only, not the CIO's
    expect(areas.first).to_contain_text("The CMO's note for")
    assert page.get_by_role("button", name="Save the CIO's note").count() == 0

    areas.first.locator("textarea").fill("## After the steering\n\n- **Staff exchange**: carry on in Wholesale")
    page.get_by_role("button", name="Save the CMO's note", exact=True).click()
    settle(page)
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text("Saved the CMO's note as import")
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_role("heading", name="After the steering")).to_be_visible()
    expect(main.locator("strong", has_text="Staff exchange")).to_be_visible()   # Markdown, rendered

    # An action with a title but no target or start month: refused, in words, and nothing stored.
    actions = page.locator('.st-key-review_actions [data-testid="stDataFrame"]')
    # the columns: id, unit, action, status, due, effect (read-only), owner, target, start, window
    row = add_editor_row(page, actions, ["Wholesale", "Joint backlog refinement", None, None, None, "CMO"])
    page.get_by_role("button", name="Save actions", exact=True).click()
    settle(page)
    refusal = page.locator('[data-testid="stAlertContentError"]')
    # Typing into the grid's canvas is the flaky part (a keystroke can land before the grid has focus): when the
    # title did not land, the refusal says so, and the title is typed again, up to twice more.
    for _ in range(2):
        if "title: is required but empty" not in (refusal.first.text_content() if refusal.count() else ""):
            break
        actions = page.locator('.st-key-review_actions [data-testid="stDataFrame"]')
        type_editor_row(page, actions, row, [None, "Joint backlog refinement"])
        page.get_by_role("button", name="Save actions", exact=True).click()
        settle(page)
    expect(refusal).to_contain_text("Nothing was saved")
    expect(refusal).to_contain_text("(Joint backlog refinement), target: is required but empty")
    expect(refusal).to_contain_text("(Joint backlog refinement), start month: is required but empty")

    # The row is still there, as typed: completed, it is stored as an import by this leader.
    # Typing into the grid's canvas is the flaky part of this test (a keystroke can land before the grid has
    # focus after the rerun): up to three tries at typing the same two cells, each followed by the save.
    success = page.locator('[data-testid="stAlertContentSuccess"]')
    for _ in range(3):
        actions = page.locator('.st-key-review_actions [data-testid="stDataFrame"]')
        type_editor_row(page, actions, row, [None, None, None, None, None, None, "partnership", "2026-10"])
        page.get_by_role("button", name="Save actions", exact=True).click()
        settle(page)
        if success.count():
            break
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text("Saved the actions as import")
    page.get_by_text("Who changed what, and when").click()
    changes = page.locator('[data-testid="stExpander"] [data-testid="stDataFrame"]')
    expect(changes).to_contain_text(LEADERS["marketing"])
    expect(changes).to_contain_text("Review page: actions")
    full_page_screenshot(page, "review-leader-1920x1080")


def test_a_viewer_reads_the_review_and_writes_nothing(visitor, signed_server):
    page = visitor
    sign_in(page, signed_server, ROLES["viewer"])
    go_to(page, "Review")
    expect(page.get_by_text("Leaders write the review here. You can read it.")).to_be_visible()
    assert page.locator('[data-testid="stTextArea"]').count() == 0
    assert page.get_by_role("button", name=re.compile("^Save")).count() == 0
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    assert page.locator('[data-testid="stDataFrame"]').count() >= 2   # the register and the actions, read-only
    assert page.get_by_role("button", name="Add row").count() == 0


def test_a_user_without_a_role_sees_only_that(visitor, signed_server):
    page = visitor
    sign_in(page, signed_server, NOBODY)
    expect(page.locator('[data-testid="stAlertContentWarning"]')).to_contain_text(
        f"You are signed in as {NOBODY}. You have no role here. Ask an admin")
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    assert_gate_only(page)
    full_page_screenshot(page, "sign-in-no-role-1920x1080")
    for path in ("/data", "/alignment", "/boardpack"):
        open_url(page, signed_server + path)
        expect(page.locator('[data-testid="stAlertContentWarning"]')).to_contain_text("You have no role here")
        assert_gate_only(page)


# Without sign-in -------------------------------------------------------------------------------------------------

def test_without_sign_in_every_page_says_it_runs_as_a_single_local_user(page):
    assert [t for t in nav_titles(page)] == EVERY_PAGE
    for title in EVERY_PAGE:
        go_to(page, title)
        expect(sidebar(page)).to_contain_text(LOCAL_NOTICE)
    assert page.get_by_role("button", name="Sign out").count() == 0
