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


# ----------------------------------------------------------------------------------------------------------
# The meeting query, imported as meetings (metrics.ingest.viva_meetings): the subject rules and the organizations'
# mapping choose the marketing-IT meetings among all the company's; the rest are counted in the notes.

MT_HEADER = ("MeetingId,Subject,Cancelled,Recurring,Accept count,Intended participant count,Collaboration start time,"
             "Organizer,Organization,TimeZone")
# Subjects with a person's name in them: none of it may reach the store.
MT_SUBJECTS = ("Marketing–IT steering with Jane Doe", "Steering committee Q2 (Jane Doe)",
               "Marketing & IT brainstorm: loyalty app", "Steering: people plan for Bob Roe", "Focus time",
               "Joint steering, Growth Lab")
MT_ROWS = [
    f"AAMkAGI2-1,{MT_SUBJECTS[0]},FALSE,FALSE,6,8,2026-03-05 14:30,org-hash-1,Marketing - North,Europe/Berlin",
    f"AAMkAGI2-2,{MT_SUBJECTS[1]},TRUE,FALSE,0,7,2026-04-02 09:00,org-hash-2,Marketing - North,Europe/Berlin",
    f"AAMkAGI2-3,{MT_SUBJECTS[2]},FALSE,FALSE,5,6,2026-03-19 10:00,org-hash-3,IT - North,Europe/Berlin",
    f"AAMkAGI2-4,{MT_SUBJECTS[3]},FALSE,FALSE,4,4,2026-03-12 11:00,org-hash-4,HR,Europe/Berlin",
    f"AAMkAGI2-5,{MT_SUBJECTS[4]},FALSE,FALSE,1,1,2026-03-06 08:00,org-hash-1,Marketing - North,Europe/Berlin",
    f"AAMkAGI2-6,\"{MT_SUBJECTS[5]}\",FALSE,FALSE,3,5,2026-03-26 15:00,org-hash-6,Growth Lab,Europe/Berlin",
]


def viva_id(meeting_id: str, day: str = "") -> str:
    """The id a meeting query's row gets, worked out here from its MeetingId (and a recurring meeting's date)."""
    import hashlib

    return "VIVA-" + hashlib.sha256(meeting_id.encode()).hexdigest()[:16] + (f"-{day}" if day else "")


HAND_MEETINGS = [   # the three marketing-IT meetings of MT_ROWS, by the default rules and HR mapped to other
    (viva_id("AAMkAGI2-1"), "North", "2026-03-05", "joint_steering", "held"),
    (viva_id("AAMkAGI2-2"), "North", "2026-04-02", "joint_steering", "cancelled"),
    (viva_id("AAMkAGI2-3"), "North", "2026-03-19", "brainstorm", "held"),
]
MEETINGS = "SELECT meeting_id, business_unit, strftime(date, '%Y-%m-%d'), meeting_type, status FROM meetings"


def test_a_meeting_query_gives_exactly_its_marketing_it_meetings(empty_con, tmp_path):
    path = write(tmp_path, "meetings_query.csv", MT_HEADER, *MT_ROWS)
    report = ingest.import_file(empty_con, "meetings", path, mapping={"HR": "other"}, user="tests")
    assert stored(empty_con, MEETINGS + " ORDER BY meeting_id") == sorted(HAND_MEETINGS)
    assert (report.layout, report.rows_read, report.rows_valid, report.rows_imported) == ("viva_meetings", 3, 3, 3)
    assert stored(empty_con, "SELECT count(*) FROM attendance") == [(0,)]
    assert stored(empty_con, "SELECT kind, layout, rows_read, rows_imported FROM imports") == [
        ("meetings", "viva_meetings", 3, 3)]
    notes = "\n".join(report.notes)
    assert "Viva Insights meeting query: 3 meetings of 6 rows are marketing-IT meetings" in notes
    assert "1 meeting matched no subject rule: not a marketing-IT meeting by the rules, left out" in notes   # focus
    assert "1 meeting organized outside marketing and IT, left out (not stored): row 5." in notes          # HR
    assert "organization 'Growth Lab' is not mapped: its 1 meeting (row 7) are not stored" in notes
    assert "'Marketing - North' taken as marketing in North by its name" in notes
    assert "No attendance is written" in notes and "11 acceptances of 21 intended participants" in notes
    assert "Subject (read for the subject rules only, never stored)" in report.dropped_columns
    assert "Organizer (personal data, never stored)" in report.dropped_columns
    # the mapping given is remembered for every later Viva file, the group-to-group query's included
    assert json.loads(stored(empty_con, "SELECT mapping FROM saved_mappings WHERE layout = 'viva_organizations'")
                      [0][0]) == {"HR": "other"}


def test_a_meeting_querys_subjects_and_organizers_are_nowhere_in_the_store(empty_con, tmp_path):
    path = write(tmp_path, "meetings_query.csv", MT_HEADER, *MT_ROWS)
    ingest.import_file(empty_con, "meetings", path, mapping={"HR": "other", "Growth Lab": "it@North"}, user="tests")
    assert len(stored(empty_con, "SELECT * FROM meetings")) == 4   # Growth Lab's steering too, now it is mapped
    columns = stored(empty_con, "SELECT table_name, column_name FROM duckdb_columns() WHERE data_type = 'VARCHAR' "
                                "AND schema_name = 'main' AND NOT internal")
    assert len(columns) > 40
    secrets = [*MT_SUBJECTS, "Jane Doe", "Bob Roe", "loyalty app", "people plan", "org-hash-", "AAMkAGI2"]
    found = []
    for table, column in columns:
        for secret in secrets:
            hits = stored(empty_con, f'SELECT count(*) FROM "{table}" WHERE contains("{column}", $s)', {"s": secret})
            if hits[0][0]:
                found.append((table, column, secret))
    assert found == []


def test_the_same_meeting_query_twice_changes_nothing_and_undo_removes_it(empty_con, tmp_path):
    path = write(tmp_path, "meetings_query.csv", MT_HEADER, *MT_ROWS)
    first = ingest.import_file(empty_con, "meetings", path, mapping={"HR": "other"}, user="tests")

    def everything():
        tables = [t for (t,) in stored(empty_con, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")]
        return {t: sorted(map(repr, stored(empty_con, f'SELECT * EXCLUDE (saved_at) FROM "{t}"' if t == "saved_mappings"
                                           else f'SELECT * FROM "{t}"'))) for t in tables}

    before = everything()
    again = ingest.import_file(empty_con, "meetings", path, mapping={"HR": "other"}, user="tests")
    assert again.import_id is None and again.rows_unchanged == 3 and again.rows_imported == 0
    assert everything() == before
    # a later export of the same meetings, in another order, with one more: the same ids, one new row
    later = write(tmp_path, "later.csv", MT_HEADER, *reversed(MT_ROWS),
                  "AAMkAGI2-7,IT and marketing working session,FALSE,FALSE,2,2,2026-05-07 10:00,x,IT - North,UTC")
    report = ingest.import_file(empty_con, "meetings", later, user="tests")
    assert (report.rows_imported, report.rows_unchanged) == (1, 3)
    assert stored(empty_con, MEETINGS + " WHERE import_id = $id", {"id": report.import_id}) == [
        (viva_id("AAMkAGI2-7"), "North", "2026-05-07", "co_department", "held")]
    assert ingest.undo(empty_con, first.import_id) == {"meetings": 3}
    assert stored(empty_con, MEETINGS) == [(viva_id("AAMkAGI2-7"), "North", "2026-05-07", "co_department", "held")]


def test_the_real_meeting_query_imports_what_a_rule_and_a_mapping_choose(empty_con):
    path = REAL / "mt_data_first_10_rows.csv"
    # Its ten rows are all "Focus time": no default rule matches, so nothing is a marketing-IT meeting.
    with pytest.raises(ingest.ImportRefused) as refused:
        ingest.import_file(empty_con, "meetings", path, user="tests")
    assert "no row is a marketing-IT meeting" in str(refused.value)
    assert "Focus time" not in str(refused.value)
    prepared = ingest.prepare_import(empty_con, "meetings", path.read_bytes(), path.name)
    assert "10 meetings matched no subject rule" in "\n".join(prepared.notes)
    # A rule for its subject and Biz Dev mapped to marketing: its dates (05/12/2022 16:30) are day-first, as its
    # HireDate (20/04/2015) shows, but the column alone cannot settle it.
    options = dict(rules={"Focus time": "brainstorm"}, mapping={"Biz Dev": "marketing@Contoso"})
    with pytest.raises(ingest.ImportRefused) as refused:
        ingest.import_file(empty_con, "meetings", path, user="tests", **options)
    assert "could be day-first or month-first" in str(refused.value)
    assert stored(empty_con, "SELECT count(*) FROM meetings") == [(0,)]
    report = ingest.import_file(empty_con, "meetings", path, date_order="dmy", user="tests", **options)
    source = pd.read_csv(path, dtype=str)
    biz_dev = source.loc[source["Organization"] == "Biz Dev", "MeetingId"].tolist()
    assert len(biz_dev) == 2
    assert stored(empty_con, MEETINGS + " ORDER BY date") == [
        (viva_id(biz_dev[0]), "Contoso", "2022-12-05", "brainstorm", "held"),
        (viva_id(biz_dev[1]), "Contoso", "2022-12-06", "brainstorm", "held")]
    assert (report.rows_read, report.rows_valid, report.rows_imported) == (2, 2, 2) and not report.problems
    notes = "\n".join(report.notes)
    for organization, rows in (("Finance-West", "rows 2, 7"), ("Human Resources", "rows 4, 10"),
                               ("Finance-Corporate", "rows 5, 11"), ("Facilities", "rows 6, 9")):
        assert f"organization {organization!r} is not mapped: its 2 meetings ({rows}) are not stored" in notes
    assert "2 acceptances of 2 intended participants" in notes
    assert {"Organizer (personal data, never stored)", "zId (personal data, never stored)",
            "ADO_PersonSK (personal data, never stored)"} <= set(report.dropped_columns)
    # the rule is remembered as a calendar's are: the next export needs no --rule
    assert json.loads(stored(empty_con, "SELECT mapping FROM saved_mappings WHERE layout = 'calendar_rules'")[0][0]) \
        == {"Focus time": "brainstorm"}


def test_a_meeting_query_under_collaboration_says_to_import_it_as_meetings(empty_con):
    path = REAL / "mt_data_first_10_rows.csv"
    with pytest.raises(ingest.ImportRefused) as refused:
        ingest.import_file(empty_con, "collaboration", path, user="tests")
    assert refused.value.problems == [
        "file: this is a Viva Insights meeting query (one row a meeting), not measured collaboration: import it as "
        "meetings instead (python -m metrics import meetings FILE; on the Data page, choose Meetings)"]


def test_a_meeting_querys_bad_rows_are_refused_only_where_they_matter(empty_con, tmp_path):
    path = write(tmp_path, "meetings_query.csv", MT_HEADER, MT_ROWS[0],
                 "AAMkAGI2-8,IT & marketing steering,maybe,FALSE,1,1,2026-03-10 10:00,h,IT - North,UTC",
                 "AAMkAGI2-9,Marketing–IT steering,FALSE,FALSE,1,1,sometime,h,IT - North,UTC",
                 "AAMkAGI2-10,Focus time,perhaps,FALSE,1,1,whenever,h,Finance,UTC")   # left out: not read further
    with pytest.raises(ingest.ImportRefused) as refused:
        ingest.import_file(empty_con, "meetings", path, user="tests")
    text = "\n".join(refused.value.problems)
    assert "row 3, column 'Cancelled', value 'maybe': must be TRUE or FALSE" in text
    assert "row 4, column 'Collaboration start time', value 'sometime': not a date" in text
    assert "row 5" not in text
    assert stored(empty_con, "SELECT count(*) FROM meetings") == [(0,)]
    assert stored(empty_con, "SELECT count(*) FROM imports") == [(0,)]
    report = ingest.import_file(empty_con, "meetings", path, skip_invalid=True, user="tests")
    assert (report.rows_read, report.rows_valid, report.rows_imported, report.rows_skipped) == (3, 1, 1, 2)
    assert stored(empty_con, MEETINGS) == [HAND_MEETINGS[0]]


def test_a_recurring_meetings_occurrences_are_told_apart_by_their_date(empty_con, tmp_path):
    path = write(tmp_path, "meetings_query.csv", MT_HEADER,
                 "AAMkSERIES,Marketing–IT steering,FALSE,TRUE,5,6,2026-03-02 10:00,h,Marketing - North,UTC",
                 "AAMkSERIES,Marketing–IT steering,TRUE,TRUE,0,6,2026-03-09 10:00,h,Marketing - North,UTC")
    ingest.import_file(empty_con, "meetings", path, user="tests")
    assert stored(empty_con, MEETINGS + " ORDER BY date") == [
        (viva_id("AAMkSERIES", "20260302"), "North", "2026-03-02", "joint_steering", "held"),
        (viva_id("AAMkSERIES", "20260309"), "North", "2026-03-09", "joint_steering", "cancelled")]


def test_the_command_line_imports_a_meeting_query(fixture_db):
    result = subprocess.run([sys.executable, "-m", "metrics", "import", "meetings",
                             str(REAL / "mt_data_first_10_rows.csv"), "--db", str(fixture_db), "--date-order", "dmy",
                             "--rule", "Focus time=brainstorm", "--map", "Facilities=it@Alpha"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "layout viva_meetings; 2 rows read, 2 valid; imported 2" in result.stdout
    assert "organization 'Biz Dev' is not mapped: its 2 meetings (rows 3, 8) are not stored" in result.stdout
    assert "Focus time" not in result.stdout + result.stderr   # the subject is never shown
    con = store.connect(fixture_db)
    try:
        assert stored(con, "SELECT business_unit, strftime(date, '%Y-%m-%d'), meeting_type FROM meetings "
                           "WHERE meeting_id LIKE 'VIVA-%' ORDER BY date") == [
            ("Alpha", "2022-12-05", "brainstorm"), ("Alpha", "2022-12-06", "brainstorm")]
    finally:
        con.close()


def test_the_data_page_maps_a_meeting_querys_organizations_and_imports_it(fixture_db):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90).run()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="data_kind").set_value("meetings").run()
    data = ("\n".join([MT_HEADER, *MT_ROWS]) + "\n").encode()
    at.file_uploader(key="data_upload").set_value(("meetings_query.csv", data, "text/csv")).run()
    assert not at.exception, at.exception
    # the organizations of the meetings the subject rules matched, and only those (not the focus time's alone)
    labels = [s.label for s in at.selectbox if s.key and s.key.startswith("data_org_")]
    assert labels == ["Growth Lab", "HR", "IT - North", "Marketing - North"]
    assert at.button(key="data_import").label == "Import 3 rows"
    at.selectbox(key="data_org_0_Growth Lab").set_value("marketing").run()
    at.text_input(key="data_org_unit_0_Growth Lab").set_value("Alpha").run()
    assert not at.exception, at.exception
    assert at.button(key="data_import").label == "Import 4 rows"
    at.button(key="data_import").click().run()
    assert "Imported 4 rows from meetings_query.csv" in at.success[0].value
    con = store.connect(fixture_db)
    try:
        assert stored(con, MEETINGS + " WHERE meeting_id LIKE 'VIVA-%' ORDER BY meeting_id") == sorted(
            [*HAND_MEETINGS, (viva_id("AAMkAGI2-6"), "Alpha", "2026-03-26", "joint_steering", "held")])
    finally:
        con.close()


def test_the_data_page_takes_subject_rules_for_a_meeting_query(fixture_db):
    """The page's subject-rules table serves a meeting query as it serves a calendar: a rule the analyst adds there
    brings the meetings it matches (the focus time, organized by marketing) into the import, and is remembered."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90).run()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="data_kind").set_value("meetings").run()
    data = ("\n".join([MT_HEADER, *MT_ROWS]) + "\n").encode()
    at.file_uploader(key="data_upload").set_value(("meetings_query.csv", data, "text/csv")).run()
    assert not at.exception, at.exception
    assert at.button(key="data_import").label == "Import 3 rows"
    at.session_state["data_viva_rules"] = {"edited_rows": {}, "deleted_rows": [],
                                           "added_rows": [{"pattern": "focus time", "meeting_type": "co_department"}]}
    at.run()
    assert not at.exception, at.exception
    assert at.button(key="data_import").label == "Import 4 rows"
    at.button(key="data_import").click().run()
    assert "Imported 4 rows from meetings_query.csv" in at.success[0].value
    con = store.connect(fixture_db)
    try:
        assert stored(con, MEETINGS + " WHERE meeting_id = $id", {"id": viva_id("AAMkAGI2-5")}) == [
            (viva_id("AAMkAGI2-5"), "North", "2026-03-06", "co_department", "held")]
        assert ingest.calendar.saved_rules(con) == {"focus time": "co_department"}
    finally:
        con.close()
