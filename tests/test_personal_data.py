"""Personal data inside values (DESIGN.md, Anonymity): e-mail addresses, phone numbers and IP addresses in free text
are masked before storage and counted in the report; an id or a business unit that is or holds an e-mail address is
refused, all or nothing; the import log keeps a skipped row's number, column and reason, never its value. Every
check reads what is stored: the tables, the import log and the bytes of the database file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from metrics import ingest, personal, store
from tests.conftest import FIXTURES, fixture_store, store_rows

ROOT = Path(__file__).resolve().parent.parent
HEADER = "response_id,submitted_at,business_unit,department,role,comm_vocabulary,comment"
# A word stored beside the personal data: found in the file's bytes, so that not finding the e-mail there means it
# is not stored, not that the file is compressed past reading.
MARKER = "Quokkamarker"


# ----------------------------------------------------------------------------------------------------------
# The patterns


POSITIVE = [
    ("write to john.smith@example.com", "write to [e-mail]"),
    ("Jane Doe <jane@example.com>", "Jane Doe <[e-mail]>"),
    ("a.b+tag@mail.example.co.uk, c_d@example.org", "[e-mail], [e-mail]"),
    ("root@[10.0.0.1]", "[e-mail]"),
    ("call +44 20 7946 0958 today", "call [phone] today"),
    ("+1 (555) 010-0199", "[phone]"),
    ("+44 (0)20 7946 0958", "[phone]"),
    ("+447946095800", "[phone]"),
    ("+33 1 23 45 67 89", "[phone]"),
    ("0044 20 7946 0958", "[phone]"),
    ("020 7946 0958", "[phone]"),
    ("07946 095800", "[phone]"),
    ("01 23 45 67 89", "[phone]"),
    ("555-010-0199", "[phone]"),
    ("(555) 010-0199", "[phone]"),
    ("555.010.0199", "[phone]"),
    ("from 192.168.1.20.", "from [IP address]."),
    ("2001:db8::8a2e:370:7334", "[IP address]"),
    ("2001:0db8:0000:0000:0000:ff00:0042:8329", "[IP address]"),
    ("fe80::1 and ::1", "[IP address] and [IP address]"),
    ("::ffff:192.0.2.1", "[IP address]"),
    ("64:ff9b::192.0.2.1", "[IP address]"),
]

NEGATIVE = ["2026", "5 of 7", "10%", "3.5", "2026-10-12", "2026-10-12 09:30:00", "12/10/2026", "01.10.2026",
            "Q3 2026: revenue up 12.5%", "1 000 000 EUR", "a budget of 1 000 000 000", "+10 20 points", "+5 of 7",
            "10:30", "12:30:45", "version 1.2.3", "R0001", "ROI 150", "1990-2026", "12-15 people", "999.1.1.1",
            "std::vector and Foo::Bar", "MAC 00:1A:2B:3C:4D:5E", "ticket 12345678", "an @mention", "user@localhost"]


def _sql(texts: list[str]) -> list[tuple]:
    """Each text masked by DuckDB (the native path's SQL), with its counts and whether it has personal data."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(texts)))
    counts = personal.sql_counts("x")
    rows = con.execute(f"SELECT {personal.sql_mask('x')}, {', '.join(counts.values())}, "
                       f"{personal.sql_has_personal('x')}, {personal.sql_has_email('x')} FROM t ORDER BY i").fetchall()
    con.close()
    return rows


def _python(texts: list[str]) -> list[tuple]:
    result = []
    for text in texts:
        masked, counts = personal.mask(text)
        result.append((masked, *(counts.get(k, 0) for k in personal.KINDS), personal.has_personal(text),
                       personal.has_email(text)))
    return result


@pytest.mark.parametrize("text,expected", POSITIVE)
def test_personal_data_is_masked_in_python_and_in_sql_alike(text, expected):
    assert personal.mask(text)[0] == expected
    assert _sql([text]) == _python([text])


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_numbers_dates_and_words_are_left_alone(text):
    assert personal.mask(text) == (text, {})
    assert _sql([text]) == [(text, 0, 0, 0, False, False)]


def test_the_counts_are_per_kind_of_personal_data():
    text = "cc a.b@example.org and c.d@example.net from 2001:db8::8a2e:370:7334, or 555-010-0199"
    assert personal.mask(text) == ("cc [e-mail] and [e-mail] from [IP address], or [phone]",
                                   {"e-mail": 2, "IP address": 1, "phone": 1})
    # a text that already holds a token counts only what was masked
    assert _sql(["[e-mail] said: x@example.com"])[0][:4] == ("[e-mail] said: [e-mail]", 1, 0, 0)
    assert personal.summary({"e-mail": 2, "phone": 1}) == "2 e-mail addresses, 1 phone number"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789abcdefAF@.:-+() x[]_%é\n", max_size=40), min_size=1, max_size=20))
def test_python_and_sql_mask_any_text_the_same(texts):
    assert _sql(texts) == _python(texts)


# ----------------------------------------------------------------------------------------------------------
# Helpers


def _items_store(path):
    con = store.connect(path)
    ingest.import_file(con, "items", FIXTURES / "survey_items.csv", user="tests")
    return con


def _file_bytes(con, path: Path) -> bytes:
    """The database file as written (closing the connection): after a CHECKPOINT nothing waits in the WAL."""
    con.cursor().execute("CHECKPOINT")
    con.close()
    wal = path.with_name(path.name + ".wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _survey(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def _clean_rows(count: int, start: int = 1) -> list[str]:
    return [f"C{n:03d},2026-01-20 10:00:00,Alpha,it,staff,4,{MARKER} fine" for n in range(start, start + count)]


def _log(con) -> list[dict]:
    rows = con.cursor().execute("SELECT skipped_rows FROM imports ORDER BY import_id").fetchall()
    return [entry for (text,) in rows for entry in json.loads(text or "[]")]


def cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "metrics", *args, "--db", str(db)], capture_output=True, text=True,
                          cwd=ROOT, timeout=180)


# ----------------------------------------------------------------------------------------------------------
# Free text is masked before storage


COMMENT = f"{MARKER}: mail john.smith@example.com or call +44 20 7946 0958"
COMMENT_2 = f"{MARKER}: cc a.b@example.org and c.d@example.net from 2001:db8::8a2e:370:7334"
RAW = [b"john.smith@example.com", b"7946 0958", b"a.b@example.org", b"c.d@example.net", b"2001:db8::8a2e"]


def test_a_comment_is_masked_on_the_command_lines_path_and_counted(tmp_path):
    path = tmp_path / "store.duckdb"
    con = _items_store(path)
    file = tmp_path / "survey.csv"
    file.write_bytes(_survey(_clean_rows(3) + [f"P1,2026-01-20 10:00:00,Alpha,it,staff,4,{COMMENT}",
                                               f'P2,2026-01-20 10:00:00,Alpha,it,staff,4,"{COMMENT_2}"']))
    report = ingest.import_file(con, "survey", file, user="tests")
    assert report.layout == "native" and report.rows_imported == 5
    assert report.masked == {"e-mail": 3, "phone": 1, "IP address": 1}
    assert ingest.masked_summary(report) == ("masked in free text: 3 e-mail addresses, 1 IP address, 1 phone "
                                             "number (only the mask is stored)")
    stored = dict(con.cursor().execute("SELECT response_id, comment FROM survey_responses WHERE response_id LIKE 'P%'"
                                       ).fetchall())
    assert stored == {"P1": f"{MARKER}: mail [e-mail] or call [phone]",
                      "P2": f"{MARKER}: cc [e-mail] and [e-mail] from [IP address]"}
    data = _file_bytes(con, path)
    assert MARKER.encode() in data
    assert not [raw for raw in RAW if raw in data]


@pytest.mark.parametrize("position", [1, 30])   # in the preview's lines, and past them (only DuckDB reads it)
def test_the_fast_and_the_general_path_store_the_same_masked_comment(position):
    rows = _clean_rows(40)
    rows[position - 1] = f"P1,2026-01-20 10:00:00,Alpha,it,staff,4,{COMMENT}"
    rows[position] = f'P2,2026-01-20 10:00:00,Alpha,it,staff,4,"{COMMENT_2}"'
    outcomes = []
    for general in (False, True):
        con = _items_store(":memory:")
        prepared = ingest.prepare_import(con, "survey", _survey(rows), "survey.csv", general=general)
        assert (prepared.staged is not None) is not general
        report = ingest.commit_import(con, prepared, user="tests")
        stored = con.cursor().execute("SELECT response_id, comment FROM survey_responses ORDER BY ALL").fetchall()
        outcomes.append((report.masked, stored))
        con.close()
    assert outcomes[0] == outcomes[1]
    masked, stored = outcomes[0]
    assert masked == {"e-mail": 3, "phone": 1, "IP address": 1}
    assert dict(stored)["P1"] == f"{MARKER}: mail [e-mail] or call [phone]"


def test_a_please_specify_answer_of_a_google_forms_export_is_masked(tmp_path):
    path = tmp_path / "store.duckdb"
    con = _items_store(path)
    file = tmp_path / "google.csv"
    file.write_text(
        "Timestamp,We and the other function use the same words for customers and results.,"
        "Which tools do you share? Other (please specify)\n"
        f'2024-03-15 10:00:00,Agree,"Other: {MARKER}, ask jane.roe@example.com on server 10.20.30.40"\n'
        "2024-03-15 11:00:00,Strongly agree,\n"
        "2024-03-15 12:00:00,Agree,Other: phone 020 7946 0958 or ops@example.com\n", encoding="utf-8")
    report = ingest.import_file(con, "survey", file, constants={"business_unit": "Delta", "department": "it"},
                                user="tests")
    assert report.layout == "google_forms" and report.rows_imported == 3
    assert report.masked == {"e-mail": 2, "IP address": 1, "phone": 1}
    comments = sorted(c for (c,) in con.cursor().execute("SELECT comment FROM survey_responses").fetchall() if c)
    assert comments == [f"Other: {MARKER}, ask [e-mail] on server [IP address]", "Other: phone [phone] or [e-mail]"]
    data = _file_bytes(con, path)
    assert MARKER.encode() in data
    assert not [raw for raw in (b"jane.roe@example.com", b"10.20.30.40", b"ops@example.com", b"7946 0958")
                if raw in data]


def test_a_project_name_and_an_item_text_are_masked(tmp_path):
    path = tmp_path / "store.duckdb"
    con = _items_store(path)
    projects = tmp_path / "projects.csv"
    projects.write_text(
        "project_id,business_unit,name,lead_function,stage,parent_project_id,start_date,planned_end,actual_end,"
        "budget,spend,status,outcome,roi_pct\n"
        f'X1,Alpha,"{MARKER} CRM (ask pm@example.com, 555-010-0199)",joint,pilot,,2026-01-01,2026-06-30,,100,,'
        "active,,\n"
        f"X2,Alpha,{MARKER} data hub,it,pilot,,2026-01-01,2026-06-30,,100,,active,,\n", encoding="utf-8")
    report = ingest.import_file(con, "projects", projects, user="tests")
    assert report.masked == {"e-mail": 1, "phone": 1}
    items = tmp_path / "items.csv"
    items.write_text("item_id,dimension,text,scale,reverse_scored\n"
                     f"extra_item,communication,{MARKER}: questions to survey@example.com,likert5,false\n",
                     encoding="utf-8")
    assert ingest.import_file(con, "items", items, user="tests").masked == {"e-mail": 1}
    cur = con.cursor()
    assert sorted(n for (n,) in cur.execute("SELECT name FROM joint_projects").fetchall()) == [
        f"{MARKER} CRM (ask [e-mail], [phone])", f"{MARKER} data hub"]
    assert cur.execute("SELECT text FROM survey_items WHERE item_id = 'extra_item'").fetchall() == [
        (f"{MARKER}: questions to [e-mail]",)]
    data = _file_bytes(con, path)
    assert MARKER.encode() in data
    assert not [raw for raw in (b"pm@example.com", b"555-010-0199", b"survey@example.com") if raw in data]


def test_the_review_s_free_text_is_masked_notes_authors_owners_and_groups(tmp_path):
    """A leader's note and who wrote it, a decision's text, an action's title and owner, who is consulted and
    informed: free text that leaders write, masked before storage like a comment."""
    path = tmp_path / "store.duckdb"
    con = _items_store(path)
    files = {
        "commentary": "month,side,text,written_by,written_at\n"
                      f'2026-01,it,"{MARKER} call me on 555-010-0199",cio@example.com,2026-01-30 09:00:00\n',
        "decision_rights": "area_id,area,accountable,consulted,informed,agreed_on\n"
                           f"DR-1,{MARKER} data,joint,analysts@example.com,Pat 555-010-0188,2026-01-05\n",
        "decisions": "decision_id,month,business_unit,area_id,text,decided_by,due,status\n"
                     f"D-1,2026-01,,DR-1,{MARKER} ask board@example.com,joint,,open\n",
        "actions": "action_id,business_unit,title,owner,target,start_month,due,status,effect_window\n"
                   f"A-1,,{MARKER} glossary (help@example.com),owner@example.com,alignment_index,2026-01,,planned,3\n",
    }
    masked = {}
    for kind, text in files.items():
        file = tmp_path / f"{kind}.csv"
        file.write_text(text, encoding="utf-8")
        masked[kind] = ingest.import_file(con, kind, file, user="tests").masked
    assert masked == {"commentary": {"phone": 1, "e-mail": 1}, "decision_rights": {"e-mail": 1, "phone": 1},
                      "decisions": {"e-mail": 1}, "actions": {"e-mail": 2}}
    cur = con.cursor()
    assert cur.execute("SELECT text, written_by FROM commentary").fetchall() == [
        (f"{MARKER} call me on [phone]", "[e-mail]")]
    assert cur.execute("SELECT consulted, informed FROM decision_rights").fetchall() == [("[e-mail]", "Pat [phone]")]
    assert cur.execute("SELECT title, owner FROM actions").fetchall() == [(f"{MARKER} glossary ([e-mail])", "[e-mail]")]
    data = _file_bytes(con, path)
    assert MARKER.encode() in data
    assert b"@example.com" not in data and b"555-010-01" not in data


# ----------------------------------------------------------------------------------------------------------
# An id or a business unit that is an e-mail address is refused, all or nothing


def _refused(db: Path, kind: str, file: Path, **options) -> list[str]:
    before = store_rows(db)
    con = store.connect(db)
    try:
        with pytest.raises(ingest.ImportRefused) as refused:
            ingest.import_file(con, kind, file, user="tests", **options)
    finally:
        con.close()
    assert store_rows(db) == before      # nothing of the file was stored, and no log line
    return refused.value.problems


@pytest.mark.parametrize("position", [1, 30])
def test_a_response_id_or_a_unit_that_is_an_e_mail_is_refused_on_every_path(tmp_path, position):
    db = tmp_path / "store.duckdb"
    fixture_store(db, tmp_path).close()
    rows = _clean_rows(40, start=500)
    rows[position - 1] = "john.smith@example.com,2026-01-20 10:00:00,Alpha,it,staff,4,"
    rows[position] = "C900,2026-01-20 10:00:00,Jane Doe <jane@example.com>,it,staff,4,"
    file = tmp_path / "survey.csv"
    file.write_bytes(_survey(rows))
    problems = _refused(db, "survey", file)
    line = position + 1
    assert problems[:2] == [
        f"row {line}, column 'response_id', value '[e-mail]': is or contains an e-mail address, which is personal "
        f"data and never stored: {ingest.ID_EMAIL}",
        f"row {line + 1}, column 'business_unit', value 'Jane Doe <[e-mail]>': is or contains an e-mail address, "
        f"which is personal data and never stored: {ingest.UNIT_EMAIL}"]
    # the page's path (prepare, then commit) refuses it the same way
    con = store.connect(db)
    prepared = ingest.prepare_import(con, "survey", file.read_bytes(), file.name)
    assert prepared.staged is None
    assert [(p.row, p.column) for p in prepared.report.problems] == [(line, "response_id"), (line + 1, "business_unit")]
    con.close()
    data = db.read_bytes()
    assert b"john.smith@example.com" not in data and b"jane@example.com" not in data


def test_a_unit_set_for_the_whole_file_that_is_an_e_mail_is_refused(tmp_path):
    db = tmp_path / "store.duckdb"
    fixture_store(db, tmp_path).close()
    file = tmp_path / "no_unit.csv"
    file.write_text("response_id,submitted_at,department,role,comm_vocabulary\n"
                    "K1,2026-01-20 10:00:00,it,staff,4\nK2,2026-01-20 10:00:00,it,staff,5\n", encoding="utf-8")
    problems = _refused(db, "survey", file, constants={"business_unit": "ops@example.com"})
    assert [p.split(":")[0] for p in problems[:2]] == ["row 2, column 'business_unit', value '[e-mail]'",
                                                       "row 3, column 'business_unit', value '[e-mail]'"]


@pytest.mark.parametrize("kind,text,column", [
    ("meetings", "meeting_id,business_unit,date,meeting_type,status\n"
                 "M-OK,Alpha,2026-01-14,joint_steering,held\n"
                 "cio.office@example.com,Alpha,2026-01-15,joint_steering,held\n", "meeting_id"),
    ("attendance", "meeting_id,person_id,department,role,attended\n"
                   "G-2511,G-X1,it,staff,true\nG-2511,Pat Lee <pat.lee@example.com>,it,staff,true\n", "person_id"),
    ("projects", "project_id,business_unit,name,lead_function,stage,parent_project_id,start_date,planned_end,"
                 "actual_end,budget,spend,status,outcome,roi_pct\n"
                 "Y1,Alpha,Fine,joint,pilot,,2026-01-01,2026-06-30,,100,,active,,\n"
                 "Y2,Alpha,Scale,joint,scale,owner@example.com,2026-01-01,2026-06-30,,100,,active,,\n",
     "parent_project_id"),
    ("headcount", "business_unit,department,month,headcount\nAlpha,it,2026-02,10\nops@example.com,it,2026-02,10\n",
     "business_unit"),
    ("kpis", "business_unit,month,kpi,value\nAlpha,2026-02,margin_growth_pct,1\n"
             "Jane Doe <jane@example.com>,2026-02,margin_growth_pct,2\n", "business_unit"),
    # The monthly review's record: an id, the decision area a decision refers to, a unit.
    ("decision_rights", "area_id,area,accountable,consulted,informed,agreed_on\n"
                        "DR-9,Fine,joint,,,\ncio.office@example.com,Other,it,,,\n", "area_id"),
    ("decisions", "decision_id,month,business_unit,area_id,text,decided_by,due,status\n"
                  "D-8,2026-01,,DR-1,Fine.,joint,,open\nD-9,2026-01,,owner@example.com,Other.,joint,,open\n", "area_id"),
    ("decisions", "decision_id,month,business_unit,area_id,text,decided_by,due,status\n"
                  "D-8,2026-01,,DR-1,Fine.,joint,,open\nD-9,2026-01,ops@example.com,,Other.,joint,,open\n",
     "business_unit"),
    ("actions", "action_id,business_unit,title,owner,target,start_month,due,status,effect_window\n"
                "A-8,,Fine,,alignment_index,2026-01,,planned,3\nPat Lee <pat.lee@example.com>,,Other,,alignment_index,"
                "2026-01,,planned,3\n", "action_id"),
])
def test_other_kinds_ids_and_units_that_are_e_mails_are_refused(tmp_path, kind, text, column):
    db = tmp_path / "store.duckdb"
    fixture_store(db, tmp_path).close()
    file = tmp_path / f"bad_{kind}.csv"
    file.write_text(text, encoding="utf-8")
    problems = _refused(db, kind, file)
    assert problems[0].startswith(f"row 3, column '{column}', value '")
    assert "is or contains an e-mail address, which is personal data and never stored" in problems[0]
    assert "@" not in "\n".join(problems)
    assert b"@example.com" not in db.read_bytes()


# ----------------------------------------------------------------------------------------------------------
# The import log keeps a skipped row's number, column and reason, not its value


def test_skipped_rows_are_logged_without_their_values(tmp_path):
    path = tmp_path / "store.duckdb"
    con = _items_store(path)
    file = tmp_path / "google.csv"
    file.write_text(
        "Timestamp,We and the other function use the same words for customers and results.\n"
        f"2024-03-15 10:00:00,Strongly agree\n"
        f"2024-03-15 11:00:00,Other: {MARKER} call me on 020 7946 0958\n"
        "2024-03-15 12:00:00,Sometimes\n", encoding="utf-8")
    prepared = ingest.prepare_import(con, "survey", file.read_bytes(), file.name,
                                     constants={"business_unit": "Delta", "department": "it"})
    # on screen, at the time of import: the value, its personal data masked
    shown = [str(p) for p in prepared.report.problems]
    assert shown[0].startswith(f"row 3, column 'We and the other function use the same words for customers and "
                               f"results.', value 'Other: {MARKER} call me on [phone]': 'Other: {MARKER} call me on "
                               "[phone]' is not an answer on the 1–5 scale")
    table = ingest.problems_table(prepared.report.problems)
    assert list(table["value"]) == [f"Other: {MARKER} call me on [phone]", "Sometimes"]
    report = ingest.commit_import(con, prepared, skip_invalid=True, user="tests")
    assert report.rows_imported == 1 and report.rows_skipped == 2
    logged = _log(con)
    assert [sorted(entry) for entry in logged] == [["column", "reason", "row"]] * 2
    assert [entry["row"] for entry in logged] == [3, 4]
    assert all(entry["reason"].startswith("the value is not an answer on the 1–5 scale") for entry in logged)
    assert "Sometimes" not in json.dumps(logged) and MARKER not in json.dumps(logged)
    data = _file_bytes(con, path)
    assert b"7946 0958" not in data and MARKER.encode() not in data and b"Sometimes" not in data


def test_the_command_line_prints_what_was_masked_and_never_the_raw_value(tmp_path):
    db = tmp_path / "store.duckdb"
    _items_store(db).close()
    file = tmp_path / "survey.csv"
    file.write_bytes(_survey([f"P1,2026-01-20 10:00:00,Alpha,it,staff,4,{COMMENT}",
                              "P2,2026-01-20 10:00:00,Alpha,it,staff,9,from 192.168.7.7"]))
    imported = result = cli("import", "survey", str(file), "--skip-invalid", db=db)
    assert result.returncode == 0, result.stderr
    assert ("survey.csv: masked in free text: 1 e-mail address, 1 phone number (only the mask is stored)"
            in result.stdout.splitlines())
    assert "survey.csv: skipped row 3, column 'comm_vocabulary', value '9'" in result.stdout
    refused = tmp_path / "refused.csv"
    refused.write_bytes(_survey(["john.smith@example.com,2026-01-20 10:00:00,Alpha,it,staff,4,"]))
    result = cli("import", "survey", str(refused), db=db)
    assert result.returncode == 1
    assert ("refused.csv: row 2, column 'response_id', value '[e-mail]': is or contains an e-mail address"
            in result.stderr)
    history = cli("imports", "--json", db=db)
    assert history.returncode == 0
    printed = imported.stdout + imported.stderr + result.stdout + result.stderr + history.stdout
    assert not [raw for raw in ("john.smith@example.com", "7946 0958", "192.168.7.7") if raw in printed]
    con = store.connect(db)
    assert _log(con) == [{"row": 3, "column": "comm_vocabulary", "reason": "the value is outside the 1–5 scale"}]
    data = _file_bytes(con, db)
    assert not [raw for raw in (b"john.smith@example.com", b"7946 0958") if raw in data]


def test_the_data_page_says_what_was_masked(fixture_db):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    upload = _survey([f"P1,2026-01-20 10:00:00,Beta,it,staff,4,{COMMENT}",
                      f'P2,2026-01-20 10:00:00,Beta,it,staff,4,"{COMMENT_2}"'])
    at.file_uploader(key="data_upload").set_value(("masked.csv", upload, "text/csv")).run()
    assert not at.exception, at.exception
    assert ("masked in free text: 3 e-mail addresses, 1 IP address, 1 phone number (only the mask is stored)"
            in [info.value for info in at.info])
    at.button(key="data_import").click().run()
    assert "Imported 2 rows from masked.csv" in at.success[0].value
    con = store.connect(fixture_db)
    comments = con.cursor().execute("SELECT comment FROM survey_responses WHERE response_id = 'P1'").fetchall()
    con.close()
    assert comments == [(f"{MARKER}: mail [e-mail] or call [phone]",)]


def test_a_store_written_before_keeps_no_skipped_value_once_opened(tmp_path):
    path = tmp_path / "old.duckdb"
    con = _items_store(path)
    file = tmp_path / "google.csv"
    file.write_text("Timestamp,We and the other function use the same words for customers and results.\n"
                    "2024-03-15 10:00:00,Strongly agree\n2024-03-15 11:00:00,Sometimes\n", encoding="utf-8")
    prepared = ingest.prepare_import(con, "survey", file.read_bytes(), file.name,
                                     constants={"business_unit": "Delta", "department": "it"})
    report = ingest.commit_import(con, prepared, skip_invalid=True, user="tests")
    # as an older version logged it: the value beside the reason, and quoted in it
    old = [{"row": 3, "column": "q1", "value": f"{MARKER} jane@example.com",
            "reason": f"'{MARKER} jane@example.com' is not an answer on the 1–5 scale"}]
    con.cursor().execute("UPDATE imports SET skipped_rows = $s WHERE import_id = $id",
                         {"s": json.dumps(old), "id": report.import_id})
    con.cursor().execute("DROP TABLE migrations")   # an older version recorded no migration steps
    con.close()
    con = store.connect(path)
    logged = _log(con)
    assert logged == [{"row": 3, "column": "q1", "reason": "the value is not an answer on the 1–5 scale"}]
    # (the old text can linger in the file's free blocks until DuckDB reuses them: a copy of the store drops it)
    assert MARKER not in json.dumps(ingest.import_history(con).to_dict("records"), default=str)
