"""Every month of the sample data: the SQL scorecard against a plain pandas reading of DESIGN.md's formulas.

The pandas code below is written from the formulas alone and shares nothing with metrics/ but the
file names, so a mistake in the SQL (or in a view) shows up as a difference here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metrics import ingest, store
from metrics.scorecard import unit_month_metrics

SAMPLE = store.SAMPLE_DIR
K = 5


@pytest.fixture(scope="module")
def sql_metrics():
    con = store.connect(":memory:")
    ingest.load_sample(con)
    frame = unit_month_metrics(con, "2024-11", "2026-10")
    con.close()
    return frame.assign(unit=frame["business_unit"].fillna("__company__")).set_index(["unit", "month"])


@pytest.fixture(scope="module")
def expected():
    items = pd.read_csv(SAMPLE / "survey_items.csv")
    survey = pd.read_csv(SAMPLE / "survey_responses.csv")
    survey["month"] = survey["submitted_at"].str[:7]
    survey = survey[survey["department"].isin(["marketing", "it"])]
    likert = items[items["scale"] == "likert5"]
    scores = survey[likert["item_id"]].astype(float)
    for item in likert[likert["reverse_scored"]]["item_id"]:
        scores[item] = 6 - scores[item]
    survey["score"] = scores.mean(axis=1, skipna=True)      # respondent score
    out = {}

    def suppress(groups: pd.DataFrame, value: str, n: str) -> pd.Series:
        """Primary (n < K) plus the smallest shown part when the hidden parts total fewer than K."""
        hidden = groups[n] < K
        for (month, dept), part in groups.groupby(["month", "department"]):
            below = part[part[n] < K]
            if 0 < below[n].sum() < K:
                shown = part[part[n] >= K].sort_values([n, "business_unit"])
                if len(shown):
                    hidden.loc[shown.index[0]] = True
        return groups[value].where(~hidden)

    dept = survey.groupby(["month", "business_unit", "department"]).agg(mean=("score", "mean"), n=("score", "size"))
    dept = dept.reset_index()
    dept["index"] = (dept["mean"] - 1) / 4 * 100
    dept["shown"] = suppress(dept, "index", "n")
    wide = dept.pivot_table(index=["business_unit", "month"], columns="department", values="shown", dropna=False)
    out["alignment_index"] = (wide["marketing"] + wide["it"]) / 2
    company = survey.groupby(["month", "department"])["score"].mean().unstack()
    company = (company - 1) / 4 * 100
    out["alignment_company"] = (company["marketing"] + company["it"]) / 2

    partner = survey.dropna(subset=["partner_strategic"]).assign(fav=lambda d: d["partner_strategic"] >= 4)
    rate = partner.groupby(["month", "business_unit", "department"]).agg(rate=("fav", "mean"), n=("fav", "size"))
    rate = rate.reset_index()
    rate["rate"] *= 100
    rate["shown"] = suppress(rate, "rate", "n")
    out["strategic_partner_rate_marketing"] = rate[rate["department"] == "marketing"].set_index(
        ["business_unit", "month"])["shown"]

    nps = survey.dropna(subset=["partner_nps"])
    nps = nps.assign(p=nps["partner_nps"] >= 9, d=nps["partner_nps"] <= 6)
    g = nps.groupby(["month", "business_unit"]).agg(p=("p", "mean"), d=("d", "mean"), n=("p", "size")).reset_index()
    g["nps"] = (g["p"] - g["d"]) * 100
    # pooled over marketing and IT: hidden where either department's group is (groups are decided once, on their
    # respondents, with their complements), or where fewer than K answered
    groups = dept.assign(hidden=dept["shown"].isna()).set_index(["month", "business_unit", "department"])["hidden"]
    either = groups[groups.index.get_level_values("department").isin(["marketing", "it"])].groupby(
        level=["month", "business_unit"]).any()
    g = g.join(either.rename("group_hidden"), on=["month", "business_unit"])
    g["shown"] = g["nps"].where(~g["group_hidden"].fillna(False).astype(bool) & (g["n"] >= K))
    out["partner_nps"] = g.set_index(["business_unit", "month"])["shown"]

    meetings = pd.read_csv(SAMPLE / "meetings.csv", parse_dates=["date"])
    meetings["month"] = meetings["date"].dt.strftime("%Y-%m")
    attendance = pd.read_csv(SAMPLE / "attendance.csv").merge(meetings, on="meeting_id")
    held = attendance[(attendance["status"] == "held") & attendance["department_x"].isin(["marketing", "it"])] \
        if "department_x" in attendance else attendance[(attendance["status"] == "held")
                                                        & attendance["department"].isin(["marketing", "it"])]
    out["attendance_rate"] = held.groupby(["business_unit", "month"])["attended"].mean() * 100

    steering = meetings[(meetings["meeting_type"] == "joint_steering") & (meetings["status"] == "held")]
    months = pd.period_range("2024-09", "2026-10", freq="M").strftime("%Y-%m")
    first = meetings["month"].min()
    cadence = {}
    for unit in meetings["business_unit"].unique():
        monthly = [None if m < first else 100.0 * min(1, ((steering["business_unit"] == unit)
                                                          & (steering["month"] == m)).sum()) for m in months]
        series = pd.Series(monthly, index=months, dtype=float)
        cadence[unit] = series.rolling(3, min_periods=1).mean()
    out["cadence_adherence_3m"] = pd.DataFrame(cadence).stack().swaplevel().rename_axis(["business_unit", "month"])

    projects = pd.read_csv(SAMPLE / "joint_projects.csv", parse_dates=["start_date", "planned_end", "actual_end"])
    success = {}
    for month in pd.period_range("2024-11", "2026-10", freq="M"):
        end = month.end_time.normalize()
        start = (month - 11).start_time
        done = projects[(projects["status"] == "delivered") & (projects["actual_end"] >= start)
                        & (projects["actual_end"] <= end)]
        for unit, part in done.groupby("business_unit"):
            success[(unit, str(month))] = 100 * (part["outcome"] == "success").mean()
    out["project_success_rate"] = pd.Series(success)
    return out


def compare(sql: pd.Series, expected: pd.Series) -> int:
    expected = expected.dropna()
    joined = pd.concat([sql.rename("sql"), expected.rename("expected")], axis=1, join="outer")
    joined = joined[joined.index.get_level_values(1) >= "2024-11"]
    both = joined.dropna()
    assert np.allclose(both["sql"], both["expected"]), joined[~np.isclose(joined["sql"], joined["expected"])]
    # Nothing shown by one and hidden (or missing) in the other.
    assert joined["sql"].isna().equals(joined["expected"].isna()), joined[joined.isna().any(axis=1)]
    return len(both)


def units_only(frame: pd.DataFrame, column: str) -> pd.Series:
    series = frame[column].drop(index="__company__", level=0)
    return series.rename_axis(["business_unit", "month"])


@pytest.mark.parametrize("name, at_least", [
    ("alignment_index", 120), ("strategic_partner_rate_marketing", 120), ("partner_nps", 130),
    ("attendance_rate", 130), ("cadence_adherence_3m", 140),
    ("project_success_rate", 60),   # only unit-months with a delivery in the trailing year
])
def test_every_unit_month_matches(name, at_least, sql_metrics, expected):
    checked = compare(units_only(sql_metrics, name), expected[name])
    assert checked >= at_least   # of 6 units x 24 months, less hidden and missing ones


def test_sample_has_hidden_groups(sql_metrics):
    hidden = units_only(sql_metrics, "alignment_index").isna().sum()
    assert 0 < hidden < 144 / 4


def test_company_alignment_every_month(sql_metrics, expected):
    sql = sql_metrics.loc["__company__", "alignment_index"]
    assert np.allclose(sql.sort_index(), expected["alignment_company"].sort_index())


def test_chi_every_unit_month(sql_metrics):
    weights = {"alignment_index": 0.5, "cadence_adherence_3m": 0.15, "attendance_rate": 0.15,
               "project_success_rate": 0.2}
    parts = sql_metrics[list(weights)]
    w = pd.Series(weights)
    present = parts.notna()
    chi = (parts.fillna(0) * w).sum(axis=1) / (present * w).sum(axis=1).replace(0, np.nan)
    assert np.allclose(chi, sql_metrics["chi"], equal_nan=True)
