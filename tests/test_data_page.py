"""The Data page: upload, report, import all or nothing, history and undo, templates."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import store


ROOT = Path(__file__).resolve().parent.parent

GOOD = (b"response_id,submitted_at,business_unit,department,role,comm_vocabulary,partner_nps\n"
        b"U1,2026-01-20 10:00:00,Beta,it,staff,5,10\n"
        b"U2,2026-01-20 11:00:00,Beta,it,staff,5,10\n")
BAD = (b"response_id,submitted_at,business_unit,department,role,comm_vocabulary\n"
       b"U1,2026-01-20 10:00:00,Beta,it,staff,5\n"
       b"U2,2026-01-20 11:00:00,Beta,finance,staff,9\n")


def data_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, at.exception
    return at


def count(path: Path, sql: str) -> int:
    con = store.connect(path)
    try:
        return con.cursor().execute(sql).fetchall()[0][0]
    finally:
        con.close()


def test_a_good_file_is_reported_then_imported_and_counted(fixture_db):
    at = data_page()
    at.file_uploader(key="data_upload").set_value(("more.csv", GOOD, "text/csv")).run()
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["Rows read"], tiles["Rows valid"], tiles["Problems"]) == ("2", "2", "0")
    before = count(fixture_db, "SELECT count(*) FROM survey_responses")
    at.button(key="data_import").click().run()
    assert "Imported 2 rows from more.csv" in at.success[0].value
    assert count(fixture_db, "SELECT count(*) FROM survey_responses") == before + 2


def test_a_bad_file_lists_every_problem_and_changes_nothing(fixture_db):
    at = data_page()
    at.file_uploader(key="data_upload").set_value(("bad.csv", BAD, "text/csv")).run()
    problems = at.dataframe[0].value
    assert list(problems["row"]) == [3, 3]
    assert set(problems["column"]) == {"department", "comm_vocabulary"}
    assert at.button(key="data_import").disabled
    before = count(fixture_db, "SELECT count(*) FROM survey_responses")
    at.checkbox(key="data_skip").check().run()
    at.button(key="data_import").click().run()
    assert "1 skipped" in at.success[0].value
    assert count(fixture_db, "SELECT count(*) FROM survey_responses") == before + 1
    log = count(fixture_db, "SELECT rows_skipped FROM imports ORDER BY import_id DESC LIMIT 1")
    assert log == 1


def test_undo_from_the_history_tab(fixture_db):
    at = data_page()
    at.file_uploader(key="data_upload").set_value(("more.csv", GOOD, "text/csv")).run()
    at.button(key="data_import").click().run()
    newest = count(fixture_db, "SELECT max(import_id) FROM imports")
    at.run()
    assert at.selectbox(key=f"data_undo_id_{newest}").value == newest
    at.checkbox(key="data_undo_confirm").check().run()
    at.button(key="data_undo").click().run()
    assert f"Import {newest} undone" in at.success[0].value
    assert count(fixture_db, "SELECT count(*) FROM survey_responses WHERE response_id IN ('U1', 'U2')") == 0


def test_templates_carry_the_catalogue(fixture_db):
    at = data_page()
    labels = [b.label for b in at.get("download_button")]
    assert "Pulse-survey responses template" in labels and "KPIs template" in labels


def test_a_real_glint_export_uploaded_mapped_once_and_seen_in_the_scorecard(fixture_db):
    from tests.conftest import real_export

    at = data_page()
    at.file_uploader(key="data_upload").set_value(
        ("glint_sample.csv", real_export("glint_sample.csv").read_bytes(), "text/csv")).run()
    assert "Viva Glint (detected)" in " ".join(c.value for c in at.caption)
    assert any("no business unit" in e.value for e in at.error)
    at.text_input(key="data_unit").set_value("Delta").run()
    at.selectbox(key="data_department").set_value("marketing").run()
    dropped = " ".join(c.value for c in at.caption)
    assert "personal data (never stored): First Name, Last Name, Email" in dropped
    by_label = {s.label: s for s in at.selectbox}
    by_label["My work is meaningful"].set_value("comm_vocabulary")
    by_label["I feel valued"].set_value("partner_strategic")
    at.run()
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["Rows read"], tiles["Rows valid"]) == ("5", "5")
    at.button(key="data_import").click().run()
    assert "Imported 5 rows from glint_sample.csv" in at.success[0].value
    # The scorecard of January 2024 now has Delta's marketing index (hand-worked in test_imports.py: 72.5).
    at.session_state["month"] = "2024-01"
    at.switch_page("pages/scorecard.py").run()
    table = at.dataframe[0].value.set_index("unit")
    assert table.loc["Delta", "marketing_index"] == pytest.approx(72.5)


def test_an_upload_is_read_once_not_on_every_rerun(fixture_db, monkeypatch):
    """Every click reruns the page; the file is read (layouts' reader, which the native fast path runs on the
    file's head too) when it or a choice about it changes, and not again for a rerun that changes neither."""
    from metrics.ingest import layouts

    reads = []
    real = layouts.read_grid
    monkeypatch.setattr(layouts, "read_grid", lambda data, *rest: reads.append(len(data)) or real(data, *rest))
    at = data_page()
    at.file_uploader(key="data_upload").set_value(("more.csv", GOOD, "text/csv")).run()
    first = len(reads)
    assert first >= 1
    at.run()
    at.checkbox(key="data_replace").check().run()
    assert len(reads) == first                                   # two reruns, no read
    at.selectbox(key="data_role").set_value("manager").run()   # a choice about the file: read again
    assert len(reads) > first
    again = len(reads)
    at.run()
    at.checkbox(key="data_replace").uncheck().run()
    assert len(reads) == again
    assert {m.label: m.value for m in at.metric}["Rows valid"] == "2"
    before = count(fixture_db, "SELECT count(*) FROM survey_responses")
    at.button(key="data_import").click().run()
    assert "Imported 2 rows from more.csv" in at.success[0].value
    assert count(fixture_db, "SELECT count(*) FROM survey_responses") == before + 2
    at.run()   # the store changed: the file is read afresh, and found stored already
    assert len(reads) > again


# Issue 19: a tracker's export on the page: detected, its rules shown and changed in the rules table, imported; the
# sample's examples offered for download.
JIRA = (b"Summary,Issue key,Issue id,Status,Assignee,Created,Due date,Labels,Labels,Custom field (Budget),"
        b"Custom field (Business Unit)\n"
        b"Pilot,PG-1,1,To Do,Ana Ruiz,12/Mar/26 3:45 PM,30/Jun/26,pilot,joint,1000,Beta\n"
        b"Review,PG-2,2,In Review,Ana Ruiz,12/Mar/26 3:45 PM,30/Jun/26,pilot,it,2000,Beta\n")


def test_a_jira_export_is_detected_its_status_rule_set_in_the_table_and_imported(fixture_db):
    at = data_page()
    at.selectbox(key="data_kind").set_value("projects").run()
    at.file_uploader(key="data_upload").set_value(("jira.csv", JIRA, "text/csv")).run()
    assert not at.exception, at.exception
    assert any("Jira CSV export (detected)" in c.value for c in at.caption)
    assert any("personal data (never stored): Assignee" in c.value for c in at.caption)
    problems = next(d.value for d in at.dataframe if "row" in d.value.columns)   # the other is the rules table
    assert list(problems["row"]) == [3] and list(problems["column"]) == ["Status"]
    assert at.button(key="data_import").disabled
    rules = at.session_state["data_prepared"]   # the prepared file, read once
    assert rules
    # The analyst fills in the rule the file lacks, in the rules table (its row for 'Status:In Review').
    prepared = next(iter(rules.values()))
    row = list(prepared.rules["rule"]).index("Status:In Review")
    at.session_state["data_rules"] = {"edited_rows": {row: {"target": "active"}}, "added_rows": [],
                                      "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["Rows read"], tiles["Rows valid"], tiles["Problems"]) == ("2", "2", "0")
    before = count(fixture_db, "SELECT count(*) FROM joint_projects")
    at.button(key="data_import").click().run()
    assert "Imported 2 rows from jira.csv" in at.success[0].value
    assert count(fixture_db, "SELECT count(*) FROM joint_projects") == before + 2
    assert count(fixture_db, "SELECT count(*) FROM joint_projects WHERE project_id = 'PG-2' AND status = 'active'") == 1
    assert count(fixture_db, "SELECT count(*) FROM saved_mappings WHERE layout = 'jira_rules'") == 1


def test_the_tools_examples_are_offered_for_download(fixture_db):
    at = data_page()
    labels = [b.label for b in at.get("download_button")]
    assert "Jira export of the sample's joint projects" in labels
    assert "Finance sheet of the sample's KPIs (months as columns)" in labels
