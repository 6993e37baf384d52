"""Project trackers' exports (issue 19): Jira and Asana CSV files read into joint projects, with the numbers worked
out by hand from the files. The files under tests/fixtures/trackers/ are made the way the tools make them (Jira's
repeated Labels, Sprint, Watchers and link columns, its 12/Mar/26 3:45 PM dates; Asana's columns and custom fields
as their own columns) and one is a public demo export (see the folder's README)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from metrics import ingest, store
from metrics.ingest import trackers

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "trackers"
PEOPLE = ("Ana Ruiz", "Bo Chen", "Cy Diaz", "Lan Pham", "Raj Iyer", "example.com", "712020:", "john.doe")


@pytest.fixture
def con(tmp_path):
    con = store.connect(tmp_path / "trackers.duckdb")
    yield con
    con.close()


def stored(con) -> pd.DataFrame:
    frame = con.cursor().execute("SELECT * EXCLUDE (import_id) FROM joint_projects ORDER BY project_id").df()
    return frame.set_index("project_id")


def every_text_cell(con) -> str:
    """Every text value of every table, one string: personal data must be in none of them."""
    cur = con.cursor()
    found = []
    for (table,) in cur.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall():
        for (column, kind, *_) in cur.execute(f'DESCRIBE "{table}"').fetchall():
            if kind == "VARCHAR":
                found += [str(v) for (v,) in cur.execute(f'SELECT "{column}" FROM "{table}"').fetchall()]
    return "\n".join(found)


def jira(*rows: str, header: str = "Summary,Issue key,Issue id,Status,Created,Due date,Resolved,Labels,Labels,"
                                   "Custom field (Budget),Custom field (Business Unit)") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_a_jira_cloud_export_becomes_four_projects_with_the_pilot_linked_and_no_one_named(con):
    path = FIXTURES / "jira_cloud_export.csv"
    report = ingest.import_file(con, "projects", path, user="tests")
    assert (report.layout, report.rows_read, report.rows_imported) == ("jira", 4, 4)
    got = stored(con)
    # MIT-1: Done, resolution Done; start from the custom field 16/Mar/26 (not Created 12/Mar/26), due 30/Jun/26,
    # resolved 30/Jun/26 5:10 PM; labels 'pilot' and 'outcome:success'; budget 120000.0.
    one = got.loc["MIT-1"]
    assert (one.status, one.stage, one.outcome, one.lead_function, one.business_unit) == (
        "delivered", "pilot", "success", "joint", "Retail")
    assert (str(one.start_date.date()), str(one.planned_end.date()), str(one.actual_end.date())) == (
        "2026-03-16", "2026-06-30", "2026-06-30")
    assert one.budget == 120_000
    # MIT-2: its Parent is issue id 10001, MIT-1's; "450,000" with a thousands separator; In Progress.
    two = got.loc["MIT-2"]
    assert (two.parent_project_id, two.stage, two.status, two.budget) == ("MIT-1", "scale", "active", 450_000)
    assert pd.isna(two.actual_end) and str(two.planned_end.date()) == "2027-01-31"
    # MIT-3: To Do; MIT-4: status Done but resolution Won't Do, so cancelled (the resolution's rule comes first).
    assert (got.loc["MIT-3"].status, got.loc["MIT-3"].lead_function) == ("planned", "it")
    assert got.loc["MIT-4"].status == "cancelled"
    assert got["parent_project_id"].notna().sum() == 1
    # People: every column naming one is listed as dropped, and no name, address or account id is stored.
    for column in ("Assignee", "Assignee Id", "Reporter", "Reporter Id", "Creator", "Creator Id", "Watchers (×2)",
                   "Watchers Id (×2)", "Comment (×2)"):
        assert column in report.dropped_columns
    assert "Sprint (×2)" in report.dropped_columns and "Outward issue link (Relates) (×2)" in report.dropped_columns
    text = every_text_cell(con)
    for person in PEOPLE:
        assert person not in text, person
    logged = con.cursor().execute("SELECT dropped_columns FROM imports").fetchall()[0][0]
    assert "Assignee" in logged and "Reporter" in logged


def test_the_leads_example_three_issues_one_linked_to_its_pilot_by_an_outward_link(con):
    data = jira("Pilot,CX-1,1,Done,12/Mar/26 3:45 PM,30/Jun/26,01/Jul/26 9:00 AM,pilot,joint,1000,Retail,",
                "Scale,CX-2,2,In Progress,02/Jul/26 10:00 AM,31/Dec/26,,scale,joint,5000,Retail,CX-1",
                "Other,CX-3,3,To Do,03/Jul/26 11:00 AM,30/Sep/26,,pilot,it,700,Online,",
                header="Summary,Issue key,Issue id,Status,Created,Due date,Resolved,Labels,Labels,"
                       "Custom field (Budget),Custom field (Business Unit),Outward issue link (Parent)")
    prepared = ingest.prepare_import(con, "projects", data, "jira.csv")
    assert not prepared.blocking and not prepared.report.problems
    frame = prepared.frame.set_index("project_id")
    assert frame.loc["CX-2", "parent_project_id"] == "CX-1"
    assert frame["parent_project_id"].isna().sum() == 2
    assert frame.loc["CX-1", "start_date"] == "2026-03-12"          # 12/Mar/26 3:45 PM
    assert frame.loc["CX-1", "actual_end"] == "2026-07-01"
    assert list(frame["status"]) == ["delivered", "active", "planned"]
    assert "the pilot of a scale project is taken from 'Outward issue link (Parent)'" in prepared.notes


def test_a_status_no_rule_covers_is_reported_with_its_rows_then_a_rule_imports_it_and_is_remembered(con):
    data = jira("A,CX-1,1,To Do,12/Mar/26 3:45 PM,30/Jun/26,,pilot,joint,1000,Retail",
                "B,CX-2,2,In Review,12/Mar/26 3:45 PM,30/Jun/26,,pilot,joint,1000,Retail",
                "C,CX-3,3,Done,12/Mar/26 3:45 PM,30/Jun/26,29/Jun/26 1:00 PM,pilot,it,1000,Retail",
                "D,CX-4,4,In Review,12/Mar/26 3:45 PM,30/Jun/26,,pilot,it,1000,Retail")
    prepared = ingest.prepare_import(con, "projects", data, "jira.csv")
    problems = prepared.report.problems
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "Status", "In Review"), (5, "Status", "In Review")]
    assert "--map 'Status:In Review=active'" in problems[0].reason
    assert prepared.report.rows_valid == 2
    assert "Status:In Review" in set(prepared.rules["rule"])   # offered to the page with no target yet
    with pytest.raises(ingest.ImportRefused):
        ingest.commit_import(con, prepared, user="tests")
    assert con.execute("SELECT count(*) FROM joint_projects").fetchall() == [(0,)]
    # The analyst's rule: the file imports, and the rule is remembered for the tool.
    prepared = ingest.prepare_import(con, "projects", data, "jira.csv", mapping={"Status:In Review": "active"})
    assert not prepared.report.problems
    ingest.commit_import(con, prepared, user="tests")
    assert dict(con.execute("SELECT project_id, status FROM joint_projects").fetchall()) == {
        "CX-1": "planned", "CX-2": "active", "CX-3": "delivered", "CX-4": "active"}
    saved = ingest.importing.mapping_module.saved_mapping(con, "jira_rules", "rules")
    assert saved == {"Status:In Review": "active"}
    # The next file needs no rule: the remembered one applies, and the report says so.
    later = jira("E,CX-5,5,In Review,12/Mar/26 3:45 PM,30/Jun/26,,pilot,joint,1000,Retail")
    prepared = ingest.prepare_import(con, "projects", later, "jira2.csv")
    assert not prepared.report.problems and list(prepared.frame["status"]) == ["active"]
    rules = dict(zip(prepared.rules["rule"], zip(prepared.rules["target"], prepared.rules["how"])))
    assert rules["Status:In Review"] == ("active", "remembered")


def test_an_asana_export_parent_by_name_completed_tasks_delivered_and_emails_dropped(con):
    report = ingest.import_file(con, "projects", FIXTURES / "asana_export.csv", user="tests")
    assert (report.layout, report.rows_imported) == ("asana", 4)
    got = stored(con)
    pilot, scale = "1209876543210001", "1209876543210002"
    assert got.loc[scale, "parent_project_id"] == pilot       # 'Parent task' holds the pilot's name
    assert (got.loc[pilot, "status"], got.loc[pilot, "outcome"], str(got.loc[pilot, "actual_end"].date())) == (
        "delivered", "success", "2026-05-29")                  # Completed At 2026-05-29
    assert got.loc[scale, "status"] == "active" and got.loc["1209876543210003", "status"] == "planned"
    assert got.loc["1209876543210004", "status"] == "cancelled"
    assert got["budget"].sum() == 95_000 + 410_000 + 150_000 + 60_000
    assert {"Assignee", "Assignee Email"} <= set(report.dropped_columns)
    assert "example.com" not in every_text_cell(con) and "Lan Pham" not in every_text_cell(con)


def test_a_tracker_import_is_undone(con):
    report = ingest.import_file(con, "projects", FIXTURES / "jira_cloud_export.csv", user="tests")
    assert con.execute("SELECT count(*) FROM joint_projects").fetchall() == [(4,)]
    ingest.undo(con, report.import_id)
    assert con.execute("SELECT count(*) FROM joint_projects").fetchall() == [(0,)]


@pytest.mark.parametrize("mapping, says", [
    ({"Status:Done": "finished"}, "feeds status: choose one of planned, active, delivered, cancelled"),
    ({"Custom field (Budget)": "money"}, "'money' is not a field of joint projects"),
    ({"Assignee": "business_unit"}, "holds people's names or addresses, which are never stored"),
    ({"No such column": "budget"}, "names a column the file does not have"),
])
def test_a_rule_that_cannot_apply_is_refused_and_nothing_changes(con, mapping, says):
    with pytest.raises(ingest.ImportRefused) as refused:
        ingest.import_file(con, "projects", FIXTURES / "jira_cloud_export.csv", mapping=mapping, user="tests")
    assert says in "\n".join(refused.value.problems)
    assert con.execute("SELECT count(*) FROM joint_projects").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM saved_mappings").fetchall() == [(0,)]


def test_the_format_asked_for_must_be_the_files(con):
    prepared = ingest.prepare_import(con, "projects", (FIXTURES / "jira_cloud_export.csv").read_bytes(), "x.csv",
                                     layout="asana")
    assert "read as Asana's export as asked, but the header lacks name, section/column, task id" in \
        str(prepared.blocking[0])
    prepared = ingest.prepare_import(con, "kpis", b"a,b\n1,2\n", "x.csv", layout="jira")
    assert "'jira' is not one for kpis" in str(prepared.blocking[0])


def test_detection_is_by_header():
    assert trackers.detect(["Summary", "Issue key", "Issue id", "Status", "Labels", "Labels (2)"]) == "jira"
    assert trackers.detect(["Task ID", "Created At", "Name", "Section/Column", "Assignee"]) == "asana"
    assert trackers.detect(["project_id", "business_unit", "name", "status"]) is None


def test_the_sample_jira_export_gives_back_the_sample_projects(con):
    """sample_data/joint_projects_jira.csv is generated from the same world as joint_projects.csv: imported, it
    gives back every project, status, stage and pilot link, and the budgets, spend, outcomes and ROI."""
    report = ingest.import_file(con, "projects", store.SAMPLE_DIR / "joint_projects_jira.csv", user="tests")
    expected = pd.read_csv(store.SAMPLE_DIR / "joint_projects.csv", dtype=str, keep_default_na=False)
    assert report.rows_imported == len(expected) == 46
    got = stored(con)
    expected = expected.set_index("project_id")
    assert list(got.index) == list(expected.index)
    for column in ("business_unit", "name", "lead_function", "stage", "status"):
        assert list(got[column]) == list(expected[column]), column
    assert list(got["parent_project_id"].fillna("")) == list(expected["parent_project_id"])
    assert (expected["parent_project_id"] != "").sum() == got["parent_project_id"].notna().sum() > 0
    assert got["status"].value_counts().to_dict() == expected["status"].value_counts().to_dict()
    for column in ("start_date", "planned_end", "actual_end"):
        assert [("" if pd.isna(v) else str(v.date())) for v in got[column]] == list(expected[column]), column
    for column in ("budget", "spend", "roi_pct"):
        assert [("" if pd.isna(v) else float(v)) for v in got[column]] == \
            [("" if v == "" else float(v)) for v in expected[column]], column
    assert list(got["outcome"].fillna("")) == list(expected["outcome"])
    assert {"Assignee", "Reporter"} <= set(report.dropped_columns)


def test_the_command_line_imports_a_jira_export_with_a_rule(tmp_path):
    db = tmp_path / "cli.duckdb"
    store.connect(db).close()   # an empty store (the command would load the sample into a new one)
    data = jira("B,CX-2,2,In Review,12/Mar/26 3:45 PM,30/Jun/26,,pilot,joint,1000,Retail")
    path = tmp_path / "jira.csv"
    path.write_bytes(data)
    run = subprocess.run([sys.executable, "-m", "metrics", "import", "projects", str(path), "--db", str(db),
                          "--format", "jira", "--set", "lead_function=it"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1 and "no rule says what Status 'In Review' is" in run.stderr
    run = subprocess.run([sys.executable, "-m", "metrics", "import", "projects", str(path), "--db", str(db),
                          "--format", "jira", "--map", "Status:In Review=active"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "layout jira; 1 rows read, 1 valid; imported 1" in run.stdout
    assert "Status:In Review → active (asked)" in run.stdout
    con = store.connect(db)
    assert con.execute("SELECT project_id, status, stage FROM joint_projects").fetchall() == [
        ("CX-2", "active", "pilot")]
    con.close()


def test_the_committed_tool_examples_are_the_generators_output(tmp_path):
    from metrics.sample import DEFAULT_SEED, tool_exports, write_sample

    write_sample(tmp_path, seed=DEFAULT_SEED)
    for name in tool_exports.FILE_NAMES.values():
        assert (tmp_path / name).read_bytes() == (store.SAMPLE_DIR / name).read_bytes(), name
    header = (tmp_path / "joint_projects_jira.csv").read_text(encoding="utf-8").split("\n", 1)[0].split(",")
    assert header.count("Labels") == 2 and header.count("Sprint") == 2 and "Custom field (Budget)" in header
