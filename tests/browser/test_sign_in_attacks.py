"""Sign-in attacked as issue 15 did: forged cookies, revoked users who keep going, sign-out that does not end
access, expired tokens, the anonymous holding memory or emptying caches, the old folder-mode menu, look-alike and
unverified addresses, paths and cookies. Each attack runs against a real server with the local OpenID provider,
through Chromium where a browser is involved and over Streamlit's own wire protocol where an attacker needs none;
each has a control showing that the same technique works where it should, so a refusal means something."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from metrics.ingest import KIND_LABELS

from . import wire
from .conftest import DESKTOP, full_page_screenshot, go_to, settle, sidebar, sidebar_link
from .test_sign_in import (NOBODY, ROLES, assert_gate_only, dashboard_with_sign_in, nav_titles, open_tab,
                           open_url, register_users, running_provider, sign_in, sign_out, verified,
                           write_roles)

pytestmark = pytest.mark.timeout(300)

KATE = "kate@example.com"
KELVIN_KATE = "\u212Aate@example.com"     # KELVIN SIGN: .lower() folds it to "k"
UNVERIFIED = "unverified@example.com"     # the provider gives no email_verified for this subject
EXPORT_BUTTON = f"Export {KIND_LABELS['survey'].lower()}"


BASE_ROLES = (f'viewer = ["{ROLES["viewer"]}", "{UNVERIFIED}"]\nanalyst = ["{ROLES["analyst"]}"]\n'
              f'admin = ["{ROLES["admin"]}", "{KATE}"]\n')


class Server:
    def __init__(self, base: str, directory: Path):
        self.base, self.directory = base, directory

    @property
    def roles_file(self) -> Path:
        return self.directory / "roles.toml"

    def log(self) -> str:
        port = self.base.rsplit(":", 1)[1]
        return (self.directory / f"streamlit-{port}.log").read_text(errors="replace")

    def pid(self) -> int:
        port = self.base.rsplit(":", 1)[1]
        for status in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                command = status.read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(command) and port.encode() in command:
                return int(status.parent.name)
        raise AssertionError(f"no streamlit process on port {port}")


@contextmanager
def started(sample_database, tmp_path_factory, name: str, *, roles: str = BASE_ROLES, token_max_age=None, **kwargs):
    directory = tmp_path_factory.mktemp(name)
    database = Path(shutil.copy(sample_database, directory / "collab.duckdb"))
    write_roles(directory, roles)
    with running_provider(directory, token_max_age=token_max_age) as issuer:
        register_users(issuer, verified(*ROLES.values(), NOBODY, KATE, KELVIN_KATE))
        with dashboard_with_sign_in(database, directory, issuer, **kwargs) as base:
            yield Server(base, directory)


@pytest.fixture(scope="module")
def target(sample_database, tmp_path_factory):
    """The dashboard with sign-in, a strong secret and the roles BASE_ROLES; tests put the roles file back."""
    with started(sample_database, tmp_path_factory, "attack-target") as server:
        yield server


@pytest.fixture
def roles_restored(target):
    yield target.roles_file
    target.roles_file.write_text(BASE_ROLES, encoding="utf-8")


@pytest.fixture
def context(browser):
    made = []

    def new(**kwargs):
        ctx = browser.new_context(viewport=DESKTOP, accept_downloads=True, **kwargs)
        ctx.set_default_timeout(30_000)
        made.append(ctx)
        return ctx

    yield new
    for ctx in made:
        ctx.close()


def forged_cookie(secret: str, base: str, email: str) -> dict:
    """A sign-in cookie as Streamlit writes it, signed with `secret` (Streamlit's own signing function: the format
    is public, only the secret keeps it from being forged)."""
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    now = int(time.time())
    payload = {"email": email, "email_verified": True, "sub": email, "iat": now, "exp": now + 3600,
               "is_logged_in": True, "origin": base, "provider": "default"}
    value = create_signed_value(secret, "_streamlit_user", json.dumps(payload)).decode()
    return {"name": "_streamlit_user", "value": value, "domain": "localhost", "path": "/", "httpOnly": True}


def click_to(page, title: str) -> None:
    """Click a sidebar link (a rerun of the session, as any click on a widget is) and wait for the run."""
    sidebar_link(page, title).click()
    page.wait_for_timeout(500)
    settle(page)


def data_page_open(page) -> bool:
    return page.locator('[data-testid="stFileUploader"]').count() > 0


# 1. The example secret ---------------------------------------------------------------------------------------------

def test_the_example_cookie_secret_switches_sign_in_off_even_for_a_forged_admin_cookie(
        sample_database, tmp_path_factory, context):
    placeholder = "REPLACE-WITH-A-LONG-RANDOM-STRING"
    with started(sample_database, tmp_path_factory, "attack-placeholder", cookie_secret=placeholder) as server:
        ctx = context()
        ctx.add_cookies([forged_cookie(placeholder, server.base, ROLES["admin"])])
        page = ctx.new_page()
        for path in ("", "/data"):
            open_url(page, server.base + path)
            expect(page.locator('[data-testid="stAlertContentError"]')).to_contain_text(
                "Sign-in is switched off on this server")
            assert "token_hex(32)" in page.locator('[data-testid="stAlertContentError"]').inner_text()
            assert not data_page_open(page)
            assert nav_titles(page) == []
            assert page.get_by_role("button", name="Sign in").count() == 0
        assert "cookie_secret in the secrets file is unusable" in server.log()
        full_page_screenshot(page, "sign-in-placeholder-secret-1920x1080")


def test_control_a_cookie_forged_with_the_servers_own_secret_opens_the_data_page(
        sample_database, tmp_path_factory, context):
    """The forgery technique itself works: only the secret's secrecy stops it, which is why a known one is refused."""
    secret = secrets.token_hex(32)
    with started(sample_database, tmp_path_factory, "attack-forged-control", cookie_secret=secret) as server:
        page = context().new_page()
        page.context.add_cookies([forged_cookie(secret, server.base, ROLES["admin"])])
        open_url(page, server.base)
        expect(sidebar(page)).to_contain_text(f"Signed in as {ROLES['admin']} (admin)")
        go_to(page, "Data")
        assert data_page_open(page)


# 2. Revocation at every use ----------------------------------------------------------------------------------------

def _export(page, timeout_ms: int) -> bytes | None:
    """Click the survey export; its bytes, or None when no download came within `timeout_ms`."""
    button = page.get_by_role("button", name=EXPORT_BUTTON, exact=True)
    expect(button).to_be_visible()
    try:
        with page.expect_download(timeout=timeout_ms) as download:
            button.click()
        return Path(download.value.path()).read_bytes()
    except Exception as error:  # playwright's TimeoutError
        if "Timeout" not in type(error).__name__ and "Timeout" not in str(error):
            raise
        return None


@pytest.mark.parametrize("revoke", ["removed", "broken"])
def test_an_analyst_removed_from_the_roles_file_can_no_longer_export(target, roles_restored, context, revoke):
    page = context().new_page()
    sign_in(page, target.base, ROLES["analyst"])
    go_to(page, "Data")
    open_tab(page, "Export")
    first = _export(page, 60_000)
    assert first is not None and first.count(b"\n") > 1000          # the control: the whole export, while allowed
    if revoke == "removed":
        roles_restored.write_text(BASE_ROLES.replace(f'analyst = ["{ROLES["analyst"]}"]', "analyst = []"),
                                  encoding="utf-8")
    else:
        roles_restored.write_text(BASE_ROLES + "analyst = [\n", encoding="utf-8")
    assert _export(page, 8_000) is None                             # the same button on the same page: nothing
    assert "refused the survey export to session" in target.log()
    click_to(page, "Scorecard")                                     # any rerun now shows the gate or the problem
    assert not data_page_open(page)
    assert_gate_only(page)


def _export_url(page) -> str:
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name=EXPORT_BUTTON, exact=True).click()
    return download.value.url


def _status(url: str, cookie: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def sign_in_cookie(page) -> str:
    """The browser's sign-in cookie(s) as a Cookie header (without its XSRF cookie, which wire adds afresh)."""
    return "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies() if c["name"].startswith("_streamlit_user"))


def test_a_built_export_is_served_only_to_its_user_while_they_may_export(target, roles_restored, context):
    """A built download lives under /media/<content hash>: the URL is the same for the same bytes, whoever built
    them, so knowing it must not be enough."""
    page = context().new_page()
    sign_in(page, target.base, ROLES["analyst"])
    go_to(page, "Data")
    open_tab(page, "Export")
    url = _export_url(page)
    assert "/media/" in url
    mine = sign_in_cookie(page)
    assert _status(url, mine) == 200                                # the control: its own user fetches it again
    assert _status(url) == 403                                      # anyone else, without a sign-in
    viewer = context().new_page()
    sign_in(viewer, target.base, ROLES["viewer"])
    assert _status(url, sign_in_cookie(viewer)) == 403              # a signed-in viewer who learnt the URL
    roles_restored.write_text(BASE_ROLES.replace(f'analyst = ["{ROLES["analyst"]}"]', "analyst = []"),
                              encoding="utf-8")
    assert _status(url, mine) == 403                                # its own user, once removed
    assert "refused /media/" in target.log()


def test_an_upload_to_another_users_session_is_refused(target, context):
    """A session id is no credential: an upload must come with the sign-in of the session's own user."""
    page = context().new_page()
    sign_in(page, target.base, ROLES["analyst"])
    cookie = sign_in_cookie(page)
    with wire.session(target.base, cookie=cookie + "; " + wire.xsrf_cookie(target.base)) as analysts:
        assert wire.put_upload(target.base, analysts.session_id, 1024, cookie=cookie) in (200, 204)  # the control
        assert wire.put_upload(target.base, analysts.session_id, 1024) == 403         # no sign-in, the same id
        viewer = context().new_page()
        sign_in(viewer, target.base, ROLES["viewer"])
        assert wire.put_upload(target.base, analysts.session_id, 1024, cookie=sign_in_cookie(viewer)) == 403


def _deferred_ids(page) -> list[str]:
    """Collect the deferred-download ids the server sends this page (they are in its websocket frames)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    found: list[str] = []

    def on_frame(payload) -> None:
        if isinstance(payload, str):
            return
        msg = ForwardMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:
            return
        if msg.WhichOneof("type") == "delta" and msg.delta.new_element.WhichOneof("type") == "download_button":
            if msg.delta.new_element.download_button.deferred_file_id:
                found.append(msg.delta.new_element.download_button.deferred_file_id)

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    return found


def test_a_deferred_download_id_serves_only_the_session_it_was_made_for(target, context):
    page = context().new_page()
    ids = _deferred_ids(page)
    sign_in(page, target.base, ROLES["analyst"])
    go_to(page, "Data")
    assert ids, "the Data page sent no deferred download"
    with wire.session(target.base) as stranger:                     # an anonymous session that learnt the ids
        for file_id in set(ids):
            answers = stranger.deferred_file(file_id)
            urls = [m.backend_operation_response.deferred_file.url for m in answers
                    if m.WhichOneof("type") == "backend_operation_response"]
            assert urls == [], "an anonymous session ran another session's download"
    assert "made for another session" in target.log()
    open_tab(page, "Export")
    assert _export(page, 60_000) is not None                        # the control: its own session still can


# 3. Sign-out and the sign-in's lifetime ----------------------------------------------------------------------------

def test_sign_out_ends_every_session_of_the_user_and_every_copy_of_the_cookie(target, context):
    ctx = context()
    first = ctx.new_page()
    sign_in(first, target.base, ROLES["admin"])
    second = ctx.new_page()                                         # another tab, same browser: same cookie
    open_url(second, f"{target.base}/data")
    assert data_page_open(second)
    copied = ctx.cookies()

    sign_out(first, target.base)

    # The other tab loses the Data page by itself, without a click.
    expect(second.get_by_role("button", name="Sign in", exact=True)).to_be_visible(timeout=15_000)
    assert not data_page_open(second)
    assert_gate_only(second)

    # The cookie copied before sign-out, in another browser: the sign-in it carries has ended.
    thief = context()
    thief.add_cookies(copied)
    stolen = thief.new_page()
    for path in ("", "/data"):
        open_url(stolen, target.base + path)
        expect(stolen.locator('[data-testid="stAlertContentInfo"]')).to_contain_text("You signed out")
        assert_gate_only(stolen)
    full_page_screenshot(stolen, "sign-in-after-sign-out-1920x1080")

    # Signing in again afterwards works as before.
    time.sleep(1.1)  # a sign-in within the second of the sign-out counts as before it
    sign_in(first, target.base, ROLES["admin"])
    expect(sidebar(first)).to_contain_text(f"Signed in as {ROLES['admin']} (admin)")


def test_a_sign_in_ends_with_its_identity_token(sample_database, tmp_path_factory, context):
    with started(sample_database, tmp_path_factory, "attack-short-token", token_max_age=6) as server:
        page = context().new_page()
        sign_in(page, server.base, ROLES["admin"])
        go_to(page, "Data")
        assert data_page_open(page)                                 # the control: while the token lasts
        time.sleep(7)
        click_to(page, "Scorecard")
        expect(page.locator('[data-testid="stAlertContentInfo"]')).to_contain_text("Your sign-in has ended")
        assert_gate_only(page)
        expect(page.get_by_role("button", name="Sign in again", exact=True)).to_be_visible()


def test_a_sign_in_ends_at_the_roles_files_maximum_age(target, roles_restored, context):
    page = context().new_page()
    sign_in(page, target.base, ROLES["admin"])
    go_to(page, "Data")
    assert data_page_open(page)
    roles_restored.write_text(BASE_ROLES + "[sign_in]\nmax_session_hours = 0.001\n", encoding="utf-8")  # 3.6 s
    time.sleep(4)
    click_to(page, "Scorecard")
    expect(page.locator('[data-testid="stAlertContentInfo"]')).to_contain_text("at most 0.001 hours")
    assert_gate_only(page)


# 4. The anonymous: uploads and caches ------------------------------------------------------------------------------

def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_an_anonymous_session_cannot_make_the_server_hold_uploaded_bytes(target):
    pid = target.pid()
    with wire.session(target.base) as stranger:                     # the sign-in page's session
        before = _rss_mb(pid)
        statuses = [wire.put_upload(target.base, stranger.session_id, 20 * 1024 * 1024) for _ in range(5)]
        time.sleep(1)
        grown = _rss_mb(pid) - before
    assert statuses == [403] * 5
    assert grown < 40, f"the server grew by {grown:.0f} MB on refused uploads"
    assert "refused an upload to session" in target.log()


def test_control_an_upload_over_the_wire_is_taken_where_uploads_are_allowed(server):
    """Without sign-in the single local user may upload: the same PUT is accepted, so the 403 above is the guard."""
    with wire.session(server) as local:
        assert wire.put_upload(server, local.session_id, 1024) in (200, 204)


def test_an_anonymous_clear_cache_message_is_refused(target, context):
    with wire.session(target.base) as stranger:
        stranger.clear_cache()
        stranger.read(2)
        refused = target.log().count("refused a clear_cache message from session")
    assert refused >= 1
    page = context().new_page()                                     # and the dashboard still serves
    sign_in(page, target.base, ROLES["viewer"])
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible()   # waits: the tiles draw after the title

    # The control: the same message from an admin's session (the browser's cookies, over the wire) is taken.
    admin = context().new_page()
    sign_in(admin, target.base, ROLES["admin"])
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in admin.context.cookies())
    with wire.session(target.base, cookie=cookie) as own:
        own.clear_cache()
        own.read(2)
    assert target.log().count("refused a clear_cache message from session") == refused


# 5. The old folder mode --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/ui", "/auth", "/shared", "/server"])
def test_a_first_request_to_a_helper_name_on_a_fresh_server_shows_no_menu(
        sample_database, tmp_path_factory, context, path):
    with started(sample_database, tmp_path_factory, "attack-folder-mode") as server:
        page = context().new_page()
        open_url(page, server.base + path)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        expect(sidebar(page)).to_have_count(0)
        expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
        assert_gate_only(page)


def test_pages_holds_only_pages_and_each_checks_the_role_itself():
    root = Path(__file__).resolve().parents[2] / "pages"
    files = sorted(p.name for p in root.iterdir() if p.name != "__pycache__")
    assert all(not name.startswith("_") for name in files), files
    for name in files:
        text = (root / name).read_text(encoding="utf-8")
        first_call = re.search(r"^(\w[\w.]*)\s*=\s*(shared\.month_or_stop|auth\.require)\(|^(auth\.require)\(",
                               text, re.MULTILINE)
        assert first_call, f"pages/{name} does not check the role before it draws"
        before = text[:first_call.start()]
        assert "st." not in re.sub(r'""".*?"""', "", before, flags=re.DOTALL).replace("import streamlit as st", ""), \
            f"pages/{name} draws before its role check"


# 6. Identity edge cases --------------------------------------------------------------------------------------------

def test_a_kelvin_sign_address_does_not_get_kates_role(target, context):
    page = context().new_page()
    sign_in(page, target.base, KELVIN_KATE)
    expect(page.locator('[data-testid="stAlertContentWarning"]')).to_contain_text(
        "an account that gave no verified e-mail address")
    assert_gate_only(page)
    control = context().new_page()
    sign_in(control, target.base, KATE)
    expect(sidebar(control)).to_contain_text(f"Signed in as {KATE} (admin)")


def test_a_missing_email_verified_is_trusted_only_when_the_roles_file_says_so(target, roles_restored, context):
    page = context().new_page()
    sign_in(page, target.base, UNVERIFIED)                          # listed as a viewer, but not vouched for
    expect(page.locator('[data-testid="stAlertContentWarning"]')).to_contain_text("no verified e-mail address")
    assert_gate_only(page)
    roles_restored.write_text(BASE_ROLES + "[sign_in]\ntrust_missing_email_verified = true\n", encoding="utf-8")
    open_url(page, target.base)
    expect(sidebar(page)).to_contain_text(f"Signed in as {UNVERIFIED} (viewer)")


# 7. Smaller ---------------------------------------------------------------------------------------------------------

def test_a_broken_roles_file_is_named_only_in_the_log(target, roles_restored, context):
    page = context().new_page()
    sign_in(page, target.base, ROLES["viewer"])
    roles_restored.write_text("viewer = [\n", encoding="utf-8")
    open_url(page, target.base)
    expect(page.locator('[data-testid="stAlertContentError"]')).to_contain_text("The roles file cannot be used")
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert str(target.roles_file) not in text and "roles.toml" not in text and str(target.directory) not in text
    assert str(target.roles_file) in target.log()


def test_a_same_size_edit_with_the_old_time_is_noticed(target, roles_restored, context):
    page = context().new_page()
    sign_in(page, target.base, ROLES["viewer"])
    expect(sidebar(page)).to_contain_text("(viewer)")
    stat = roles_restored.stat()
    swapped = BASE_ROLES.replace(f'viewer = ["{ROLES["viewer"]}"', f'viewer = ["{ROLES["viewer"].replace("viewer@", "weiver@")}"')
    assert len(swapped) == len(BASE_ROLES)
    roles_restored.write_text(swapped, encoding="utf-8")
    os.utime(roles_restored, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    open_url(page, target.base)
    expect(page.locator('[data-testid="stAlertContentWarning"]')).to_contain_text("You have no role here")


def _set_cookies(url: str) -> list[str]:
    with urllib.request.urlopen(url, timeout=20) as response:
        return response.headers.get_all("Set-Cookie") or []


def test_cookies_are_secure_when_sign_in_is_served_over_https(sample_database, tmp_path_factory, target):
    with started(sample_database, tmp_path_factory, "attack-https", redirect_scheme="https") as server:
        cookies = _set_cookies(f"{server.base}/_stcore/health")
        assert cookies and all(re.search(r";\s*Secure", c) for c in cookies), cookies
    plain = _set_cookies(f"{target.base}/_stcore/health")          # the control: plain http keeps them usable
    assert plain and not any(re.search(r";\s*Secure", c) for c in plain), plain
