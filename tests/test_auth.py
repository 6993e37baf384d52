"""Sign-in and roles: the roles file's checks and look-ups, the admin settings, and what each kind of user sees
(AppTest with sign-in configured through its secrets and a signed-in user through its user info)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import roles, sign_in, store
from metrics.store import settings
from tests.conftest import use_roles

ROOT = Path(__file__).resolve().parent.parent

ROLES_TOML = """\
# Who may use the dashboard.
viewer  = ["Viewer@Example.com", "board@example.com"]
analyst = ["analyst@example.com"]
admin   = ["admin@example.com"]
"""

# cookie_secret must pass sign_in.cookie_secret_problem (a placeholder or short one switches sign-in off): a fixed
# random string, used by nothing but these tests.
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "64f926aa7e5795a2c6561fef3845aa821589abd746d7add9dc876b98d77eed9c",
        "client_id": "collab", "client_secret": "not-a-real-secret",
        "server_metadata_url": "http://localhost:9400/.well-known/openid-configuration"}


# The roles file ------------------------------------------------------------------------------------------------

def test_addresses_get_their_roles_whatever_the_case():
    loaded = roles.parse_roles(ROLES_TOML)
    assert loaded.role_of("viewer@example.com") == "viewer"
    assert loaded.role_of("  VIEWER@EXAMPLE.COM ") == "viewer"
    assert loaded.role_of("analyst@example.com") == "analyst"
    assert loaded.role_of("Admin@Example.com") == "admin"
    assert loaded.role_of("stranger@example.com") is None
    assert loaded.role_of(None) is None
    assert loaded.role_of("") is None


def test_an_empty_file_gives_nobody_a_role():
    assert roles.parse_roles("# nobody yet\n").by_email == {}


@pytest.mark.parametrize(("text", "problem"), [
    ('viewers = ["a@example.com"]\n', "unknown role 'viewers' (role names are singular); the roles are viewer, "
                                      "leader, analyst, admin"),
    ('leader = ["cmo@example.com"]\n', "leader must say each leader's side: a [leader] table below the role lists"),
    ('[leader]\nsales = ["a@example.com"]\n', "[leader] has no side 'sales'; the sides are marketing and it"),
    ('[leader]\nit = "a@example.com"\n', 'leader.it must be a list of e-mail addresses in quotes'),
    ('[leader]\nit = ["cio"]\n', "leader.it: 'cio' is not an e-mail address"),
    ('[leader]\nit = ["a@example.com"]\nmarketing = ["A@example.com"]\n',
     "a@example.com is a leader for both sides, it and marketing"),
    ('viewer = ["a@example.com"]\n[leader]\nit = ["a@example.com"]\n',
     "a@example.com is given two roles, viewer and leader"),
    ('owner = ["a@example.com"]\n', "unknown role 'owner'; the roles are viewer, leader, analyst, admin"),
    ('viewer = "a@example.com"\n', 'viewer must be a list of e-mail addresses in quotes, e.g. viewer = '
                                   '["someone@example.com"]'),
    ("[viewer]\nemail = 'a@example.com'\n", "viewer must be a list of e-mail addresses"),
    ('admin = ["a@example.com", 7]\n', "admin must be a list of e-mail addresses"),
    ('analyst = ["alice"]\n', "analyst: 'alice' is not an e-mail address"),
    ('analyst = ["a b@example.com"]\n', "analyst: 'a b@example.com' is not an e-mail address"),
    ('viewer = ["a@example.com"]\nadmin = ["A@example.com"]\n',
     "a@example.com is given two roles, viewer and admin; give each address one role"),
    ('viewer = ["a@example.com"\n', "not valid TOML"),
])
def test_a_bad_roles_file_is_refused_with_its_problem(text, problem):
    with pytest.raises(roles.RolesFileError) as refused:
        roles.parse_roles(text, "config/roles.toml")
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith(problem), refused.value.problems
    assert str(refused.value).startswith("The roles file config/roles.toml cannot be used:\n- ")


def test_every_problem_of_a_file_is_listed_at_once():
    with pytest.raises(roles.RolesFileError) as refused:
        roles.parse_roles('admins = ["a@example.com"]\nviewer = ["nobody"]\nanalyst = ["b@example.com"]\n')
    assert len(refused.value.problems) == 2


def test_a_leader_has_a_side_and_nobody_else_does():
    loaded = roles.parse_roles('viewer = ["board@example.com"]\n[leader]\nmarketing = ["CMO@example.com"]\n'
                               'it = ["cio@example.com", "deputy-cio@example.com"]\n')
    assert loaded.by_email == {"board@example.com": "viewer", "cmo@example.com": "leader",
                               "cio@example.com": "leader", "deputy-cio@example.com": "leader"}
    assert [loaded.side_of(a) for a in ("cmo@example.com", " Cio@Example.com", "board@example.com", "x@y.z")] == [
        "marketing", "it", None, None]


def test_the_same_address_twice_in_one_role_is_harmless():
    assert roles.parse_roles('viewer = ["a@example.com", "A@example.com"]\n').by_email == {"a@example.com": "viewer"}


def test_what_each_role_allows():
    table = {role: [c for c in roles.CAPABILITIES if roles.allows(role, c)] for role in (*roles.ROLES, None, "root")}
    assert table == {"viewer": ["pages"], "leader": ["pages", "review"], "analyst": ["pages", "data"],
                     "admin": ["pages", "data", "undo", "settings"], None: [], "root": []}
    with pytest.raises(ValueError):
        roles.allows("admin", "everything")


def test_the_roles_file_is_found_by_env_var_else_beside_the_secrets():
    assert roles.roles_path({}) == Path(".streamlit/roles.toml")
    assert roles.roles_path({"COLLAB_ROLES": "/etc/collab/roles.toml"}) == Path("/etc/collab/roles.toml")


def test_the_file_is_read_again_when_it_changes(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text('viewer = ["a@example.com"]\n', encoding="utf-8")
    assert roles.load_roles(path).role_of("a@example.com") == "viewer"
    path.write_text('admin = ["a@example.com"]\n', encoding="utf-8")
    assert roles.load_roles(path).role_of("a@example.com") == "admin"


def test_a_missing_or_unreadable_file_says_so(tmp_path):
    with pytest.raises(roles.RolesFileError, match=r"there is no such file; create it, or point \$COLLAB_ROLES"):
        roles.load_roles(tmp_path / "nope.toml")
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('viewer = ["jos\xe9@example.com"]\n'.encode("latin-1"))
    with pytest.raises(roles.RolesFileError, match="not UTF-8"):
        roles.load_roles(latin1)


def test_the_command_checks_a_file(tmp_path, capsys):
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(ROLES_TOML, encoding="utf-8")
    bad.write_text('viewers = ["a@example.com"]\n', encoding="utf-8")
    assert sign_in.main([str(good)]) == 0
    out = capsys.readouterr().out
    assert "4 addresses" in out and "analyst (a viewer's pages, plus the Data page: uploads and exports): " \
                                     "analyst@example.com" in out
    assert sign_in.main([str(bad)]) == 1
    assert "unknown role 'viewers'" in capsys.readouterr().err


@pytest.mark.parametrize(("claims", "email"), [
    ({"email": "a@example.com"}, None),  # a missing email_verified is not trusted unless [sign_in] says so
    ({"email": "a@example.com", "email_verified": True}, "a@example.com"),
    ({"email": "A@Example.com", "email_verified": "true"}, "a@example.com"),
    ({"email": " a@example.com ", "email_verified": True}, "a@example.com"),
    ({"email": "a@example.com", "email_verified": False}, None),
    ({"email": "a@example.com", "email_verified": "false"}, None),
    ({"sub": "1234"}, None),
    ({"email": "not an address"}, None),
    ({"email": ["a@example.com"]}, None),
])
def test_the_identity_is_the_verified_email(claims, email):
    assert sign_in.identity_email(claims) == email


# Settings ------------------------------------------------------------------------------------------------------

def test_settings_are_saved_together_and_only_when_all_are_valid(empty_con):
    assert settings.current(empty_con) == {"anonymity_threshold": 5, "comment_threshold": 10, "max_upload_mb": 200}
    assert settings.save(empty_con, {"anonymity_threshold": 7, "max_upload_mb": 200}) == {"anonymity_threshold": (5, 7)}
    assert settings.current(empty_con)["anonymity_threshold"] == 7
    with pytest.raises(settings.SettingsRefused) as refused:
        settings.save(empty_con, {"anonymity_threshold": 12, "max_upload_mb": 500})
    assert refused.value.problems == [
        "Largest upload (MB): 500 is outside 1–200",
        "Comment threshold: 10 is below the anonymity threshold (12)",
    ]
    assert settings.current(empty_con) == {"anonymity_threshold": 7, "comment_threshold": 10, "max_upload_mb": 200}
    for bad in ({"anonymity_threshold": 3}, {"anonymity_threshold": 5.5}, {"anonymity_threshold": True},
                {"colour": 1}):
        with pytest.raises(settings.SettingsRefused):
            settings.save(empty_con, bad)


def test_a_saved_threshold_is_the_one_the_queries_use(con):
    from metrics.scorecard import scorecard

    # Alpha has five marketing and six IT respondents in 2026-01: a threshold of 6 hides Alpha's marketing side.
    assert scorecard(con, "2026-01")["business_units"][0]["marketing_index"] is not None
    settings.save(con, {"anonymity_threshold": 6})
    alpha = scorecard(con, "2026-01")["business_units"][0]
    assert alpha["business_unit"] == "Alpha" and alpha["marketing_index"] is None


# The pages -----------------------------------------------------------------------------------------------------

def app(user: dict | None = None, *, page: str | None = None) -> AppTest:
    """The dashboard with sign-in configured when `user` is given (None: sign-in not configured)."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    if user is not None:
        at.secrets["auth"] = AUTH
        at.user = user
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def signed_in(email: str, **claims) -> dict:
    """A fresh sign-in with a verified address (sign_in.judge refuses one without email_verified true, or with no
    iat and exp); `claims` override or add."""
    import time

    now = int(time.time())
    return {"is_logged_in": True, "email": email, "name": email.split("@")[0], "email_verified": True,
            "iat": now, "exp": now + 3600, **claims}


@pytest.fixture
def roles_file(tmp_path, monkeypatch) -> Path:
    return use_roles(tmp_path, monkeypatch, ROLES_TOML)


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("title", "markdown", "caption", "warning", "error", "info", "success")
                     for e in at.get(kind))


def shows_data(at: AppTest) -> bool:
    return bool(at.metric or at.dataframe or at.get("plotly_chart") or at.selectbox)


def test_without_sign_in_the_single_local_user_is_told_so_and_has_everything(fixture_db):
    at = app()
    assert any("Single local user: sign-in is not configured" in c.value for c in at.sidebar.caption)
    assert "sign_out" not in [b.key for b in at.button]
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert at.file_uploader(key="data_upload")
    assert [t.label for t in at.tabs] == ["Upload", "Import history", "Export", "Templates", "Settings"]


def test_signed_out_sees_only_the_sign_in_page(fixture_db, roles_file):
    at = app({"is_logged_in": False})
    assert at.title[0].value == "Collaboration Health"
    assert [b.label for b in at.button] == ["Sign in"]
    assert not shows_data(at) and not at.sidebar.caption and not at.tabs
    at = app({"is_logged_in": False}, page="pages/data.py")
    assert [b.label for b in at.button] == ["Sign in"] and not at.file_uploader


def test_a_signed_in_user_without_a_role_sees_only_that(fixture_db, roles_file):
    # AppTest runs a page it switched to without dashboard.py (Streamlit's pages/-folder mode), so only pages that
    # check for themselves can be tested past the front page here; the browser tests cover the rest.
    for page in (None, "pages/data.py"):
        at = app(signed_in("stranger@example.com"), page=page)
        assert "You are signed in as stranger@example.com. You have no role here. Ask an admin" in at.warning[0].value
        assert [b.label for b in at.button] == ["Sign out"]
        assert not shows_data(at) and not at.sidebar.caption and not at.file_uploader


def test_an_unverified_address_has_no_role(fixture_db, roles_file):
    at = app(signed_in("admin@example.com", email_verified=False))
    assert "You have no role here" in at.warning[0].value
    assert not shows_data(at)


def test_a_viewer_sees_the_pages_but_the_data_page_refuses(fixture_db, roles_file):
    at = app(signed_in("VIEWER@example.com"))
    assert at.title[0].value.startswith("Collaboration scorecard")
    assert at.metric and at.dataframe
    assert "Signed in as **viewer@example.com** (viewer)" in at.sidebar.caption[0].value  # the address as compared
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert at.error[0].value.startswith("The Data page is for the analyst and admin roles. You are signed in as "
                                        "viewer@example.com, a viewer.")
    assert not at.file_uploader and not at.tabs


def test_an_analyst_uploads_and_exports_but_cannot_undo_or_configure(fixture_db, roles_file):
    at = app(signed_in("analyst@example.com"), page="pages/data.py")
    assert at.file_uploader(key="data_upload")
    assert [t.label for t in at.tabs] == ["Upload", "Import history", "Export", "Templates"]
    assert "data_undo" not in [b.key for b in at.button]
    assert "Undoing an import is for admins." in texts(at)
    at.file_uploader(key="data_upload").set_value(("more.csv", b"response_id,submitted_at,business_unit,department,"
                                                   b"role,comm_vocabulary\nU1,2026-01-20 10:00:00,Beta,it,staff,5\n",
                                                   "text/csv")).run()
    at.button(key="data_import").click().run()
    assert "Imported 1 rows from more.csv" in at.success[0].value
    con = store.connect(fixture_db)
    try:
        by = con.cursor().execute("SELECT imported_by FROM imports ORDER BY import_id DESC LIMIT 1").fetchall()[0][0]
    finally:
        con.close()
    assert by == "analyst@example.com"


def test_an_admin_can_undo_and_change_the_settings(fixture_db, roles_file):
    at = app(signed_in("admin@example.com"), page="pages/data.py")
    assert "data_undo" in [b.key for b in at.button]
    assert at.tabs[-1].label == "Settings"
    at.number_input(key="settings_anonymity_threshold").set_value(8)
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    assert not at.exception
    assert "Saved: Anonymity threshold (respondents) 5 → 8" in at.success[0].value
    con = store.connect(fixture_db)
    try:
        assert settings.current(con)["anonymity_threshold"] == 8
    finally:
        con.close()


def test_a_broken_roles_file_lets_nobody_in_and_keeps_its_details_in_the_log(fixture_db, roles_file, caplog):
    roles_file.write_text('admins = ["admin@example.com"]\n', encoding="utf-8")
    at = app(signed_in("admin@example.com"))
    assert "The roles file cannot be used (1 problem)" in at.error[0].value
    assert "admins" not in at.error[0].value
    assert str(roles_file.parent) not in at.error[0].value and "roles.toml" not in at.error[0].value  # the log's
    assert str(roles_file) in caplog.text
    assert not shows_data(at)
    assert "unknown role 'admins'" in caplog.text
    roles_file.unlink()
    at = app(signed_in("admin@example.com"))
    assert "cannot be used (1 problem)" in at.error[0].value and not shows_data(at)


# The examples and what git keeps out ------------------------------------------------------------------------

def test_the_example_files_are_usable_and_the_real_ones_are_never_committed():
    import subprocess
    import tomllib

    example = roles.load_roles(ROOT / ".streamlit" / "roles.example.toml")
    assert {role for role in example.by_email.values()} == set(roles.ROLES)
    auth = tomllib.loads((ROOT / ".streamlit" / "secrets.example.toml").read_text(encoding="utf-8"))["auth"]
    assert set(auth) == {"redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url"}
    assert auth["redirect_uri"].endswith("/oauth2callback")
    ignored = subprocess.run(["git", "check-ignore", ".streamlit/secrets.toml", ".streamlit/roles.toml"], cwd=ROOT,
                             capture_output=True, text=True)
    assert ignored.stdout.split() == [".streamlit/secrets.toml", ".streamlit/roles.toml"]


def test_a_secrets_file_that_cannot_be_read_lets_nobody_in(fixture_db, tmp_path, caplog):
    """A broken secrets file might have held the [auth] section: nobody gets in, rather than everybody as the
    local user."""
    import streamlit as st
    from streamlit import config

    broken = tmp_path / "secrets.toml"
    broken.write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback\n', encoding="utf-8")
    saved = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(broken)])
    st.secrets._reset()
    try:
        at = app()
    finally:
        config.set_option("secrets.files", saved)
        st.secrets._reset()
    assert "The secrets file cannot be read, so sign-in cannot start." in at.error[0].value
    assert str(broken) not in at.error[0].value
    assert not shows_data(at) and not at.button and not at.sidebar.caption
    assert str(broken) in caplog.text


# The role at the moment of the action ----------------------------------------------------------------------------
# The page was drawn for a role; between that and the click an admin edits the roles file. The click is a new run,
# which checks the role again before anything is written.

GOOD_FILE = (b"response_id,submitted_at,business_unit,department,role,comm_vocabulary,partner_nps\n"
             b"U1,2026-01-20 10:00:00,Beta,it,staff,5,10\n"
             b"U2,2026-01-20 11:00:00,Beta,it,staff,5,10\n")


def _count(path: Path, sql: str):
    con = store.connect(path)
    try:
        return con.cursor().execute(sql).fetchall()[0][0]
    finally:
        con.close()


def test_an_analyst_removed_before_the_import_click_imports_nothing(fixture_db, roles_file):
    at = app(signed_in("analyst@example.com"), page="pages/data.py")
    at.file_uploader(key="data_upload").set_value(("more.csv", GOOD_FILE, "text/csv")).run()
    assert at.button(key="data_import").label == "Import 2 rows"           # ready to import, as an analyst
    before = _count(fixture_db, "SELECT count(*) FROM survey_responses")
    roles_file.write_text(ROLES_TOML.replace('analyst = ["analyst@example.com"]', "analyst = []"), encoding="utf-8")
    at.button(key="data_import").click().run()
    assert _count(fixture_db, "SELECT count(*) FROM survey_responses") == before
    assert "You have no role here" in at.warning[0].value and not at.success


def test_an_admin_made_a_viewer_before_the_click_can_neither_undo_nor_save_settings(fixture_db, roles_file):
    demoted = ROLES_TOML.replace('admin   = ["admin@example.com"]', "admin = []").replace(
        'viewer  = ["Viewer@Example.com", "board@example.com"]',
        'viewer  = ["Viewer@Example.com", "board@example.com", "admin@example.com"]')
    assert demoted != ROLES_TOML
    active = _count(fixture_db, "SELECT count(*) FROM imports WHERE undone_at IS NULL")
    at = app(signed_in("admin@example.com"), page="pages/data.py")
    at.checkbox(key="data_undo_confirm").check().run()
    roles_file.write_text(demoted, encoding="utf-8")
    at.button(key="data_undo").click().run()
    assert _count(fixture_db, "SELECT count(*) FROM imports WHERE undone_at IS NULL") == active
    assert at.error[0].value.startswith("The Data page is for the analyst and admin roles")

    roles_file.write_text(ROLES_TOML, encoding="utf-8")
    at = app(signed_in("admin@example.com"), page="pages/data.py")
    at.number_input(key="settings_anonymity_threshold").set_value(7)
    roles_file.write_text(demoted, encoding="utf-8")
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    assert _count(fixture_db, "SELECT value FROM settings WHERE key = 'anonymity_threshold'") == "5"
    assert not at.success
