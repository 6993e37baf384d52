"""Hostile and broken uploads: each refused with a message that says what is wrong and what to do, and the store
left exactly as it was (every table compared row by row, and the rows counted).

Every bad file is imported both ways the product imports: `ingest.import_file` (the command line; a clean native
survey takes a one-pass DuckDB path there) and `ingest.prepare_import` + `ingest.commit_import` (the Data page).
The files are built here, from bytes or small builders; the 100 MB file is written to tmp_path when its test runs.
Hostile names that are legitimate text (SQL, HTML, a formula, a right-to-left override) are stored byte for byte
and change nothing else; too long, control characters and NUL bytes are refused. Hypothesis fuzzes
`prepare_import` (and a real commit) with arbitrary bytes and with mutated templates of every kind.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import ingest, store
from metrics.store import answers
from metrics.ingest import grid, layouts, native_survey
from tests.conftest import fixture_store, survey_csv

# ----------------------------------------------------------------------------------------------------------
# The store: the fixture data set, plus a replaced row and a remembered mapping, so that every table an import
# could touch holds rows and "unchanged" means something.

VOCABULARY = "We and the other function use the same words for customers and results."
STATE_TABLES = {"imports", "survey_group_figures", "saved_mappings", "settings"} | {
    f"replaced_{ingest.KINDS[k].table}" for k in ingest.KINDS}


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("seeded")
    path = directory / "seeded.duckdb"
    con = fixture_store(path, directory)
    replacing = directory / "kpis_correction.csv"
    replacing.write_text("business_unit,month,kpi,value\nAlpha,2026-01,margin_growth_pct,4.75\n", encoding="utf-8")
    ingest.import_file(con, "kpis", replacing, replace=True, user="tests")
    corrected = directory / "survey_correction.csv"
    corrected.write_text(survey_csv().splitlines()[0] + "\nR047,2025-12-15 09:30:00,Gamma,it,staff,4,3,3,7,\n",
                         encoding="utf-8")
    ingest.import_file(con, "survey", corrected, replace=True, user="tests")
    mapped = directory / "google_forms.csv"
    mapped.write_text("Timestamp,Q one\n2025-12-15 10:00:00,4\n", encoding="utf-8")
    ingest.import_file(con, "survey", mapped, mapping={"Q one": "comm_vocabulary"},
                       constants={"business_unit": "Gamma", "department": "other"}, user="tests")
    for table_name in ("replaced_kpis", "replaced_survey_responses", "saved_mappings"):
        assert con.execute(f"SELECT count(*) FROM {table_name}").fetchall() == [(1,)]
    con.close()
    return path


def open_copy(seeded_db: Path, directory: Path) -> duckdb.DuckDBPyConnection:
    path = directory / f"store-{time.perf_counter_ns()}.duckdb"
    shutil.copy(seeded_db, path)
    return store.connect(path)


@pytest.fixture
def seeded(seeded_db, tmp_path):
    """A copy of the seeded store for one test."""
    con = open_copy(seeded_db, tmp_path)
    yield con
    con.close()


@pytest.fixture(scope="module")
def refusing(seeded_db, tmp_path_factory):
    """One copy of the seeded store for every test of a file that must be refused: each compares the whole store
    before and after, so a file that changed it fails there and then."""
    con = open_copy(seeded_db, tmp_path_factory.mktemp("refusing"))
    yield con
    con.close()


Snapshot = dict[str, tuple[list[str], list[tuple]]]


def snapshot(con, without: dict[str, set[str]] | None = None) -> Snapshot:
    """Every table of the store (and the survey_answers view): its columns and all its rows, sorted."""
    cur = con.cursor()
    tables = {name for (name,) in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' "
        "AND NOT temporary").fetchall()}
    assert set(store.DATA_TABLES) - {"survey_answers"} | STATE_TABLES <= tables
    shot = {}
    for table in sorted(tables | {"survey_answers"}):
        columns = [c for (c, *_) in cur.execute(f"DESCRIBE {answers.quoted(table)}").fetchall()
                   if c not in (without or {}).get(table, set())]
        rows = cur.execute(f"SELECT {', '.join(map(answers.quoted, columns))} FROM {answers.quoted(table)}").fetchall()
        shot[table] = (columns, sorted(rows, key=repr))
    return shot


def rows_in(shot: Snapshot) -> int:
    return sum(len(rows) for _, rows in shot.values())


ROWS_COMPARED = {"checks": 0, "rows": 0}


def assert_unchanged(con, before: Snapshot) -> None:
    """The store holds exactly what it held: every table, column and row (and the count says they were looked at)."""
    after = snapshot(con)
    assert set(after) == set(before)
    for table in before:
        assert after[table] == before[table], f"{table} changed"
    ROWS_COMPARED["checks"] += 1
    ROWS_COMPARED["rows"] += rows_in(before)


@pytest.fixture(scope="module", autouse=True)
def report_rows_compared():
    yield
    print(f"\n[hostile files] {ROWS_COMPARED['checks']} unchanged-store checks, "
          f"{ROWS_COMPARED['rows']} rows compared")


# ----------------------------------------------------------------------------------------------------------
# Builders

GOOD = {
    "survey": {"response_id": "H1", "submitted_at": "2026-07-15 10:00:00", "business_unit": "Hostile",
               "department": "it", "role": "staff", "comm_vocabulary": "4", "comm_unheard": "2",
               "partner_strategic": "4", "partner_nps": "9", "comment": ""},
    "items": {"item_id": "hostile_item", "dimension": "trust", "text": "The other function keeps its word.",
              "scale": "likert5", "reverse_scored": "false"},
    "headcount": {"business_unit": "Hostile", "department": "it", "month": "2026-07", "headcount": "10"},
    "meetings": {"meeting_id": "H-1", "business_unit": "Hostile", "date": "2026-07-14",
                 "meeting_type": "joint_steering", "status": "held"},
    "attendance": {"meeting_id": "H-1", "person_id": "H-P1", "department": "it", "role": "lead",
                   "attended": "true"},
    "projects": {"project_id": "HP1", "business_unit": "Hostile", "name": "Hostile pilot", "lead_function": "joint",
                 "stage": "pilot", "parent_project_id": "", "start_date": "2026-01-01", "planned_end": "2026-06-30",
                 "actual_end": "", "budget": "100", "spend": "10", "status": "active", "outcome": "",
                 "roi_pct": ""},
    "kpis": {"business_unit": "Hostile", "month": "2026-07", "kpi": "margin_growth_pct", "value": "4.5"},
    # The monthly review's record (DESIGN.md, "The monthly review").
    "commentary": {"month": "2026-07", "side": "it", "text": "We met twice this month and agreed the pilot's scope.",
                   "written_by": "Hostile lead", "written_at": "2026-07-30 09:00:00"},
    "decision_rights": {"area_id": "HA1", "area": "Hostile area", "accountable": "joint",
                        "consulted": "Hostile analysts", "informed": "Hostile staff", "agreed_on": "2026-07-01"},
    "decisions": {"decision_id": "HD1", "month": "2026-07", "business_unit": "Hostile", "area_id": "HA1",
                  "text": "Run the pilot in one region first.", "decided_by": "joint", "due": "2026-09-30",
                  "status": "open"},
    "actions": {"action_id": "HX1", "business_unit": "Hostile", "title": "Hostile glossary", "owner": "Hostile lead",
                "target": "communication", "start_month": "2026-07", "due": "2026-09-30", "status": "planned",
                "effect_window": "3"},
    # Measured collaboration (issue 19): the native template; its Viva Insights exports have cases of their own.
    "collaboration": {"business_unit": "Hostile", "month": "2026-07", "from_side": "marketing", "to_side": "it",
                      "hours": "12.5", "meetings": "4", "emails": "30", "people": "10"},
}


def distinct(kind: str, n: int) -> dict[str, str]:
    """A key value that keeps row n apart from the others (a row's own changes come after it)."""
    key = {"survey": ("response_id", f"H{n}"), "items": ("item_id", f"hostile_item_{n}"),
           "headcount": ("month", f"2026-{n + 1:02d}"), "meetings": ("meeting_id", f"H-{n}"),
           "attendance": ("person_id", f"H-P{n}"), "projects": ("project_id", f"HP{n}"),
           "kpis": ("kpi", f"hostile_kpi_{n}"), "commentary": ("month", f"2026-{n + 1:02d}"),
           "decision_rights": ("area_id", f"HA{n}"), "decisions": ("decision_id", f"HD{n}"),
           "actions": ("action_id", f"HX{n}"), "collaboration": ("month", f"2026-{n + 1:02d}")}[kind]
    return {key[0]: key[1]}


def table(kind: str, *rows: dict[str, str], header: list[str] | None = None, delimiter: str = ",",
          encoding: str = "utf-8") -> bytes:
    """A file of this kind in its native template: each row is the good row with the given cells changed."""
    header = header or list(GOOD[kind])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for n, changes in enumerate(rows):
        row = {**GOOD[kind], **distinct(kind, n), **changes}
        writer.writerow([row.get(c, "") for c in header])
    return out.getvalue().encode(encoding)


def lines(*text: str) -> bytes:
    return ("\n".join(text) + "\n").encode("utf-8")


def workbook(rows: list[list[object]], sheets: int = 1) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    for n in range(1, sheets):
        book.create_sheet(f"Sheet{n + 1}")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zipped_csv() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("headcount.csv", table("headcount", {}))
    return buffer.getvalue()


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
SURVEY_HEADER = list(GOOD["survey"])
MIXED = ("Zürich", "Zürich")   # the same name, once in UTF-8 and once in Windows-1252

# Calendars (.ics, issue 19): a good Outlook-style event, and the roster that maps its attendees.
ROSTER = {"roster": ("roster.csv", b"email,department,role,business unit\nlead@example.com,marketing,lead,Hostile\n"
                                   b"it@example.com,it,manager,Hostile\n")}


def vevent(uid: str = "hostile-1", *lines_: str, start: str = "DTSTART;TZID=Europe/Berlin:20260714T100000",
           summary: str = "Marketing–IT steering") -> str:
    return "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}", *([start] if start else []),
                        "ORGANIZER;CN=Lead:mailto:lead@example.com",
                        "ATTENDEE;CN=Lead;PARTSTAT=ACCEPTED:mailto:lead@example.com",
                        "ATTENDEE;CN=IT;PARTSTAT=DECLINED:mailto:it@example.com", *lines_, "END:VEVENT", ""])


def ics_file(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
            + "".join(events or (vevent(),)) + "END:VCALENDAR\r\n").encode("utf-8")


# ----------------------------------------------------------------------------------------------------------
# The corpus: (kind, file name, the bytes, what the message must say, import options)


@dataclass
class Bad:
    id: str
    category: str
    kind: str
    name: str
    data: Callable[[], bytes]
    says: tuple[str, ...]                     # substrings of the refusal: what is wrong and where
    options: dict = field(default_factory=dict)
    at_commit: bool = False                   # a conflict with what is stored: found by the commit alone


def bad(id, category, kind, name, data, *says, options=None, at_commit=False) -> Bad:
    return Bad(id, category, kind, name, data if callable(data) else (lambda: data), says, options or {}, at_commit)


ROW_ADVICE = "Fix these rows, or import only the valid rows (--skip-invalid)."
SET = {"constants": {"business_unit": "Delta", "department": "it"}}

VIVA_HEADER = ("PrimaryCollaborator_Organization,PrimaryCollaborator_GroupSize,SecondaryCollaborator_Organization,"
               "MetricDate,Group collaboration time invested,Group meeting count,Group email sent count")
VIVA_ROW = "Marketing - Hostile,10,IT - Hostile,2026-07-05,12.5,4,30"
# Viva Insights' meeting query, imported as meetings (metrics.ingest.viva_meetings): Microsoft's names, a row a
# meeting.
MT_HEADER = ("MeetingId,Subject,Cancelled,Recurring,Accept_count,Intended_participant_count,Collaboration_start_time,"
             "Organizer,Organization")
MT_ROW = "AAMk-1,Marketing–IT steering with Jane Doe,FALSE,FALSE,4,5,2026-07-14 10:00,hash-1,Marketing - Hostile"

CORPUS = [
    # --- Viva Insights exports (issue 19): the collaboration kind's reader, metrics.ingest.viva
    bad("viva_meeting_query", "ragged/structure", "collaboration", "meetings_query.csv",
        lines("MeetingId,Subject,Cancelled,Recurring,Accept_count,Decline_count,Number_of_attendees,Organization",
              "AAMk1,Budget review with Jane Doe,FALSE,TRUE,4,0,5,Marketing"),
        "this is a Viva Insights meeting query", "import it as meetings instead (python -m metrics import meetings "
        "FILE"),
    bad("viva_without_group_size", "ragged/structure", "collaboration", "g2g.csv",
        lines("PrimaryCollaborator_Organization,SecondaryCollaborator_Organization,MetricDate,"
              "Group collaboration time invested", "Marketing - Hostile,IT - Hostile,2026-07-05,12.5"),
        "without primarycollaborator_groupsize", "Export the query again"),
    bad("viva_negative_hours", "scores", "collaboration", "g2g.csv",
        lines(VIVA_HEADER, VIVA_ROW, "IT - Hostile,5,Marketing - Hostile,2026-07-05,-3,1,2"),
        "row 3, column 'Group collaboration time invested', value '-3': must be a number, 0 or more", ROW_ADVICE),
    bad("viva_bad_metric_date", "dates", "collaboration", "g2g.csv",
        lines(VIVA_HEADER, VIVA_ROW, "IT - Hostile,5,Marketing - Hostile,sometime,3,1,2"),
        "row 3, column 'MetricDate', value 'sometime': not a date", ROW_ADVICE),
    bad("viva_half_a_person", "scores", "collaboration", "g2g.csv",
        lines(VIVA_HEADER, "Marketing - Hostile,2.5,IT - Hostile,2026-07-05,12.5,4,30"),
        "row 2, column 'PrimaryCollaborator_GroupSize', value '2.5': must be a whole number of people", ROW_ADVICE),
    bad("viva_bad_map", "vocabularies", "collaboration", "g2g.csv", lines(VIVA_HEADER, VIVA_ROW),
        "an organization maps to marketing, it or other", options={"mapping": {"Marketing - Hostile": "sales"}}),
    bad("viva_nothing_between_the_sides", "vocabularies", "collaboration", "g2g.csv",
        lines(VIVA_HEADER, "Finance,10,HR,2026-07-05,12.5,4,30"),
        "no row is between a marketing and an IT organization", "choose each organization's side"),
    bad("viva_unit_is_an_email", "hostile text", "collaboration", "g2g.csv",
        lines(VIVA_HEADER, "Marketing - ann@example.com,10,IT - ann@example.com,2026-07-05,12.5,4,30"),
        "column 'business_unit'", ROW_ADVICE),
    # --- Viva Insights' meeting query as meetings (issue 19): refused whole, nothing written, the subject never shown
    bad("viva_mt_without_subject", "ragged/structure", "meetings", "meeting_query.csv",
        lines("MeetingId,Cancelled,Collaboration_start_time,Organizer,Organization,Accept_count",
              "AAMk-1,FALSE,2026-07-14 10:00,hash-1,Marketing - Hostile,4"),
        "a Viva Insights meeting query without subject", "Run the query again with these attributes"),
    bad("viva_mt_cancelled_maybe", "vocabularies", "meetings", "meeting_query.csv",
        lines(MT_HEADER, MT_ROW, "AAMk-2,IT & marketing steering,maybe,FALSE,1,2,2026-07-15 10:00,hash-2,IT - Hostile"),
        "row 3, column 'Cancelled', value 'maybe': must be TRUE or FALSE", ROW_ADVICE),
    bad("viva_mt_start_not_a_date", "dates", "meetings", "meeting_query.csv",
        lines(MT_HEADER, MT_ROW, "AAMk-2,IT & marketing steering,FALSE,FALSE,1,2,soon,hash-2,IT - Hostile"),
        "row 3, column 'Collaboration_start_time', value 'soon': not a date", ROW_ADVICE),
    bad("viva_mt_dates_either_order", "dates", "meetings", "meeting_query.csv",
        lines(MT_HEADER, MT_ROW.replace("2026-07-14", "07/06/2026")),
        "could be day-first or month-first", "choose the date order"),
    bad("viva_mt_before_2000", "dates", "meetings", "meeting_query.csv",
        lines(MT_HEADER, MT_ROW.replace("2026-07-14", "1999-07-14")), "is before 2000-01-01", ROW_ADVICE),
    bad("viva_mt_only_focus_time", "vocabularies", "meetings", "meeting_query.csv",
        lines(MT_HEADER, MT_ROW.replace("Marketing–IT steering with Jane Doe", "Focus time")),
        "no row is a marketing-IT meeting", "1 meeting matched no subject rule"),
    bad("viva_mt_rule_type_unknown", "vocabularies", "meetings", "meeting_query.csv", lines(MT_HEADER, MT_ROW),
        "--rule 'steering': the rule's type 'weekly' is not one of", options={"rules": {"steering": "weekly"}}),
    bad("viva_mt_organization_unplaced", "vocabularies", "meetings", "meeting_query.csv",
        lines(MT_HEADER, MT_ROW.replace("Marketing - Hostile", "Marketing")),
        "no business unit for the meetings organized by 'Marketing'", "Choose one for the whole file"),
    bad("viva_mt_same_meeting_twice", "duplicates", "meetings", "meeting_query.csv",
        lines(MT_HEADER, MT_ROW, MT_ROW.replace("FALSE,FALSE", "TRUE,FALSE")),
        "row 3, column 'meeting_id'", "the same key appears more than once in the file"),
    bad("viva_mt_unit_is_an_email", "hostile text", "meetings", "meeting_query.csv",
        lines(MT_HEADER, MT_ROW.replace("Marketing - Hostile", "Marketing - ann@example.com")),
        "column 'business_unit'", ROW_ADVICE),
    bad("viva_mt_header_only", "empty/header-only", "meetings", "meeting_query.csv", lines(MT_HEADER),
        "the file has a header but no rows"),
    bad("collaboration_side_twice", "duplicates", "collaboration", "collaboration.csv",
        lambda: table("collaboration", {"month": "2026-07"}, {"month": "2026-07"}),
        "the same key appears more than once in the file"),
    bad("collaboration_unknown_side", "vocabularies", "collaboration", "collaboration.csv",
        lambda: table("collaboration", {"to_side": "sales"}), "row 2, column 'to_side', value 'sales': must be one of"),
    # --- encodings and binary data
    bad("empty", "encoding/binary", "survey", "survey.csv", b"", "the file is empty: export the responses again"),
    bad("whitespace_only", "encoding/binary", "headcount", "headcount.csv", b"  \r\n\t\r\n",
        "the file is empty"),
    bad("random_bytes", "encoding/binary", "meetings", "meetings.csv", random.Random(7).randbytes(4000),
        "does not look like a text (CSV) file: it contains binary data", "Export"),
    bad("png_image", "encoding/binary", "kpis", "kpis.csv", PNG, "contains binary data", "Export"),
    bad("gzip_archive", "encoding/binary", "survey", "survey.csv", lambda: gzip.compress(table("survey", {})),
        "does not look like a text (CSV) file"),
    bad("nul_in_a_name", "encoding/binary", "projects", "projects.csv",
        lambda: table("projects", {}, {"name": "Data\x00pilot"}), "binary data (a NUL byte on line 3)"),
    bad("utf16_broken", "encoding/binary", "kpis", "kpis.csv",
        b"\xff\xfe" + "business_unit,month,kpi,value\n".encode("utf-16-le") + b"\x00\xd8A\x00",
        "looks like UTF-16 text, but byte", "save it again as CSV UTF-8"),
    bad("bom_then_cp1252", "encoding/binary", "items", "items.csv",
        lambda: b"\xef\xbb\xbf" + table("items", {"text": "Caf\u00e9 talk"}, encoding="cp1252"),
        "looks like UTF-8 text, but byte", "save it again as CSV UTF-8"),
    bad("mixed_utf8_then_cp1252", "encoding/binary", "survey", "survey.csv",
        lambda: table("survey", {"business_unit": MIXED[0]}) + table(
            "survey", {"response_id": "H9", "business_unit": MIXED[1]}, encoding="cp1252").split(b"\n", 1)[1],
        "mixes two text encodings: line 2 is UTF-8 but line 3 is not", "export the data again as one CSV UTF-8"),
    bad("mixed_cp1252_then_utf8", "encoding/binary", "attendance", "attendance.csv",
        lambda: table("attendance", {"person_id": "Müller"}, encoding="cp1252")
        + table("attendance", {"person_id": "Müller-2"}).split(b"\n", 1)[1],
        "mixes two text encodings: line 3 is UTF-8 but line 2 is not"),
    bad("old_excel_xls", "encoding/binary", "survey", "responses.xls", grid.OLE_MAGIC + b"\x00" * 512,
        "is an Excel 97-2003 workbook (.xls)", "save it as .xlsx or as CSV UTF-8"),
    # --- .xlsx files that are not (readable) workbooks
    bad("xlsx_that_is_csv", "not-an-xlsx", "items", "items.xlsx", lambda: table("items", {}),
        "is not an Excel workbook (it looks like a CSV text file: rename it to .csv)"),
    bad("xlsx_truncated_zip", "not-an-xlsx", "kpis", "kpis.xlsx", b"PK\x03\x04" + b"\x00" * 200,
        "is not a readable Excel workbook (BadZipFile)", "save it again as .xlsx"),
    bad("xlsx_zip_of_a_csv", "not-an-xlsx", "headcount", "headcount.xlsx", zipped_csv,
        "is not a readable Excel workbook", "export the responses as CSV"),
    bad("xlsx_half_a_workbook", "not-an-xlsx", "meetings", "meetings.xlsx",
        lambda: workbook([list(GOOD["meetings"]), list(GOOD["meetings"].values())])[:900],
        "is not a readable Excel workbook"),
    bad("xlsx_empty_sheet", "not-an-xlsx", "survey", "survey.xlsx", lambda: workbook([], sheets=2),
        "the workbook's first sheet ('Sheet') is empty"),
    # --- empty and header-only files
    bad("survey_header_only", "empty/header-only", "survey", "survey.csv", lambda: table("survey"),
        "the file has a header but no rows below it", "Export the data again"),
    bad("headcount_header_only", "empty/header-only", "headcount", "headcount.csv", lambda: table("headcount"),
        "the file has a header but no rows below it"),
    bad("kpis_header_and_blank_lines", "empty/header-only", "kpis", "kpis.csv",
        lambda: table("kpis") + b"\n\n,,,\n", "the file has a header but no rows below it"),
    bad("xlsx_header_only", "empty/header-only", "attendance", "attendance.xlsx",
        lambda: workbook([list(GOOD["attendance"])]), "the file has a header but no rows below it"),
    # --- ragged rows and broken structure
    bad("survey_extra_cell", "ragged/structure", "survey", "survey.csv",
        lambda: table("survey", {}) + b"H2,2026-07-15 10:00:00,Hostile,it,staff,4,2,4,9,,surplus\n",
        "line 3 has 11 columns where the header has 10 (comma-separated)", "fix that line"),
    bad("meetings_missing_cells", "ragged/structure", "meetings", "meetings.csv",
        lambda: table("meetings", {}) + b"H-2,Hostile,2026-07-15\n",
        "line 3 has 3 columns where the header has 5"),
    bad("attendance_open_quote", "ragged/structure", "attendance", "attendance.csv",
        lambda: table("attendance") + b'H-1,"H-P1,it,lead,true\n',
        "line 2 opens a quote (\") that is never closed", "fix that line"),
    bad("stray_carriage_return", "ragged/structure", "meetings", "meetings.csv",
        lambda: table("meetings", {}) + b"H-2,Hostile,2026-07-15,brainstorm,he\rld\n",
        "line 4 has 1 columns where the header has 5", "fix that line"),
    bad("kpis_one_column", "ragged/structure", "kpis", "kpis.csv", b"business_unit month kpi value\nAlpha\n",
        "has only one column"),
    bad("semicolon_ragged", "ragged/structure", "headcount", "headcount.csv",
        lambda: table("headcount", {}, delimiter=";") + b"Hostile;it;2026-08;10;12\n",
        "line 3 has 5 columns where the header has 4 (semicolon-separated)"),
    bad("qualtrics_without_import_ids", "ragged/structure", "survey", "qualtrics.csv",
        lines("StartDate,EndDate,ResponseId,Q1", f"Start Date,End Date,Response ID,{VOCABULARY}",
              "2024-03-15 10:00:00,2024-03-15 10:05:00,R_1,4"),
        "third header row", "choose the layout 'qualtrics_legacy'"),
    bad("survey_unknown_layout", "ragged/structure", "survey", "export.csv", lines("Name,Colour,Size", "Ann,red,4"),
        "the layout was not recognised", "Choose the layout by hand"),
    bad("items_missing_column", "ragged/structure", "items", "items.csv",
        lambda: table("items", {}, header=["item_id", "dimension", "text", "scale"]),
        "required column 'reverse_scored' is missing"),
    bad("meetings_file_as_kpis", "ragged/structure", "kpis", "kpis.csv", lambda: table("meetings", {}),
        "unknown column 'meeting_id'. Remove or rename it: the kpis template's columns are: business_unit, month, kpi, "
        "value"),
    bad("hostile_column_name", "ragged/structure", "headcount", "headcount.csv",
        lambda: table("headcount", {}, header=[*GOOD["headcount"], "x\"); DROP TABLE headcount;--"]),
        "unknown column 'x\"); DROP TABLE headcount;--'"),
    # --- scores and numbers out of range or not numbers
    bad("likert_6", "scores", "survey", "survey.csv", lambda: table("survey", {}, {"comm_vocabulary": "6"}),
        "row 3, column 'comm_vocabulary', value '6': '6' is outside the 1–5 scale", ROW_ADVICE),
    bad("nps_11", "scores", "survey", "survey.csv", lambda: table("survey", {"partner_nps": "11"}),
        "row 2, column 'partner_nps', value '11': '11' is outside the 0–10 scale"),
    bad("likert_word", "scores", "survey", "survey.csv", lambda: table("survey", {"comm_unheard": "lots"}),
        "row 2, column 'comm_unheard', value 'lots': 'lots' is not an answer on the 1–5 scale"),
    bad("likert_fraction", "scores", "survey", "survey.csv", lambda: table("survey", {"partner_strategic": "4.5"}),
        "row 2, column 'partner_strategic', value '4.5': '4.5' is not a whole number from 1 to 5"),
    bad("likert_formula", "scores", "survey", "survey.csv", lambda: table("survey", {"comm_vocabulary": "=1+3"}),
        "row 2, column 'comm_vocabulary', value '=1+3': '=1+3' is not an answer on the 1–5 scale"),
    bad("google_forms_bad_label", "scores", "survey", "google_forms.csv",
        lines(f'Timestamp,"{VOCABULARY}"', "15/03/2024 10:00:00,Agree", "16/03/2024 11:00:00,Sometimes"),
        f"row 3, column '{VOCABULARY}', value 'Sometimes': 'Sometimes' is not an answer on the 1–5 scale",
        options=SET),
    bad("typeform_score_7", "scores", "survey", "typeform.csv",
        lines(f'#,"{VOCABULARY}",Submit Date (UTC),Network ID', "abc,4,2024-03-15 10:00:00,n1",
              "abd,7,2024-03-15 11:00:00,n2"),
        "row 3, column", "value '7': '7' is outside the 1–5 scale", options=SET),
    bad("ms_forms_xlsx_score_9", "scores", "survey", "ms_forms.xlsx",
        lambda: workbook([["ID", "Start time", "Completion time", "Email", "Name", VOCABULARY],
                          [1, "3/15/2024 10:00:00", "3/15/2024 10:05:00", "a@example.com", "Ann", 4],
                          [2, "3/16/2024 10:00:00", "3/16/2024 10:05:00", "b@example.com", "Bo", 9]]),
        "row 3, column", "value '9': '9' is outside the 1–5 scale", options=SET),
    bad("limesurvey_bad_label", "scores", "survey", "limesurvey.csv",
        lines("id;submitdate;lastpage;Q1[SQ001]", "1;2024-03-15 10:32:41;3;4", "2;2024-03-15 11:32:41;3;Very much"),
        "row 3, column 'Q1[SQ001]', value 'Very much'",
        options={**SET, "mapping": {"Q1[SQ001]": "comm_vocabulary"}}),
    bad("headcount_word", "scores", "headcount", "headcount.csv", lambda: table("headcount", {"headcount": "ten"}),
        "row 2, column 'headcount', value 'ten': must be a whole number of people, 0 or more"),
    bad("headcount_negative", "scores", "headcount", "headcount.csv",
        lambda: table("headcount", {"headcount": "-3"}), "row 2, column 'headcount', value '-3': must be a whole"),
    bad("headcount_too_large", "scores", "headcount", "headcount.csv",
        lambda: table("headcount", {"headcount": "99999999999"}),
        "row 2, column 'headcount', value '99999999999': is too large: at most 999,999,999 people"),
    bad("budget_negative", "scores", "projects", "projects.csv", lambda: table("projects", {"budget": "-5"}),
        "row 2, column 'budget', value '-5': not a number of at least 0"),
    bad("budget_na", "scores", "projects", "projects.csv", lambda: table("projects", {"budget": "n/a"}),
        "row 2, column 'budget', value 'n/a': not a number of at least 0"),
    bad("roi_percent_sign", "scores", "projects", "projects.csv", lambda: table("projects", {"roi_pct": "12%"}),
        "row 2, column 'roi_pct', value '12%': not a number"),
    bad("budget_infinite", "scores", "projects", "projects.csv", lambda: table("projects", {"spend": "1e400"}),
        "row 2, column 'spend', value '1e400': not a number of at least 0", "not text, a formula or infinity"),
    bad("kpi_value_inf", "scores", "kpis", "kpis.csv", lambda: table("kpis", {"value": "-inf"}),
        "row 2, column 'value', value '-inf': not a number"),
    bad("kpi_value_formula", "scores", "kpis", "kpis.csv", lambda: table("kpis", {"value": "=A1*2"}),
        "row 2, column 'value', value '=A1*2': not a number"),
    # --- impossible and malformed dates
    bad("survey_feb_30", "dates", "survey", "survey.csv",
        lambda: table("survey", {"submitted_at": "2026-02-30 10:00:00"}),
        "row 2, column 'submitted_at', value '2026-02-30 10:00:00': not a date and time"),
    bad("survey_25_61", "dates", "survey", "survey.csv",
        lambda: table("survey", {"submitted_at": "2026-07-15 25:61:00"}),
        "row 2, column 'submitted_at', value '2026-07-15 25:61:00': not a date and time"),
    bad("survey_year_0", "dates", "survey", "survey.csv",
        lambda: table("survey", {"submitted_at": "0000-07-15 10:00:00"}),
        "row 2, column 'submitted_at', value '0000-07-15 10:00:00': not a date and time"),
    bad("survey_wave_13", "dates", "survey", "survey.csv",
        lambda: table("survey", {"wave": "2026-13"}, header=[*SURVEY_HEADER, "wave"]),
        "row 2, column 'wave', value '2026-13': must be a month YYYY-MM"),
    bad("qualtrics_feb_30", "dates", "survey", "qualtrics.csv",
        lines("StartDate,EndDate,ResponseId,Q1", f"Start Date,End Date,Response ID,{VOCABULARY}",
              '{"ImportId":"startDate"},{"ImportId":"endDate"},{"ImportId":"_recordId"},{"ImportId":"QID1"}',
              "2024-03-15 10:00:00,2024-03-15 10:05:00,R_1,4", "2024-03-15 10:00:00,2024-02-30 10:05:00,R_2,4"),
        "row 5, column 'EndDate', value '2024-02-30 10:05:00': not a date and time", options=SET),
    bad("glint_day_32", "dates", "survey", "glint.csv",
        lines(f'"{VOCABULARY}","{VOCABULARY}_COMMENT",EXID,Survey Cycle Completion Date', "4,ok,e1,15-01-2024 10:00",
              "5,,e2,32-01-2024 10:00"),
        "row 3, column 'Survey Cycle Completion Date', value '32-01-2024 10:00': not a date and time", options=SET),
    bad("meeting_feb_30", "dates", "meetings", "meetings.csv", lambda: table("meetings", {"date": "2026-02-30"}),
        "row 2, column 'date', value '2026-02-30': not a date (expected YYYY-MM-DD)"),
    bad("meeting_year_0", "dates", "meetings", "meetings.csv", lambda: table("meetings", {"date": "0000-01-14"}),
        "row 2, column 'date', value '0000-01-14': not a date"),
    bad("meeting_day_first", "dates", "meetings", "meetings.csv", lambda: table("meetings", {"date": "14/01/2026"}),
        "row 2, column 'date', value '14/01/2026': not a date (expected YYYY-MM-DD)"),
    bad("project_month_13", "dates", "projects", "projects.csv",
        lambda: table("projects", {"planned_end": "2026-13-01"}),
        "row 2, column 'planned_end', value '2026-13-01': not a date"),
    bad("headcount_month_13", "dates", "headcount", "headcount.csv", lambda: table("headcount", {"month": "2026-13"}),
        "row 2, column 'month', value '2026-13': must be a month YYYY-MM"),
    bad("kpi_month_words", "dates", "kpis", "kpis.csv", lambda: table("kpis", {"month": "July 2026"}),
        "row 2, column 'month', value 'July 2026': must be a month YYYY-MM"),
    # --- duplicate ids, in the file and against the store
    bad("survey_same_id_twice", "duplicates", "survey", "survey.csv",
        lambda: table("survey", {"response_id": "H1"}, {"response_id": "H1", "comm_vocabulary": "2"}),
        "row 2, column 'response_id', value 'H1': the same key appears more than once in the file",
        "row 3, column 'response_id', value 'H1'"),
    bad("meeting_same_id_twice", "duplicates", "meetings", "meetings.csv",
        lambda: table("meetings", {"meeting_id": "H-1"}, {"meeting_id": "H-1", "status": "cancelled"}),
        "row 3, column 'meeting_id', value 'H-1': the same key appears more than once in the file"),
    bad("attendance_same_person_twice", "duplicates", "attendance", "attendance.csv",
        lambda: table("attendance", {}, {"person_id": "H-P0", "attended": "false"}),
        "row 3, column 'person_id', value 'H-P0': the same key appears more than once in the file"),
    bad("items_same_id_twice", "duplicates", "items", "items.csv",
        lambda: table("items", {"item_id": "dup_item"}, {"item_id": "dup_item", "text": "Other words."}),
        "row 3, column 'item_id', value 'dup_item': the same key appears more than once in the file"),
    bad("survey_id_stored_with_other_answers", "duplicates", "survey", "survey.csv",
        lambda: table("survey", {"response_id": "R001", "submitted_at": "2026-01-15 09:30:00"}),
        "R001: already stored with different values (a conflict)", "replace the stored rows on purpose (--replace)",
        at_commit=True),
    bad("kpi_stored_with_another_value", "duplicates", "kpis", "kpis.csv",
        lambda: table("kpis", {"business_unit": "Beta", "month": "2026-01", "kpi": "margin_growth_pct", "value": "9"}),
        "Beta, 2026-01, margin_growth_pct: already stored with different values (a conflict)", at_commit=True),
    bad("item_stored_with_another_scale", "duplicates", "items", "items.csv",
        lambda: table("items", {"item_id": "comm_vocabulary", "dimension": "communication", "text": VOCABULARY,
                                "scale": "nps11"}),
        "comm_vocabulary: already stored with different values (a conflict)", at_commit=True),
    # --- unknown departments and other words off their list
    bad("survey_department_finance", "vocabularies", "survey", "survey.csv",
        lambda: table("survey", {}, {"department": "finance"}),
        "row 3, column 'department', value 'finance': must be one of: marketing, it, other"),
    bad("google_forms_department_column", "vocabularies", "survey", "google_forms.csv",
        lines(f'Timestamp,"{VOCABULARY}",Which department do you work in?', "15/03/2024 10:00:00,Agree,Finance"),
        "row 2, column 'Which department do you work in?', value 'Finance': must be one of: marketing, it, other",
        options={"constants": {"business_unit": "Delta"},
                 "mapping": {"Which department do you work in?": "department"}}),
    bad("headcount_department", "vocabularies", "headcount", "headcount.csv",
        lambda: table("headcount", {"department": "Finance Dept"}),
        "row 2, column 'department', value 'Finance Dept': must be one of: marketing, it, other"),
    bad("attendance_role", "vocabularies", "attendance", "attendance.csv", lambda: table("attendance", {"role": "ceo"}),
        "row 2, column 'role', value 'ceo': must be one of: lead, manager, staff"),
    bad("attendance_attended", "vocabularies", "attendance", "attendance.csv",
        lambda: table("attendance", {"attended": "maybe"}),
        "row 2, column 'attended', value 'maybe': must be one of: 0, 1, false, no, true, yes"),
    bad("meeting_type", "vocabularies", "meetings", "meetings.csv",
        lambda: table("meetings", {"meeting_type": "lunch"}),
        "row 2, column 'meeting_type', value 'lunch': must be one of: joint_steering"),
    bad("project_outcome", "vocabularies", "projects", "projects.csv",
        lambda: table("projects", {"status": "delivered", "outcome": "great"}),
        "row 2, column 'outcome', value 'great': must be one of: success, partial, failed"),
    bad("item_scale", "vocabularies", "items", "items.csv", lambda: table("items", {"scale": "likert7"}),
        "row 2, column 'scale', value 'likert7': must be one of: likert5, nps11"),
    bad("item_reserved_id", "vocabularies", "items", "items.csv", lambda: table("items", {"item_id": "comment"}),
        "row 2, column 'item_id', value 'comment': is the name of a response field: choose another item id"),
    bad("kpi_name", "vocabularies", "kpis", "kpis.csv", lambda: table("kpis", {"kpi": "Margin Growth %"}),
        "row 2, column 'kpi', value 'Margin Growth %': must be snake_case"),
    # --- hostile text that cannot be stored
    bad("survey_unit_10000_chars", "hostile text", "survey", "survey.csv",
        lambda: table("survey", {"business_unit": "B" * 10_000}),
        "row 2, column 'business_unit', value 'BBBB", "(10,000 characters): must be 1 to 200 characters"),
    bad("survey_comment_6000_chars", "hostile text", "survey", "survey.csv",
        lambda: table("survey", {"comment": "x" * 6000}),
        "row 2, column 'comment'", "(6,000 characters): comment longer than 5000 characters"),
    bad("survey_unit_escape_sequence", "hostile text", "survey", "survey.csv",
        lambda: table("survey", {"business_unit": "Red\x1b[31mAlert"}),
        "row 2, column 'business_unit', value 'Red\\x1b[31mAlert': contains a control character"),
    bad("meeting_id_line_break", "hostile text", "meetings", "meetings.csv",
        lambda: table("meetings", {"meeting_id": "H-1\nDROP"}),
        "row 2, column 'meeting_id', value 'H-1\\nDROP': contains a control character"),
    bad("item_id_sql_injection", "hostile text", "items", "items.csv",
        lambda: table("items", {"item_id": "Robert'); DROP TABLE survey_responses;--"}),
        "row 2, column 'item_id', value \"Robert'); DROP TABLE survey_responses;--\": must be snake_case"),
    bad("department_script", "hostile text", "survey", "survey.csv",
        lambda: table("survey", {"department": "<script>alert(1)</script>"}),
        "row 2, column 'department', value '<script>alert(1)</script>': must be one of"),
    # --- the monthly review's record
    bad("actions_header_only", "empty/header-only", "actions", "actions.csv", lambda: table("actions"),
        "the file has a header but no rows below it"),
    bad("commentary_side_finance", "vocabularies", "commentary", "commentary.csv",
        lambda: table("commentary", {}, {"side": "finance"}),
        "row 3, column 'side', value 'finance': must be one of: marketing, it"),
    bad("decision_decided_by_board", "vocabularies", "decisions", "decisions.csv",
        lambda: table("decisions", {"decided_by": "board"}),
        "row 2, column 'decided_by', value 'board': must be one of: marketing, it, joint"),
    bad("decision_rights_accountable_ceo", "vocabularies", "decision_rights", "decision_rights.csv",
        lambda: table("decision_rights", {"accountable": "ceo"}),
        "row 2, column 'accountable', value 'ceo': must be one of: marketing, it, joint"),
    bad("action_target_unknown", "vocabularies", "actions", "actions.csv",
        lambda: table("actions", {"target": "morale"}),
        "row 2, column 'target', value 'morale': is not a target: an action targets alignment_index or a dimension "
        "of the catalogue (communication, partnership)"),
    bad("action_effect_window_13", "scores", "actions", "actions.csv",
        lambda: table("actions", {"effect_window": "13"}),
        "row 2, column 'effect_window', value '13': must be a whole number of months, 1 to 12"),
    bad("commentary_note_5000_chars", "hostile text", "commentary", "commentary.csv",
        lambda: table("commentary", {"text": "n" * 5000}),
        "row 2, column 'text'", "(5,000 characters): must be 1 to 4,000 characters"),
    bad("decision_text_empty", "hostile text", "decisions", "decisions.csv",
        lambda: table("decisions", {"text": ""}), "row 2, column 'text': is required but empty"),
    bad("decision_due_feb_30", "dates", "decisions", "decisions.csv",
        lambda: table("decisions", {"due": "2026-02-30"}),
        "row 2, column 'due', value '2026-02-30': not a date (expected YYYY-MM-DD)"),
    bad("action_due_before_start", "dates", "actions", "actions.csv",
        lambda: table("actions", {"start_month": "2026-07", "due": "2026-06-30"}),
        "row 2, column 'due', value '2026-06-30': the due date is before the start month"),
    bad("action_start_month_words", "dates", "actions", "actions.csv",
        lambda: table("actions", {"start_month": "July 2026"}),
        "row 2, column 'start_month', value 'July 2026': must be a month YYYY-MM"),
    bad("commentary_written_at_feb_30", "dates", "commentary", "commentary.csv",
        lambda: table("commentary", {"written_at": "2026-02-30 09:00:00"}),
        "row 2, column 'written_at', value '2026-02-30 09:00:00': not a date and time"),
    bad("decision_rights_agreed_day_first", "dates", "decision_rights", "decision_rights.csv",
        lambda: table("decision_rights", {"agreed_on": "01/07/2026"}),
        "row 2, column 'agreed_on', value '01/07/2026': not a date (expected YYYY-MM-DD)"),
    bad("decision_area_twice", "duplicates", "decision_rights", "decision_rights.csv",
        lambda: table("decision_rights", {"area_id": "HA"}, {"area_id": "HA", "accountable": "it"}),
        "row 3, column 'area_id', value 'HA': the same key appears more than once in the file"),
    bad("commentary_stored_with_other_text", "duplicates", "commentary", "commentary.csv",
        lambda: table("commentary", {"month": "2025-12", "side": "it"}),
        "2025-12, it: already stored with different values (a conflict)", at_commit=True),
    bad("action_stored_with_another_target", "duplicates", "actions", "actions.csv",
        lambda: table("actions", {"action_id": "A-1", "business_unit": "Gamma", "title": "Shared customer glossary",
                                  "owner": "Marketing operations", "target": "partnership", "start_month": "2025-12",
                                  "due": "2026-03-31", "status": "in_progress", "effect_window": "3"}),
        "A-1: already stored with different values (a conflict)", at_commit=True),
    # --- calendars (.ics, issue 19): meetings and attendance from one file, refused whole with nothing written
    bad("calendar_truncated", "ragged/structure", "meetings", "outlook.ics", ics_file()[:150],
        "not a complete iCalendar file", "Export the calendar again", options=ROSTER),
    bad("calendar_binary_junk", "encoding/binary", "meetings", "calendar.ics",
        b"BEGIN:VCALENDAR\r\n" + random.Random(19).randbytes(3000), "binary data", options=ROSTER),
    bad("calendar_no_events", "empty/header-only", "meetings", "empty.ics",
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n", "the calendar has no events",
        options=ROSTER),
    bad("calendar_event_without_dtstart", "ragged/structure", "meetings", "calendar.ics",
        ics_file(vevent("no-start", start="")), "row 1, column 'DTSTART'", "the event has no DTSTART",
        ROW_ADVICE, options=ROSTER),
    bad("calendar_rrule_every_second_without_end", "ragged/structure", "meetings", "calendar.ics",
        ics_file(vevent("every-second", "RRULE:FREQ=SECONDLY")), "row 1, column 'RRULE'",
        "its RRULE repeats secondly (more often than daily)", ROW_ADVICE, options=ROSTER),
    bad("calendar_rrule_by_minute", "ragged/structure", "meetings", "calendar.ics",
        ics_file(vevent("by-minute", "RRULE:FREQ=DAILY;BYHOUR=1,2,3;BYMINUTE=0,1,2,3,4,5")),
        "its RRULE uses BYHOUR, BYMINUTE", ROW_ADVICE, options=ROSTER),
    bad("calendar_rrule_unreadable", "ragged/structure", "meetings", "calendar.ics",
        ics_file(vevent("bogus-rule", "RRULE:FREQ=BOGUS")), "its RRULE cannot be read", ROW_ADVICE,
        options=ROSTER),
    bad("calendar_unknown_time_zone", "dates", "meetings", "calendar.ics",
        ics_file(vevent("mars", start="DTSTART;TZID=Mars/Olympus_Mons:20260714T100000")),
        "the event's time zone 'Mars/Olympus_Mons' is neither defined in the file", ROW_ADVICE, options=ROSTER),
    bad("calendar_event_before_2000", "dates", "meetings", "calendar.ics",
        ics_file(vevent("y2k", start="DTSTART:19991231T100000Z")), "row 1, column 'DTSTART', value '1999-12-31'",
        "is before 2000-01-01", ROW_ADVICE, options=ROSTER),
    bad("calendar_without_roster", "ragged/structure", "meetings", "roster-less.ics", ics_file(vevent("no-roster")),
        "a calendar needs a people roster", "--roster FILE"),
    bad("calendar_roster_department_unknown", "vocabularies", "meetings", "calendar.ics",
        ics_file(vevent("bad-roster")), "the roster roster.csv, row 3: the roster's department is not marketing",
        options={"roster": ("roster.csv", b"email,department,role\nlead@example.com,marketing,lead\n"
                                          b"it@example.com,finance,staff\n")}),
    bad("calendar_subject_without_rule", "vocabularies", "meetings", "calendar.ics",
        ics_file(vevent("all-hands", summary="Company all-hands")), "row 1, column 'SUMMARY'",
        "no subject rule gives this meeting's type", ROW_ADVICE, options=ROSTER),
    bad("calendar_rule_with_unknown_type", "vocabularies", "meetings", "calendar.ics", ics_file(vevent("bad-rule")),
        "the rule's type 'weekly' is not one of", options={**ROSTER, "rules": {"steering": "weekly"}}),
]

# A message says what to do: one of these imperatives (or the row advice) is in every refusal.
ADVICE = re.compile(r"Fix these rows|[Ee]xport|[Ss]ave it|[Ss]et one|[Rr]emove|[Rr]ename|Correct the file|[Ss]plit|"
                    r"[Cc]hoose|[Uu]pload|fill in|[Ff]ix (that|those) line|[Ss]horten|[Cc]heck that|Import the item|"
                    r"[Aa]dd it")


def _refusal_text(error: ingest.ImportRefused) -> str:
    return "\n".join(error.problems)


def _check_message(text: str, case: Bad) -> None:
    for expected in case.says:
        assert expected in text, f"{case.id}: {expected!r} not in:\n{text}"
    assert ADVICE.search(text), f"{case.id}: the message does not say what to do:\n{text}"
    assert "Traceback" not in text and "Exception" not in text and "Error:" not in text, text


def test_the_corpus_is_large_and_covers_every_kind_and_category():
    ids = [case.id for case in CORPUS]
    assert len(ids) == len(set(ids)) >= 40
    assert len({case.data() for case in CORPUS}) == len(CORPUS), "two cases are the same file"
    assert {case.kind for case in CORPUS} == set(ingest.KINDS)
    assert {case.category for case in CORPUS} == {
        "encoding/binary", "not-an-xlsx", "empty/header-only", "ragged/structure", "scores", "dates", "duplicates",
        "vocabularies", "hostile text"}
    detected = set()
    for case in CORPUS:
        if case.kind == "survey":
            try:
                detected.add(layouts.read_export(case.data(), case.name).layout)
            except layouts.LayoutError:
                pass
    assert detected == {"native", "google_forms", "typeform", "ms_forms", "limesurvey", "qualtrics", "glint"}


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_a_bad_file_is_refused_both_ways_and_the_store_is_unchanged(refusing, tmp_path, case):
    seeded = refusing
    data = case.data()
    before = snapshot(seeded)
    assert rows_in(before) > 250   # a well-filled store (300 rows): a change anywhere in it shows
    # The command line.
    path = tmp_path / case.name
    path.write_bytes(data)
    with pytest.raises(ingest.ImportRefused) as cli:
        ingest.import_file(seeded, case.kind, path, user="tests", **case.options)
    _check_message(_refusal_text(cli.value), case)
    assert_unchanged(seeded, before)
    # The Data page: the problem is shown before the analyst confirms (a conflict only shows against the store).
    prepared = ingest.prepare_import(seeded, case.kind, data, case.name, **case.options)
    shown = "\n".join(str(p) for p in prepared.blocking + prepared.report.problems)
    if case.at_commit:
        assert not shown
    else:
        assert shown
        for expected in case.says:
            if expected != ROW_ADVICE:
                assert expected in shown, f"{case.id}: {expected!r} not shown before the import:\n{shown}"
    with pytest.raises(ingest.ImportRefused) as page:
        ingest.commit_import(seeded, prepared, user="tests")
    _check_message(_refusal_text(page.value), case)
    assert_unchanged(seeded, before)


# ----------------------------------------------------------------------------------------------------------
# Hostile names in every text field

HOSTILE = {
    "sql": "Robert'); DROP TABLE survey_responses;--",
    "script": "<script>alert(1)</script>",
    "formula": '=HYPERLINK("http://x")',
    "rtl_override": "invoice\u202egnp.exe",
    "long": "A" * 10_000,
    "control": "bell\x07and\x1b[2Jescape",
    "nul": "nul\x00byte",
}
LEGITIMATE = ("sql", "script", "formula", "rtl_override")   # text anyone may type: stored as written
# Free-text fields take any single line of 1-200 characters; the rest have a vocabulary or a pattern.
FREE_TEXT = {
    "survey": ("response_id", "business_unit", "comment"), "items": ("text",), "headcount": ("business_unit",),
    "meetings": ("meeting_id", "business_unit"), "attendance": ("meeting_id", "person_id"),
    "projects": ("project_id", "business_unit", "name", "parent_project_id"), "kpis": ("business_unit",),
    # The review kinds: a leader's note and a decision's text are longer free text (4,000 and 2,000 characters, tabs
    # and line breaks allowed); an id, a unit, a name or a group of people is any single line of 1-200 characters.
    "commentary": ("text", "written_by"), "decision_rights": ("area_id", "area", "consulted", "informed"),
    "decisions": ("decision_id", "business_unit", "area_id", "text"),
    "actions": ("action_id", "business_unit", "title", "owner"),
    "collaboration": ("business_unit",),
}
PATTERN_REASON = {"item_id": "must be snake_case", "dimension": "must be snake_case", "kpi": "must be snake_case",
                  "month": "must be a month YYYY-MM", "start_month": "must be a month YYYY-MM",
                  "target": "is not a target"}
LONG_TEXT = {("survey", "comment"): "comment longer than 5000 characters",
             ("commentary", "text"): "must be 1 to 4,000 characters", ("decisions", "text"): "must be 1 to 2,000 characters"}
TEXT_FIELDS = [(kind, name) for kind, spec in ingest.KINDS.items() for name in spec.text_columns]


def _refusal_reason(kind: str, name: str, value: str) -> str:
    if name not in FREE_TEXT[kind]:
        return PATTERN_REASON.get(name, "must be one of:")
    if value == HOSTILE["long"]:
        return LONG_TEXT.get((kind, name), "must be 1 to 200 characters")
    return "contains a control character"


def _refused_both_ways(con, tmp_path, kind: str, data: bytes, name: str) -> tuple[str, str]:
    before = snapshot(con)
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ingest.ImportRefused) as cli:
        ingest.import_file(con, kind, path, user="tests")
    assert_unchanged(con, before)
    prepared = ingest.prepare_import(con, kind, data, name)
    assert prepared.blocking or prepared.report.problems
    with pytest.raises(ingest.ImportRefused) as page:
        ingest.commit_import(con, prepared, user="tests")
    assert_unchanged(con, before)
    return _refusal_text(cli.value), _refusal_text(page.value)


def test_every_text_field_is_covered():
    # 31 in the first seven kinds, and 23 in the monthly review's four: commentary 4 (month, side, text, written_by),
    # decision_rights 5 (area_id, area, accountable, consulted, informed), decisions 7 (decision_id, month,
    # business_unit, area_id, text, decided_by, status), actions 7 (action_id, business_unit, title, owner, target,
    # start_month, status). Dates and numbers are not text fields: they have their own cases in the corpus.
    # And 4 in measured collaboration (issue 19): business_unit, month, from_side, to_side.
    assert len(TEXT_FIELDS) == 31 + 23 + 4
    assert all(set(fields) <= set(ingest.KINDS[kind].text_columns) for kind, fields in FREE_TEXT.items())


@pytest.mark.parametrize("kind, name", TEXT_FIELDS, ids=[f"{k}.{n}" for k, n in TEXT_FIELDS])
def test_hostile_values_a_field_cannot_hold_are_refused_with_their_row(refusing, tmp_path, kind, name):
    refused = [value for key, value in HOSTILE.items()
               if key != "nul" and (key not in LEGITIMATE or name not in FREE_TEXT[kind])]
    data = table(kind, *({name: value} for value in refused))
    for text in _refused_both_ways(refusing, tmp_path, kind, data, f"{kind}.csv"):
        for n, value in enumerate(refused):
            shown = repr(value) if len(value) <= 80 else repr(value[:60]) + f"… ({len(value):,} characters)"
            assert f"row {n + 2}, column '{name}', value {shown}: {_refusal_reason(kind, name, value)}" in text, text
        assert ROW_ADVICE in text
    # A NUL byte makes the whole file binary, whichever field holds it.
    data = table(kind, {}, {name: HOSTILE["nul"]})
    for text in _refused_both_ways(refusing, tmp_path, kind, data, f"{kind}.csv"):
        assert "does not look like a text (CSV) file: it contains binary data (a NUL byte on line 3)" in text


FREE_TEXT_FIELDS = [(kind, name) for kind, names in FREE_TEXT.items() for name in names]


def _stored_rows(con, kind: str, import_id: int) -> list[tuple]:
    spec = ingest.KINDS[kind]
    columns = list(spec.columns) + (["comment"] if kind == "survey" else [])
    return sorted(con.cursor().execute(
        f"SELECT {', '.join(columns)} FROM {spec.table} WHERE import_id = $id", {"id": import_id}).fetchall(),
        key=repr)


@pytest.mark.parametrize("kind, name", FREE_TEXT_FIELDS, ids=[f"{k}.{n}" for k, n in FREE_TEXT_FIELDS])
def test_hostile_names_a_free_text_field_can_hold_are_stored_literally_and_change_nothing_else(
        seeded_db, tmp_path, kind, name):
    values = [HOSTILE[key] for key in LEGITIMATE]
    data = table(kind, *({name: value} for value in values))
    spec = ingest.KINDS[kind]
    stored_both_ways = []
    for way in ("command line", "data page"):
        con = open_copy(seeded_db, tmp_path)
        before = snapshot(con)
        if way == "command line":
            path = tmp_path / f"{kind}.csv"
            path.write_bytes(data)
            report = ingest.import_file(con, kind, path, user="tests")
        else:
            report = ingest.commit_import(con, ingest.prepare_import(con, kind, data, f"{kind}.csv"), user="tests")
        assert report.rows_imported == len(values)
        stored = [row[0] for row in con.cursor().execute(
            f"SELECT {name} FROM {spec.table} WHERE import_id = $id", {"id": report.import_id}).fetchall()]
        assert sorted(v.encode("utf-8") for v in stored) == sorted(v.encode("utf-8") for v in values)
        # Nothing else changed: the other tables are as they were; the kind's own table and the log gained
        # exactly the file's rows (a new item adds an empty answer column, and its measures' columns, empty, to
        # the stored figures; a new survey month adds its figures).
        new_items = {f"hostile_item_{n}" for n in range(len(values))} if kind == "items" else set()
        new_measures = set(answers.stored_columns(con.cursor())) - set(before["survey_group_figures"][0])
        assert kind == "items" or not new_measures
        after = snapshot(con, without={"survey_group_figures": new_measures,
                                       **{t: new_items for t in ("survey_responses", "replaced_survey_responses",
                                                                 "survey_pending", "survey_versions")}})
        grew = {spec.table: len(values), "imports": 1}
        if kind == "survey":
            grew["survey_answers"] = len(values) * 4   # each response answers the four catalogue items
        for table_name, (columns, rows) in before.items():
            if table_name in grew:
                assert after[table_name][0] == columns
                assert set(rows) <= set(after[table_name][1])
                assert len(after[table_name][1]) == len(rows) + grew[table_name], table_name
            elif table_name == "survey_group_figures" and kind == "survey":
                assert {r for r in after[table_name][1] if r[0] != "2026-07"} == set(rows)
            elif table_name == "survey_hidden_figures" and kind == "items":
                # a new catalogue changes every month's figures: what was hidden before is kept hidden
                hidden = {r[:4] for r in con.cursor().execute(
                    "SELECT month, business_unit, department, measure FROM survey_measures WHERE suppressed").fetchall()}
                assert set(rows) <= set(after[table_name][1]) and set(after[table_name][1]) <= hidden
            else:
                assert after[table_name] == (columns, rows), f"{table_name} changed"
        ROWS_COMPARED["checks"] += 1
        ROWS_COMPARED["rows"] += rows_in(before)
        stored_both_ways.append(_stored_rows(con, kind, report.import_id))
        con.close()
    assert stored_both_ways[0] == stored_both_ways[1]


# ----------------------------------------------------------------------------------------------------------
# Size: a 100 MB file, and the upload cap


HUNDRED_MB = 100 * 1024 * 1024


def _hundred_mb_survey(path: Path) -> int:
    """A valid native survey header and about 100 MB of good rows, with one ragged row near the end; its line."""
    header = ",".join(SURVEY_HEADER).encode() + b"\n"
    block = b"".join(b"B%07d,2026-01-20 10:00:00,Bigco,it,staff,4,2,4,9,fine\n" % n for n in range(10_000))
    blocks = -(-HUNDRED_MB // len(block))
    with open(path, "wb") as out:
        out.write(header)
        for _ in range(blocks):
            out.write(block)
        out.write(b"Bbad,2026-01-20 10:00:00,Bigco,it,staff,4,2,4,9,fine,surplus\n")
        out.write(block[:50_000])
    return 2 + blocks * 10_000


@pytest.mark.big_file
def test_a_100_mb_survey_with_one_ragged_row_near_the_end_is_refused_quickly(seeded, tmp_path):
    path = tmp_path / "big_survey.csv"
    bad_line = _hundred_mb_survey(path)
    assert path.stat().st_size >= HUNDRED_MB
    before = snapshot(seeded)
    started = time.perf_counter()
    with pytest.raises(ingest.ImportRefused) as cli:
        ingest.import_file(seeded, "survey", path, user="tests")
    assert f"line {bad_line} has 11 columns where the header has 10" in _refusal_text(cli.value)
    assert_unchanged(seeded, before)
    prepared = ingest.prepare_import(seeded, "survey", path.read_bytes(), path.name)
    assert f"line {bad_line} has 11 columns" in str(prepared.blocking[0])
    with pytest.raises(ingest.ImportRefused):
        ingest.commit_import(seeded, prepared, user="tests")
    assert_unchanged(seeded, before)
    assert time.perf_counter() - started < 30


@pytest.mark.big_file
def test_a_100_mb_kpis_file_with_a_nul_byte_near_the_end_is_refused(seeded, tmp_path):
    path = tmp_path / "big_kpis.csv"
    row = b"Bigco,2026-01,margin_growth_pct,4.5\n"
    count = HUNDRED_MB // len(row)
    path.write_bytes(b"business_unit,month,kpi,value\n" + row * count + b"Bigco,2026-02,margin\x00growth,1\n")
    before = snapshot(seeded)
    with pytest.raises(ingest.ImportRefused) as cli:
        ingest.import_file(seeded, "kpis", path, user="tests")
    assert f"contains binary data (a NUL byte on line {count + 2:d})" in _refusal_text(cli.value)
    assert_unchanged(seeded, before)
    prepared = ingest.prepare_import(seeded, "kpis", path.read_bytes(), path.name)
    with pytest.raises(ingest.ImportRefused) as page:
        ingest.commit_import(seeded, prepared, user="tests")
    assert f"a NUL byte on line {count + 2:d}" in _refusal_text(page.value)
    assert_unchanged(seeded, before)


@pytest.mark.big_file
def test_a_100_mb_windows_1252_file_with_one_utf8_line_near_the_end_is_refused(seeded, tmp_path):
    """Finding the lines with accented letters is one pass over the bytes (it was quadratic per line: 13 s for
    20 MB), so a big Windows-1252 file is refused for what it is in seconds."""
    path = tmp_path / "big_headcount.csv"
    row = b"Hostile,it,2026-07,10\n"
    count = HUNDRED_MB // len(row)
    path.write_bytes(b"business_unit,department,month,headcount\n" + "Zürich,it,2026-07,10\n".encode("cp1252")
                     + row * count + "Zürich,marketing,2026-07,10\n".encode("utf-8"))
    before = snapshot(seeded)
    started = time.perf_counter()
    expected = f"mixes two text encodings: line {count + 3} is UTF-8 but line 2 is not"
    with pytest.raises(ingest.ImportRefused) as cli:
        ingest.import_file(seeded, "headcount", path, user="tests")
    assert expected in _refusal_text(cli.value)
    assert_unchanged(seeded, before)
    prepared = ingest.prepare_import(seeded, "headcount", path.read_bytes(), path.name)
    with pytest.raises(ingest.ImportRefused) as page:
        ingest.commit_import(seeded, prepared, user="tests")
    assert expected in _refusal_text(page.value)
    assert_unchanged(seeded, before)
    assert time.perf_counter() - started < 30


def test_the_upload_cap_is_a_setting_of_200_mb():
    con = store.connect(":memory:")
    assert con.execute("SELECT value FROM settings WHERE key = 'max_upload_mb'").fetchall() == [("200",)]
    assert ingest.max_upload_mb(con) == 200
    con.close()


@pytest.mark.parametrize("kind", ["survey", "kpis"])
def test_a_file_over_the_upload_cap_is_refused_before_it_is_read(seeded, tmp_path, monkeypatch, kind):
    seeded.execute("UPDATE settings SET value = '1' WHERE key = 'max_upload_mb'")
    before = snapshot(seeded)
    path = tmp_path / f"{kind}_2mb.csv"
    good = table(kind, {})
    header, row = good.split(b"\n", 1)
    path.write_bytes(header + b"\n" + row * (2 * 1024 * 1024 // len(row) + 1))
    assert path.stat().st_size > 2 * 1024 * 1024
    expected = ("the file is 2.0 MB, over the upload limit of 1 MB: split the export by month and import each "
                "part, or ask an admin to raise the limit (the setting max_upload_mb).")
    # Nothing is read: neither the layouts' reader nor the native survey's one-pass reader is reached.
    monkeypatch.setattr(layouts, "read_grid", lambda *a: pytest.fail("the file was read"))
    monkeypatch.setattr(native_survey, "applies", lambda *a: pytest.fail("the file was read"))
    with pytest.raises(ingest.ImportRefused) as cli:
        ingest.import_file(seeded, kind, path, user="tests")
    assert cli.value.problems == [f"file: {expected}"]
    assert_unchanged(seeded, before)
    prepared = ingest.prepare_import(seeded, kind, path.read_bytes(), path.name)
    assert [p.reason for p in prepared.blocking] == [expected]
    with pytest.raises(ingest.ImportRefused):
        ingest.commit_import(seeded, prepared, user="tests")
    assert_unchanged(seeded, before)
    # Under the cap, the same kind of file imports.
    seeded.execute("UPDATE settings SET value = '3' WHERE key = 'max_upload_mb'")
    monkeypatch.undo()
    small = tmp_path / f"{kind}_small.csv"
    small.write_bytes(good)
    assert ingest.import_file(seeded, kind, small, user="tests").rows_imported == 1


# ----------------------------------------------------------------------------------------------------------
# Fuzzing prepare_import (and a real commit): only a PreparedImport, a report or ImportRefused may come out

TEMPLATES = {kind: table(kind, {}, {}, {}) for kind in GOOD}
NASTY_CELLS = ["", " ", '"', '""', "'", "=1+1", "-", "+4", "4e0", "1_0", "nan", "inf", "-0", "0x10", "9" * 30,
               "2026-02-30", "2026-13", "0000-01-01", "\u202e", "\ufeff", "\x1b", "\r", "\n", ",", ";", "\t", "é",
               "Strongly agree", "N/A", "true", "marketing", "IT", "staff", "likert5", "A" * 300]
FUZZ_COUNT = {"examples": 0}


@st.composite
def mutated(draw, base: str, delimiter: str = ",") -> tuple[bytes, str]:
    """A CSV file with cells replaced, rows and cells dropped or repeated, another delimiter, quoting, line ending
    and encoding, a BOM, then perhaps truncated or spliced with random bytes. Each change is drawn on its own and
    mostly left out, so that many files still reach validation and the commit."""
    rows = list(csv.reader(io.StringIO(base), delimiter=delimiter))
    for _ in range(draw(st.integers(0, 4))):
        r = draw(st.integers(1, len(rows) - 1) | st.just(0)) if len(rows) > 1 else 0   # the header less often
        c = draw(st.integers(0, max(len(rows[r]) - 1, 0)))
        operation = draw(st.sampled_from(["cell"] * 4 + ["text"] * 2 + ["drop_cell", "add_cell", "drop_row",
                                                                        "copy_row"]))
        if operation == "cell" and rows[r]:
            rows[r][c] = draw(st.sampled_from(NASTY_CELLS))
        elif operation == "text" and rows[r]:
            rows[r][c] = draw(st.text(max_size=20))
        elif operation == "drop_cell" and rows[r]:
            del rows[r][c]
        elif operation == "add_cell":
            rows[r].insert(c, draw(st.sampled_from(NASTY_CELLS)))
        elif operation == "drop_row" and len(rows) > 1:
            del rows[r]
        elif operation == "copy_row":
            rows.append(list(rows[r]))
    out = io.StringIO()
    csv.writer(out, delimiter=draw(st.sampled_from([","] * 5 + [";", "\t", "|"])),
               quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL] * 3 + [csv.QUOTE_ALL])),
               lineterminator=draw(st.sampled_from(["\n"] * 3 + ["\r\n", "\r"]))).writerows(rows)
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ["utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    data = out.getvalue().encode(encoding, errors="replace")
    if draw(st.integers(0, 4)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=16)) + data[at:]
    return data, draw(st.sampled_from(["upload.csv"] * 6 + ["upload.tsv", "upload.txt", "upload.xlsx"]))


def mutated_csv(kind: str):
    """A mutated native template of the kind (three good rows)."""
    return mutated(TEMPLATES[kind].decode())


def _prepare_then_commit(con, kind: str, data: bytes, name: str) -> None:
    FUZZ_COUNT["examples"] += 1
    prepared = ingest.prepare_import(con, kind, data, name)
    assert isinstance(prepared, ingest.PreparedImport)
    for problem in prepared.blocking + prepared.report.problems:
        assert problem.reason and "Traceback" not in problem.reason
    try:
        ingest.commit_import(con, prepared, user="fuzz")
    except ingest.ImportRefused as refused:
        assert refused.problems


def _prepare_then_dry_run(con, kind: str, data: bytes, name: str, **options) -> None:
    """Read a file and commit it as a dry run: only a PreparedImport whose every reason is words, or a refusal."""
    prepared = ingest.prepare_import(con, kind, data, name, **options)
    assert isinstance(prepared, ingest.PreparedImport)
    for problem in prepared.blocking + prepared.report.problems:
        assert problem.reason and "Traceback" not in problem.reason
    try:
        ingest.commit_import(con, prepared, dry_run=True, user="fuzz")
    except ingest.ImportRefused as refused:
        assert refused.problems


@pytest.fixture(scope="module")
def fuzz_store(seeded_db, tmp_path_factory):
    con = open_copy(seeded_db, tmp_path_factory.mktemp("fuzz"))
    yield con
    con.close()


@pytest.mark.parametrize("kind", list(ingest.KINDS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutated_templates_import_or_are_refused(seeded_db, kind, data):
    """A real commit on a fresh copy of the store each time, so that what one example stores cannot hide a crash
    of the next."""
    raw, name = data.draw(mutated_csv(kind))
    with tempfile.TemporaryDirectory() as directory:
        con = open_copy(seeded_db, Path(directory))
        try:
            _prepare_then_commit(con, kind, raw, name)
        finally:
            con.close()


@pytest.mark.parametrize("kind", list(ingest.KINDS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_prepare_import_of_mutated_templates_and_arbitrary_bytes(fuzz_store, kind, data):
    """Reading and validating writes nothing, so one store serves every example (checked unchanged at the end)."""
    raw, name = data.draw(st.one_of(mutated_csv(kind), st.tuples(st.binary(max_size=2000),
                                                                  st.sampled_from(["x.csv", "x.xlsx"]))))
    FUZZ_COUNT["examples"] += 1
    prepared = ingest.prepare_import(fuzz_store, kind, raw, name)
    assert isinstance(prepared, ingest.PreparedImport)
    try:
        ingest.commit_import(fuzz_store, prepared, dry_run=True, user="fuzz")
    except ingest.ImportRefused as refused:
        assert refused.problems


CALENDAR_LINES = ics_file(
    vevent("fuzz-series", "RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Berlin:20260721T100000"),
    vevent("fuzz-series", "RECURRENCE-ID;TZID=Europe/Berlin:20260728T100000", "STATUS:CANCELLED",
           start="DTSTART;TZID=Europe/Berlin:20260729T100000", summary="Canceled: Marketing–IT steering"),
    vevent("fuzz-single", summary="Brainstorm: loyalty app")).decode().split("\r\n")
NASTY_ICAL = ["", "BEGIN:VEVENT", "END:VEVENT", "END:VCALENDAR", "BEGIN:VTIMEZONE", "DTSTART:", "DTSTART:99999999",
              "DTSTART;TZID=Nowhere/Land:20260101T000000", "DTSTART;VALUE=DATE:20260230", "RRULE:FREQ=YEARLY;COUNT=-1",
              "RRULE:FREQ=DAILY;INTERVAL=0", "RRULE:FREQ=MONTHLY;BYSETPOS=40;BYDAY=MO", "RRULE:FREQ=WEEKLY;UNTIL=1",
              "EXDATE:nonsense", "RECURRENCE-ID:20260714T100000", "ATTENDEE;PARTSTAT=ACCEPTED:", "ATTENDEE:mailto:",
              "ORGANIZER:mailto:lead@example.com", "STATUS:CANCELLED", "SUMMARY:", "UID:", " folded continuation",
              "X-WR-TIMEZONE:Not/AZone", "CALSCALE:JULIAN", "\x00", "\u202e", "é" * 100]


@st.composite
def mutated_calendar(draw) -> bytes:
    """A good calendar with lines dropped, repeated, replaced by nasty ones or moved, then perhaps cut short or
    spliced with random bytes."""
    rows = list(CALENDAR_LINES)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(rows) - 1))
        operation = draw(st.sampled_from(["nasty"] * 3 + ["text", "drop", "copy", "move"]))
        if operation == "nasty":
            rows[at] = draw(st.sampled_from(NASTY_ICAL))
        elif operation == "text":
            rows[at] = draw(st.text(max_size=30))
        elif operation == "drop" and len(rows) > 1:
            del rows[at]
        elif operation == "copy":
            rows.insert(draw(st.integers(0, len(rows))), rows[at])
        elif operation == "move":
            rows.insert(draw(st.integers(0, len(rows) - 1)), rows.pop(at))
    data = "\r\n".join(rows).encode("utf-8", errors="replace")
    if draw(st.integers(0, 4)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=16)) + data[at:]
    return data


def test_the_calendar_the_fuzzing_starts_from_imports(seeded):
    """The base the mutations start from is a good calendar: 5 weekly occurrences (one EXDATE) of which one is
    cancelled, and a brainstorm, with two invitees each; so a mutation that changes nothing imports."""
    report = ingest.commit_import(seeded, ingest.prepare_import(seeded, "meetings", "\r\n".join(CALENDAR_LINES)
                                                                .encode(), "fuzz.ics", **ROSTER), user="tests")
    assert (report.rows_imported, report.layout) == (6, "calendar")
    assert seeded.execute("SELECT count(*), count(*) FILTER (WHERE status = 'cancelled') FROM meetings "
                          "WHERE import_id = $id", {"id": report.import_id}).fetchall() == [(6, 1)]
    assert seeded.execute("SELECT count(*) FROM attendance WHERE import_id = $id",
                          {"id": report.import_id}).fetchall() == [(12,)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_calendar())
def test_fuzz_prepare_import_of_mutated_calendars(fuzz_store, data):
    """The calendar reader (issue 19): only a PreparedImport, a report or ImportRefused may come out."""
    FUZZ_COUNT["examples"] += 1
    _prepare_then_dry_run(fuzz_store, "meetings", data, "fuzz.ics", **ROSTER)



# A Viva Insights group-to-group export (issue 19): two weeks, both directions, a within-group row and an organization
# nobody mapped, mutated like the templates: the reader sums, maps and drops, and never crashes.
VIVA_EXPORT = "\n".join([VIVA_HEADER, VIVA_ROW, "IT - Hostile,5,Marketing - Hostile,2026-07-05,6,1,2",
                         "Marketing - Hostile,10,IT - Hostile,2026-07-12,7.5,2,10",
                         "Marketing - Hostile,10,Within Group,2026-07-05,40,9,50",
                         "Legal,3,IT - Hostile,2026-07-05,1,1,1"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutated_viva_exports_import_or_are_refused(seeded_db, data):
    """A real commit of a mutated Viva export on a fresh copy of the store each time."""
    raw, name = data.draw(mutated(VIVA_EXPORT))
    with tempfile.TemporaryDirectory() as directory:
        con = open_copy(seeded_db, Path(directory))
        try:
            _prepare_then_commit(con, "collaboration", raw, name)
        finally:
            con.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_prepare_import_of_mutated_viva_exports(fuzz_store, data):
    """Reading a mutated Viva export writes nothing (test_fuzzing_wrote_nothing_and_ran checks the store after)."""
    raw, name = data.draw(mutated(VIVA_EXPORT))
    FUZZ_COUNT["examples"] += 1
    _prepare_then_dry_run(fuzz_store, "collaboration", raw, name)


# A Viva Insights meeting query (issue 19), imported as meetings: two marketing-IT meetings (one cancelled), focus
# time, an HR steering nobody mapped and an 'ignore'd rule's, mutated like the templates.
MT_EXPORT = "\n".join([MT_HEADER, MT_ROW,
                       "AAMk-2,IT & marketing brainstorm,TRUE,FALSE,0,6,2026-07-16 09:30,hash-2,IT - Hostile",
                       "AAMk-3,Focus time,FALSE,FALSE,1,1,2026-07-16 08:00,hash-1,Marketing - Hostile",
                       "AAMk-4,Steering: people plan,FALSE,TRUE,3,3,2026-07-17 11:00,hash-4,HR"])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutated_viva_meeting_queries_import_or_are_refused(seeded_db, data):
    """A real commit of a mutated meeting query on a fresh copy of the store each time: imported, or refused with
    the store unchanged; and never a subject in the store."""
    raw, name = data.draw(mutated(MT_EXPORT))
    with tempfile.TemporaryDirectory() as directory:
        con = open_copy(seeded_db, Path(directory))
        try:
            before = snapshot(con, without={"saved_mappings": {"saved_at"}})
            FUZZ_COUNT["examples"] += 1
            prepared = ingest.prepare_import(con, "meetings", raw, name)
            for problem in prepared.blocking + prepared.report.problems:
                assert problem.reason and "Traceback" not in problem.reason
            try:
                ingest.commit_import(con, prepared, user="fuzz")
            except ingest.ImportRefused as refused:
                assert refused.problems
                assert snapshot(con, without={"saved_mappings": {"saved_at"}}) == before
            assert con.execute("SELECT count(*) FROM meetings WHERE contains(meeting_id, 'Jane') OR "
                               "contains(business_unit, 'Jane')").fetchall() == [(0,)]
        finally:
            con.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_prepare_import_of_mutated_viva_meeting_queries(fuzz_store, data):
    """Reading a mutated meeting query writes nothing (test_fuzzing_wrote_nothing_and_ran checks the store after)."""
    raw, name = data.draw(mutated(MT_EXPORT))
    FUZZ_COUNT["examples"] += 1
    _prepare_then_dry_run(fuzz_store, "meetings", raw, name)


def test_the_meeting_query_the_fuzzing_starts_from_imports(seeded):
    """The base the mutations start from imports its two marketing-IT meetings (so an unchanged one commits)."""
    report = ingest.commit_import(seeded, ingest.prepare_import(seeded, "meetings", MT_EXPORT.encode(), "mt.csv"),
                                  user="tests")
    assert (report.layout, report.rows_imported) == ("viva_meetings", 2)
    assert seeded.execute("SELECT business_unit, strftime(date, '%Y-%m-%d'), meeting_type, status FROM meetings "
                          "WHERE import_id = $id ORDER BY date", {"id": report.import_id}).fetchall() == [
        ("Hostile", "2026-07-14", "joint_steering", "held"), ("Hostile", "2026-07-16", "brainstorm", "cancelled")]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_calendar())
def test_fuzz_mutated_calendars_commit_whole_or_not_at_all(seeded_db, data):
    """A real commit on a fresh copy: a refused calendar changes nothing; an imported one brought its meetings and
    their attendance under one import id, and undoing it gives the store back."""
    with tempfile.TemporaryDirectory() as directory:
        con = open_copy(seeded_db, Path(directory))
        try:
            before = snapshot(con, without={"saved_mappings": {"saved_at"}})
            prepared = ingest.prepare_import(con, "meetings", data, "fuzz.ics", **ROSTER)
            try:
                report = ingest.commit_import(con, prepared, user="fuzz")
            except ingest.ImportRefused:
                assert snapshot(con, without={"saved_mappings": {"saved_at"}}) == before
                return
            if report.import_id is not None:
                stored_ids = con.execute("SELECT DISTINCT import_id FROM attendance WHERE meeting_id LIKE 'CAL-%'"
                                         ).fetchall()
                assert stored_ids in ([], [(report.import_id,)])
                ingest.undo(con, report.import_id)
                after = snapshot(con, without={"imports": {"undone_at"}, "saved_mappings": {"saved_at"}})
                assert {t: rows for t, (_, rows) in after.items() if t != "imports"} == {
                    t: rows for t, (_, rows) in before.items() if t != "imports"}
        finally:
            con.close()


def test_fuzzing_wrote_nothing_and_ran(fuzz_store, seeded_db, tmp_path):
    pristine = open_copy(seeded_db, tmp_path)
    assert_unchanged(fuzz_store, snapshot(pristine))
    pristine.close()
    print(f"\n[hostile files] {FUZZ_COUNT['examples']} fuzz examples through prepare_import")


# ----------------------------------------------------------------------------------------------------------
# Workbooks bigger inside than outside: a zip archive is measured by what it unpacks to, and a sheet by the
# cells it holds, before anything grows. The workbooks are built here part by part with zipfile.

XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        '</Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Responses" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>'),
}


def sheet_xml(dimension: str, cells: dict[str, str]) -> str:
    """A worksheet declaring `dimension`, holding text `cells` ({"A1": "text", ...})."""
    rows: dict[int, list[str]] = {}
    for ref, text in cells.items():
        rows.setdefault(int(re.sub(r"[A-Z]+", "", ref)), []).append(
            f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
    data = "".join(f'<row r="{n}">{"".join(row)}</row>' for n, row in sorted(rows.items()))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="{dimension}"/><sheetData>{data}</sheetData></worksheet>')


def xlsx_of(sheet: str | None = None, zeros_mb: int = 0) -> bytes:
    """A minimal valid workbook whose one sheet is `sheet`; or, with zeros_mb, a sheet part of that many MB of
    zero bytes, written a MB at a time (a zip bomb's filling: it packs about 1,000 to 1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in XLSX_PARTS.items():
            archive.writestr(name, text)
        if zeros_mb:
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
                for _ in range(zeros_mb):
                    part.write(bytes(1 << 20))
        else:
            archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


CORNER_BOMB = lambda: xlsx_of(sheet_xml("A1:XFD1048576", {"XFD1048576": "boom"}))   # noqa: E731
SURVEY_CELLS = {f"{column}{row}": value for row, values in enumerate(
    [["response_id", "submitted_at", "business_unit", "department", "role", "comm_vocabulary"],
     ["W1", "2026-07-15 10:00:00", "Hostile", "it", "staff", "4"],
     ["W2", "2026-07-15 11:00:00", "Hostile", "marketing", "staff", "2"]], start=1)
    for column, value in zip("ABCDEF", values)}

# Runs in a child process, so that its peak memory is its own: the bomb's file in, the refusal, the seconds and
# how much the peak resident memory grew (KB) out.
MEASURE_CHILD = """
import json, resource, sys, time
from metrics import ingest, store
con = store.connect(":memory:")
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
prepared = ingest.prepare_import(con, "survey", data, "bomb.xlsx")
print(json.dumps({"seconds": time.perf_counter() - started, "blocking": [str(p) for p in prepared.blocking],
                  "grown_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024}))
"""


def measured_refusal(data: bytes, tmp_path: Path) -> dict:
    import json
    import subprocess
    import sys

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(data)
    child = subprocess.run([sys.executable, "-c", MEASURE_CHILD, str(path)], cwd=Path(__file__).parent.parent,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    return json.loads(child.stdout)


def test_a_sheet_with_one_cell_in_the_far_corner_is_refused_at_once_in_little_memory(refusing, tmp_path):
    """1.6 KB that declares A1:XFD1048576 and holds one cell there: read as a grid it is 17 billion cells (the
    reader grew at 200 MB/s to a MemoryError); it is refused for where its data lies, within a second."""
    data = CORNER_BOMB()
    assert len(data) < 2000
    measured = measured_refusal(data, tmp_path)
    assert measured["blocking"] == [
        "file: the first sheet ('Responses') has data as far as cell XFD1048576, beyond what a survey export holds "
        "(at most 1,000,000 rows and 2,000 columns): delete what lies outside the responses and save the workbook "
        "again, or export the responses again from the survey tool"]
    assert measured["seconds"] < 10
    assert measured["grown_mb"] < 300
    # Both ways in, the store unchanged.
    before = snapshot(refusing)
    (tmp_path / "corner.xlsx").write_bytes(data)
    with pytest.raises(ingest.ImportRefused) as cli:
        ingest.import_file(refusing, "survey", tmp_path / "corner.xlsx", user="tests")
    assert "has data as far as cell XFD1048576" in cli.value.problems[0]
    with pytest.raises(ingest.ImportRefused):
        ingest.commit_import(refusing, ingest.prepare_import(refusing, "kpis", data, "corner.xlsx"), user="tests")
    assert_unchanged(refusing, before)


def test_a_zip_bomb_of_300_mb_of_zeros_is_refused_from_the_archive_directory(refusing, tmp_path):
    data = xlsx_of(zeros_mb=300)
    assert len(data) < 1024 * 1024                 # 300 MB that packs to about 300 KB
    measured = measured_refusal(data, tmp_path)
    assert measured["blocking"] == [
        f"file: the workbook is {len(data) / 1024 / 1024:.1f} MB but unpacks to 300 MB, over the upload limit of "
        "200 MB (an .xlsx is a compressed archive: what it holds counts): export the responses as CSV instead, or "
        "split the export by month and import each part (an admin can raise the upload limit, the setting "
        "max_upload_mb)"]
    assert measured["seconds"] < 2 and measured["grown_mb"] < 100   # nothing was unpacked
    before = snapshot(refusing)
    (tmp_path / "zeros.xlsx").write_bytes(data)
    with pytest.raises(ingest.ImportRefused):
        ingest.import_file(refusing, "headcount", tmp_path / "zeros.xlsx", user="tests")
    assert_unchanged(refusing, before)


def test_a_part_packed_a_thousand_to_one_is_refused_even_under_the_limit():
    data = xlsx_of(zeros_mb=50)
    with pytest.raises(layouts.LayoutError) as refused:
        layouts.read_export(data, "packed.xlsx")
    ratio = re.search(r"unpacks to ([\d,]+) times its packed size \(50 MB\), as a zip bomb does", str(refused.value))
    assert ratio and int(ratio.group(1).replace(",", "")) > grid.XLSX_MAX_RATIO
    assert str(refused.value).startswith("packed.xlsx: is not a workbook a survey tool writes: its part "
                                         "'xl/worksheets/sheet1.xml'")


def test_a_sheet_spanning_more_cells_than_any_export_is_refused_before_it_grows():
    """Data in A1 and in column 2,000 of row 999,999: within the row and column bounds, but a grid of 2 billion
    cells; refused when that row is met, its blank rows counted and never stored."""
    data = xlsx_of(sheet_xml("A1:A1", {"A1": "response_id", "B1": "x", "BXX999999": "far"}))
    started = time.perf_counter()
    with pytest.raises(layouts.LayoutError) as refused:
        layouts.read_table(data, "sparse.xlsx")
    assert "spans 999,999 rows and 2,000 columns, more cells than a survey export holds (20,000,000)" in \
        str(refused.value)
    assert time.perf_counter() - started < 10


def test_a_declared_extent_that_is_wrong_costs_nothing_and_the_cells_are_read(seeded, tmp_path):
    """A1:XFD1048576 declared, six columns and three rows held: read as the cells are, and imported."""
    data = xlsx_of(sheet_xml("A1:XFD1048576", SURVEY_CELLS))
    started = time.perf_counter()
    parsed = layouts.read_export(data, "declared.xlsx")
    assert time.perf_counter() - started < 2
    assert parsed.layout == "native" and parsed.frame.shape == (2, 6)
    assert list(parsed.frame["comm_vocabulary"]) == ["4", "2"]
    before = seeded.execute("SELECT count(*) FROM survey_responses").fetchall()[0][0]
    path = tmp_path / "declared.xlsx"
    path.write_bytes(data)
    report = ingest.import_file(seeded, "survey", path, user="tests")
    assert report.rows_imported == 2
    assert seeded.execute("SELECT count(*) FROM survey_responses").fetchall()[0][0] == before + 2


def test_what_a_workbook_may_unpack_to_is_the_upload_limit_in_force(seeded, tmp_path):
    rows = [list(SURVEY_CELLS[f"{c}1"] for c in "ABCDEF")] + [
        [f"U{n}", "2026-07-15 10:00:00", "Hostile", "it", "staff", str(n % 5 + 1)] for n in range(5000)]
    data = workbook(rows)
    unpacked = sum(part.file_size for part in zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert len(data) < 1024 * 1024 < unpacked      # under 1 MB as a file, over 1 MB unpacked
    seeded.execute("UPDATE settings SET value = '1' WHERE key = 'max_upload_mb'")
    before = snapshot(seeded)
    prepared = ingest.prepare_import(seeded, "survey", data, "wide.xlsx")
    assert [p.reason for p in prepared.blocking] == [
        f"the workbook is {len(data) / 1024 / 1024:.1f} MB but unpacks to {unpacked / 1024 / 1024:,.0f} MB, over "
        "the upload limit of 1 MB (an .xlsx is a compressed archive: what it holds counts): export the responses "
        "as CSV instead, or split the export by month and import each part (an admin can raise the upload limit, "
        "the setting max_upload_mb)"]
    assert_unchanged(seeded, before)
    seeded.execute("UPDATE settings SET value = '10' WHERE key = 'max_upload_mb'")
    prepared = ingest.prepare_import(seeded, "survey", data, "wide.xlsx")
    assert not prepared.blocking and prepared.report.rows_valid == 5000


# ----------------------------------------------------------------------------------------------------------
# A header longer than 64 KB: Google Forms writes each question's full text, and 331 long questions make a
# first line of about 84 KB (it was sniffed from the first 64 KB alone, so it had "only one column").

ITEM_TEXTS = {
    "comm_vocabulary": VOCABULARY,
    "comm_unheard": "The other function rarely hears what we say.",
    "partner_strategic": "I see the other function as a strategic partner rather than a service provider.",
    "partner_nps": "How likely are you to recommend working with the other function to a colleague?",
}


def long_google_forms(responses: int = 3) -> bytes:
    filler = "Thinking about the last quarter, how far do you agree with this statement about the way marketing " \
             "and IT plan, decide and deliver together, in your own team and across the business unit: "
    questions = list(ITEM_TEXTS.values()) + [(f"Statement {n}. " + filler * 2)[:250] for n in range(327)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Timestamp", "Email Address", *questions])
    for n in range(responses):
        writer.writerow([f"3/15/2026 10:{n:02d}:00", f"person{n}@example.com", str(n % 5 + 1), "2", "4", "9",
                         *[str((n + q) % 5 + 1) for q in range(327)]])
    return out.getvalue().encode("utf-8")


def test_a_google_forms_header_over_64_kb_is_read_with_all_its_columns(seeded, tmp_path):
    data = long_google_forms()
    header = data.split(b"\r\n", 1)[0]
    assert len(header) > 80_000 and len(next(csv.reader([header.decode()]))) == 333
    parsed = layouts.read_export(data, "long_questions.csv")
    assert parsed.layout == "google_forms" and parsed.delimiter == ","
    assert len(parsed.answer_columns) == 331 and parsed.personal_columns == ["Email Address"]
    assert parsed.frame.shape == (3, 333)
    before = seeded.execute("SELECT count(*) FROM survey_responses").fetchall()[0][0]
    path = tmp_path / "long_questions.csv"
    path.write_bytes(data)
    report = ingest.import_file(seeded, "survey", path, constants={"business_unit": "Hostile", "department": "it"},
                                user="tests")
    assert report.rows_imported == 3
    assert seeded.execute("SELECT count(*) FROM survey_responses").fetchall()[0][0] == before + 3
    # The four questions that are catalogue items were mapped by their text and stored.
    stored = seeded.execute("SELECT comm_vocabulary, partner_strategic, partner_nps FROM survey_responses "
                            "WHERE business_unit = 'Hostile' ORDER BY submitted_at").fetchall()
    assert stored == [(1, 4, 9), (2, 4, 9), (3, 4, 9)]


# ----------------------------------------------------------------------------------------------------------
# The same item twice in one file: by id and by question text, or under one header twice. Keeping one column's
# answers dropped the other's unseen; the file is refused, naming both columns and the way out.

def same_item_twice(second: str) -> bytes:
    return lines("response_id,submitted_at,business_unit,department,role,partner_strategic," + second,
                 "T1,2026-07-15 10:00:00,Hostile,it,staff,5,1",
                 "T2,2026-07-15 11:00:00,Hostile,it,staff,4,2")


@pytest.mark.parametrize("second, how", [(f'"{ITEM_TEXTS["partner_strategic"]}"', "question text"),
                                         ("partner_strategic", "item id")])
def test_the_same_item_by_id_and_by_question_text_is_refused_naming_both(refusing, tmp_path, second, how):
    data = same_item_twice(second)
    other = ITEM_TEXTS["partner_strategic"] if how == "question text" else "partner_strategic (2)"
    expected = (f"the same item is given twice: columns 'partner_strategic' (item id) and {other!r} ({how}) both go "
                "to item 'partner_strategic', and a response answers an item once. Keep one of them: remove the "
                "others from the file, or map them to nothing (in the page: '— not stored —'; on the command "
                f"line: --map '{other}=')")
    before = snapshot(refusing)
    path = tmp_path / "twice.csv"
    path.write_bytes(data)
    with pytest.raises(ingest.ImportRefused) as cli:
        ingest.import_file(refusing, "survey", path, user="tests")
    assert cli.value.problems == [f"file: {expected}"]
    prepared = ingest.prepare_import(refusing, "survey", data, "twice.csv")
    assert [p.reason for p in prepared.blocking] == [expected]
    assert_unchanged(refusing, before)


def test_mapping_one_of_the_two_columns_to_nothing_imports_the_other(seeded):
    data = same_item_twice(f'"{ITEM_TEXTS["partner_strategic"]}"')
    prepared = ingest.prepare_import(seeded, "survey", data, "twice.csv",
                                     mapping={ITEM_TEXTS["partner_strategic"]: ""})
    assert not prepared.blocking and prepared.report.rows_valid == 2
    ingest.commit_import(seeded, prepared, user="tests")
    assert seeded.execute("SELECT response_id, partner_strategic FROM survey_responses WHERE response_id IN "
                          "('T1', 'T2') ORDER BY 1").fetchall() == [("T1", 5), ("T2", 4)]


# ----------------------------------------------------------------------------------------------------------
# Trackers' exports and finance sheets (issue 19): their readers refuse hostile and broken files of each format
# the same way, through the same two routes, with the store unchanged; and they are fuzzed like the templates.

TRACKERS = Path(__file__).resolve().parent / "fixtures" / "trackers"
FINANCE = Path(__file__).resolve().parent / "fixtures" / "finance"
JIRA_HEADER = ("Summary,Issue key,Issue id,Parent,Status,Created,Due date,Resolved,Labels,Labels,Assignee,"
               "Custom field (Budget),Custom field (Business Unit)")
JIRA_ROW = "Hostile pilot,HJ-1,1,,To Do,12/Mar/26 3:45 PM,30/Jun/26,,pilot,joint,Ana Ruiz,1000,Hostile"
ASANA_HEADER = ("Task ID,Created At,Completed At,Name,Section/Column,Assignee Email,Due Date,Tags,Parent task,Budget,"
                "Business unit")
ASANA_ROW = "1,2026-03-01,,Hostile pilot,To do,ana@example.com,2026-06-30,\"pilot,joint\",,1000,Hostile"
WIDE = {"constants": {"kpi": "margin_growth_pct"}}


def jira_file(*rows: str, header: str = JIRA_HEADER) -> bytes:
    return lines(header, *rows)


def wide_book(*rows: list[object], title: str = "margin_growth_pct", more_sheets: int = 0) -> bytes:
    book = openpyxl.Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    for n in range(more_sheets):
        book.create_sheet(f"Extra {n + 1}")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


TOOL_CORPUS = [
    bad("jira_status_without_a_rule", "trackers", "projects", "jira.csv",
        jira_file(JIRA_ROW.replace("To Do", "In Review")),
        "row 2, column 'Status', value 'In Review': no rule says what Status 'In Review' is", ROW_ADVICE),
    bad("jira_budget_in_words", "trackers", "projects", "jira.csv", jira_file(JIRA_ROW.replace(",1000,", ",lots,")),
        "row 2, column 'budget', value 'lots'"),
    bad("jira_parent_id_not_in_file", "trackers", "projects", "jira.csv",
        jira_file(JIRA_ROW.replace(",1,,To Do", ",1,99999,To Do")),
        "row 2, column 'Parent', value '99999': the parent's issue id is not in this file"),
    bad("jira_due_date_in_words", "trackers", "projects", "jira.csv", jira_file(JIRA_ROW.replace("30/Jun/26", "soon")),
        "row 2, column 'Due date', value 'soon': not a date"),
    bad("jira_without_a_budget_column", "trackers", "projects", "jira.csv",
        jira_file(JIRA_ROW.replace(",1000,Hostile", ",Hostile"), header=JIRA_HEADER.replace(
            ",Custom field (Budget)", "")), "no column gives budget"),
    bad("jira_ragged_row", "trackers", "projects", "jira.csv", jira_file(JIRA_ROW + ",extra"),
        "line 2 has 14 columns where the header has 13"),
    bad("jira_with_a_nul_byte", "trackers", "projects", "jira.csv", jira_file(JIRA_ROW.replace("pilot,joint",
                                                                                                "pi\x00lot,joint")),
        "binary data (a NUL byte on line 2)"),
    bad("jira_rule_to_a_status_that_is_none", "trackers", "projects", "jira.csv", jira_file(JIRA_ROW),
        "feeds status: choose one of planned, active, delivered, cancelled",
        options={"mapping": {"Status:To Do": "someday"}}),
    bad("jira_rule_storing_people", "trackers", "projects", "jira.csv", jira_file(JIRA_ROW),
        "'Assignee' holds people's names or addresses, which are never stored",
        options={"mapping": {"Assignee": "name"}}),
    bad("jira_read_as_asana", "trackers", "projects", "jira.csv", jira_file(JIRA_ROW),
        "read as Asana's export as asked, but the header lacks", options={"layout": "asana"}),
    bad("jira_as_a_fake_workbook", "trackers", "projects", "jira.xlsx", jira_file(JIRA_ROW),
        "is not an Excel workbook"),
    bad("jira_labels_that_disagree", "trackers", "projects", "jira.csv", jira_file(JIRA_ROW.replace(
        "pilot,joint", "pilot;joint,scale")), "the labels give two values of stage"),
    bad("asana_parent_name_unknown", "trackers", "projects", "asana.csv",
        lines(ASANA_HEADER, ASANA_ROW.replace(",,1000,", ",No such task,1000,")),
        "row 2, column 'Parent task', value 'No such task': the parent task: no task of this file has that name"),
    bad("asana_section_without_a_rule", "trackers", "projects", "asana.csv",
        lines(ASANA_HEADER, ASANA_ROW.replace("To do", "Parked")),
        "no rule says what Section/Column 'Parked' is"),
    bad("asana_dates_either_way", "trackers", "projects", "asana.csv",
        lines(ASANA_HEADER, ASANA_ROW.replace("2026-06-30", "03/04/2026")),
        "could be day-first or month-first"),
    bad("wide_fiscal_periods", "finance", "kpis", "kpis.xlsx", wide_book(["Business unit", "FY26 M01"], ["A", 1]),
        "'FY26 M01' is a fiscal period"),
    bad("wide_ambiguous_percent", "finance", "kpis", "kpis.xlsx",
        wide_book(["Business unit", "Oct-26", "Nov-26"], ["Hostile", 0.052, 0.048]),
        "every value written without % is between -1 and 1"),
    bad("wide_dash_for_a_value", "finance", "kpis", "kpis.csv", lines("Business unit,Oct-26", "Hostile,-"),
        "a dash: write 0 if the value is zero", options=WIDE),
    bad("wide_words_for_a_value", "finance", "kpis", "kpis.csv", lines("Business unit,Oct-26", "Hostile,about 4"),
        "row 2, column '2026-10', value 'about 4': not a number", options=WIDE),
    bad("wide_month_twice", "finance", "kpis", "kpis.csv", lines("Business unit,Oct-26,2026-10", "Hostile,4,5"),
        "the month 2026-10 heads two columns", options=WIDE),
    bad("wide_sheet_not_a_kpi", "finance", "kpis", "kpis.xlsx", wide_book(["Unit", "Oct-26"], ["Hostile", 4],
                                                                          title="Stuff"),
        "sheet 'Stuff' is not a KPI's name"),
    bad("wide_kpi_for_several_sheets", "finance", "kpis", "kpis.xlsx",
        lambda: _two_kpi_sheets(),
        "--set kpi= names one KPI, but 2 sheets have months", options=WIDE),
    bad("wide_unit_too_long", "finance", "kpis", "kpis.csv", lines("Business unit,Oct-26", "H" * 300 + ",4"),
        "row 2, column 'business_unit'", options=WIDE),
    bad("wide_only_a_total", "finance", "kpis", "kpis.csv", lines("Business unit,Oct-26", "Total,4"),
        "the file has a header but no rows below it", options=WIDE),
    bad("wide_not_a_workbook", "finance", "kpis", "kpis.xlsx", b"PK\x03\x04 not really a zip",
        "is not a readable Excel workbook"),
    bad("wide_too_many_sheets", "finance", "kpis", "kpis.xlsx",
        lambda: wide_book(["Business unit", "Oct-26"], ["Hostile", 4], more_sheets=grid.XLSX_MAX_SHEETS),
        "sheets, more than the 200 a data file holds"),
    bad("wide_percent_as_nonsense", "finance", "kpis", "kpis.csv", lines("Business unit,Oct-26", "Hostile,4%"),
        "--percent-as takes fraction or percent", options={**WIDE, "percent_as": "half"}),
]


def _two_kpi_sheets() -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "margin_growth_pct"
    book.active.append(["Business unit", "Oct-26"])
    book.active.append(["Hostile", 4])
    second = book.create_sheet("customer_nps")
    second.append(["Business unit", "Oct-26"])
    second.append(["Hostile", 30])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_tool_corpus_covers_each_new_format():
    ids = [case.id for case in TOOL_CORPUS]
    assert len(ids) == len(set(ids)) >= 25
    assert len({(case.data(), repr(case.options)) for case in TOOL_CORPUS}) == len(TOOL_CORPUS), "a case twice"
    assert {case.id.split("_")[0] for case in TOOL_CORPUS} == {"jira", "asana", "wide"}


@pytest.mark.parametrize("case", TOOL_CORPUS, ids=[case.id for case in TOOL_CORPUS])
def test_a_bad_tool_export_is_refused_both_ways_and_the_store_is_unchanged(refusing, tmp_path, case):
    test_a_bad_file_is_refused_both_ways_and_the_store_is_unchanged(refusing, tmp_path, case)


TOOL_FILES = {
    "jira": ("projects", (TRACKERS / "jira_cloud_export.csv").read_text(encoding="utf-8"), {}),
    "asana": ("projects", (TRACKERS / "asana_export.csv").read_text(encoding="utf-8"), {}),
    "wide": ("kpis", (FINANCE / "margin_growth_wide.csv").read_text(encoding="utf-8"), WIDE),
}


@pytest.mark.parametrize("layout", list(TOOL_FILES))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutated_tool_exports_import_or_are_refused(seeded_db, layout, data):
    """A mutated Jira, Asana or finance file: a PreparedImport and then a report or ImportRefused, never an error;
    a real commit on a fresh copy of the store each time."""
    kind, text, options = TOOL_FILES[layout]
    raw, name = data.draw(mutated(text))
    FUZZ_COUNT["examples"] += 1
    with tempfile.TemporaryDirectory() as directory:
        con = open_copy(seeded_db, Path(directory))
        try:
            prepared = ingest.prepare_import(con, kind, raw, name, **options)
            assert isinstance(prepared, ingest.PreparedImport)
            for problem in prepared.blocking + prepared.report.problems:
                assert problem.reason and "Traceback" not in problem.reason
            try:
                ingest.commit_import(con, prepared, user="fuzz")
            except ingest.ImportRefused as refused:
                assert refused.problems
        finally:
            con.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, 4000), noise=st.binary(max_size=24), at=st.integers(0, 4000))
def test_fuzz_broken_finance_workbooks_are_refused_cleanly(fuzz_store, cut, noise, at):
    """A finance workbook cut short or with bytes spliced in: read or refused with a message, nothing written."""
    whole = wide_book(["Business unit", "Oct-26", "Nov-26"], ["Hostile", "4.5%", "4.7%"])
    broken = whole[:at % len(whole)] + noise + whole[at % len(whole):]
    broken = broken[: max(cut, 1)] if cut < len(broken) else broken
    FUZZ_COUNT["examples"] += 1
    prepared = ingest.prepare_import(fuzz_store, "kpis", broken, "kpis.xlsx")
    assert isinstance(prepared, ingest.PreparedImport)
    try:
        ingest.commit_import(fuzz_store, prepared, dry_run=True, user="fuzz")
    except ingest.ImportRefused as refused:
        assert refused.problems
