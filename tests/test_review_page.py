"""The Review page (AppTest): what each role sees and may write, notes saved through the import path with their
earlier versions, refusals in words. Chromium covers the leader signing in and writing (tests/browser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import review, store
from tests.conftest import use_roles
from tests.test_auth import AUTH, signed_in

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2025-12"   # the fixture record's month

ROLES_TOML = """\
viewer  = ["viewer@example.com"]
analyst = ["analyst@example.com"]
admin   = ["admin@example.com"]

[leader]
marketing = ["cmo@example.com"]
it = ["cio@example.com"]
"""


@pytest.fixture
def roles_file(tmp_path, monkeypatch) -> Path:
    return use_roles(tmp_path, monkeypatch, ROLES_TOML)


def home(user: dict | None = None) -> AppTest:
    """The first page for MONTH, as `user` (None: no sign-in configured, the single local user)."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    if user is not None:
        at.secrets["auth"] = AUTH
        at.user = user
    at.session_state["month"] = MONTH
    at.run()
    assert not at.exception, at.exception
    return at


def review_page(user: dict | None = None) -> AppTest:
    """The Review page for MONTH, as `user`."""
    at = home(user)
    at.switch_page("pages/review.py").run()
    assert not at.exception, at.exception
    return at


def note_areas(at: AppTest) -> list[str]:
    return [area.key for area in at.text_area]


def save_buttons(at: AppTest) -> list[str]:
    return [button.label for button in at.button if button.label.startswith("Save")]


def markdown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def stored_note(db: Path, side: str) -> str | None:
    con = store.connect(db)
    try:
        return review.review(con, MONTH)["commentary"][side]
    finally:
        con.close()


def test_the_local_user_sees_the_record_and_may_write_everything(fixture_db):
    at = review_page()
    assert at.title[0].value == "Monthly review · December 2025"
    assert "Gamma's joint steering was cancelled in December" in markdown(at)
    assert "The scale-up of the customer data project is over budget" in markdown(at)
    assert note_areas(at) == [f"review_note_text_marketing_{MONTH}", f"review_note_text_it_{MONTH}"]
    assert save_buttons(at) == ["Save the CMO's note", "Save the CIO's note", "Save decisions", "Save the register",
                                "Save actions"]
    # The register's gap, in words.
    assert any("1 of 4 decision areas are not agreed: Budget for joint pilots" in w.value for w in at.warning)
    # The three review metrics as tiles: 3 of 4 areas agreed.
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Decision-rights clarity"] == "75%"


def test_a_note_written_in_the_page_is_stored_with_its_earlier_version(fixture_db):
    at = review_page()
    before = stored_note(fixture_db, "marketing")
    at.text_area(key=f"review_note_text_marketing_{MONTH}").input("## After the steering\n- **Agreed**: one tool")
    next(b for b in at.button if b.label == "Save the CMO's note").click().run()
    assert not at.exception, at.exception
    assert any("Saved the CMO's note as import" in s.value for s in at.success)
    assert stored_note(fixture_db, "marketing") == "## After the steering\n- **Agreed**: one tool"
    assert "## After the steering" in markdown(at)
    assert any("1 earlier version" in c.value for c in at.caption)
    assert any(t.value == before for t in at.get("text"))   # the earlier version, under "Earlier versions"


def test_an_empty_note_is_refused_in_words_and_nothing_changes(fixture_db):
    at = review_page()
    before = stored_note(fixture_db, "it")
    at.text_area(key=f"review_note_text_it_{MONTH}").input("   ")
    next(b for b in at.button if b.label == "Save the CIO's note").click().run()
    assert at.error and "Nothing was saved" in at.error[0].value
    assert "The CIO's note is empty" in at.error[0].value
    assert stored_note(fixture_db, "it") == before


def test_a_leader_writes_their_own_side_only(fixture_db, roles_file):
    # AppTest drops the sidebar from its tree after switch_page: the first page shows the role
    assert "(leader, marketing (the CMO's note))" in home(signed_in("cmo@example.com")).sidebar.caption[0].value
    at = review_page(signed_in("cmo@example.com"))
    assert note_areas(at) == [f"review_note_text_marketing_{MONTH}"]
    assert save_buttons(at) == ["Save the CMO's note", "Save decisions", "Save the register", "Save actions"]
    at = review_page(signed_in("cio@example.com"))
    assert note_areas(at) == [f"review_note_text_it_{MONTH}"]
    at.text_area(key=f"review_note_text_it_{MONTH}").input("Budget owner agreed: joint.")
    next(b for b in at.button if b.label == "Save the CIO's note").click().run()
    assert stored_note(fixture_db, "it") == "Budget owner agreed: joint."
    con = store.connect(fixture_db)
    try:
        assert store.fetch_rows(con, "SELECT imported_by FROM imports ORDER BY import_id DESC LIMIT 1") == [
            ("cio@example.com",)]
    finally:
        con.close()


@pytest.mark.parametrize(("email", "words"), [
    ("viewer@example.com", "Leaders write the review here. You can read it."),
    ("analyst@example.com", "Analysts and admins bring it in and out as CSV on the Data page"),
    ("admin@example.com", "Analysts and admins bring it in and out as CSV on the Data page"),
])
def test_other_roles_read_the_record_and_write_nothing(fixture_db, roles_file, email, words):
    at = review_page(signed_in(email))
    assert note_areas(at) == [] and save_buttons(at) == []
    assert any(words in c.value for c in at.caption)
    assert "Gamma's joint steering was cancelled in December" in markdown(at)
    assert at.dataframe   # the decisions, the register and the actions, read-only


def test_a_month_with_no_record_yet_draws_and_says_so(fixture_db):
    con = store.connect(fixture_db)
    try:
        with store.transaction(con) as cur:
            for table in ("commentary", "decisions", "decision_rights", "actions"):
                cur.execute(f"DELETE FROM {table}")
    finally:
        con.close()
    at = review_page()
    assert not at.error, [e.value for e in at.error]   # an empty table once broke the withheld line
    assert {m.label: m.value for m in at.metric} == {"Decision-rights clarity": "–", "Actions on track": "–",
                                                    "Overdue actions": "0"}
    captions = [c.value for c in at.caption]
    assert "No note from the CMO for December 2025 yet." in captions
    assert "The register is empty: no decision area has been written down yet." in captions
    # the local user may write: the empty editors are there to start the record in
    assert save_buttons(at) == ["Save the CMO's note", "Save the CIO's note", "Save decisions", "Save the register",
                                "Save actions"]
