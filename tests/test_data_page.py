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
