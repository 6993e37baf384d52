"""Odd dates: refused at import unless the analyst confirms them, and no stored date, however odd, stops a page,
the Data page's undo, or the scorecard and board-pack commands."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from metrics import dates, ingest, scorecard, store
from metrics.scorecard import month_label
from tests.conftest import fixture_store, load_fixture, store_rows

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["pages/scorecard.py", "pages/alignment.py", "pages/results.py", "pages/meetings.py", "pages/projects.py",
         "pages/review.py", "pages/boardpack.py", "pages/data.py", "pages/definitions.py"]
# The hand-made fixture's months (tests/conftest.py and tests/fixtures): its first project starts in June 2024.
FIXTURE_MONTHS = [f"2024-{m:02d}" for m in range(6, 13)] + [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01"]

SURVEY = "response_id,submitted_at,business_unit,department,role,comm_vocabulary,wave\n"
PROJECTS = ("project_id,business_unit,name,lead_function,stage,parent_project_id,start_date,planned_end,actual_end,"
            "budget,spend,status,outcome,roi_pct\n")
GOOD_ROW = {
    "survey": "Z1,2026-01-20 10:00:00,Alpha,it,staff,4,",
    "headcount": "Omega,it,2026-01,10",
    "meetings": "Z-1,Omega,2026-01-14,joint_steering,held",
    "projects": "PZ1,Omega,Good,joint,pilot,,2025-02-01,2025-07-31,,100,10,active,,",
    "kpis": "Omega,2026-01,margin_growth_pct,1.5",
}
HEADER = {"survey": SURVEY, "headcount": "business_unit,department,month,headcount\n",
          "meetings": "meeting_id,business_unit,date,meeting_type,status\n", "projects": PROJECTS,
          "kpis": "business_unit,month,kpi,value\n"}
TABLE = {"survey": "survey_responses", "headcount": "headcount", "meetings": "meetings", "projects": "joint_projects",
         "kpis": "kpis"}

# The window ends a year after today: every expected text is worked out when its test runs, as the product works it
# out when it reads the file (a run that crosses midnight would otherwise compare two different days).
def reasons() -> dict[str, str]:
    latest = dates.latest()
    return {
        "TOO_LATE": (f"is more than a year after today (after {latest:%Y-%m-%d}); check the date, or confirm dates "
                     f"outside 2000-01-01 to {latest:%Y-%m-%d} with --allow-any-date"),
        "TOO_EARLY": f"is before 2000-01-01; check the date, or confirm dates outside 2000-01-01 to {latest:%Y-%m-%d}",
        "MONTH_TOO_LATE": (f"is more than a year after today (after {latest:%Y-%m}); check the month, or confirm "
                           f"months outside 2000-01 to {latest:%Y-%m} with --allow-any-date"),
        "MONTH_TOO_EARLY": f"is before 2000-01; check the month, or confirm months outside 2000-01 to {latest:%Y-%m}",
    }


TOO_LATE, TOO_EARLY, MONTH_TOO_LATE, MONTH_TOO_EARLY = "TOO_LATE", "TOO_EARLY", "MONTH_TOO_LATE", "MONTH_TOO_EARLY"

# kind, the odd row (the file's row 3, after a good row 2), its column, the value as reported, the reason's start
CASES = [
    ("survey", "Z2,9999-12-31 10:00:00,Alpha,it,staff,4,", "submitted_at", "9999-12-31 10:00:00", TOO_LATE),
    ("survey", "Z2,1899-01-01 10:00:00,Alpha,it,staff,4,", "submitted_at", "1899-01-01 10:00:00", TOO_EARLY),
    ("survey", "Z2,2026-01-20 10:00:00,Alpha,it,staff,4,9999-12", "wave", "9999-12", MONTH_TOO_LATE),
    ("survey", "Z2,2026-01-20 10:00:00,Alpha,it,staff,4,1899-01", "wave", "1899-01", MONTH_TOO_EARLY),
    ("headcount", "Omega,it,9999-12,10", "month", "9999-12", MONTH_TOO_LATE),
    ("headcount", "Omega,it,1899-01,10", "month", "1899-01", MONTH_TOO_EARLY),
    ("meetings", "Z-2,Omega,9999-12-31,joint_steering,held", "date", "9999-12-31", TOO_LATE),
    ("meetings", "Z-2,Omega,1899-01-01,joint_steering,held", "date", "1899-01-01", TOO_EARLY),
    ("projects", "PZ2,Omega,Odd,joint,pilot,,1899-01-01,2025-07-31,,100,10,active,,", "start_date", "1899-01-01",
     TOO_EARLY),
    ("projects", "PZ2,Omega,Odd,joint,pilot,,2025-02-01,9999-12-31,,100,10,active,,", "planned_end", "9999-12-31",
     TOO_LATE),
    ("projects", "PZ2,Omega,Odd,joint,pilot,,2025-02-01,2025-07-31,9999-12-31,100,90,delivered,success,5",
     "actual_end", "9999-12-31", TOO_LATE),
    ("kpis", "Omega,9999-12,margin_growth_pct,2", "month", "9999-12", MONTH_TOO_LATE),
    ("kpis", "Omega,1899-01,margin_growth_pct,2", "month", "1899-01", MONTH_TOO_EARLY),
]


def counts(con) -> dict[str, int]:
    tables = (*store.DATA_TABLES, "imports")
    return {t: con.cursor().execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}


def odd_file(tmp_path: Path, kind: str, odd_row: str) -> Path:
    path = tmp_path / f"odd_{kind}.csv"
    path.write_text(HEADER[kind] + GOOD_ROW[kind] + "\n" + odd_row + "\n", encoding="utf-8")
    return path


# ---- refused at import, unless confirmed --------------------------------------------------------------------


@pytest.mark.parametrize("kind, odd_row, column, value, reason", CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3][:4]}" for c in CASES])
def test_an_odd_date_is_refused_with_row_column_and_reason_and_nothing_is_stored(con, tmp_path, kind, odd_row,
                                                                                   column, value, reason):
    reason = reasons()[reason]
    path = odd_file(tmp_path, kind, odd_row)
    before = counts(con)
    with pytest.raises(ingest.ImportRefused) as refused:
        ingest.import_file(con, kind, path)
    assert any(p.startswith(f"row 3, column '{column}', value '{value}': {reason}") for p in refused.value.problems), \
        refused.value.problems
    assert not any(p.startswith("row 2") for p in refused.value.problems)   # the good row is fine
    assert counts(con) == before                                             # all or nothing: nothing at all

    # the Data page's way: the same problem listed before anything is written (and the fast path not taken)
    prepared = ingest.prepare_import(con, kind, path.read_bytes(), path.name)
    assert prepared.staged is None
    assert [(p.row, p.column, p.value) for p in prepared.report.problems] == [(3, column, value)]
    assert prepared.report.problems[0].reason.startswith(reason)
    with pytest.raises(ingest.ImportRefused):
        ingest.commit_import(con, prepared)
    assert counts(con) == before


@pytest.mark.parametrize("kind, odd_row, column, value, reason", CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3][:4]}" for c in CASES])
def test_the_same_file_is_stored_when_the_analyst_confirms_any_date(con, tmp_path, kind, odd_row, column, value,
                                                                    reason):
    path = odd_file(tmp_path, kind, odd_row)
    before = counts(con)
    report = ingest.import_file(con, kind, path, allow_any_date=True)
    assert report.rows_imported == 2 and report.problems == []
    after = counts(con)
    assert after[TABLE[kind]] == before[TABLE[kind]] + 2
    assert after["imports"] == before["imports"] + 1


def test_a_clean_survey_with_a_confirmed_odd_date_takes_the_fast_path(con):
    data = (SURVEY + GOOD_ROW["survey"] + "\nZ2,9999-12-31 10:00:00,Alpha,it,staff,4,\n").encode()
    refused = ingest.prepare_import(con, "survey", data, "odd.csv")
    assert refused.staged is None and len(refused.report.problems) == 1
    confirmed = ingest.prepare_import(con, "survey", data, "odd.csv", allow_any_date=True)
    assert confirmed.staged is not None and confirmed.report.problems == []   # DuckDB staged it, all of it
    report = ingest.commit_import(con, confirmed)
    assert report.rows_imported == 2
    waves = con.cursor().execute("SELECT response_id, wave FROM survey_responses WHERE response_id LIKE 'Z%' "
                                 "ORDER BY 1").fetchall()
    assert waves == [("Z1", "2026-01"), ("Z2", "9999-12")]


def test_the_window_runs_from_2000_to_a_year_after_today():
    def problems(kind: str, **cells) -> list[tuple[int, str]]:
        row = dict(zip(HEADER[kind].strip().split(","), GOOD_ROW[kind].split(",")))
        frame = pd.DataFrame([{**row, **cells}]).astype(object)
        frame = frame.where(frame != "", None)
        return [(p.column, p.reason.split(";")[0]) for p in ingest.validate(frame, kind)]

    LATEST = dates.latest()
    day_after = LATEST + timedelta(days=1)
    assert problems("meetings", date=f"{LATEST:%Y-%m-%d}") == []
    assert problems("meetings", date="2000-01-01") == []
    assert problems("meetings", date=f"{day_after:%Y-%m-%d}") == [
        ("date", f"is more than a year after today (after {LATEST:%Y-%m-%d})")]
    assert problems("meetings", date="1999-12-31") == [("date", "is before 2000-01-01")]
    next_month = scorecard.shift_month(dates.month_of(LATEST), 1)
    assert problems("kpis", month=dates.month_of(LATEST)) == [] and problems("kpis", month="2000-01") == []
    assert problems("kpis", month=next_month) == [("month", f"is more than a year after today (after {LATEST:%Y-%m})")]
    assert problems("kpis", month="1999-12") == [("month", "is before 2000-01")]
    # any time of the latest day is in; the first instant of the next day is not
    assert problems("survey", submitted_at=f"{LATEST:%Y-%m-%d} 23:59:59") == []
    assert [c for c, _ in problems("survey", submitted_at=f"{day_after:%Y-%m-%d} 00:00:00")] == ["submitted_at"]
    assert ingest.validate(pd.DataFrame([{**dict(zip(HEADER["meetings"].strip().split(","),
                                                      GOOD_ROW["meetings"].split(","))), "date": "9999-12-31"}]),
                           "meetings", allow_any_date=True) == []


def test_a_year_after_a_29th_of_february_is_the_28th():
    assert dates.latest(date(2026, 12, 2)) == date(2027, 12, 2)
    assert dates.latest(date(2028, 2, 29)) == date(2029, 2, 28)


def cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "metrics", *args, "--db", str(db)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_the_command_line_refuses_then_accepts_with_allow_any_date(fixture_db, tmp_path):
    path = odd_file(tmp_path, "kpis", "Omega,9999-12,margin_growth_pct,2")
    before = store_rows(fixture_db)
    refused = cli("import", "kpis", str(path), db=fixture_db)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    lines = refused.stderr.splitlines()
    assert lines[0] == "odd_kpis.csv: refused, nothing was imported."
    assert lines[1] == f"odd_kpis.csv: row 3, column 'month', value '9999-12': {reasons()[MONTH_TOO_LATE]} " \
                       "(on the Data page: " \
                       "the checkbox 'Accept any date')"
    assert store_rows(fixture_db) == before
    accepted = cli("import", "kpis", str(path), "--allow-any-date", db=fixture_db)
    assert accepted.returncode == 0, accepted.stderr
    assert "2 rows read, 2 valid; imported 2" in accepted.stdout
    assert len(store_rows(fixture_db)["kpis"]) == len(before["kpis"]) + 2


# ---- a store holding odd dates: months, pages, undo, commands ------------------------------------------------


def load_confirmed(con, directory: Path) -> None:
    """The fixture, then odd dates an import was told to accept: a KPI, a meeting, a project, a response."""
    load_fixture(con, directory)
    for kind, row in (("kpis", "Alpha,9999-12,margin_growth_pct,1"),
                      ("meetings", "Z-9,Gamma,9999-12-31,joint_steering,held"),
                      ("projects", "PZ9,Gamma,Odd,joint,pilot,,1899-01-01,9999-12-31,9999-12-31,100,90,delivered,"
                                   "success,5"),
                      ("survey", "Z9,9999-12-31 10:00:00,Alpha,it,staff,4,")):
        path = directory / f"confirmed_{kind}.csv"
        path.write_text(HEADER[kind] + row + "\n", encoding="utf-8")
        ingest.import_file(con, kind, path, allow_any_date=True, user="tests")


def load_written(con, directory: Path) -> None:
    """The fixture, then odd values written straight into the tables, as an older store or a hand-made fix may
    hold: a KPI month of 9999-12, a survey wave of 0001-01, a meeting in year 10000 and a month that is none."""
    load_fixture(con, directory)
    cur = con.cursor()
    cur.execute("INSERT INTO kpis VALUES ('Alpha', '9999-12', 'margin_growth_pct', 1.0, 1)")
    cur.execute("INSERT INTO kpis VALUES ('Alpha', 'soon', 'margin_growth_pct', 1.0, 1)")
    cur.execute("UPDATE survey_responses SET wave = '0001-01' WHERE response_id = 'R001'")
    cur.execute("INSERT INTO meetings VALUES ('Z-10000', 'Gamma', DATE '10000-01-01', 'joint_steering', 'held', 1)")


STORES = {  # how each store is loaded, the months it offers, and its odd months
    "confirmed": (load_confirmed, ["1899-01"] + FIXTURE_MONTHS + ["9999-12"], ["9999-12", "1899-01"]),
    "written": (load_written, ["0001-01"] + FIXTURE_MONTHS + ["9999-12"], ["9999-12", "0001-01"]),
}


@pytest.fixture(scope="module", params=list(STORES))
def odd_store(request, tmp_path_factory):
    load, months, odd = STORES[request.param]
    directory = tmp_path_factory.mktemp(request.param)
    fixture_store(directory / "odd.duckdb", directory, load).close()
    return directory / "odd.duckdb", months, odd


def test_months_list_the_plausible_span_and_only_the_odd_months_that_hold_data(odd_store):
    db, months, _ = odd_store
    con = store.connect(db)
    try:
        assert scorecard.months_available(con) == months
    finally:
        con.close()
    assert scorecard.default_month(months) == "2026-01"
    assert scorecard.month_spans(months) == [(months[0], months[0]), ("2024-06", "2026-01"), ("9999-12", "9999-12")]


def test_months_at_the_ends_of_the_calendar_stay_months():
    assert scorecard.shift_month("9999-12", 1) == "9999-12"
    assert scorecard.shift_month("9999-11", 5) == "9999-12"
    assert scorecard.shift_month("0000-03", -11) == "0000-01"
    assert scorecard.shift_month("2026-01", -13) == "2024-12"
    assert [month_label(m) for m in ("0000-01", "0001-01", "9999-12", "2026-01")] == [
        "January 0", "January 1", "December 9999", "January 2026"]


def app(db: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("COLLAB_DB", str(db))
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()


def boundary_errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error if "could not be drawn" in e.value]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_draws_with_odd_dates_in_the_store(odd_store, page, monkeypatch):
    db, months, odd = odd_store
    at = app(db, monkeypatch)
    assert not at.exception, at.exception
    assert not boundary_errors(at)
    month = at.selectbox(key="month")
    assert month.value == "2026-01"                          # the newest plausible month, not 9999-12
    assert month.options == [month_label(m) for m in reversed(months)]
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not boundary_errors(at)
    if page == "pages/data.py":
        newest = max(at.selectbox(key=k).value for k in [w.key for w in at.selectbox]
                     if k and k.startswith("data_undo_id_"))
        assert newest > 0 and at.button(key="data_undo") is not None
    for odd_month in odd:                                    # and on the odd months themselves
        at = app(db, monkeypatch)
        at.selectbox(key="month").set_value(odd_month).run()
        assert not at.exception and not boundary_errors(at)
        at.switch_page(page).run()
        assert not at.exception, (odd_month, [e.value for e in at.exception])
        assert not boundary_errors(at), odd_month


def test_the_data_page_undoes_the_import_that_brought_an_odd_date(tmp_path, monkeypatch):
    def load(con, directory):
        load_fixture(con, directory)
        path = directory / "far.csv"
        path.write_text(HEADER["kpis"] + "Alpha,9999-12,margin_growth_pct,1\n", encoding="utf-8")
        ingest.import_file(con, "kpis", path, allow_any_date=True, user="tests")

    db = tmp_path / "odd.duckdb"
    fixture_store(db, tmp_path, load).close()
    at = app(db, monkeypatch)
    assert at.selectbox(key="month").options[0] == "December 9999"
    at.switch_page("pages/data.py").run()
    con = store.connect(db)
    newest = con.cursor().execute("SELECT max(import_id) FROM imports").fetchall()[0][0]
    assert at.selectbox(key=f"data_undo_id_{newest}").value == newest
    at.checkbox(key="data_undo_confirm").check().run()
    at.button(key="data_undo").click().run()
    assert f"Import {newest} undone" in at.success[0].value
    assert scorecard.months_available(con) == FIXTURE_MONTHS
    con.close()


def test_a_page_that_fails_says_so_in_words_and_links_to_the_data_page(fixture_db, monkeypatch, caplog):
    def month_table(con, month, columns):
        raise ValueError("'10000-01' is not a month: use YYYY-MM, e.g. 2026-10")

    # shared.read finds the function by its module and name, as it would the real one
    month_table.__module__, month_table.__qualname__ = "metrics.scorecard", "month_table"
    monkeypatch.setattr(scorecard, "month_table", month_table)
    with caplog.at_level(logging.ERROR, logger="ui.shared"):
        at = app(fixture_db, monkeypatch)
    assert not at.exception
    [error] = boundary_errors(at)
    assert error.startswith("This page could not be drawn: '10000-01' is not a month: use YYYY-MM, e.g. 2026-10.")
    assert "This comes from the stored data" in error and "undoing the one that brought the value" in error
    [link] = at.get("page_link")
    assert link.proto.page.endswith("data") and "undo" in link.proto.label
    assert any(r.exc_info and "10000-01" in str(r.exc_info[1]) for r in caplog.records)   # the traceback: logged


def test_when_the_months_cannot_be_read_the_page_still_draws_and_says_why(fixture_db, monkeypatch):
    def months_available(con):
        raise ValueError("'10000-01' is not a month: use YYYY-MM, e.g. 2026-10")

    months_available.__module__, months_available.__qualname__ = "metrics.scorecard", "months_available"
    monkeypatch.setattr(scorecard, "months_available", months_available)
    at = app(fixture_db, monkeypatch)
    assert not at.exception
    assert len(boundary_errors(at)) == 1 and len(at.get("page_link")) == 1
    at.switch_page("pages/data.py").run()
    assert not at.exception and at.button(key="data_undo") is not None


def command_store(name: str, directory: Path) -> tuple[Path, list[str]]:
    """A store of its own for the commands: the pages' tests keep theirs open (the app's cached connection)."""
    load, _, odd = STORES[name]
    fixture_store(directory / "odd.duckdb", directory, load).close()
    return directory / "odd.duckdb", odd


@pytest.mark.parametrize("name", list(STORES))
def test_the_scorecard_command_gives_the_same_figures_beside_odd_dates(name, tmp_path):
    db, odd = command_store(name, tmp_path)
    (tmp_path / "clean").mkdir()
    clean = fixture_store(":memory:", tmp_path / "clean")
    expected = json.loads(json.dumps(scorecard.scorecard(clean, "2026-01")))
    clean.close()
    result = cli("scorecard", "--month", "2026-01", "--json", db=db)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    shown = json.loads(result.stdout)
    if name == "confirmed":
        assert shown == expected
    else:   # R001, an Alpha response of January 2026, was moved to 0001-01: Beta's and Gamma's figures stand
        assert [u for u in shown["business_units"] if u["business_unit"] != "Alpha"] == [
            u for u in expected["business_units"] if u["business_unit"] != "Alpha"]
    for month in odd:
        result = cli("scorecard", "--month", month, "--json", db=db)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        assert json.loads(result.stdout)["month"] == month


@pytest.mark.parametrize("name", list(STORES))
def test_the_boardpack_command_ends_cleanly_beside_odd_dates(name, tmp_path):
    db, odd = command_store(name, tmp_path)
    for month in ("2026-01", odd[0]):
        out = tmp_path / f"pack_{month}.pptx"
        result = cli("boardpack", "--month", month, "--out", str(out), db=db)
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [result.stdout.strip()] and f"11 slides for {month}" in result.stdout
        assert out.stat().st_size > 0


def test_a_command_that_fails_on_the_stored_data_says_so_in_one_line(monkeypatch, capsys, fixture_db):
    from metrics import __main__ as cli_main

    def scorecard_failing(con, month, business_unit=None):
        raise ValueError("'10000-01' is not a month: use YYYY-MM, e.g. 2026-10")

    monkeypatch.setattr(scorecard, "scorecard", scorecard_failing)
    monkeypatch.delenv("COLLAB_DEBUG", raising=False)
    code = cli_main.main(["scorecard", "--month", "2026-01", "--db", str(fixture_db)])
    err = capsys.readouterr().err
    assert code == 1 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("scorecard failed: '10000-01' is not a month: use YYYY-MM, e.g. 2026-10. This comes from "
                          "the stored data: `python -m metrics imports` lists the imports")


def test_the_data_page_refuses_an_odd_date_until_its_checkbox_is_ticked(fixture_db, monkeypatch):
    data = (HEADER["kpis"] + GOOD_ROW["kpis"] + "\nOmega,9999-12,margin_growth_pct,2\n").encode()
    at = app(fixture_db, monkeypatch)
    at.switch_page("pages/data.py").run()
    at.selectbox(key="data_kind").set_value("kpis").run()
    at.file_uploader(key="data_upload").set_value(("odd_kpis.csv", data, "text/csv")).run()
    assert not at.exception
    problems = at.dataframe[0].value
    assert list(problems["row"]) == [3] and list(problems["column"]) == ["month"]
    assert list(problems["value"]) == ["9999-12"] and problems["reason"][0].startswith(reasons()[MONTH_TOO_LATE])
    assert at.button(key="data_import").disabled
    con = store.connect(fixture_db)
    before = counts(con)
    at.checkbox(key="data_any_date").check().run()
    assert {m.label: m.value for m in at.metric}["Problems"] == "0"
    at.button(key="data_import").click().run()
    assert "Imported 2 rows from odd_kpis.csv" in at.success[0].value
    assert counts(con)["kpis"] == before["kpis"] + 2
    assert scorecard.months_available(con)[-1] == "9999-12"
    con.close()
