"""Measured collaboration (issue 19): the collaboration kind, Microsoft Viva Insights' group-to-group query read as it
comes (organizations mapped once, weeks summed to months, hours per person), a real export from Microsoft's own
`vivainsights` package, the guarantees every import has (report, all or nothing, log, undo), and what the product
shows of it ("say and do", the linkage index, the board pack, the Definitions page). Numbers worked out by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats as scipy_stats
from streamlit.testing.v1 import AppTest

from metrics import collaboration, ingest, linkage, scorecard, store
from metrics.ingest import viva
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
REAL = FIXTURES / "viva"
HEADER = ("PrimaryCollaborator_Organization,PrimaryCollaborator_GroupSize,SecondaryCollaborator_Organization,"
          "MetricDate,Group collaboration time invested,Group meeting count,Group email sent count")


def stored(con, sql: str, params=None) -> list[tuple]:
    return con.cursor().execute(sql, params or {}).fetchall()


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------------------------
# The fixture data set's export (tests/fixtures/viva_group_to_group.csv), worked out by hand


FIXTURE_ROWS = [
    # Alpha: two weeks of January. Marketing's 12.5 + 7.5 hours, 4 + 2 meetings, 30 + 10 e-mails over its 10
    # people; IT's 6 + 4 hours over 5 then 7 people: a mean of 6.
    ("Alpha", "2026-01", "it", "marketing", 10.0, 5.0, 14.0, 6),
    ("Alpha", "2026-01", "marketing", "it", 20.0, 6.0, 40.0, 10),
    ("Beta", "2026-01", "it", "marketing", 8.0, 3.0, 12.0, 4),
    ("Beta", "2026-01", "marketing", "it", 16.0, 5.0, 20.0, 8),
    ("Gamma", "2025-12", "it", "marketing", 5.0, 2.0, 5.0, 5),
    ("Gamma", "2025-12", "marketing", "it", 10.0, 3.0, 15.0, 5),
    ("Gamma", "2026-01", "it", "marketing", 10.0, 4.0, 9.0, 5),
    ("Gamma", "2026-01", "marketing", "it", 20.0, 6.0, 25.0, 5),
]
COLUMNS = "business_unit, month, from_side, to_side, hours, meetings, emails, people"


def test_the_fixture_export_is_summed_to_months_and_spread_over_people(con, empty_con):
    # The fixture data set's collaboration (tests/fixtures/collaboration.csv, native) is these rows, worked out by
    # hand from its Viva export (tests/fixtures/viva_group_to_group.csv), which the reader must turn into the same.
    assert stored(con, f"SELECT {COLUMNS} FROM collaboration ORDER BY ALL") == FIXTURE_ROWS
    report = ingest.import_file(empty_con, "collaboration", FIXTURES / "viva_group_to_group.csv", user="tests")
    assert stored(empty_con, f"SELECT {COLUMNS} FROM collaboration ORDER BY ALL") == FIXTURE_ROWS
    log = stored(empty_con, "SELECT layout, rows_read, rows_imported, rows_skipped FROM imports")
    assert log == [("viva", 12, 8, 0)]   # 12 rows read; the within-group and Finance rows are not marketing-IT
    assert any("dropped 1 row, not stored (within the same group): row 6" in note for note in report.notes)
    assert any("dropped 1 row, not stored (organization 'Finance' not mapped): row 7" in note
               for note in report.notes)


def test_hours_per_person_are_both_sides_hours_over_both_sides_people(con):
    card = scorecard.scorecard(con, "2026-01")
    units = {u["business_unit"]: u for u in card["business_units"]}
    assert units["Alpha"]["collaboration_hours"] == pytest.approx(float(Fraction(20 + 10, 10 + 6)))   # 1.875
    assert units["Alpha"]["collaboration_hours_n"] == 16
    assert units["Beta"]["collaboration_hours"] == pytest.approx(24 / 12)
    assert units["Gamma"]["collaboration_hours"] == pytest.approx(30 / 10)
    # the company: every unit's hours over every unit's people
    assert card["company"]["collaboration_hours"] == pytest.approx(float(Fraction(30 + 24 + 30, 16 + 12 + 10)))
    assert card["company"]["collaboration_hours_n"] == 38
    assert scorecard.scorecard(con, "2025-12")["company"]["collaboration_hours"] == pytest.approx(15 / 10)


def test_say_and_do_sets_measured_hours_beside_the_survey_and_keeps_hidden_figures_hidden(con):
    frame = collaboration.say_and_do(con, "2026-01").set_index("unit")
    assert list(frame.index) == ["Company", "Alpha", "Beta", "Gamma"]
    assert frame.loc["Alpha", "marketing_to_it"] == pytest.approx(20 / 10)
    assert frame.loc["Alpha", "it_to_marketing"] == pytest.approx(10 / 6)
    assert frame.loc["Gamma", "collaboration_hours"] == pytest.approx(3.0)
    # The survey's side comes from the Alignment page's own reads: what they hide is null here too.
    rates = pd.DataFrame(__import__("metrics.alignment", fromlist=["x"]).unit_rates(con, "2026-01")).set_index("unit")
    for unit in frame.index:
        for column in ("strategic_partner_rate_marketing", "strategic_partner_rate_it"):
            shown, there = frame.loc[unit, column], rates.loc[unit, column]
            assert (pd.isna(shown) and pd.isna(there)) or shown == there
    assert pd.isna(frame.loc["Beta", "partnership"])              # Beta's IT has 3 respondents: under 5
    assert pd.isna(frame.loc["Beta", "strategic_partner_rate_it"])
    trend = collaboration.say_and_do_trend(con, "2026-01", "Gamma")
    assert trend.dropna(subset=["collaboration_hours"])[["month", "collaboration_hours"]].values.tolist() == [
        ["2025-12", 1.5], ["2026-01", 3.0]]


# ----------------------------------------------------------------------------------------------------------
# The reader


def test_weeks_in_one_month_sum_to_the_month_and_unmapped_organizations_are_reported(empty_con, tmp_path):
    path = write(tmp_path, "g2g.csv", HEADER,
                 "Marketing - North,10,IT - North,2026-03-01,4.5,2,10",
                 "Marketing - North,10,IT - North,2026-03-08,5.5,1,20",
                 "Marketing - North,10,IT - North,2026-04-05,3,1,5",
                 "Marketing - North,10,Legal,2026-03-01,9,9,9")
    report = ingest.import_file(empty_con, "collaboration", path, user="tests")
    assert stored(empty_con, "SELECT month, hours, meetings, emails, people FROM collaboration ORDER BY month") == [
        ("2026-03", 10.0, 3.0, 30.0, 10), ("2026-04", 3.0, 1.0, 5.0, 10)]
    assert (report.rows_read, report.rows_imported) == (4, 2)
    assert any("organization 'Legal' is not mapped" in n for n in report.notes)
    assert any("dropped 1 row, not stored (organization 'Legal' not mapped): row 5" in n for n in report.notes)
    assert any("'Marketing - North' taken as marketing in North by its name" in n for n in report.notes)


def test_names_as_the_packages_clean_them_are_read_too(empty_con, tmp_path):
    path = write(tmp_path, "g2g.csv",
                 "PrimaryCollaborator_Organization,PrimaryCollaborator_GroupSize,SecondaryCollaborator_Organization,"
                 "MetricDate,Collaboration_hours,Meeting_count,Percent_Group_collaboration_time_invested",
                 "Marketing,4,Information Technology,2026-05-03,8,3,55.5")
    report = ingest.import_file(empty_con, "collaboration", path, constants={"business_unit": "Whole company"},
                                user="tests")
    assert stored(empty_con, "SELECT business_unit, from_side, to_side, hours, meetings, emails, people "
                             "FROM collaboration") == [("Whole company", "marketing", "it", 8.0, 3.0, None, 4)]
    assert report.dropped_columns == ["Percent_Group_collaboration_time_invested"]


def test_a_mapping_is_remembered_for_the_next_file_and_can_name_the_unit(empty_con, tmp_path):
    first = write(tmp_path, "march.csv", HEADER, "Growth,5,Platforms,2026-03-01,10,2,4",
                  "Platforms,4,Growth,2026-03-01,6,1,2")
    with pytest.raises(ingest.ImportRefused) as refused:   # nothing says which side either is
        ingest.import_file(empty_con, "collaboration", first, user="tests")
    assert "no row is between a marketing and an IT organization" in str(refused.value)
    assert stored(empty_con, "SELECT count(*) FROM saved_mappings") == [(0,)]
    ingest.import_file(empty_con, "collaboration", first, mapping={"Growth": "marketing@South",
                                                                   "Platforms": "it@South"}, user="tests")
    assert json.loads(stored(empty_con, "SELECT mapping FROM saved_mappings WHERE layout = 'viva_organizations'")
                      [0][0]) == {"Growth": "marketing@South", "Platforms": "it@South"}
    second = write(tmp_path, "april.csv", HEADER, "Growth,5,Platforms,2026-04-05,12,2,4")
    prepared = ingest.prepare_import(empty_con, "collaboration", second.read_bytes(), second.name)
    assert list(prepared.organizations["how"]) == ["remembered", "remembered"]
    ingest.commit_import(empty_con, prepared, user="tests")
    assert stored(empty_con, "SELECT business_unit, month, from_side, hours FROM collaboration ORDER BY month, "
                             "from_side") == [("South", "2026-03", "it", 6.0), ("South", "2026-03", "marketing", 10.0),
                                              ("South", "2026-04", "marketing", 12.0)]


def test_a_guess_by_name_can_be_overruled_and_ambiguous_names_are_not_guessed():
    assert viva.guess("IT - Retail") == ("it", "Retail")
    assert viva.guess("Retail - Marketing") == ("marketing", "Retail")
    assert viva.guess("Sales and Marketing") == ("marketing", None)
    assert viva.guess("Information Technology") == ("it", None)
    assert viva.guess("Marketing Technology - IT") is None    # both sides: the analyst says
    assert viva.guess("Product") is None
    assert viva.parse_map("Other") == ("other", None) and viva.parse_map("it@ North ") == ("it", "North")
    assert viva.parse_map("sales") is None and viva.parse_map("it@") is None


def test_a_refused_viva_file_changes_nothing_and_skip_invalid_logs_the_row(empty_con, tmp_path):
    path = write(tmp_path, "g2g.csv", HEADER, "Marketing - North,10,IT - North,2026-03-01,4.5,2,10",
                 "IT - North,5,Marketing - North,2026-03-01,lots,1,2")
    with pytest.raises(ingest.ImportRefused) as refused:
        ingest.import_file(empty_con, "collaboration", path, user="tests")
    assert "row 3, column 'Group collaboration time invested', value 'lots': must be a number" in str(refused.value)
    assert stored(empty_con, "SELECT count(*) FROM collaboration") == [(0,)]
    assert stored(empty_con, "SELECT count(*) FROM imports") == [(0,)]
    report = ingest.import_file(empty_con, "collaboration", path, skip_invalid=True, user="tests")
    assert (report.rows_read, report.rows_valid, report.rows_imported) == (2, 1, 1)
    logged = json.loads(stored(empty_con, "SELECT skipped_rows FROM imports")[0][0])
    assert logged == [{"row": 3, "column": "Group collaboration time invested", "reason": "must be a number, 0 or more"}]


def test_undo_and_the_same_rows_twice(con, tmp_path):
    path = FIXTURES / "viva_group_to_group.csv"   # the Viva export of the rows the native fixture stored
    again = ingest.import_file(con, "collaboration", path, user="tests")
    assert again.import_id is None and again.rows_unchanged == 8   # the same rows twice change nothing
    import_id = stored(con, "SELECT import_id FROM imports WHERE kind = 'collaboration'")[0][0]
    assert ingest.undo(con, import_id) == {"collaboration": 8}
    assert stored(con, "SELECT count(*) FROM collaboration") == [(0,)]
    assert scorecard.scorecard(con, "2026-01")["company"]["collaboration_hours"] is None


def test_native_export_imports_back_the_same(con, tmp_path):
    data, rows = ingest.export_bytes(con, "collaboration")
    assert rows == 8 and data.decode().split("\n", 1)[0] == ",".join(ingest.KINDS["collaboration"].columns)
    before = stored(con, "SELECT * EXCLUDE (import_id) FROM collaboration ORDER BY ALL")
    fresh = store.connect(":memory:")
    path = tmp_path / "collaboration.csv"
    path.write_bytes(data)
    report = ingest.import_file(fresh, "collaboration", path, user="tests")
    assert report.layout == "native" and report.rows_imported == 8
    assert stored(fresh, "SELECT * EXCLUDE (import_id) FROM collaboration ORDER BY ALL") == before
    assert ingest.template_csv(fresh, "collaboration") == (
        "business_unit,month,from_side,to_side,hours,meetings,emails,people\n")


def test_a_store_from_before_step_5_gets_the_table(tmp_path):
    path = tmp_path / "old.duckdb"
    con = store.connect(path)
    con.execute("DROP TABLE replaced_collaboration")
    con.execute("DROP TABLE collaboration")
    con.execute("DELETE FROM migrations WHERE step = 5")
    con.close()
    con = store.connect(path)
    assert stored(con, "SELECT count(*) FROM collaboration") == [(0,)]
    assert stored(con, "SELECT step FROM migrations WHERE step = 5") == [(5,)]
    assert stored(con, "SELECT count(*) FROM replaced_collaboration") == [(0,)]
    con.close()


# ----------------------------------------------------------------------------------------------------------
# Real files from Microsoft's vivainsights package (tests/fixtures/viva/README.md)


def test_the_real_group_to_group_export_imports_with_its_numbers(empty_con):
    path = REAL / "g2g_data.csv"
    # Its MetricDate is day-first (01/04/2023: every day is 1, so the file cannot settle the order itself), its
    # organizations are Sales and Marketing, Product, HR, Finance and CEO: no IT. Product is taken as IT here.
    with pytest.raises(ingest.ImportRefused) as refused:
        ingest.import_file(empty_con, "collaboration", path, user="tests")
    assert "could be day-first or month-first" in str(refused.value)
    report = ingest.import_file(empty_con, "collaboration", path, date_order="dmy", mapping={"Product": "it"},
                                constants={"business_unit": "Contoso"}, user="tests")
    assert report.rows_read == 150 and report.rows_imported == 12 and not report.problems
    rows = stored(empty_con, "SELECT month, from_side, hours, meetings, emails, people FROM collaboration "
                             "WHERE month = '2023-04' ORDER BY from_side")
    assert rows == [("2023-04", "it", 25577.582, 252.0, 5889.0, 137),
                    ("2023-04", "marketing", 26681.662, 276.0, 6627.0, 137)]
    assert [m for (m,) in stored(empty_con, "SELECT DISTINCT month FROM collaboration ORDER BY 1")] == [
        "2023-04", "2023-05", "2023-06", "2023-07", "2023-08", "2023-09"]
    april = scorecard.scorecard(empty_con, "2023-04")["company"]
    assert april["collaboration_hours"] == pytest.approx((26681.662 + 25577.582) / (137 + 137))
    assert any("organization 'HR' is not mapped" in note for note in report.notes)
    assert any("'Sales and Marketing' taken as marketing" in note for note in report.notes)
    assert any("within the same group" in note for note in report.notes)


def test_the_real_meeting_query_is_refused_in_words_and_its_subjects_never_read(empty_con):
    path = REAL / "mt_data_first_10_rows.csv"
    with pytest.raises(ingest.ImportRefused) as refused:
        ingest.import_file(empty_con, "collaboration", path, user="tests")
    assert "this is a Viva Insights meeting query" in str(refused.value)
    assert "Focus time" not in str(refused.value)
    assert stored(empty_con, "SELECT count(*) FROM imports") == [(0,)]


# ----------------------------------------------------------------------------------------------------------
# The linkage index


def test_measured_collaboration_as_a_linkage_index_matches_a_hand_worked_pearson_r(tmp_path):
    con = store.connect(":memory:")
    # four unit-months of hours per person: 1, 2, 3, 5 (hours over 10 people), against margin growth the same month
    lines = ["business_unit,month,from_side,to_side,hours,meetings,emails,people"]
    kpis = ["business_unit,month,kpi,value"]
    for unit, month, hours, margin in (("A", "2026-01", 10, 2.0), ("A", "2026-02", 20, 3.0),
                                       ("B", "2026-01", 30, 3.5), ("B", "2026-02", 50, 6.0)):
        lines.append(f"{unit},{month},marketing,it,{hours},1,1,10")
        kpis.append(f"{unit},{month},margin_growth_pct,{margin}")
    write(tmp_path, "c.csv", *lines)
    write(tmp_path, "k.csv", *kpis)
    ingest.import_file(con, "collaboration", tmp_path / "c.csv", user="tests")
    ingest.import_file(con, "kpis", tmp_path / "k.csv", user="tests")
    result = linkage.linkage(con, "margin_growth_pct", "collaboration_hours", max_lag=1)
    assert set(result) == {"kpi", "index", "lags"} and result["index"] == "collaboration_hours"
    x, y = [1, 2, 3, 5], [2.0, 3.0, 3.5, 6.0]
    # by hand: mean x 2.75, mean y 3.625; sum dx*dy = 8.625, sum dx^2 = 8.75, sum dy^2 = 8.6875
    r = 8.625 / (8.75 * 8.6875) ** 0.5
    assert r == pytest.approx(scipy_stats.pearsonr(x, y).statistic)
    lag0 = result["lags"][0]
    assert lag0["n"] == 4 and lag0["pearson_r"] == pytest.approx(r)
    assert result["lags"][1]["n"] == 2   # A and B: January's hours beside February's margin
    con.close()


def test_the_command_line_takes_the_index_and_the_kind(fixture_db, tmp_path):
    run = lambda *args: subprocess.run([sys.executable, "-m", "metrics", *args, "--db", str(fixture_db)],  # noqa
                                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    linked = run("linkage", "--kpi", "margin_growth_pct", "--index", "collaboration_hours", "--max-lag", "0", "--json")
    assert linked.returncode == 0, linked.stderr
    assert json.loads(linked.stdout)["index"] == "collaboration_hours"
    out = tmp_path / "c.csv"
    exported = run("export", "collaboration", "--out", str(out))
    assert exported.returncode == 0 and len(out.read_text().splitlines()) == 9
    weekly = write(tmp_path, "north.csv", HEADER, "Growth,5,Platforms,2026-01-04,10,2,4")
    imported = run("import", "collaboration", str(weekly), "--map", "Growth=marketing@North", "--map",
                   "Platforms=it@North")
    assert imported.returncode == 0, imported.stderr
    assert "layout viva; 1 rows read, 1 valid; imported 1" in imported.stdout
    refused = run("import", "collaboration", str(weekly), "--map", "Growth=sales")
    assert refused.returncode == 1 and "an organization maps to marketing, it or other" in refused.stderr


# ----------------------------------------------------------------------------------------------------------
# Pages


def test_the_alignment_page_shows_say_and_do(fixture_db):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90).run()
    at.switch_page("pages/alignment.py").run()
    assert not at.exception, at.exception
    assert "Say and do" in [h.value for h in at.subheader]
    charts = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert any(t.startswith("Say and do: measured collaboration beside the survey") for t in charts)
    assert any(t.startswith("Say and do over time") for t in charts)


def test_the_results_page_offers_measured_collaboration(fixture_db):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90).run()
    at.session_state["results_index"] = "collaboration_hours"
    at.switch_page("pages/results.py").run()
    assert not at.exception, at.exception
    chooser = at.selectbox(key="results_index")
    assert chooser.value == "collaboration_hours"
    assert "Measured collaboration (hours per person)" in chooser.options   # the options as shown (format_func)
    con = store.connect(fixture_db)
    try:
        expected = linkage.lag_table(con, "margin_growth_pct", "collaboration_hours", 6)
    finally:
        con.close()
    assert list(at.dataframe[0].value["n"]) == [row["n"] for row in expected]
    titles = " ".join(json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart"))
    assert "Measured collaboration (hours per person)" in titles


def test_the_data_page_maps_a_viva_files_organizations_and_imports_it(fixture_db):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90).run()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="data_kind").set_value("collaboration").run()
    data = (HEADER + "\nGrowth,5,Platforms,2026-02-01,10,2,4\nPlatforms,4,Growth,2026-02-01,6,1,2\n").encode()
    at.file_uploader(key="data_upload").set_value(("g2g.csv", data, "text/csv")).run()
    assert not at.exception, at.exception
    assert at.button(key="data_import").disabled
    at.selectbox(key="data_org_0_Growth").set_value("marketing").run()
    at.text_input(key="data_org_unit_0_Growth").set_value("Alpha").run()
    at.selectbox(key="data_org_1_Platforms").set_value("it").run()
    at.text_input(key="data_org_unit_1_Platforms").set_value("Alpha").run()
    assert not at.exception, at.exception
    at.button(key="data_import").click().run()
    assert "Imported 2 rows from g2g.csv" in at.success[0].value
    con = store.connect(fixture_db)
    try:
        assert stored(con, "SELECT from_side, hours, people FROM collaboration WHERE business_unit = 'Alpha' "
                           "AND month = '2026-02' ORDER BY from_side") == [("it", 6.0, 4), ("marketing", 10.0, 5)]
    finally:
        con.close()


def test_the_sample_viva_export_reads_into_the_sample_native_file(empty_con):
    """sample_data/viva_group_to_group.csv (the Data page's example) through the reader gives exactly the rows of
    sample_data/collaboration.csv (what the sample store loads): one world, two layouts."""
    report = ingest.import_file(empty_con, "collaboration", store.SAMPLE_DIR / "viva_group_to_group.csv", user="tests")
    assert report.layout == "viva" and report.rows_read == report.rows_imported == 288 and not report.problems
    native = pd.read_csv(store.SAMPLE_DIR / "collaboration.csv")
    stored_rows = pd.DataFrame(stored(empty_con, f"SELECT {COLUMNS} FROM collaboration"), columns=native.columns)
    key = ["business_unit", "month", "from_side"]
    pd.testing.assert_frame_equal(stored_rows.sort_values(key).reset_index(drop=True),
                                  native.sort_values(key).reset_index(drop=True), check_dtype=False)
    # every organization was taken by its name ("Marketing - Retail", "IT - Retail"), and the report says so
    assert sum("taken as" in note for note in report.notes) == 12
