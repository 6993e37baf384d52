"""Joint-project figures on a small hand-made register, worked out by hand, and the Joint projects page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from metrics import ingest, projects, store
from metrics.charts import projects as charts
from tests.conftest import chart_spec

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-03"   # the trailing 12 months: deliveries from 1 Apr 2025 to 31 Mar 2026

# P1 delivered early and successfully, scaled by P2 (active); P3 late and partial; P4 delivered before the
# window; P5 delivered on its planned end day, scaled only after March (P7, planned); P6 cancelled; P8 is
# active but starts after March.
PROJECTS = ("project_id,business_unit,name,lead_function,stage,parent_project_id,start_date,planned_end,actual_end,"
            "budget,spend,status,outcome,roi_pct\n") + """P1,North,Pilot A,joint,pilot,,2025-01-01,2025-06-30,2025-06-15,100,110,delivered,success,20
P2,North,Scale A,it,scale,P1,2025-08-01,2026-06-30,,400,150,active,,
P3,North,Pilot B,marketing,pilot,,2025-09-01,2026-01-31,2026-02-20,200,180,delivered,partial,5
P4,South,Pilot C,joint,pilot,,2025-02-01,2025-05-31,2025-03-31,50,50,delivered,failed,-10
P5,South,Pilot D,it,pilot,,2025-10-01,2026-03-31,2026-03-31,80,100,delivered,success,30
P6,South,Pilot E,marketing,pilot,,2025-11-01,2026-02-28,,60,10,cancelled,,
P7,South,Scale D,joint,scale,P5,2026-05-01,2026-12-31,,300,0,planned,,
P8,North,Pilot F,joint,pilot,,2026-04-15,2026-09-30,,90,0,active,,
"""
# Started projects bring their months to the month filter; the KPI rows make March a month with other data.
KPIS = """business_unit,month,kpi,value
North,2026-03,margin_growth_pct,4
South,2026-03,margin_growth_pct,6
"""


def load_projects(con, directory: Path) -> None:
    for kind, name, text in (("projects", "joint_projects.csv", PROJECTS), ("kpis", "kpis.csv", KPIS)):
        (directory / name).write_text(text, encoding="utf-8")
        ingest.import_file(con, kind, directory / name, user="tests")


@pytest.fixture
def pcon(tmp_path):
    connection = store.connect(":memory:")
    load_projects(connection, tmp_path)
    yield connection
    connection.close()


def test_portfolio_lists_every_project_with_parent_and_variance(pcon):
    portfolio = projects.portfolio(pcon).set_index("project_id")
    assert list(portfolio.index) == ["P1", "P2", "P3", "P8", "P4", "P5", "P6", "P7"]   # by unit, then start
    assert portfolio.loc["P2", "parent_pilot"] == "Pilot A (P1)"
    assert portfolio.loc["P7", "parent_pilot"] == "Pilot D (P5)"
    # (spend - budget) / budget x 100, delivered projects only.
    assert portfolio.loc["P1", "budget_variance_pct"] == pytest.approx(10.0)
    assert portfolio.loc["P3", "budget_variance_pct"] == pytest.approx(-10.0)
    assert portfolio.loc["P4", "budget_variance_pct"] == pytest.approx(0.0)
    assert portfolio.loc["P5", "budget_variance_pct"] == pytest.approx(25.0)
    assert portfolio.loc[["P2", "P6", "P7", "P8"], "budget_variance_pct"].isna().all()
    assert list(projects.portfolio(pcon, "South")["project_id"]) == ["P4", "P5", "P6", "P7"]


def test_delivery_rates_over_the_trailing_12_months(pcon):
    rates = projects.delivery_rates(pcon, MONTH).set_index("unit")
    assert list(rates.index) == ["Company", "North", "South"]
    # Delivered 1 Apr 2025 - 31 Mar 2026: P1 (on time, success), P3 (late, partial), P5 (on its day, success).
    company = rates.loc["Company"]
    assert company["project_on_time_rate"] == pytest.approx(200 / 3) and company["project_on_time_rate_n"] == 3
    assert company["project_success_rate"] == pytest.approx(200 / 3)
    # Successful pilots P1 (scaled by P2 in August 2025) and P5 (its scale-up starts in May): 1 of 2.
    assert company["pilot_to_scale_rate"] == pytest.approx(50.0) and company["pilot_to_scale_rate_n"] == 2
    assert company["project_mean_roi"] == pytest.approx((20 + 5 + 30) / 3)
    assert company["project_budget_variance"] == pytest.approx(100 * (390 - 380) / 380)
    north, south = rates.loc["North"], rates.loc["South"]
    assert (north["project_on_time_rate"], north["project_on_time_rate_n"]) == (pytest.approx(50.0), 2)
    assert north["pilot_to_scale_rate"] == pytest.approx(100.0)
    assert north["project_budget_variance"] == pytest.approx(100 * (290 - 300) / 300)
    assert (south["project_on_time_rate"], south["project_on_time_rate_n"]) == (pytest.approx(100.0), 1)
    assert south["pilot_to_scale_rate"] == pytest.approx(0.0)
    assert south["project_budget_variance"] == pytest.approx(25.0)
    assert list(projects.delivery_rates(pcon, MONTH, "South")["unit"]) == ["Company", "South"]


def test_delivery_rates_with_nothing_delivered(pcon):
    rates = projects.delivery_rates(pcon, "2025-01").set_index("unit")
    assert rates["project_on_time_rate"].isna().all()
    assert (rates["project_on_time_rate_n"] == 0).all()


def test_timeline_spans_as_of_the_month_end(pcon):
    timeline = projects.timeline(pcon, MONTH)
    assert list(timeline["project_id"]) == ["P1", "P2", "P3", "P8", "P4", "P5", "P6", "P7"]
    rows = timeline.set_index("project_id")
    day = pd.Timestamp
    assert rows.loc["P1", "actual_to"] == day("2025-06-15")
    assert rows.loc["P2", "actual_to"] == day("2026-03-31") and bool(rows.loc["P2", "ongoing"])
    assert rows.loc["P5", "actual_to"] == day("2026-03-31") and not rows.loc["P5", "ongoing"]
    # Not started by the month's end, cancelled, or planned: no actual span.
    assert rows.loc[["P6", "P7", "P8"], "actual_to"].isna().all()
    assert rows["category"].to_dict() == {"P1": "success", "P2": "active", "P3": "partial", "P8": "active",
                                          "P4": "failed", "P5": "success", "P6": "cancelled", "P7": "planned"}
    assert rows.loc["P3", "planned_end"] == day("2026-01-31")


def test_budget_variance_of_projects_delivered_in_the_window(pcon):
    variance = projects.budget_variance(pcon, MONTH)
    # P4 was delivered in March 2025, before the window; the rest sorted by overrun.
    assert list(variance["project_id"]) == ["P5", "P1", "P3"]
    assert variance["budget_variance_pct"].tolist() == pytest.approx([25.0, 10.0, -10.0])
    assert list(projects.budget_variance(pcon, MONTH, "North")["project_id"]) == ["P1", "P3"]
    assert projects.budget_variance(pcon, "2025-01").empty


def test_charts_show_the_numbers(pcon):
    rates = charts.delivery_rates_chart(projects.delivery_rates(pcon, MONTH), MONTH)
    assert "Apr 2025 – Mar 2026" in rates.layout.title.text
    on_time = rates.data[0]
    assert on_time.name == "On time" and list(on_time.text) == ["67% (n=3)", "50% (n=2)", "100% (n=1)"]

    timeline = charts.timeline_chart(projects.timeline(pcon, MONTH), MONTH)
    assert "as of Mar 2026" in timeline.layout.title.text
    planned = timeline.data[0]
    assert planned.name == "Planned span" and len(planned.x) == 3 * 8
    success = next(t for t in timeline.data if t.name == "Delivered: success")
    assert list(success.y) == ["North · Pilot A (P1)"] * 2 + [None] + ["South · Pilot D (P5)"] * 2 + [None]
    assert list(timeline.layout.yaxis.categoryarray)[-1] == "North · Pilot A (P1)"   # first row at the top

    variance = charts.budget_variance_chart(projects.budget_variance(pcon, MONTH), MONTH)
    assert list(variance.data[0].text) == ["+25.0%", "+10.0%", "-10.0%"]
    assert "delivered Apr 2025 – Mar 2026" in variance.layout.title.text


def test_charts_on_empty_data_say_so(pcon):
    assert "No joint project was delivered" in charts.budget_variance_chart(
        projects.budget_variance(pcon, "2025-01"), "2025-01").layout.annotations[0].text
    assert "No joint project was delivered" in charts.delivery_rates_chart(
        projects.delivery_rates(pcon, "2025-01"), "2025-01").layout.annotations[0].text
    empty_timeline = projects.timeline(pcon, MONTH).iloc[0:0]
    assert "No joint projects" in charts.timeline_chart(empty_timeline, MONTH).layout.annotations[0].text


# ----------------------------------------------------------------------------------------------------------
# The page


@pytest.fixture
def projects_db(tmp_path, monkeypatch):
    path = tmp_path / "projects.duckdb"
    con = store.connect(path)
    load_projects(con, tmp_path)
    con.close()
    monkeypatch.setenv("COLLAB_DB", str(path))
    return path


def open_projects(unit: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["month"] = MONTH   # P8 started in April, so April is the newest month the store holds
    if unit:
        at.session_state["business_unit"] = unit
    at.run()
    at.switch_page("pages/projects.py").run()
    assert not at.exception, at.exception
    return at


def test_projects_page_shows_the_numbers(projects_db):
    at = open_projects()
    assert at.title[0].value == "Joint projects · March 2026"
    tiles = {m.label: m.value for m in at.metric}
    assert tiles == {"On time": "66.7%", "Project success": "66.7%", "Pilot to scale": "50.0%",
                     "Mean ROI": "18.3%", "Budget variance": "2.6%"}
    captions = [c.value for c in at.caption]
    assert "n = 3 · target 70%" in captions and "n = 2 · target 50%" in captions

    rates = at.dataframe[0].value.set_index("unit")
    assert rates.loc["North", "project_success_rate"] == pytest.approx(50.0)
    assert rates.loc["South", "pilot_to_scale_rate_n"] == 1

    portfolio = at.dataframe[1].value
    assert len(portfolio) == 8
    assert portfolio.set_index("name").loc["Pilot D", "budget_variance_pct"] == pytest.approx(25.0)

    delivery, timeline, variance = (chart_spec(c) for c in at.get("plotly_chart"))
    assert delivery["data"][0]["y"] == ["Company", "North", "South"]
    assert variance["data"][0]["x"] == pytest.approx([25.0, 10.0, -10.0])
    assert len(timeline["data"][0]["x"]) == 3 * 8


def test_projects_page_follows_the_unit_filter(projects_db):
    at = open_projects("North")
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["On time"] == "50.0%" and tiles["Pilot to scale"] == "100.0%"
    assert list(at.dataframe[0].value["unit"]) == ["Company", "North"]
    assert list(at.dataframe[1].value["name"]) == ["Pilot A", "Scale A", "Pilot B", "Pilot F"]
    assert chart_spec(at.get("plotly_chart")[2])["data"][0]["x"] == pytest.approx([10.0, -10.0])


def test_projects_page_on_an_empty_store(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    store.connect(path).close()
    monkeypatch.setenv("COLLAB_DB", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/projects.py").run()
    assert not at.exception
    assert at.title[0].value == "Joint projects"
    assert "No data yet" in at.info[0].value


# ----------------------------------------------------------------------------------------------------------
# The sample data set


def test_sample_month_has_every_figure():
    con = store.connect(":memory:")
    ingest.load_sample(con)
    month = "2026-10"
    assert len(projects.portfolio(con)) == 46
    rates = projects.delivery_rates(con, month)
    assert rates[["project_on_time_rate", "project_success_rate", "pilot_to_scale_rate"]].notna().all().all()
    timeline = projects.timeline(con, month)
    assert timeline["ongoing"].any() and timeline["actual_to"].notna().sum() > 20
    variance = projects.budget_variance(con, month)
    assert len(variance) == rates.set_index("unit").loc["Company", "project_on_time_rate_n"]
    con.close()


def test_projects_page_without_a_register(tmp_path, monkeypatch):
    """A store with other data but no projects: tiles show –, n = 0, and every chart says why it is empty."""
    path = tmp_path / "kpis_only.duckdb"
    con = store.connect(path)
    (tmp_path / "kpis.csv").write_text(KPIS)
    ingest.import_file(con, "kpis", tmp_path / "kpis.csv", user="tests")
    con.close()
    monkeypatch.setenv("COLLAB_DB", str(path))
    at = open_projects()
    assert {m.value for m in at.metric} == {"–"}
    assert "n = 0 · target 70%" in [c.value for c in at.caption]
    assert "The joint-project register is empty." in [i.value for i in at.info]
    messages = [chart_spec(c)["layout"]["annotations"][0]["text"] for c in at.get("plotly_chart")]
    assert messages == ["No joint project was delivered in these 12 months", "No joint projects in the register",
                        "No joint project was delivered in these 12 months"]
