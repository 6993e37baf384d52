"""Calendars as they come (issue 19): .ics exports of Outlook and Google read into meetings and attendance through a
people roster, with the survey's guarantees (all or nothing, one log entry, undo, no personal data stored), on files
written the way Outlook and Google write them and on real public exports (tests/fixtures/calendars/README.md)."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from metrics import __main__ as cli
from metrics import ingest, store
from metrics.ingest import calendar

FIXTURES = Path(__file__).parent / "fixtures" / "calendars"
ROSTER = (b"Email,Name,Department,Role,Business unit\n"
          b"ann.lead@example.com,Ann Lead,Marketing,Head,Nordics\n"
          b"BOB.IT@example.com,Bob Byte,IT,manager,Nordics\n"
          b"cy@example.com,Cy Staff,Technology,staff,Nordics\n"
          b"dee@example.com,Dee Field,mkt,employee,Iberia\n")
ADDRESSES = ("ann.lead@example.com", "bob.it@example.com", "cy@example.com", "dee@example.com", "who@elsewhere.org")
NAMES = ("Ann Lead", "Bob Byte", "Cy Staff", "Dee Field", "Stranger Danger")

OUTLOOK_TZ = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
"""


def ics(*events: str, prodid: str = "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN", head: str = OUTLOOK_TZ
        ) -> bytes:
    """A calendar as Outlook writes one: CRLF lines, a VTIMEZONE with Windows' zone name, the events."""
    text = (f"BEGIN:VCALENDAR\nPRODID:{prodid}\nVERSION:2.0\nMETHOD:PUBLISH\n{head}" + "".join(events)
            + "END:VCALENDAR\n")
    return text.replace("\n", "\r\n").encode("utf-8")


def event(uid: str, start: str, summary: str = "Marketing–IT steering", *extra: str,
          tz: str = "W. Europe Standard Time", attendees: tuple[tuple[str, str, str], ...] | None = None) -> str:
    """A VEVENT starting `start` (YYYYMMDDTHHMMSS in `tz`), organised by Ann, with attendees (address, name,
    PARTSTAT)."""
    attendees = attendees if attendees is not None else (
        ("ann.lead@example.com", "Ann Lead", "ACCEPTED"), ("bob.it@example.com", "Bob Byte", "DECLINED"),
        ("who@elsewhere.org", "Stranger Danger", "ACCEPTED"))
    lines = [f"UID:{uid}", f"SUMMARY:{summary}", f"DTSTART;TZID={tz}:{start}",
             "ORGANIZER;CN=Ann Lead:mailto:ann.lead@example.com",
             "LOCATION:Room 4.02, Harbour Street 12", "DESCRIPTION:Agenda: budgets. Call Ann on +44 20 7946 0958"]
    lines += [f"ATTENDEE;CN={name};ROLE=REQ-PARTICIPANT;PARTSTAT={answer};RSVP=TRUE:mailto:{address}"
              for address, name, answer in attendees]
    return "BEGIN:VEVENT\n" + "\n".join([*lines, *extra]) + "\nEND:VEVENT\n"


WEEKLY = ics(
    event("040000008200E00074C5B7101A82E00800000000A1", "20260105T100000", "Marketing–IT steering",
          "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO", "EXDATE;TZID=W. Europe Standard Time:20260119T100000"),
    event("040000008200E00074C5B7101A82E00800000000A1", "20260204T090000", "Marketing–IT steering",
          "RECURRENCE-ID;TZID=W. Europe Standard Time:20260202T100000"),
)


@pytest.fixture
def con():
    connection = store.connect(":memory:")
    yield connection
    connection.close()


def prepare(con, data: bytes, name: str = "calendar.ics", roster: bytes | None = ROSTER, **options):
    return ingest.prepare_import(con, "meetings", data, name, roster=("roster.csv", roster) if roster else None,
                                 **options)


def stored(con, table: str) -> pd.DataFrame:
    frame = con.cursor().execute(f"SELECT * FROM {table}").df()
    if "date" in frame.columns:
        frame["date"] = frame["date"].dt.date
    return frame


def every_text(con) -> list[str]:
    """Every VARCHAR value of every table of the store."""
    cur = con.cursor()
    values = []
    for table, column in cur.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE data_type = 'VARCHAR' "
                                     "AND NOT internal AND database_name = current_database()").fetchall():
        values += [v for (v,) in cur.execute(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall() if v]
    return values


# ----------------------------------------------------------------------------------------------------------
# What a calendar's occurrences become


def test_a_weekly_series_of_ten_with_an_exdate_and_a_moved_occurrence_gives_nine_meetings(con):
    prepared = prepare(con, WEEKLY)
    assert prepared.importable and not prepared.report.problems
    report = ingest.commit_import(con, prepared, user="tests")
    assert (report.layout, report.rows_read, report.rows_imported) == ("calendar", 9, 9)
    meetings = stored(con, "meetings").sort_values("date")
    days = [d.isoformat() for d in meetings["date"]]
    assert days == ["2026-01-05", "2026-01-12", "2026-01-26", "2026-02-04", "2026-02-09", "2026-02-16", "2026-02-23",
                    "2026-03-02", "2026-03-09"]   # not 01-19 (EXDATE), 02-04 instead of 02-02 (moved)
    assert set(meetings["meeting_type"]) == {"joint_steering"} and set(meetings["status"]) == {"held"}
    assert set(meetings["business_unit"]) == {"Nordics"}   # the organizer's unit in the roster
    # the moved occurrence keeps the id of the date it replaces, so a later move updates it
    moved = meetings.loc[meetings["date"] == date(2026, 2, 4), "meeting_id"].item()
    assert moved.endswith("-20260202")
    attendance = stored(con, "attendance")
    assert len(attendance) == 18            # Ann and Bob at each of 9; the stranger is not in the roster
    per_person = attendance.groupby(["department", "role"])["attended"].sum().to_dict()
    assert per_person == {("marketing", "lead"): 9, ("it", "manager"): 0}   # Bob declined every one


def test_an_event_in_new_york_at_half_past_eleven_lands_on_new_yorks_date(con):
    data = ics(event("ny-1", "20260305T233000", "Steering", tz="America/New_York"), head="")
    ingest.commit_import(con, prepare(con, data), user="tests")
    # 23:30 in New York is 04:30 UTC on the 6th: the meeting took place on the 5th where it was held
    assert [d.isoformat() for d in stored(con, "meetings")["date"]] == ["2026-03-05"]


def test_a_google_export_in_utc_is_read_in_its_calendars_time_zone(con):
    # Google writes times in UTC and names the calendar's zone in X-WR-TIMEZONE (read by x-wr-timezone): 03:30 UTC
    # on the 6th is 19:30 on the 5th in Los Angeles.
    google = "X-WR-TIMEZONE:America/Los_Angeles\nCALSCALE:GREGORIAN\n"
    data = ics(event("abc123@google.com", "20260306T033000Z", "Steering").replace(";TZID=W. Europe Standard Time", ""),
               prodid="-//Google Inc//Google Calendar 70.9054//EN", head=google)
    prepared = prepare(con, data)
    assert not prepared.report.problems and prepared.frame["date"].tolist() == ["2026-03-05"]


def test_an_organizer_not_listed_as_attendee_counts_as_an_invitee_who_accepted(con):
    data = ics(event("org-1", "20260310T100000", "Steering",
                     attendees=(("bob.it@example.com", "Bob Byte", "ACCEPTED"),)))
    prepared = prepare(con, data)
    assert sorted(zip(prepared.attendance["role"], prepared.attendance["attended"])) == [("lead", "true"),
                                                                                         ("manager", "true")]
    assert any("1 of them organizers not listed as attendees" in n for n in prepared.notes)


def test_responses_give_attendance_and_a_cancelled_meeting_was_attended_by_no_one(con):
    answers = (("ann.lead@example.com", "Ann Lead", "ACCEPTED"), ("bob.it@example.com", "Bob Byte", "DECLINED"),
               ("cy@example.com", "Cy Staff", "TENTATIVE"))
    data = ics(event("held-1", "20260310T100000", "Brainstorm: spring campaign", attendees=answers),
               event("cancel-1", "20260311T100000", "Canceled: Marketing & IT sync", attendees=answers),
               event("cancel-2", "20260312T100000", "Marketing–IT steering", "STATUS:CANCELLED", attendees=answers))
    ingest.commit_import(con, prepare(con, data), user="tests")
    meetings = stored(con, "meetings").set_index("date")
    assert meetings.loc[date(2026, 3, 10), ["meeting_type", "status"]].tolist() == ["brainstorm", "held"]
    assert meetings.loc[date(2026, 3, 11), ["meeting_type", "status"]].tolist() == ["co_department", "cancelled"]
    assert meetings.loc[date(2026, 3, 12), ["meeting_type", "status"]].tolist() == ["joint_steering", "cancelled"]
    attendance = stored(con, "attendance").merge(stored(con, "meetings")[["meeting_id", "date"]], on="meeting_id")
    held = attendance[attendance["date"] == date(2026, 3, 10)].set_index("role")["attended"].to_dict()
    assert held == {"lead": True, "manager": False, "staff": False}    # accepted / declined / tentative
    assert not attendance.loc[attendance["date"] != date(2026, 3, 10), "attended"].any()
    assert len(attendance) == 9


def test_an_invitee_not_in_the_roster_is_reported_by_position_and_no_address_or_name_is_stored(con):
    prepared = prepare(con, WEEKLY)
    notes = "\n".join(prepared.notes)
    assert "9 invitees are not in the roster and are not stored" in notes
    assert "row 1 (2026-01-05) attendee 3" in notes
    report = ingest.commit_import(con, prepared, user="tests")
    shown = notes + str(report) + "\n".join(report.dropped_columns)
    assert not any(a in shown.casefold() for a in ADDRESSES)
    assert "ATTENDEE (e-mail addresses and names: only a keyed hash of the address is stored)" in report.dropped_columns
    assert any(d.startswith("LOCATION") for d in report.dropped_columns)
    texts = every_text(con)
    assert len(texts) > 20   # the scan reads something: meeting ids, person ids, units, the import log
    for value in texts:
        low = value.casefold()
        assert not any(a in low for a in ADDRESSES), value
        assert not any(n.casefold() in low for n in NAMES), value
        assert "harbour street" not in low and "budgets" not in low and "7946" not in low, value
        assert "@" not in value, value


def test_person_ids_are_a_keyed_hash_stable_between_imports_and_different_in_another_store(con, tmp_path):
    ingest.commit_import(con, prepare(con, WEEKLY), user="tests")
    key = bytes.fromhex(con.execute("SELECT key FROM person_key").fetchall()[0][0])
    assert len(key) == 32
    ids = set(stored(con, "attendance")["person_id"])
    expected = {"P-" + hmac.new(key, a.encode(), hashlib.sha256).hexdigest()[:24] for a in ADDRESSES[:2]}
    assert ids == expected
    assert not ids & {"P-" + hashlib.sha256(a.encode()).hexdigest()[:24] for a in ADDRESSES}   # not a plain hash
    # another file with the same people, imported later: the same ids
    later = ics(event("other-1", "20260401T100000", "Marketing–IT steering"))
    ingest.commit_import(con, prepare(con, later), user="tests")
    assert set(stored(con, "attendance")["person_id"]) == ids
    other = store.connect(tmp_path / "other.duckdb")
    ingest.commit_import(other, prepare(other, WEEKLY), user="tests")
    assert not set(stored(other, "attendance")["person_id"]) & ids
    other.close()


# ----------------------------------------------------------------------------------------------------------
# All or nothing, the same file twice, a changed series, undo


def counts(con) -> tuple[int, int, int, int, int]:
    return con.execute("SELECT (SELECT count(*) FROM meetings), (SELECT count(*) FROM attendance), "
                       "(SELECT count(*) FROM imports), (SELECT count(*) FROM replaced_meetings), "
                       "(SELECT count(*) FROM replaced_attendance)").fetchall()[0]


def test_meetings_and_attendance_are_one_import_and_undo_takes_both(con):
    report = ingest.commit_import(con, prepare(con, WEEKLY), user="tests")
    assert counts(con) == (9, 18, 1, 0, 0)
    log = ingest.list_imports(con)
    assert log[["kind", "layout", "rows_read", "rows_imported"]].values.tolist() == [["meetings", "calendar", 9, 9]]
    assert ingest.undo(con, report.import_id) == {"meetings": 9, "attendance": 18}
    assert counts(con)[:2] == (0, 0)


def test_the_same_file_twice_changes_nothing(con):
    ingest.commit_import(con, prepare(con, WEEKLY), user="tests")
    before = counts(con), stored(con, "meetings"), stored(con, "attendance")
    again = ingest.commit_import(con, prepare(con, WEEKLY), user="tests")
    assert (again.import_id, again.rows_imported, again.rows_unchanged) == (None, 0, 9)
    assert counts(con) == before[0]
    pd.testing.assert_frame_equal(stored(con, "meetings"), before[1])
    pd.testing.assert_frame_equal(stored(con, "attendance"), before[2])


def test_a_changed_series_updates_what_changed_and_undo_restores_it(con):
    first = ingest.commit_import(con, prepare(con, WEEKLY), user="tests")
    original = stored(con, "meetings").sort_values("meeting_id").reset_index(drop=True)
    original_attendance = stored(con, "attendance").sort_values(["meeting_id", "person_id"]).reset_index(drop=True)
    # The 9 March occurrence is cancelled, and Bob accepts the 2 March one.
    changed = WEEKLY.replace(b"END:VCALENDAR\r\n", ics(
        event("040000008200E00074C5B7101A82E00800000000A1", "20260309T100000", "Canceled: Marketing–IT steering",
              "RECURRENCE-ID;TZID=W. Europe Standard Time:20260309T100000", "STATUS:CANCELLED"),
        event("040000008200E00074C5B7101A82E00800000000A1", "20260302T100000", "Marketing–IT steering",
              "RECURRENCE-ID;TZID=W. Europe Standard Time:20260302T100000",
              attendees=(("ann.lead@example.com", "Ann Lead", "ACCEPTED"), ("bob.it@example.com", "Bob", "ACCEPTED")))
    ).split(OUTLOOK_TZ.replace("\n", "\r\n").encode())[1])
    second = ingest.commit_import(con, prepare(con, changed), user="tests")
    assert (second.rows_imported, second.rows_replaced, second.rows_unchanged) == (2, 2, 7)
    meetings = stored(con, "meetings").set_index("date")
    assert meetings.loc[date(2026, 3, 9), "status"] == "cancelled"
    assert len(meetings) == 9
    attendance = stored(con, "attendance").merge(stored(con, "meetings")[["meeting_id", "date"]], on="meeting_id")
    assert attendance.loc[attendance["date"] == date(2026, 3, 2), "attended"].tolist() == [True, True]
    assert not attendance.loc[attendance["date"] == date(2026, 3, 9), "attended"].any()
    assert counts(con) == (9, 18, 2, 2, 4)
    # the first import cannot be undone before the second, which replaced some of its rows
    with pytest.raises(ingest.UndoRefused, match=f"undo import {second.import_id} first"):
        ingest.undo(con, first.import_id)
    assert ingest.undo(con, second.import_id) == {"meetings": 2, "attendance": 4, "meetings restored": 2,
                                                  "attendance restored": 4}
    pd.testing.assert_frame_equal(stored(con, "meetings").sort_values("meeting_id").reset_index(drop=True), original)
    pd.testing.assert_frame_equal(stored(con, "attendance").sort_values(["meeting_id", "person_id"])
                                  .reset_index(drop=True), original_attendance)


def test_a_refused_calendar_changes_nothing(con):
    ingest.commit_import(con, prepare(con, WEEKLY), user="tests")
    before = counts(con)
    data = ics(event("x-1", "20260401T100000", "Quarterly all-hands"), event("x-2", "20260402T100000", "Steering"))
    prepared = prepare(con, data)
    assert [(p.row, p.column) for p in prepared.report.problems] == [(1, "SUMMARY")]
    assert "no subject rule gives this meeting's type" in str(prepared.report.problems[0])
    with pytest.raises(ingest.ImportRefused):
        ingest.commit_import(con, prepared, user="tests")
    assert counts(con) == before
    # with --skip-invalid the steering meeting goes in, and the all-hands is logged as skipped
    report = ingest.commit_import(con, prepare(con, data), skip_invalid=True, user="tests")
    assert (report.rows_read, report.rows_imported, report.rows_skipped) == (2, 1, 1)
    assert '"row": 1, "column": "SUMMARY"' in ingest.list_imports(con)["skipped_rows"].iloc[-1]


# ----------------------------------------------------------------------------------------------------------
# Subject rules, set once and remembered


def test_subject_rules_are_applied_remembered_and_ignore_leaves_events_out(con):
    data = ics(event("r-1", "20260401T100000", "Quarterly all-hands"),
               event("r-2", "20260402T100000", "CRM pilot review"))
    assert len(prepare(con, data).report.problems) == 2
    rules = {"all-hands": "ignore", r"crm\b.*review": "co_department"}
    report = ingest.commit_import(con, prepare(con, data, rules=rules), user="tests")
    assert report.rows_imported == 1 and stored(con, "meetings")["meeting_type"].tolist() == ["co_department"]
    assert calendar.saved_rules(con) == rules
    # the next file needs no --rule: the rules were remembered
    later = ics(event("r-3", "20260501T100000", "CRM pilot review"), event("r-4", "20260502T100000", "All-hands"))
    prepared = prepare(con, later)
    assert not prepared.report.problems and len(prepared.frame) == 1
    assert any("1 occurrences left out by an 'ignore' subject rule" in n for n in prepared.notes)
    table = calendar.rules_table(con)
    assert table.iloc[0].tolist() == [r"crm\b.*review", "co_department", "yours"]
    assert ("steering", "joint_steering", "default") in set(map(tuple, table.values.tolist()))


def test_a_bad_rule_is_refused_in_words(con):
    prepared = prepare(con, WEEKLY, rules={"steering": "weekly_sync", "(unclosed": "brainstorm"})
    text = "\n".join(map(str, prepared.blocking))
    assert "the rule's type 'weekly_sync' is not one of: joint_steering" in text
    assert "the rule's pattern is not a regular expression" in text


# ----------------------------------------------------------------------------------------------------------
# The roster and the business unit


def test_the_roster_is_required_and_its_bad_rows_are_named_without_their_address(con):
    assert "a calendar needs a people roster" in str(prepare(con, WEEKLY, roster=None).blocking[0])
    bad = ROSTER + b"eve@example.com,Eve,Finance,staff,Nordics\n"
    text = "\n".join(map(str, prepare(con, WEEKLY, roster=bad).blocking))
    assert "the roster roster.csv, row 6: the roster's department is not marketing, IT or other" in text
    assert "eve@example.com" not in text
    no_email = b"Name,Department,Role\nAnn,Marketing,lead\n"
    assert "has no email column" in str(prepare(con, WEEKLY, roster=no_email).blocking[0])


def test_the_roster_may_be_an_excel_workbook(con):
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for row in ROSTER.decode().splitlines():
        book.active.append(row.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    prepared = ingest.prepare_import(con, "meetings", WEEKLY, "calendar.ics", roster=("people.xlsx", buffer.getvalue()))
    assert prepared.importable and len(prepared.attendance) == 18


def test_the_business_unit_comes_from_set_or_else_the_invitees_and_a_tie_is_a_problem(con):
    mixed = (("bob.it@example.com", "Bob", "ACCEPTED"), ("dee@example.com", "Dee", "ACCEPTED"))
    data = ics(event("t-1", "20260401T100000", "Steering", attendees=mixed).replace(
        "ORGANIZER;CN=Ann Lead:mailto:ann.lead@example.com\n", ""))
    prepared = prepare(con, data)
    assert "no business unit: its invitees come from several business units in equal numbers" in str(
        prepared.report.problems[0])
    prepared = prepare(con, data, constants={"business_unit": "Group"})
    assert not prepared.report.problems and prepared.frame["business_unit"].tolist() == ["Group"]
    refused = prepare(con, data, constants={"department": "it"})
    assert "takes a constant for business_unit only" in str(refused.blocking[0])


# ----------------------------------------------------------------------------------------------------------
# Bounds: the data window, today, the upload limit


def test_a_series_without_end_is_expanded_over_the_data_window_only(con):
    # A daily series since 1999 without COUNT or UNTIL: read from 2000-01-01 (metrics.dates.EARLIEST) to today.
    data = ics(event("daily-1", "19990601T080000", "Marketing–IT steering", "RRULE:FREQ=DAILY",
                     attendees=(("ann.lead@example.com", "Ann", "ACCEPTED"),)))
    started = time.perf_counter()
    prepared = prepare(con, data)
    assert time.perf_counter() - started < 30
    today = date.today()
    assert len(prepared.frame) == (today - date(2000, 1, 1)).days + 1
    assert prepared.frame["date"].min() == "2000-01-01" and prepared.frame["date"].max() == today.isoformat()
    assert any("occurrences after today" in n for n in prepared.notes)


def test_occurrences_after_today_wait_for_a_later_import(con):
    today = date.today()
    soon = today + timedelta(days=3)
    data = ics(event("now-1", f"{today - timedelta(days=1):%Y%m%d}T100000", "Steering"),
               event("soon-1", f"{soon:%Y%m%d}T100000", "Steering"))
    prepared = prepare(con, data)
    assert len(prepared.frame) == 1
    assert any("1 occurrences after today" in n for n in prepared.notes)


def test_a_calendar_over_the_upload_limit_is_refused_before_it_is_read(con, monkeypatch):
    con.execute("UPDATE settings SET value = '1' WHERE key = 'max_upload_mb'")
    big = WEEKLY[:-len(b"END:VCALENDAR\r\n")] + (b"X-PADDING:" + b"x" * 60 + b"\r\n") * 20_000 + b"END:VCALENDAR\r\n"
    assert len(big) > 1024 * 1024
    monkeypatch.setattr(calendar, "read_calendar", lambda *a, **k: pytest.fail("the file was read"))
    prepared = prepare(con, big)
    assert "over the upload limit of 1 MB" in prepared.blocking[0].reason
    with pytest.raises(ingest.ImportRefused):
        ingest.commit_import(con, prepared, user="tests")
    assert counts(con) == (0, 0, 0, 0, 0)


def test_a_calendar_is_known_by_its_content_not_its_name(con):
    prepared = prepare(con, WEEKLY, name="export.txt")
    assert prepared.report.layout == "calendar" and len(prepared.frame) == 9
    with_bom = b"\xef\xbb\xbf\r\n" + WEEKLY
    assert len(prepare(con, with_bom, name="outlook.ics").frame) == 9


# ----------------------------------------------------------------------------------------------------------
# Real public exports (tests/fixtures/calendars/README.md: where each comes from and its licence)

GOOGLE_GROUP = "j68lhv614hbv3u4ttbrs6glhpg@group.calendar.google.com"


def real(con, name: str, roster: bytes, rules: dict[str, str], unit: str = "Potsdam"):
    data = (FIXTURES / name).read_bytes()
    return ingest.prepare_import(con, "meetings", data, name, roster=("roster.csv", roster), rules=rules,
                                 constants={"business_unit": unit})


def test_a_real_google_export_with_a_moved_occurrence(con):
    # Google Calendar, Europe/Berlin, "Karaoke" on the last Friday of each month since 26 Nov 2021; the 31 Dec 2021
    # occurrence moved to 17 Dec (a VEVENT with RECURRENCE-ID written before its series).
    prepared = real(con, "issue_62_moved_event.ics", b"email,department,role\n", {"karaoke": "brainstorm"})
    frame = prepared.frame.set_index("meeting_id")
    assert prepared.importable and not prepared.report.problems
    dates_ = sorted(frame["date"])
    assert dates_[:4] == ["2021-11-26", "2021-12-17", "2022-01-28", "2022-02-25"]
    assert "2021-12-31" not in set(frame["date"])
    moved = [i for i in frame.index if i.endswith("-20211231")]
    assert len(moved) == 1 and frame.loc[moved[0], "date"] == "2021-12-17"
    # one a month from November 2021 to this month (the last Friday of this month may still be ahead)
    today = date.today()
    months = (today.year - 2021) * 12 + today.month - 11 + 1
    assert len(frame) in (months - 1, months)
    assert all(pd.Timestamp(d).day_name() == "Friday" for d in dates_)


def test_a_real_exchange_export_of_all_day_series_with_a_moved_occurrence(con):
    # Microsoft Exchange Server 2010: two fortnightly all-day series (UNTIL in UTC) and moved occurrences.
    prepared = real(con, "issue_28_rrule_with_UTC_endinginZ.ics", b"email,department,role\n",
                    {"black bin": "co_department", "recycle": "brainstorm", ".": "ignore"})
    assert prepared.importable and not prepared.report.problems
    frame = prepared.frame
    black = sorted(frame.loc[frame["meeting_type"] == "co_department", "date"])
    assert black[:3] == ["2020-04-02", "2020-04-17", "2020-04-30"]   # 16 April moved to the 17th
    assert max(black) <= "2020-09-17" and len(black) == 12
    assert len(frame.loc[frame["meeting_type"] == "brainstorm"]) == 12


def test_a_real_google_export_of_a_public_calendar_with_open_series_and_exdates(con):
    # machBar Potsdam's public Google calendar (February 2019): 64 events, weekly series without end, EXDATEs, and
    # the calendar itself as an attendee that accepted.
    roster = f"email,department,role,business unit\n{GOOGLE_GROUP},IT,staff,Potsdam\n".encode()
    prepared = real(con, "machbar_16_feb_2019.ics", roster, {"montessori": "co_department", "hackademy": "brainstorm",
                                                             ".": "ignore"})
    assert prepared.importable and not prepared.report.problems
    frame = prepared.frame
    thursdays = sorted(frame.loc[frame["meeting_id"].str.startswith("CAL-0b8f63a792d45dde"), "date"])
    # "Montessori Schulklasse": every Thursday from 28 Feb 2019 without end, but 7 March 2019 (EXDATE)
    assert thursdays[:3] == ["2019-02-28", "2019-03-14", "2019-03-21"]
    today = date.today()
    assert len(thursdays) == (today - date(2019, 2, 28)).days // 7 + 1 - 1
    report = ingest.commit_import(con, prepared, user="tests")
    attendance = stored(con, "attendance")
    assert len(attendance) > 0 and attendance["attended"].all()   # the calendar accepted each it was invited to
    assert report.rows_imported == len(frame)
    assert not any(GOOGLE_GROUP in v for v in every_text(con))


# ----------------------------------------------------------------------------------------------------------
# The command line


def test_the_command_line_imports_a_calendar_with_roster_and_rules(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    store.connect(db).close()
    (tmp_path / "outlook.ics").write_bytes(ics(event("c-1", "20260401T100000", "Quarterly business review")))
    (tmp_path / "people.csv").write_bytes(ROSTER)
    args = ["import", "meetings", str(tmp_path / "outlook.ics"), "--db", str(db),
            "--roster", str(tmp_path / "people.csv")]
    assert cli.main(args) == 1
    assert "no subject rule gives this meeting's type" in capsys.readouterr().err
    assert cli.main([*args, "--rule", "business review=co_department"]) == 0
    out = capsys.readouterr().out
    assert "layout calendar; 1 rows read, 1 valid; imported 1" in out
    assert "invitees are not in the roster" in out and "who@elsewhere.org" not in out
    assert "not stored: ATTENDEE" in out
    assert cli.main(args) == 0   # the rule was remembered
    assert "nothing new" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="--rule: a subject rule is PATTERN=TYPE, not 'nonsense'"):
        cli.main([*args, "--rule", "nonsense"])


def test_the_window_and_rules_are_stated_in_the_readme():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert re.search(r"accepted.*held meeting.*attended", readme, re.IGNORECASE | re.DOTALL)


# ----------------------------------------------------------------------------------------------------------
# The sample's calendar export gives back the sample's meetings and attendance


def test_the_sample_calendar_is_the_generators_output_and_has_series_exceptions(tmp_path):
    from metrics.sample import write_sample
    from metrics.sample.calendar import FILE_NAMES

    write_sample(tmp_path, seed=7)
    for name in FILE_NAMES.values():
        assert (tmp_path / name).read_bytes() == (store.SAMPLE_DIR / name).read_bytes(), name
    import icalendar

    cal = icalendar.Calendar.from_ical((store.SAMPLE_DIR / FILE_NAMES["calendar"]).read_bytes())
    events = list(cal.walk("VEVENT"))
    series = [e for e in events if "RRULE" in e]
    assert len(series) == 6                                          # a monthly steering series per unit
    assert all(str(e["RRULE"]["FREQ"][0]) == "MONTHLY" for e in series)
    assert sum(1 for e in series if "EXDATE" in e) >= 3               # months without a steering meeting
    moved = [e for e in events if "RECURRENCE-ID" in e
             and e.decoded("RECURRENCE-ID").date() != e.decoded("DTSTART").date()]
    cancelled = [e for e in events if "RECURRENCE-ID" in e and e.get("STATUS") == "CANCELLED"]
    assert len(moved) > 20 and len(cancelled) == 11
    listed = [e.get("ATTENDEE", []) for e in events]
    answers = {str(a.params.get("PARTSTAT")) for a_s in listed for a in (a_s if isinstance(a_s, list) else [a_s])}
    assert answers == {"ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION"}


def test_importing_the_sample_calendar_gives_back_the_sample_meetings_and_attendance(con):
    from metrics.sample.calendar import FILE_NAMES, address

    data = (store.SAMPLE_DIR / FILE_NAMES["calendar"]).read_bytes()
    roster = (store.SAMPLE_DIR / FILE_NAMES["roster"]).read_bytes()
    started = time.perf_counter()
    prepared = ingest.prepare_import(con, "meetings", data, FILE_NAMES["calendar"],
                                     roster=(FILE_NAMES["roster"], roster))
    report = ingest.commit_import(con, prepared, user="tests")
    assert time.perf_counter() - started < 5
    assert not report.problems and report.rows_imported == 293
    meetings = pd.read_csv(store.SAMPLE_DIR / "meetings.csv", dtype=str)
    attendance = pd.read_csv(store.SAMPLE_DIR / "attendance.csv", dtype=str)
    key = calendar.person_key(con)
    # Each sample meeting as (unit, date, type, status, its invitations); person ids through the same keyed hash.
    def meeting_set(m: pd.DataFrame, a: pd.DataFrame, person) -> list:
        invited = {mid: tuple(sorted((person(p), d, r, str(t).lower()) for p, d, r, t in
                                     zip(g["person_id"], g["department"], g["role"], g["attended"])))
                   for mid, g in a.groupby("meeting_id")}
        return sorted((u, str(d)[:10], t, s, invited.get(i, ())) for i, u, d, t, s in
                      zip(m["meeting_id"], m["business_unit"], m["date"], m["meeting_type"], m["status"]))
    expected = meeting_set(meetings, attendance, lambda p: calendar.person_id(key, address(p)))
    got = meeting_set(stored(con, "meetings"), stored(con, "attendance"), lambda p: p)
    assert len(got) == len(expected) == 293
    assert got == expected
    # the designed difference: agency guests (not in the roster) and rooms were reported, not stored
    assert any("invitees are not in the roster" in n for n in report.notes)
    assert any("rooms or resources" in n for n in report.notes)
    # cadence as the Meetings page counts it: held steering meetings per unit and month agree
    held = meetings[(meetings.meeting_type == "joint_steering") & (meetings.status == "held")]
    assert con.execute("SELECT count(*) FROM meetings WHERE meeting_type = 'joint_steering' AND status = 'held'"
                       ).fetchall()[0][0] == len(held) == 122


# ----------------------------------------------------------------------------------------------------------
# The Data page


def test_the_data_page_takes_a_calendar_with_its_roster_and_offers_the_examples(fixture_db):
    from streamlit.testing.v1 import AppTest

    from metrics.sample.calendar import FILE_NAMES

    at = AppTest.from_file(str(Path(__file__).parent.parent / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="data_kind").set_value("meetings").run()
    at.file_uploader(key="data_upload").set_value(("outlook.ics", WEEKLY, "text/calendar")).run()
    assert not at.exception, at.exception
    shown = "\n".join(e.value for e in at.error)
    assert "a calendar needs a people roster" in shown
    assert at.button(key="data_import").disabled
    at.file_uploader(key="data_roster").set_value(("roster.csv", ROSTER, "text/csv")).run()
    assert not at.exception, at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["Rows read"], tiles["Rows valid"], tiles["Problems"]) == ("9", "9", "0")
    notes = "\n".join(i.value for i in at.info)
    assert "9 invitees are not in the roster" in notes and "who@elsewhere.org" not in notes
    assert any("ATTENDEE" in c.value for c in at.caption)
    con = store.connect(fixture_db)
    before = con.execute("SELECT (SELECT count(*) FROM meetings), (SELECT count(*) FROM attendance)").fetchall()[0]
    con.close()
    at.button(key="data_import").click().run()
    assert "Imported 9 rows from outlook.ics" in at.success[0].value
    con = store.connect(fixture_db)
    after = con.execute("SELECT (SELECT count(*) FROM meetings), (SELECT count(*) FROM attendance)").fetchall()[0]
    con.close()
    assert (after[0] - before[0], after[1] - before[1]) == (9, 18)
    # the Templates tab offers the sample's calendar and roster as they are in sample_data/
    downloads = {b.proto.label for b in at.get("download_button")}
    assert {"Example calendar export (.ics)", "Example people roster (CSV)"} <= downloads
    assert set(calendar.EXAMPLES) == set(FILE_NAMES.values())
