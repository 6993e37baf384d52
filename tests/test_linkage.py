"""Linking collaboration to results, on a tiny data set whose alignment indexes are set exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metrics import ingest, linkage, store

ROOT = Path(__file__).resolve().parent.parent
MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
# Every respondent of a unit-month answers comm_vocabulary with this score, so both department
# indexes, and so the alignment index, are (score - 1) x 25.
SCORES = {"A": [2, 3, 4, 3, 5, 4], "B": [1, 2, 2, 3, 3, 4]}
MARGIN = {"A": [1.0, 2.0, 3.0, 4.0, 5.5, 6.0], "B": [0.0, 1.0, 0.0, 2.0, 1.0, 3.0]}
ALIGNMENT = {unit: [(s - 1) * 25.0 for s in scores] for unit, scores in SCORES.items()}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("linkage")
    survey = ["response_id,submitted_at,business_unit,department,role,comm_vocabulary"]
    kpis = ["business_unit,month,kpi,value"]
    for unit, scores in SCORES.items():
        for month, score, margin in zip(MONTHS, scores, MARGIN[unit]):
            for department in ("marketing", "it"):
                survey += [f"{unit}-{month}-{department}-{i},{month}-10 10:00:00,{unit},{department},staff,{score}"
                           for i in range(5)]
            kpis.append(f"{unit},{month},margin_growth_pct,{margin}")
    (folder / "survey.csv").write_text("\n".join(survey) + "\n", encoding="utf-8")
    (folder / "kpis.csv").write_text("\n".join(kpis) + "\n", encoding="utf-8")
    path = folder / "linkage.duckdb"
    con = store.connect(path)
    ingest.import_file(con, "items", ROOT / "tests" / "fixtures" / "survey_items.csv")
    ingest.import_file(con, "survey", folder / "survey.csv")
    ingest.import_file(con, "kpis", folder / "kpis.csv")
    con.close()
    return path


@pytest.fixture
def con(db):
    connection = store.connect(db)
    yield connection
    connection.close()


def expected_pairs(lag: int) -> pd.DataFrame:
    rows = [(unit, ALIGNMENT[unit][i], MARGIN[unit][i + lag]) for unit in SCORES for i in range(len(MONTHS) - lag)]
    return pd.DataFrame(rows, columns=["unit", "index", "kpi"])


def test_unit_month_alignment_is_set_exactly(con):
    index = linkage.unit_month_index(con)
    a = index[index["business_unit"] == "A"].sort_values("month")
    assert list(a["index"]) == ALIGNMENT["A"]


@pytest.mark.parametrize("lag", [0, 1, 2])
def test_lag_table_against_numpy(con, lag):
    row = linkage.lag_table(con, "margin_growth_pct", max_lag=2)[lag]
    pairs = expected_pairs(lag)
    assert row["lag"] == lag and row["n"] == len(pairs) == 2 * (6 - lag)
    assert row["pearson_r"] == pytest.approx(np.corrcoef(pairs["index"], pairs["kpi"])[0, 1])
    assert row["spearman_rho"] == pytest.approx(pairs[["index", "kpi"]].rank().corr().iloc[0, 1])
    centred = pairs[["index", "kpi"]] - pairs.groupby("unit")[["index", "kpi"]].transform("mean")
    assert row["within_unit_r"] == pytest.approx(np.corrcoef(centred["index"], centred["kpi"])[0, 1])
    assert row["ci_low"] < row["pearson_r"] < row["ci_high"]


def test_seed_benchmark_by_hand(con):
    # Alignment >= 70: A in months 3, 5, 6 (75, 100, 75) with margin 3, 5.5, 6; B in month 6 (75) with 3.
    result = linkage.seed_benchmark(con)
    assert (result["n"], result["above"]) == (4, 2)
    assert result["share"] == pytest.approx(50.0)
    assert result["others_n"] == 8 and result["others_share"] == pytest.approx(0.0)


def test_quartile_view_by_hand(con):
    table = linkage.quartile_view(con, "margin_growth_pct", "alignment_index", 0)
    assert list(table["n"]) == [3, 3, 3, 3]
    pairs = expected_pairs(0).sort_values("index", kind="stable")
    ranks = pairs["index"].rank(method="first")
    top = pairs[ranks > 9]["kpi"].mean()
    bottom = pairs[ranks <= 3]["kpi"].mean()
    assert table["mean_kpi"].iloc[-1] == pytest.approx(top)
    assert table["mean_kpi"].iloc[0] == pytest.approx(bottom)
    assert table.attrs["difference"]["difference"] == pytest.approx(top - bottom)


def test_next_quarter_needs_all_three_months():
    values = pd.DataFrame({"business_unit": ["A"] * 4, "month": MONTHS[:4], "value": [1.0, 2.0, 3.0, 7.0]})
    quarter = linkage.next_quarter(values)
    # The month before the data has three months ahead too; 2025-02 onwards lacks a third month.
    assert list(quarter["month"]) == ["2024-12", "2025-01"]
    assert list(quarter["next_quarter"]) == pytest.approx([2.0, 4.0])     # (1+2+3)/3, (2+3+7)/3


def test_linkage_command_prints_the_designed_json(db):
    result = subprocess.run([sys.executable, "-m", "metrics", "linkage", "--kpi", "margin_growth_pct", "--max-lag", "3",
                             "--json", "--db", str(db)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert set(printed) == {"kpi", "index", "lags"}
    assert printed["kpi"] == "margin_growth_pct" and printed["index"] == "alignment_index"
    assert [row["lag"] for row in printed["lags"]] == [0, 1, 2, 3]
    assert set(printed["lags"][0]) == {"lag", "n", "pearson_r", "ci_low", "ci_high", "p_value", "spearman_rho",
                                       "within_unit_r"}
    pairs = expected_pairs(1)
    assert printed["lags"][1]["pearson_r"] == pytest.approx(np.corrcoef(pairs["index"], pairs["kpi"])[0, 1])


def test_linkage_command_rejects_an_unknown_kpi(db):
    result = subprocess.run([sys.executable, "-m", "metrics", "linkage", "--kpi", "profit", "--json", "--db", str(db)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "unknown KPI 'profit'" in result.stderr and "margin_growth_pct" in result.stderr


def test_the_unit_month_index_is_worked_out_again_when_the_data_or_a_setting_changes(tmp_path):
    from metrics import ingest, linkage, store
    from tests.conftest import load_fixture

    con = store.connect(":memory:")
    load_fixture(con, tmp_path)

    def beta_it_hidden() -> bool:
        frame = linkage.unit_month_index(con, "alignment_index")
        value = frame[(frame["business_unit"] == "Beta") & (frame["month"] == "2026-01")]["index"]
        assert len(value) == 1
        return bool(value.isna().iloc[0])

    assert beta_it_hidden()                                   # Beta IT has 3 respondents
    extra = tmp_path / "beta_it.csv"
    extra.write_text("response_id,submitted_at,business_unit,department,role,comm_vocabulary\n"
                     + "".join(f"BI{i},2026-01-21 10:00:00,Beta,it,staff,4\n" for i in range(5)), encoding="utf-8")
    ingest.import_file(con, "survey", extra, user="tests")   # five late ones: not held back
    assert not beta_it_hidden()                               # 8 now: shown, not a stale cached copy
    con.cursor().execute("UPDATE settings SET value = '9' WHERE key = 'anonymity_threshold'")
    assert beta_it_hidden()                                   # a setting changes the key too
