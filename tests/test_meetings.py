"""Meetings figures on a small hand-made data set, worked out by hand, and the Meetings page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from metrics import ingest, meetings, store
from metrics.charts import meetings as charts
from tests.conftest import chart_spec

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-03"

# North holds its steering meeting March-July 2025 (a run of 5), cancels in August, has none Sep-Dec, then
# holds Jan-Apr 2026 (twice in February). South holds in December and February and only cancels in January
# and March (February has a cancelled one and a held one). East has only a brainstorm.
MEETINGS = """meeting_id,business_unit,date,meeting_type,status
N-2503,North,2025-03-12,joint_steering,held
N-2504,North,2025-04-09,joint_steering,held
N-2505,North,2025-05-14,joint_steering,held
N-2506,North,2025-06-11,joint_steering,held
N-2507,North,2025-07-09,joint_steering,held
N-2508,North,2025-08-13,joint_steering,cancelled
N-2601,North,2026-01-14,joint_steering,held
N-2602,North,2026-02-11,joint_steering,held
N-2602B,North,2026-02-25,joint_steering,held
N-2603,North,2026-03-10,joint_steering,held
N-2603B,North,2026-03-20,brainstorm,held
N-2604,North,2026-04-08,joint_steering,held
S-2512,South,2025-12-10,joint_steering,held
S-2601,South,2026-01-14,joint_steering,cancelled
S-2602A,South,2026-02-04,joint_steering,cancelled
S-2602,South,2026-02-12,joint_steering,held
S-2603,South,2026-03-11,joint_steering,cancelled
E-2603,East,2026-03-15,brainstorm,held
"""

ATTENDANCE = """meeting_id,person_id,department,role,attended
N-2503,N-M1,marketing,lead,false
N-2503,N-I1,it,lead,false
N-2504,N-M1,marketing,lead,true
N-2504,N-I1,it,lead,true
N-2504,N-M2,marketing,staff,false
N-2602,N-M1,marketing,lead,true
N-2602,N-I1,it,lead,false
N-2602B,N-M1,marketing,lead,true
N-2602B,N-I1,it,lead,true
N-2603,N-M1,marketing,lead,true
N-2603,N-I1,it,lead,true
N-2603,N-M2,marketing,staff,false
N-2603,N-I2,it,staff,true
N-2603,N-O1,other,staff,true
N-2603B,N-M2,marketing,staff,true
N-2603B,N-I2,it,staff,false
N-2603B,N-I3,it,manager,true
S-2602,S-M1,marketing,lead,true
S-2602,S-I1,it,lead,true
S-2603,S-M1,marketing,lead,false
S-2603,S-I1,it,lead,false
E-2603,E-M1,marketing,staff,true
E-2603,E-I1,it,staff,false
"""


def load_meetings(con, directory: Path) -> None:
    for kind, name, text in (("meetings", "meetings.csv", MEETINGS), ("attendance", "attendance.csv", ATTENDANCE)):
        (directory / name).write_text(text, encoding="utf-8")
        ingest.import_file(con, kind, directory / name, user="tests")


@pytest.fixture
def mcon(tmp_path):
    connection = store.connect(":memory:")
    load_meetings(connection, tmp_path)
    yield connection
    connection.close()


# ----------------------------------------------------------------------------------------------------------
# Cadence grid and streaks


def test_cadence_grid_states(mcon):
    grid = meetings.cadence_grid(mcon, MONTH)
    states = grid.pivot(index="business_unit", columns="month", values="state")
    assert list(states.columns) == [f"2025-{m:02d}" for m in range(4, 13)] + ["2026-01", "2026-02", "2026-03"]
    assert list(states.loc["North"]) == ["held"] * 4 + ["cancelled"] + ["none"] * 4 + ["held"] * 3
    assert list(states.loc["South"]) == ["none"] * 8 + ["held", "cancelled", "held", "cancelled"]
    assert list(states.loc["East"]) == ["none"] * 12          # a brainstorm is not a steering meeting
    counts = grid.set_index(["business_unit", "month"])
    assert counts.loc[("North", "2026-02"), "held"] == 2
    assert (counts.loc[("South", "2026-02"), ["held", "cancelled"]] == [1, 1]).all()   # held wins


def test_cadence_grid_marks_months_before_records_and_filters_units(mcon):
    grid = meetings.cadence_grid(mcon, "2025-04", "North")
    assert set(grid["business_unit"]) == {"North"}
    # Records begin in March 2025: the ten months before are not "none", they were never recorded.
    assert list(grid["state"]) == ["not_recorded"] * 10 + ["held", "held"]


def test_streaks_count_months_not_meetings(mcon):
    streaks = meetings.steering_streaks(mcon, MONTH).set_index("business_unit")
    # North: held Mar-Jul 2025 (5) and Jan-Mar 2026 (3; two meetings in February count as one month).
    assert streaks.loc["North", ["current_streak", "longest_streak"]].tolist() == [3, 5]
    assert streaks.loc["North", ["longest_streak_from", "longest_streak_to"]].tolist() == ["2025-03", "2025-07"]
    # South: held Dec 2025 and Feb 2026, only cancelled in March -> no current run; of two runs of 1, the latest.
    assert streaks.loc["South", ["current_streak", "longest_streak"]].tolist() == [0, 1]
    assert streaks.loc["South", "longest_streak_from"] == "2026-02"
    assert streaks.loc["East", ["current_streak", "longest_streak"]].tolist() == [0, 0]
    assert pd.isna(streaks.loc["East", "longest_streak_from"])      # never held: no span


def test_streaks_ignore_months_after_the_selected_one(mcon):
    june = meetings.steering_streaks(mcon, "2025-06", "North").iloc[0]
    assert (june["current_streak"], june["longest_streak"]) == (4, 4)          # Mar-Jun 2025 only
    april = meetings.steering_streaks(mcon, "2026-04", "North").iloc[0]
    assert (april["current_streak"], april["longest_streak"]) == (4, 5)        # Jan-Apr 2026


# ----------------------------------------------------------------------------------------------------------
# Attendance, leadership presence and the summary


def rates(frame: pd.DataFrame) -> dict:
    return {(r.period, r.department, r.meeting_type): (r.attended, r.invitees) for r in frame.itertuples()}


def test_attendance_by_department_and_type(mcon):
    shown = rates(meetings.attendance_by_type(mcon, MONTH))
    # March 2026, held meetings N-2603, N-2603B, E-2603 (S-2603 was cancelled; "other" never counts):
    assert shown[("month", "marketing", "joint_steering")] == (1, 2)     # N-M1 yes, N-M2 no
    assert shown[("month", "it", "joint_steering")] == (2, 2)
    assert shown[("month", "marketing", "brainstorm")] == (2, 2)         # N-M2, E-M1
    assert shown[("month", "it", "brainstorm")] == (1, 3)                # N-I3 only
    assert shown[("month", "marketing", "all")] == (3, 4)
    assert shown[("month", "it", "all")] == (3, 5)
    # Apr 2025 - Mar 2026 adds N-2504, N-2602, N-2602B and S-2602; N-2503 (March 2025) is outside.
    assert shown[("trailing_12m", "marketing", "joint_steering")] == (5, 7)
    assert shown[("trailing_12m", "it", "joint_steering")] == (5, 6)
    assert shown[("trailing_12m", "marketing", "all")] == (7, 9)
    assert shown[("trailing_12m", "it", "all")] == (6, 9)
    assert len(shown) == 12
    frame = meetings.attendance_by_type(mcon, MONTH).set_index(["period", "department", "meeting_type"])
    assert frame.loc[("month", "it", "brainstorm"), "attendance_rate"] == pytest.approx(100 / 3)


def test_attendance_for_one_unit_and_an_empty_window(mcon):
    north = rates(meetings.attendance_by_type(mcon, MONTH, "North"))
    assert north[("month", "marketing", "all")] == (2, 3) and north[("month", "it", "all")] == (3, 4)
    assert north[("month", "it", "brainstorm")] == (1, 2)
    assert meetings.attendance_by_type(mcon, "2024-06").empty


def test_attendance_matches_the_scorecard(mcon):
    """The company's all-types rates are the scorecard's departmental attendance rates."""
    summary = meetings.unit_summary(mcon, MONTH).set_index("unit")
    assert summary.loc["Company", "attendance_rate_marketing"] == pytest.approx(75.0)
    assert summary.loc["Company", "attendance_rate_it"] == pytest.approx(60.0)
    assert summary.loc["Company", "attendance_rate"] == pytest.approx(100 * 6 / 9)
    assert summary.loc["Company", "attendance_rate_n"] == 9


def test_leadership_trend(mcon):
    trend = meetings.leadership_trend(mcon, MONTH).set_index(["unit", "month"])
    assert sorted(set(trend.index.get_level_values("unit"))) == ["Company", "East", "North", "South"]
    assert len(trend) == 4 * 12
    # North February: N-2602 (IT lead absent) and N-2602B (both) -> 1 of 2.
    assert trend.loc[("North", "2026-02"), "leadership_presence"] == pytest.approx(50.0)
    assert trend.loc[("North", "2026-02"), "leadership_presence_n"] == 2
    # N-2601 has no attendance records: the leads are not known to have attended.
    assert trend.loc[("North", "2026-01"), "leadership_presence"] == pytest.approx(0.0)
    assert trend.loc[("Company", "2026-02"), "leadership_presence"] == pytest.approx(200 / 3)   # 2 of 3
    assert pd.isna(trend.loc[("South", MONTH), "leadership_presence"])                           # none held
    only_south = meetings.leadership_trend(mcon, MONTH, "South")
    assert list(dict.fromkeys(only_south["unit"])) == ["Company", "South"]


def test_unit_summary(mcon):
    summary = meetings.unit_summary(mcon, MONTH)
    assert list(summary["unit"]) == ["Company", "East", "North", "South"]
    rows = summary.set_index("unit")
    assert rows.loc["North", ["steering_meeting", "current_streak", "longest_streak"]].tolist() == ["Held", 3, 5]
    assert rows.loc["South", "steering_meeting"] == "Cancelled"
    assert rows.loc["East", "steering_meeting"] == "None on record"
    # Three months Jan-Mar 2026: North 100, 100, 100; South 0, 100, 0; East 0, 0, 0.
    assert rows.loc["North", "cadence_adherence_3m"] == pytest.approx(100.0)
    assert rows.loc["South", "cadence_adherence_3m"] == pytest.approx(100 / 3)
    assert rows.loc["Company", "cadence_adherence"] == pytest.approx(100 / 3)       # one unit of three held
    assert rows.loc["Company", "cadence_adherence_3m"] == pytest.approx((100 + 100 / 3 + 0) / 3)
    assert rows.loc["North", "leadership_presence"] == pytest.approx(100.0)
    assert list(meetings.unit_summary(mcon, MONTH, "South")["unit"]) == ["Company", "South"]


# ----------------------------------------------------------------------------------------------------------
# Charts


def test_cadence_chart_shows_states_glyphs_and_adherence(mcon):
    figure = charts.cadence_chart(meetings.cadence_grid(mcon, MONTH), meetings.unit_summary(mcon, MONTH), MONTH)
    assert "Joint steering meetings held, Apr 2025 – Mar 2026" in figure.layout.title.text
    heatmap = figure.data[0]
    assert list(heatmap.y) == ["East", "North", "South"]
    north = list(heatmap.z[1])
    assert north == [0] * 4 + [1] + [2] * 4 + [0] * 3           # held 0, cancelled 1, none 2
    assert list(heatmap.text[2][-4:]) == ["✓", "✕", "✓", "✕"]
    adherence = {a.y: a.text for a in figure.layout.annotations if a.yref == "y" and a.y in heatmap.y}
    assert adherence == {"East": "0%", "North": "100%", "South": "33%"}
    assert [t.name for t in figure.data[1:]] == ["✓ Held", "✕ Cancelled only", "None on record"]


def test_charts_on_empty_data_say_so():
    empty_grid = pd.DataFrame(columns=["business_unit", "month", "held", "cancelled", "state"])
    figure = charts.cadence_chart(empty_grid, pd.DataFrame(), MONTH)
    assert "No meeting records" in figure.layout.annotations[0].text
    assert figure.layout.title.text == "Joint steering meetings held, Apr 2025 – Mar 2026"
    empty_attendance = pd.DataFrame(columns=["period", "department", "meeting_type", "attended", "invitees",
                                             "attendance_rate"])
    figure = charts.attendance_chart(empty_attendance, MONTH, "Company")
    assert "No held meetings" in figure.layout.annotations[0].text
    assert "Apr 2025 – Mar 2026" in figure.layout.title.text
    figure = charts.leadership_chart(pd.DataFrame(columns=["unit", "month", "leadership_presence"]), MONTH)
    assert "No joint steering meeting" in figure.layout.annotations[0].text


def test_leadership_chart_without_any_held_meeting(mcon):
    figure = charts.leadership_chart(meetings.leadership_trend(mcon, "2025-02"), "2025-02")
    assert "No joint steering meeting was held" in figure.layout.annotations[0].text
    assert "Mar 2024 – Feb 2025" in figure.layout.title.text


# ----------------------------------------------------------------------------------------------------------
# The page


@pytest.fixture
def meetings_db(tmp_path, monkeypatch):
    path = tmp_path / "meetings.duckdb"
    con = store.connect(path)
    load_meetings(con, tmp_path)
    con.close()
    monkeypatch.setenv("COLLAB_DB", str(path))
    return path


def open_meetings(month: str = MONTH, unit: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["month"] = month
    if unit:
        at.session_state["business_unit"] = unit
    at.run()
    at.switch_page("pages/meetings.py").run()
    assert not at.exception, at.exception
    return at


def test_meetings_page_shows_the_numbers(meetings_db):
    at = open_meetings()
    assert at.title[0].value == "Joint meetings · March 2026"
    tiles = {m.label: m.value for m in at.metric}
    assert tiles == {"Cadence": "33%", "Cadence 3m": "44%",
                     "Attendance": "67%", "Leaders present": "100%"}
    captions = [c.value for c in at.caption]
    assert "n = 9 invitations · target 80%" in captions and "n = 1 steering meetings · target 100%" in captions

    streaks = at.dataframe[0].value.set_index("unit")
    assert streaks.loc["North", ["current_streak", "longest_streak"]].tolist() == [3, 5]
    assert streaks.loc["South", ["current_streak", "longest_streak"]].tolist() == [0, 1]
    assert streaks.loc["South", "steering_meeting"] == "Cancelled"

    cadence, attendance, leadership = (chart_spec(c) for c in at.get("plotly_chart"))
    assert cadence["data"][0]["y"] == ["East", "North", "South"]
    bars = {(t["name"], t["xaxis"]): dict(zip(t["y"], t["x"])) for t in attendance["data"]}
    assert bars[("Marketing", "x")]["Joint steering"] == pytest.approx(50.0)        # the month
    assert bars[("IT", "x")]["Brainstorm"] == pytest.approx(100 / 3)
    assert bars[("Marketing", "x2")]["All meetings"] == pytest.approx(700 / 9)      # 12 months
    assert attendance["layout"]["title"]["text"].startswith(
        "Attendance at held meetings by department and type: Company, Apr 2025 – Mar 2026")
    assert leadership["data"][0]["y"] == ["Company", "East", "North", "South"]

    people = at.dataframe[1].value.set_index("unit")
    assert people.loc["Company", "attendance_rate_n"] == 9
    assert people.loc["North", "leadership_presence"] == pytest.approx(100.0)


def test_meetings_page_follows_the_unit_filter(meetings_db):
    at = open_meetings(unit="South")
    tiles = {m.label: m.value for m in at.metric}
    # South only cancelled in March: no held meeting, so no attendance or leadership figure.
    assert tiles == {"Cadence": "0%", "Cadence 3m": "33%",
                     "Attendance": "–", "Leaders present": "–"}
    assert list(at.dataframe[0].value["unit"]) == ["South"]
    attendance = chart_spec(at.get("plotly_chart")[1])
    assert "South" in attendance["layout"]["title"]["text"]
    twelve_months = {t["name"]: dict(zip(t["y"], t["x"])) for t in attendance["data"] if t["xaxis"] == "x2"}
    assert twelve_months == {"Marketing": {"All meetings": 100.0, "Joint steering": 100.0},
                             "IT": {"All meetings": 100.0, "Joint steering": 100.0}}


def test_meetings_page_on_an_empty_store(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    store.connect(path).close()
    monkeypatch.setenv("COLLAB_DB", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/meetings.py").run()
    assert not at.exception
    assert at.title[0].value == "Joint meetings"
    assert "No data yet" in at.info[0].value


# ----------------------------------------------------------------------------------------------------------
# The sample data set


@pytest.fixture(scope="module")
def sample_con():
    connection = store.connect(":memory:")
    ingest.load_sample(connection)
    yield connection
    connection.close()


def test_sample_month_has_every_figure(sample_con):
    month = "2026-10"
    assert len(meetings.cadence_grid(sample_con, month)) == 6 * 12
    summary = meetings.unit_summary(sample_con, month)
    assert len(summary) == 7 and summary["cadence_adherence_3m"].notna().all()
    assert summary["current_streak"].iloc[1:].notna().all()
    attendance = meetings.attendance_by_type(sample_con, month)
    assert set(attendance["meeting_type"]) == set(meetings.MEETING_TYPES)
    assert meetings.leadership_trend(sample_con, month)["leadership_presence"].notna().any()


def test_meetings_page_without_meeting_records(tmp_path, monkeypatch):
    """A store with other data but no meetings: every part of the page says so instead of failing."""
    path = tmp_path / "kpis_only.duckdb"
    con = store.connect(path)
    (tmp_path / "kpis.csv").write_text("business_unit,month,kpi,value\nNorth,2026-03,margin_growth_pct,4\n")
    ingest.import_file(con, "kpis", tmp_path / "kpis.csv", user="tests")
    con.close()
    monkeypatch.setenv("COLLAB_DB", str(path))
    at = open_meetings()
    assert {m.label: m.value for m in at.metric}["Attendance"] == "–"
    assert any("No business unit has meeting records" in i.value for i in at.info)
    messages = [chart_spec(c)["layout"]["annotations"][0]["text"] for c in at.get("plotly_chart")]
    assert messages == ["No meeting records yet", "No held meetings with attendance records in these months",
                        "No joint steering meeting was held in these months"]
