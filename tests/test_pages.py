"""The pages, run by Streamlit's AppTest against a database of the hand-made fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import store
from metrics.catalog import SCORECARD_COLUMNS, metric
from metrics.scorecard import scorecard
from tests.conftest import chart_spec

ROOT = Path(__file__).resolve().parent.parent


def run_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_scorecard_shows_the_cli_numbers(fixture_db):
    at = run_app()
    assert at.selectbox(key="month").value == "2026-01"
    con = store.connect(fixture_db)
    expected = json.loads(json.dumps(scorecard(con, "2026-01")))
    con.close()

    tiles = {m.label: m.value for m in at.metric}
    for name in ("chi", "alignment_index", "cadence_adherence_3m", "attendance_rate", "project_success_rate"):
        assert tiles[metric(name).short_label] == f"{expected['company'][name]:.1f}"

    table = at.dataframe[0].value
    assert list(table["unit"]) == ["Company", "Alpha", "Beta", "Gamma"]
    rows = {"Company": expected["company"], **{u["business_unit"]: u for u in expected["business_units"]}}
    for _, shown in table.iterrows():
        for name in SCORECARD_COLUMNS:
            value = rows[shown["unit"]][name]
            if value is None:
                assert shown[name] != shown[name], (shown["unit"], name)   # NaN: hidden or missing
            else:
                assert shown[name] == pytest.approx(value), (shown["unit"], name)
    # Suppressed groups stay hidden on the page too.
    assert table.set_index("unit").loc["Beta", "alignment_index"] != table.set_index("unit").loc["Beta", "alignment_index"]


def test_scorecard_shows_the_review_metrics_with_their_status(fixture_db):
    # the fixture's 2026-01: A-1 (Gamma, due 2026-03-31) and A-2 (Alpha, due 2026-06-30) not done, neither past its
    # due date -> 2 of 2 on track, none overdue; A-3 is done. Register: DR-4 has nobody accountable -> 3 of 4 = 75%.
    at = run_app()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Decision-rights clarity"] == "75%"
    assert tiles["Actions on track"] == "100%"
    assert tiles["Overdue actions"] == "0"
    captions = [c.value for c in at.caption]
    assert any("Near target" in c and "target 80%" in c for c in captions)   # 75 is within 20 of 80
    assert any("On target" in c and "target at most 0" in c for c in captions)
    table = at.dataframe[0].value.set_index("unit")
    assert table.loc["Alpha", "actions_on_track"] == 100.0 and table.loc["Gamma", "overdue_actions"] == 0
    assert table.loc["Beta", "actions_on_track"] != table.loc["Beta", "actions_on_track"]   # no action: no rate


def test_scorecard_follows_the_month_filter_and_shows_changes(fixture_db):
    at = run_app()
    at.selectbox(key="month").set_value("2025-12").run()
    assert not at.exception
    assert "December 2025" in at.title[0].value
    tiles = {m.label: m for m in at.metric}
    con = store.connect(fixture_db)
    dec, jan = scorecard(con, "2025-12"), scorecard(con, "2026-01")
    con.close()
    assert tiles["Alignment"].value == f"{dec['company']['alignment_index']:.1f}"
    # AppTest drops the sidebar's elements from its tree after a rerun under st.navigation (the browser
    # tests check the real sidebar), so the second change goes through session state.
    at.session_state["month"] = "2026-01"
    at.run()
    change = jan["company"]["chi"] - dec["company"]["chi"]
    assert {m.label: m for m in at.metric}["CHI"].delta == f"{change:+.1f}"


def test_unit_filter_narrows_the_table(fixture_db):
    at = run_app()
    at.selectbox(key="business_unit").set_value("Gamma").run()
    assert not at.exception
    assert list(at.dataframe[0].value["unit"]) == ["Company", "Gamma"]
    figure = chart_spec(at.get("plotly_chart")[0])
    names = [t.get("name") for t in figure["data"] if t.get("name")]
    assert names == ["Marketing", "IT"]
    assert figure["data"][-2]["x"] == pytest.approx([75.0, 75.0])  # Gamma marketing, both dimensions
    assert figure["data"][-1]["x"] == pytest.approx([50.0, 50.0])  # Gamma IT


def test_presentation_mode_hides_controls_and_can_be_left(fixture_db):
    at = run_app()
    assert not at.button                                          # no exit button outside presentation mode
    # AppTest keeps the entrypoint's own elements only on a session's first run (see above), so presentation
    # mode is switched on before it; the browser tests switch it with the real toggle.
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["presentation"] = True
    at.run()
    assert any("stSidebar" in h.proto.body and "display: none" in h.proto.body for h in at.get("html"))
    assert at.toggle(key="presentation").value is True
    assert at.button(key="exit_presentation")


def test_every_chart_carries_the_as_of_date_and_downloads_at_three_times(fixture_db):
    at = run_app()
    for element in at.get("plotly_chart"):
        spec = chart_spec(element)
        assert "data as of" in spec["layout"]["title"]["text"]
        config = json.loads(element.proto.config)
        assert config["toImageButtonOptions"]["scale"] == 3


def test_a_rerun_reuses_the_drawn_charts_and_new_data_draws_them_again(fixture_db, monkeypatch):
    """Figures are cached by their data: a rerun draws none again; an undo that changes the data redraws."""
    from metrics import charts, ingest
    from ui import shared

    drawn = []
    draw = charts.trend_chart
    # where the page takes it from (pages/scorecard.py: charts.trend_chart), since shared.chart calls what it is given
    monkeypatch.setattr(charts, "trend_chart", lambda *args, **kwargs: drawn.append(1) or draw(*args, **kwargs))
    shared._figure.clear()  # an earlier test in this process may have drawn the same figure from the same data
    at = run_app()
    month = at.session_state["month"]
    before = at.get("plotly_chart")[1].proto.spec
    at.session_state["month"] = month  # AppTest drops the sidebar's state on a rerun (see above)
    at.run()
    assert not at.exception
    assert len(drawn) == 1
    assert at.get("plotly_chart")[1].proto.spec == before

    con = store.connect(fixture_db)
    imports = ingest.list_imports(con)
    ingest.undo(con, int(imports.loc[imports["kind"] == "meetings", "import_id"].iloc[0]))
    con.close()
    at.session_state["month"] = month
    at.run()
    assert not at.exception
    assert len(drawn) == 2
    assert at.get("plotly_chart")[1].proto.spec != before
