"""Hostile values through every filter and free-text field: bound as parameters, stored literally, never run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import alignment, comments, ingest, linkage, meetings, projects, scorecard, store

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = [
    "2026-01' OR '1'='1",
    "'; DROP TABLE survey_responses; --",
    "Robert'); DELETE FROM imports; --",
    "Alpha' UNION SELECT * FROM settings --",
    '" OR ""="',
    "%",
    "_",
    "\\",
    "<script>alert(1)</script>",
    "\u202eatinaM",
    "Alpha\u0000",
    "$month",
    "x" * 5000,
]
PAGES = ["pages/scorecard.py", "pages/alignment.py", "pages/results.py", "pages/meetings.py", "pages/projects.py",
         "pages/review.py", "pages/boardpack.py", "pages/data.py", "pages/definitions.py"]


def _fingerprint(con) -> dict[str, int]:
    tables = (*store.DATA_TABLES, "imports", "settings", "survey_group_stats")
    return {t: con.cursor().execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_unit_and_kpi_filters_are_values_not_sql(con, value):
    before = _fingerprint(con)
    card = scorecard.scorecard(con, "2026-01", value)
    assert card["business_units"] == []                    # no unit has that name: nothing, not everything
    assert card["company"]["alignment_index"] is not None    # the company row is unaffected
    assert alignment.likert_distribution(con, "2026-01", value).empty
    assert alignment.scope_dimensions(con, "2026-01", value).empty
    assert comments.comments(con, "2026-01", value).empty
    assert set(scorecard.unit_history(con, "2026-01", value)["unit"]) == {scorecard.COMPANY}
    result = linkage.linkage(con, value)
    assert all(lag["n"] == 0 for lag in result["lags"])
    assert _fingerprint(con) == before


@pytest.mark.parametrize("value", HOSTILE[:4] + ["2026-13", "0000-00", ""])
def test_a_hostile_month_is_refused_or_finds_nothing(con, value):
    before = _fingerprint(con)
    for call in (lambda: scorecard.scorecard(con, value), lambda: meetings.cadence_grid(con, value),
                 lambda: projects.delivery_rates(con, value)):
        try:
            call()
        except ValueError as error:            # a month that is not YYYY-MM: said plainly
            assert "month" in str(error).lower()
    assert _fingerprint(con) == before


@pytest.mark.parametrize("value", HOSTILE[:4])
def test_the_command_line_refuses_a_hostile_month_plainly(fixture_db, value):
    result = subprocess.run([sys.executable, "-m", "metrics", "scorecard", "--month", value, "--json"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert "is not a month: use YYYY-MM" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_constant_for_the_whole_file_is_stored_literally(con, tmp_path, value):
    data = (b"response_id,submitted_at,department,role,comm_vocabulary\n"
            b"K1,2026-01-20 10:00:00,it,staff,4\n")
    before = _fingerprint(con)
    prepared = ingest.prepare_import(con, "survey", data, "constant.csv", constants={"business_unit": value})
    if not prepared.importable or prepared.report.problems:
        # too long, or a control character: refused with the reason, nothing written
        reasons = " ".join(map(str, prepared.blocking + prepared.report.problems))
        assert "200 characters" in reasons or "control character" in reasons, reasons
        assert _fingerprint(con) == before
        return
    ingest.commit_import(con, prepared, user="tests")
    stored = con.cursor().execute("SELECT business_unit FROM survey_responses WHERE response_id = 'K1'").fetchall()
    assert stored == [(value,)]
    after = _fingerprint(con)
    assert after["survey_responses"] == before["survey_responses"] + 1
    assert {t: n for t, n in after.items() if t not in ("survey_responses", "imports", "survey_group_stats",
                                                          "survey_answers")} == \
        {t: n for t, n in before.items() if t not in ("survey_responses", "imports", "survey_group_stats",
                                                      "survey_answers")}


@pytest.mark.parametrize("page", PAGES)
def test_pages_put_hostile_session_filters_back_to_real_choices(fixture_db, page):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["month"] = HOSTILE[0]
    at.session_state["business_unit"] = HOSTILE[2]
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    shown = " ".join(str(e.value) for e in (*at.title, *at.markdown, *at.caption, *at.info, *at.warning, *at.error))
    assert HOSTILE[0] not in shown and HOSTILE[2] not in shown
    if page not in ("pages/data.py", "pages/definitions.py", "pages/results.py"):
        assert "January 2026" in at.title[0].value               # the newest month with data, not the hostile text
