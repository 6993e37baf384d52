"""Alignment figures on the hand-made fixture, and the Alignment and Results pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import alignment, opening, store
from tests.conftest import chart_spec

ROOT = Path(__file__).resolve().parent.parent


def test_likert_distribution_flips_reverse_items_and_counts_by_hand(con):
    gamma = alignment.likert_distribution(con, "2026-01", "Gamma").set_index("item_id")
    # Gamma: 7 marketing answer comm_unheard (reverse) with 2 -> scored 4; 8 IT answer 3 -> 3.
    row = gamma.loc["comm_unheard"]
    assert row["n"] == 15
    assert row["pct_4"] == pytest.approx(100 * 7 / 15) and row["pct_3"] == pytest.approx(100 * 8 / 15)
    assert row["pct_favourable"] == pytest.approx(100 * 7 / 15)
    assert bool(row["reverse_scored"]) is True


def test_likert_distribution_hides_small_and_exposing_units(con):
    # Beta IT has 3 respondents; Alpha IT is hidden to protect it. Their pooled answers are hidden too.
    for unit in ("Alpha", "Beta"):
        assert alignment.likert_distribution(con, "2026-01", unit)["pct_favourable"].isna().all()
    company = alignment.likert_distribution(con, "2026-01").set_index("item_id")
    # Company partner_strategic: favourable marketing 3 + 0 + 7, IT 6 + 0 + 0 of 35 answers.
    assert company.loc["partner_strategic", "pct_favourable"] == pytest.approx(100 * 16 / 35)


def test_unit_dimension_scores_are_the_mean_of_both_sides(con):
    scores = alignment.unit_dimension_scores(con, "2026-01").set_index(["unit", "dimension"])
    assert scores.loc[("Gamma", "communication"), "score"] == pytest.approx((75 + 50) / 2)
    assert scores.loc[("Gamma", "communication"), "status"] == "amber"      # 60 <= 62.5 < 70
    assert scores.loc[("Beta", "partnership"), "score"] != scores.loc[("Beta", "partnership"), "score"]  # hidden


def test_low_response_groups(con):
    flagged = alignment.low_response_groups(con, "2026-01")
    # Alpha marketing 5/10, Beta IT 3/10 and Gamma IT 8/16 are under 60%; 60% itself is not flagged.
    assert sorted(zip(flagged["unit"], flagged["department"])) == [("Alpha", "marketing"), ("Beta", "IT"),
                                                                     ("Gamma", "IT")]


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_alignment_page_shows_hidden_cells_and_gaps(fixture_db):
    at = open_page("pages/alignment.py")
    assert at.title[0].value == "Alignment · January 2026"
    charts = [chart_spec(c) for c in at.get("plotly_chart")]
    heatmap = next(c for c in charts if c["data"][0]["type"] == "heatmap")
    cells = dict(zip(heatmap["data"][0]["y"], heatmap["data"][0]["text"]))
    assert cells["Gamma"] == ["62", "62"]            # 62.5 shown rounded, both dimensions
    assert cells["Beta"] == ["hidden", "hidden"]
    likert = next(c for c in charts if "answered each statement" in c["layout"]["title"]["text"])
    assert any("46%" in a["text"] for a in likert["layout"]["annotations"])   # partner_strategic 16 of 35
    assert any("Response rate under 60%" in w.value for w in at.warning)


def test_results_page_reports_n_and_the_caveat(fixture_db):
    at = open_page("pages/results.py")
    assert "not proof of cause" in at.info[0].value
    assert at.selectbox(key="results_kpi").value == "margin_growth_pct"
    table = at.dataframe[0].value
    assert list(table["lag"]) == list(range(7))
    # The fixture has too few unit-months to correlate: n is shown and r stays empty rather than invented.
    assert table["pearson_r"].isna().all()
    assert "Too few" in at.markdown[0].value or "Too few" in " ".join(m.value for m in at.markdown)


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    opening.open_store(path).close()         # a new database is loaded with sample_data/
    return path


def test_results_page_on_the_sample_data_shows_the_lag_table(sample_db, monkeypatch):
    from metrics import linkage

    monkeypatch.setenv("COLLAB_DB", str(sample_db))
    at = open_page("pages/results.py")
    con = store.connect(sample_db)
    expected = linkage.lag_table(con, "margin_growth_pct", "alignment_index", 6)
    con.close()
    table = at.dataframe[0].value
    assert list(table["n"]) == [row["n"] for row in expected]
    assert list(table["pearson_r"]) == pytest.approx([row["pearson_r"] for row in expected])
    # The generator's two-month lag is found from the data: lag 2 is positive and its interval excludes 0.
    lag2 = expected[2]
    assert lag2["pearson_r"] > 0.3 and lag2["ci_low"] > 0
    assert f"r = {max(expected, key=lambda r: abs(r['pearson_r']))['pearson_r']:+.2f}" in at.markdown[0].value
    scatter = chart_spec(at.get("plotly_chart")[0])
    assert f"n = {lag2['n']} unit-months" in scatter["layout"]["title"]["text"]
