"""Writing the monthly review from the page (metrics.review_edits): every save is an import, refused in words when
a row is wrong, kept with its earlier versions, and told back as who changed what and when."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from metrics import ingest, review, review_edits, store
from tests.conftest import fixture_store, store_rows


@pytest.fixture
def con(tmp_path):
    connection = fixture_store(tmp_path / "review.duckdb", tmp_path)
    yield connection
    connection.close()


def stored(con, sql: str) -> list[tuple]:
    return store.fetch_rows(con, sql)


def test_a_note_is_a_new_version_and_the_old_one_is_kept(con):
    before = stored(con, "SELECT text FROM commentary WHERE month = '2025-12' AND side = 'marketing'")[0][0]
    report = review_edits.write_note(con, "2025-12", "marketing", "## December\n- Steering held again", "cmo@x.com")
    assert (report.rows_imported, report.rows_replaced) == (1, 1)
    assert review.review(con, "2025-12")["commentary"]["marketing"] == "## December\n- Steering held again"
    versions = review_edits.note_versions(con, "2025-12", "marketing")
    assert list(versions["text"]) == ["## December\n- Steering held again", before]
    assert list(versions["imported_by"]) == ["cmo@x.com", "tests"]
    assert versions["written_by"].iloc[0] == "CMO"   # the side's leader, never the address
    assert versions["file_name"].iloc[0] == "Review page: CMO's note for 2025-12"
    # The same text again changes nothing, not even the log.
    imports = stored(con, "SELECT count(*) FROM imports")[0][0]
    assert review_edits.write_note(con, "2025-12", "marketing", "## December\n- Steering held again\n", "x") is None
    assert stored(con, "SELECT count(*) FROM imports")[0][0] == imports


def test_undoing_a_note_brings_the_earlier_one_back(con):
    before = review.review(con, "2025-12")["commentary"]
    report = review_edits.write_note(con, "2025-12", "it", "Budget agreed.", "cio@x.com")
    ingest.undo(con, report.import_id)
    assert review.review(con, "2025-12")["commentary"] == before
    assert len(review_edits.note_versions(con, "2025-12", "it")) == 1


def test_an_empty_or_unknown_side_note_is_refused(con):
    with pytest.raises(review_edits.EditRefused, match="The CIO's note is empty"):
        review_edits.write_note(con, "2025-12", "it", "   \n", "cio@x.com")
    with pytest.raises(review_edits.EditRefused, match="marketing or it"):
        review_edits.write_note(con, "2025-12", "finance", "Hello", "cfo@x.com")
    with pytest.raises(review_edits.EditRefused, match="text: must be 1 to 4,000 characters"):
        review_edits.write_note(con, "2025-12", "it", "x" * 4001, "cio@x.com")


def test_invalid_actions_are_refused_in_words_and_nothing_is_written(con, tmp_path):
    path = tmp_path / "review.duckdb"
    rows = review_edits.next_ids(con, "actions", [
        {"business_unit": "Gamma", "title": "", "owner": "CIO", "target": "partnership", "start_month": "2026-03",
         "due": date(2026, 6, 30), "status": "planned", "effect_window": 3},
        {"business_unit": "Gamma", "title": "Pair programming days", "owner": "CIO", "target": "happiness",
         "start_month": "2026-03", "due": date(2026, 6, 30), "status": "planned", "effect_window": 3},
        {"business_unit": "Gamma", "title": "Joint roadmap", "owner": "CMO", "target": "communication",
         "start_month": "2026-03", "due": date(2026, 2, 1), "status": "planned", "effect_window": 3},
    ])
    con.close()
    before = store_rows(path)
    con = store.connect(path)
    with pytest.raises(review_edits.EditRefused) as refused:
        review_edits.save(con, "actions", rows, "cio@x.com", "actions")
    con.close()
    assert refused.value.problems == [
        "Action A-4, title: is required but empty",
        "Action A-5 (Pair programming days), target: is not a target: an action targets alignment_index or a "
        "dimension of the catalogue (communication, partnership)",
        "Action A-6 (Joint roadmap), due: the due date is before the start month: the due date must be in the "
        "start month or later",
    ]
    assert store_rows(path) == before


def test_an_edited_action_keeps_its_status_before_the_change(con):
    table = review.actions_frame(review.review(con, "2026-01")["actions"])
    edited = table.copy()
    edited.loc[edited["action_id"] == "A-1", "status"] = "done"
    edited = pd.concat([edited, pd.DataFrame([{"title": "Joint hackathon", "business_unit": "Alpha",
                                               "owner": "CIO", "target": "partnership", "start_month": "2026-01",
                                               "due": date(2026, 4, 30), "status": "planned"}])],
                       ignore_index=True)
    rows = review_edits.changed_rows("actions", table, edited)
    assert [(r["action_id"], r["status"]) for r in rows] == [("A-1", "done"), ("", "planned")]
    report = review_edits.save(con, "actions", review_edits.next_ids(con, "actions", rows), "cio@x.com", "actions")
    assert (report.rows_imported, report.rows_replaced) == (2, 1)
    assert stored(con, "SELECT status FROM actions WHERE action_id = 'A-1'") == [("done",)]
    assert stored(con, "SELECT status, replaced_by FROM replaced_actions WHERE action_id = 'A-1'") == [
        ("in_progress", report.import_id)]
    changes = review_edits.changes(con)
    newest = changes[changes["import_id"] == report.import_id].set_index("row")
    assert newest.loc["A-1", "change"] == "status: in_progress → done"
    assert newest.loc["A-4", "change"] == "new"
    assert set(newest["who"]) == {"cio@x.com"} and set(newest["kind"]) == {"Actions"}


def test_new_ids_are_never_given_twice_even_after_a_replacement(con):
    rows = review_edits.next_ids(con, "decisions", [{"text": "a"}, {"decision_id": "D007", "text": "b"}, {"text": "c"}])
    assert [r["decision_id"] for r in rows] == ["D008", "D007", "D009"]
    con.execute("INSERT INTO replaced_decision_rights SELECT *, 99 FROM decision_rights LIMIT 1")
    con.execute("UPDATE replaced_decision_rights SET area_id = 'R041'")
    assert review_edits.next_ids(con, "decision_rights", [{}])[0]["area_id"] == "R042"


def test_a_cell_that_looks_like_a_formula_is_stored_as_typed(con):
    rows = review_edits.next_ids(con, "decisions", [{"month": "2025-12", "text": "=HYPERLINK(\"x\")", "status": "open",
                                                     "decided_by": "joint"}])
    review_edits.save(con, "decisions", rows, "cmo@x.com", "decisions")
    assert stored(con, "SELECT text FROM decisions WHERE decision_id = 'D-4'") == [('=HYPERLINK("x")',)]


def test_the_register_frame_names_its_gaps(con):
    frame = review.register_frame(review.review(con, "2025-12")["decision_rights"])
    assert dict(zip(frame["area_id"], frame["state"])) == {
        "DR-1": "Agreed", "DR-2": "Agreed", "DR-3": "Agreed", "DR-4": "Gap: nobody accountable"}


def test_the_effect_in_words():
    assert review.effect_text({"estimate": 9.44, "ci_low": 3.41, "ci_high": 15.3, "method": "did"}) == \
        "+9.4 points (95% interval +3.4 to +15.3)"
    assert review.effect_text({"estimate": -1.0, "ci_low": -4.0, "ci_high": 2.0, "method": "before_after"}) == \
        "-1.0 points (95% interval -4.0 to +2.0), no comparison group"
    assert review.effect_text({"estimate": None, "withheld": "shown once 2026-12 has survey data"}) == \
        "Withheld: shown once 2026-12 has survey data"
    # what rounds to nothing is 0.0, not -0.0; a table cell gets the short form
    assert review.effect_text({"estimate": -0.04, "ci_low": -5.4, "ci_high": 5.4, "method": "did"}) == \
        "0.0 points (95% interval -5.4 to +5.4)"
    assert review.effect_brief({"estimate": 14.42, "ci_low": 10.34, "ci_high": 18.4, "method": "did"}) == \
        "+14.4 (+10.3 to +18.4)"
    assert review.effect_brief({"estimate": 0.3, "ci_low": -1.7, "ci_high": 2.2, "method": "before_after"}) == \
        "+0.3 (-1.7 to +2.2) before/after"
    assert review.effect_brief({"estimate": None, "withheld": "shown once 2026-12 has survey data"}) == \
        "not yet: needs the 2026-12 survey"


def test_new_ids_follow_the_style_of_the_record(con):
    # the fixture's actions are and its register DR-1 to DR-4: new ones continue them
    assert review_edits.next_ids(con, "actions", [{}, {}]) == [{"action_id": "A-4"}, {"action_id": "A-5"}]
    assert review_edits.next_ids(con, "decision_rights", [{}])[0]["area_id"] == "DR-5"
    with store.transaction(con) as cur:   # an empty record starts with the default style
        cur.execute("DELETE FROM actions")
        cur.execute("DELETE FROM replaced_actions")
    assert review_edits.next_ids(con, "actions", [{}])[0]["action_id"] == "A001"
    # zero-padded ids keep their width: after A-09 comes A-10, after D014 D015
    assert review_edits.next_ids(con, "actions", [{"action_id": "A-09", "title": "x"}, {}])[1]["action_id"] == "A-10"


def test_a_note_shows_what_was_written_no_maths_and_no_remote_image():
    shown = review.note_markdown("Budget $2m to $3m. ![our logo](http://tracker.example/pixel.png) ![](http://x/y)")
    assert shown == "Budget \\$2m to \\$3m. [image: our logo] [image]"
    assert "http" not in shown          # nothing for a reader's browser to fetch


def test_a_leader_may_set_a_due_date_years_ahead_but_not_a_typo(con):
    from datetime import date as day

    from metrics import dates

    row = {"business_unit": "Gamma", "title": "Two-year data programme", "owner": "CIO", "target": "partnership",
           "start_month": "2026-01", "status": "planned", "effect_window": 3}
    in_two_years = day(day.today().year + 2, 6, 30)          # past the data's one-year span, a plan's date
    review_edits.save(con, "actions", review_edits.next_ids(con, "actions", [{**row, "due": in_two_years}]),
                      "cio@x.com", "actions")
    assert stored(con, "SELECT due FROM actions WHERE title = 'Two-year data programme'") == [(in_two_years,)]
    with pytest.raises(review_edits.EditRefused) as refused:   # 9999-12-31: a typo, refused in words
        review_edits.save(con, "actions", review_edits.next_ids(con, "actions", [{**row, "title": "Typo",
                                                                                  "due": day(9999, 12, 31)}]),
                          "cio@x.com", "actions")
    assert any(f"more than {dates.DUE_YEARS_AHEAD} years after today" in p for p in refused.value.problems)
