"""Finance's wide KPI sheets (issue 19): units as rows, months as columns, one KPI a sheet or a KPI column, .xlsx
or CSV. Numbers worked out by hand from the files; workbooks are built here with openpyxl the way Excel stores
them (date cells as dates, percentages as fractions formatted 0.0%)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from metrics import ingest, store
from metrics.ingest import finance

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "finance"


@pytest.fixture
def con(tmp_path):
    con = store.connect(tmp_path / "finance.duckdb")
    yield con
    con.close()


def stored(con) -> dict[tuple[str, str, str], float]:
    return {(u, m, k): v for u, m, k, v in con.execute("SELECT business_unit, month, kpi, value FROM kpis").fetchall()}


def count(con) -> int:
    return con.execute("SELECT count(*) FROM kpis").fetchall()[0][0]


def book(*sheets: tuple[str, list[list[object]]], percent_format: str | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if percent_format:
            for row in sheet.iter_rows(min_row=2):
                for cell in row[1:]:
                    if isinstance(cell.value, float):
                        cell.number_format = percent_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("header", ["2026-10", "2026/10", "10/2026", "Oct 2026", "Oct-26", "Oct '26", "October 2026",
                                    "OCT-2026", "2026 Oct", "Oct.26",
                                    "2026-10-01 00:00:00", "2026-10-31 00:00:00"])
def test_every_month_notation_finance_uses_is_read(header):
    assert finance.month_of(header) == "2026-10"


@pytest.mark.parametrize("header", ["FY26 M01", "FY2026 P01", "P01", "Q1 2026", "H1 2026"])
def test_a_fiscal_period_is_refused_not_guessed(header):
    with pytest.raises(finance.FiscalHeader):
        finance.month_of(header)


@pytest.mark.parametrize("header", ["Business unit", "Total", "FY total", "2026-10-14", "13/2026", "Octo 2026", ""])
def test_what_is_not_a_month(header):
    assert finance.month_of(header) is None


@pytest.mark.parametrize("cell, value", [("5.2%", (5.2, True)), ("0.052", (0.052, False)), ("(3.1)", (-3.1, False)),
                                         ("1,234.5", (1234.5, False)), ("5,2", (5.2, False)), ("€120", (120.0, False)),
                                         ("−0.4%", (-0.4, True)), ("(0.4%)", (-0.4, True))])
def test_numbers_as_finance_writes_them(cell, value):
    assert finance.number_of(cell) == value


@pytest.mark.parametrize("cell", ["-", "—", "n.a.", "12 units", "#DIV/0!"])
def test_what_is_not_a_number(cell):
    with pytest.raises(ValueError):
        finance.number_of(cell)


def test_a_wide_csv_with_a_title_a_total_row_and_a_total_column(con):
    """margin_growth_wide.csv: a title row, months written five ways, a blank cell (missing, not zero), an
    accountant's negative, a decimal comma, a 'FY total' column and a 'Total' row, both skipped."""
    path = FIXTURES / "margin_growth_wide.csv"
    report = ingest.import_file(con, "kpis", path, constants={"kpi": "margin_growth_pct"}, user="tests")
    # Retail 4 values (2025-12 blank), Online 5, Wholesale 5; the Total row and FY total column are not values.
    assert report.rows_imported == count(con) == 14
    got = stored(con)
    assert got[("Retail", "2025-10", "margin_growth_pct")] == 5.2
    assert ("Retail", "2025-12", "margin_growth_pct") not in got
    assert got[("Retail", "2026-02", "margin_growth_pct")] == 5.1         # "5,1%"
    assert got[("Online", "2026-01", "margin_growth_pct")] == -0.4        # "(0.4%)"
    assert got[("Wholesale", "2026-02", "margin_growth_pct")] == 3.0
    assert not {u for u, _, _ in got} & {"Total", "FY total"}
    assert any("row 6: 'Total' is a total: skipped" in note for note in report.notes)
    assert "FY total" in report.dropped_columns
    assert any("the header is row 2" in note for note in report.notes)


def test_a_workbook_one_kpi_a_sheet_excel_dates_and_percent_cells(con):
    """Sheet 'Margin growth %' (a KPI's name written the way people write it), headed by Excel date cells, its
    values 0.052 stored and shown as 5.2% by their format; sheet 'NPS' is no KPI's name until mapped; a Notes sheet;
    a 'Company' row."""
    months = [datetime(2026, 8, 1), datetime(2026, 9, 30), datetime(2026, 10, 1)]
    data = book(("Margin growth %", [["Business unit", *months], ["Retail", 0.052, 0.048, None],
                                     ["Online", 0.031, -0.004, 0.02], ["Company", 0.04, 0.02, 0.02]]),
                ("NPS", [["Unit", *months], ["Retail", 31, 33, 35], ["Online", 28, None, 30]]),
                ("Notes", [["Prepared by finance"]]), percent_format="0.0%")
    prepared = ingest.prepare_import(con, "kpis", data, "kpis.xlsx")
    assert ["sheet 'NPS' is not a KPI's name" in str(p) for p in prepared.blocking] == [True]
    assert "--map 'NPS=KPI'" in str(prepared.blocking[0])
    prepared = ingest.prepare_import(con, "kpis", data, "kpis.xlsx", mapping={"NPS": "customer_nps"})
    assert not prepared.blocking and not prepared.report.problems
    ingest.commit_import(con, prepared, user="tests")
    got = stored(con)
    assert count(con) == 5 + 5 == len(got)
    assert got[("Retail", "2026-08", "margin_growth_pct")] == 5.2
    assert got[("Online", "2026-09", "margin_growth_pct")] == -0.4
    assert got[("Online", "2026-10", "customer_nps")] == 30
    assert ("Online", "2026-09", "customer_nps") not in got and ("Company", "2026-08", "margin_growth_pct") not in got
    assert any("sheet 'Notes' has no month columns" in note for note in prepared.notes)
    # The mapping is remembered: the next workbook's NPS sheet needs none.
    again = ingest.prepare_import(con, "kpis", data, "kpis2.xlsx")
    assert not again.blocking
    assert ("NPS", "customer_nps", "remembered") in set(again.rules.itertuples(index=False, name=None))


def test_an_ambiguous_percentage_is_asked_about_and_the_answer_applies(con):
    rows = [["Business unit", "2026-09", "2026-10"], ["Retail", 0.052, 0.048], ["Online", "0.031", 0]]
    data = book(("margin_growth_pct", rows))
    prepared = ingest.prepare_import(con, "kpis", data, "kpis.xlsx")
    question = "\n".join(str(p) for p in prepared.blocking)
    assert "margin_growth_pct: every value written without % is between -1 and 1" in question
    assert "--percent-as fraction or --percent-as percent" in question
    with pytest.raises(ingest.ImportRefused):
        ingest.commit_import(con, prepared, user="tests")
    assert count(con) == 0
    ingest.commit_import(con, ingest.prepare_import(con, "kpis", data, "kpis.xlsx", percent_as="fraction"),
                         user="tests")
    assert stored(con)[("Retail", "2026-09", "margin_growth_pct")] == 5.2
    assert stored(con)[("Online", "2026-10", "margin_growth_pct")] == 0
    fresh = ingest.prepare_import(con, "kpis", data, "kpis.xlsx", percent_as="percent")
    assert list(fresh.frame["value"]) == ["0.052", "0.048", "0.031", "0"]


def test_values_above_one_settle_that_bare_numbers_are_percents(con):
    """Any bare value of a _pct KPI above 1 in size: they are percents, nothing is asked (0.5 stays 0.5). A KPI not
    ending _pct is never asked about."""
    data = book(("margin_growth_pct", [["Business unit", "2026-09", "2026-10"], ["Retail", 0.5, 2.0]]),
                ("shadow_it_tools", [["Business unit", "2026-09", "2026-10"], ["Retail", 0.5, 1]]))
    prepared = ingest.prepare_import(con, "kpis", data, "kpis.xlsx")
    assert not prepared.blocking
    assert list(zip(prepared.frame["kpi"], prepared.frame["value"])) == [
        ("margin_growth_pct", "0.5"), ("margin_growth_pct", "2"), ("shadow_it_tools", "0.5"),
        ("shadow_it_tools", "1")]


@pytest.mark.parametrize("rows, says", [
    ([["Business unit", "FY26 M01", "FY26 M02"], ["Retail", 1, 2]], "'FY26 M01' is a fiscal period"),
    ([["Business unit", "Oct-26", "2026-10"], ["Retail", 1, 2]], "the month 2026-10 heads two columns"),
    ([["Business unit", "Oct-26"], ["Retail", "-"]], "a dash: write 0 if the value is zero"),
    ([["Business unit", "Oct-26"], [None, 4]], "the row has values but no business unit"),
])
def test_a_broken_sheet_is_refused_with_where_and_nothing_changes(con, rows, says):
    data = book(("margin_growth_pct", rows))
    with pytest.raises(ingest.ImportRefused) as refused:
        prepared = ingest.prepare_import(con, "kpis", data, "kpis.xlsx")
        ingest.commit_import(con, prepared, user="tests")
    assert says in "\n".join(refused.value.problems)
    assert count(con) == 0


def test_a_kpi_column_layout_the_sample_finance_sheet_gives_back_the_sample_kpis(con):
    report = ingest.import_file(con, "kpis", store.SAMPLE_DIR / "kpis_finance_wide.csv", user="tests")
    expected = pd.read_csv(store.SAMPLE_DIR / "kpis.csv", dtype={"value": float})
    assert report.rows_imported == len(expected) == 864
    got = stored(con)
    assert got == {(u, m, k): v for u, m, k, v in expected.itertuples(index=False)}
    assert report.layout == "wide"


def test_a_finance_import_is_undone_and_native_files_still_go_native(con):
    report = ingest.import_file(con, "kpis", FIXTURES / "margin_growth_wide.csv",
                                constants={"kpi": "margin_growth_pct"}, user="tests")
    ingest.undo(con, report.import_id)
    assert count(con) == 0
    native = b"business_unit,month,kpi,value\nRetail,2026-10,margin_growth_pct,4.5\n"
    prepared = ingest.prepare_import(con, "kpis", native, "kpis.csv")
    assert prepared.report.layout == "native" and list(prepared.frame["value"]) == ["4.5"]
