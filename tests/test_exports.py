"""Every export, CSV and Excel, of every kind: no cell a spreadsheet would run as a formula, and a round trip."""

from __future__ import annotations

import io

import openpyxl
import pytest

from metrics import ingest, store
from tests.conftest import load_fixture

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0",
            "\t=2", "\r=3"]


def _quoted(text: str) -> str:
    """`text` inside a double-quoted CSV cell."""
    return text.replace('"', '""')


HOSTILE_FILES = {
    "survey": "response_id,submitted_at,business_unit,department,role,comm_vocabulary,comment\n"
              + "".join(f'"H{n}",2026-01-20 10:00:00,"{_quoted(f)}",it,staff,4,"{_quoted(f)}"\n'
                        for n, f in enumerate(FORMULAS)),
    "kpis": "business_unit,month,kpi,value\n"
            + "".join(f'"{_quoted(f)}",2026-01,margin_growth_pct,1.5\n' for f in FORMULAS),
    "meetings": "meeting_id,business_unit,date,meeting_type,status\n"
                + "".join(f'"=M{n}","{_quoted(f)}",2026-01-05,brainstorm,held\n'
                          for n, f in enumerate(FORMULAS)),
    # The monthly review's record: free text is where a formula is most likely to be typed.
    "commentary": "month,side,text,written_by,written_at\n"
                  + "".join(f'2026-{n + 1:02d},marketing,"{_quoted(f)}",cmo,2026-01-30 09:00:00\n'
                            for n, f in enumerate(FORMULAS)),
    "decision_rights": "area_id,area,accountable,consulted,informed,agreed_on\n"
                       + "".join(f'"=R{n}","{_quoted(f)}",joint,"{_quoted(f)}",'
                                 f',2026-01-05\n' for n, f in enumerate(FORMULAS)),
    "decisions": "decision_id,month,business_unit,area_id,text,decided_by,due,status\n"
                 + "".join(f'"=D{n}",2026-01,,,"{_quoted(f)}",joint,,open\n'
                           for n, f in enumerate(FORMULAS)),
    "actions": "action_id,business_unit,title,owner,target,start_month,due,status,effect_window\n"
               + "".join(f'"=A{n}",,"{_quoted(f)}","{_quoted(f)}",'
                         f'alignment_index,2026-01,2026-03-31,planned,3\n' for n, f in enumerate(FORMULAS)),
}


@pytest.fixture
def hostile_con(tmp_path):
    con = store.connect(":memory:")
    load_fixture(con, tmp_path)
    for kind, text in HOSTILE_FILES.items():
        path = tmp_path / f"hostile_{kind}.csv"
        path.write_text(text, encoding="utf-8")
        report = ingest.import_file(con, kind, path, user="tests")
        assert report.rows_imported == len(FORMULAS)
    yield con
    con.close()


def _formula_like(value) -> bool:
    """Text a spreadsheet would evaluate: starting with = + - @ tab or CR, other than a plain number ("-5.0")."""
    if not isinstance(value, str) or not value.startswith(ingest.FORMULA_START):
        return False
    try:
        float(value)
        return False
    except ValueError:
        return True


@pytest.mark.parametrize("kind", list(ingest.KINDS))
def test_no_csv_export_cell_is_a_formula(hostile_con, kind):
    data, rows = ingest.export_bytes(hostile_con, kind, "csv")
    assert rows > 0
    import csv
    cells = [c for row in csv.reader(io.StringIO(data.decode("utf-8"))) for c in row]
    assert not [c for c in cells if _formula_like(c)]
    if kind in HOSTILE_FILES:
        assert sum(c.startswith("'") and c[1:].startswith(ingest.FORMULA_START) for c in cells) >= len(FORMULAS)


@pytest.mark.parametrize("kind", list(ingest.KINDS))
def test_no_excel_export_cell_is_a_formula(hostile_con, kind):
    data, rows = ingest.export_bytes(hostile_con, kind, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert sheet.max_row == rows + 1
    assert not [c.coordinate for c in cells if c.data_type == "f" or _formula_like(c.value)]
    if kind in HOSTILE_FILES:
        assert sum(isinstance(c.value, str) and c.value.startswith("'=") for c in cells) >= 2


@pytest.mark.parametrize("fmt", ingest.EXPORT_FORMATS)
@pytest.mark.parametrize("kind", ["survey", "kpis", "meetings"])
def test_an_export_reimports_as_nothing_new(hostile_con, tmp_path, kind, fmt):
    out = tmp_path / f"{kind}.{fmt}"
    rows = ingest.export(hostile_con, kind, out)
    before = {t: hostile_con.cursor().execute(f"SELECT count(*) FROM {t}").fetchall() for t in store.DATA_TABLES}
    report = ingest.import_file(hostile_con, kind, out, user="tests")
    assert (report.rows_read, report.rows_imported, report.rows_unchanged) == (rows, 0, rows)
    assert {t: hostile_con.cursor().execute(f"SELECT count(*) FROM {t}").fetchall() for t in store.DATA_TABLES} == before
    stored = hostile_con.cursor().execute(f"SELECT business_unit FROM {ingest.KINDS[kind].table} "
                                          "WHERE business_unit LIKE '=HYPERLINK%'").fetchall()
    assert stored == [('=HYPERLINK("http://evil.example","click")',)]   # stored as written, not as exported


def test_an_unknown_export_format_is_refused(hostile_con):
    with pytest.raises(ValueError, match="unknown export format 'xls'"):
        ingest.export_bytes(hostile_con, "kpis", "xls")
