"""Tests for the sample-data generator: the file contract, its shape and the effects it plants."""

import numpy as np
import pandas as pd
import pytest

from metrics.sample import DEFAULT_SEED, write_sample

# Written out here rather than imported, so that the test checks the templates' contract.
HEADERS = {
    "items": "item_id,dimension,text,scale,reverse_scored",
    "headcount": "business_unit,department,month,headcount",
    "meetings": "meeting_id,business_unit,date,meeting_type,status",
    "attendance": "meeting_id,person_id,department,role,attended",
    "projects": "project_id,business_unit,name,lead_function,stage,parent_project_id,"
                "start_date,planned_end,actual_end,budget,spend,status,outcome,roi_pct",
    "kpis": "business_unit,month,kpi,value",
}
DIMENSIONS = {"communication", "shared_goals", "partnership", "trust", "customer_focus",
              "data_insight", "agility", "governance"}
KPIS = {"margin_growth_pct", "revenue_growth_pct", "customer_nps",
        "campaign_time_to_market_days", "martech_budget_share_pct", "shadow_it_tools"}


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def tables(paths):
    return {kind: pd.read_csv(path, dtype=str, keep_default_na=False)
            for kind, path in paths.items()}


@pytest.fixture(scope="module")
def items(tables):
    return tables["items"]


@pytest.fixture(scope="module")
def survey(tables, items):
    """Responses with numeric answers (NaN where missing) and the wave month."""
    survey = tables["survey"].copy()
    for item_id in items.item_id:
        survey[item_id] = pd.to_numeric(survey[item_id].replace("", np.nan))
    survey["month"] = survey.submitted_at.str[:7]
    return survey


def favourable(survey, items):
    """Likert answers with reverse-scored items flipped, so that 5 is always favourable."""
    likert = items[items.scale == "likert5"]
    answers = survey[list(likert.item_id)].copy()
    for item_id in likert.item_id[likert.reverse_scored == "true"]:
        answers[item_id] = 6 - answers[item_id]
    return answers


def test_same_seed_gives_byte_identical_files(paths, tmp_path):
    again = write_sample(tmp_path / "again", seed=DEFAULT_SEED)
    assert again.keys() == paths.keys()
    for kind in paths:
        assert again[kind].read_bytes() == paths[kind].read_bytes(), kind
    other = write_sample(tmp_path / "other", seed=DEFAULT_SEED + 1)
    assert other["survey"].read_bytes() != paths["survey"].read_bytes()


def test_headers_are_the_templates(paths, items):
    for kind, header in HEADERS.items():
        assert paths[kind].read_text(encoding="utf-8").split("\n", 1)[0] == header, kind
    survey_header = ["response_id", "submitted_at", "business_unit", "department", "role",
                     *items.item_id, "comment"]
    assert paths["survey"].read_text(encoding="utf-8").split("\n", 1)[0] == ",".join(survey_header)
    assert paths["items"].name == "survey_items.csv"
    assert paths["projects"].name == "joint_projects.csv"


def test_item_catalogue(items):
    likert = items[items.scale == "likert5"]
    assert set(likert.dimension) == DIMENSIONS
    assert likert.groupby("dimension").size().between(2, 3).all()
    assert 18 <= len(likert) <= 22
    assert likert.item_id.str.fullmatch(r"[a-z]+(_[a-z]+)*").all()
    assert set(items.reverse_scored) == {"true", "false"}
    assert 4 <= (likert.reverse_scored == "true").sum() <= 8
    strategic = items.set_index("item_id").loc["partner_strategic"]
    assert (strategic.dimension, strategic.scale, strategic.reverse_scored) == (
        "partnership", "likert5", "false")
    nps = items.set_index("item_id").loc["partner_nps"]
    assert (nps.dimension, nps.scale, nps.reverse_scored) == ("nps", "nps11", "false")
    assert set(items.scale) == {"likert5", "nps11"}


def test_six_units_and_24_months_ending_2026_10(tables, survey):
    expected_months = [str(m) for m in pd.period_range("2024-11", "2026-10", freq="M")]
    for kind in ("headcount", "kpis"):
        assert sorted(tables[kind].month.unique()) == expected_months, kind
    assert sorted(survey.month.unique()) == expected_months
    units = set(tables["kpis"].business_unit)
    assert len(units) == 6
    for kind in ("survey", "headcount", "meetings", "projects"):
        assert set(tables[kind].business_unit) == units, kind
    assert survey.submitted_at.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()


def test_group_sizes_and_response_rates(tables, survey):
    assert set(survey.department) == {"marketing", "it", "other"}
    sizes = survey.groupby(["business_unit", "month", "department"]).size()
    functions = sizes.drop("other", level="department")
    assert len(functions) == 6 * 24 * 2  # every unit, month and function answered
    assert functions.between(3, 40).all()
    assert (functions < 5).any()  # something for the anonymity threshold to suppress
    assert 8 <= functions.median() <= 30
    assert sizes.xs("other", level="department").max() <= 3

    headcount = tables["headcount"].set_index(["business_unit", "month", "department"])
    rate = functions / pd.to_numeric(headcount.headcount).reindex(functions.index)
    assert (rate <= 1).all()
    assert (rate < 0.6).mean() > 0.1  # low response rates get flagged
    assert rate.median() > 0.5


def test_at_most_one_lead_per_function_and_month(survey):
    assert set(survey.role) == {"lead", "manager", "staff"}
    leads = survey[survey.role == "lead"].groupby(["business_unit", "month", "department"])
    assert leads.size().max() == 1
    assert (survey.role == "staff").mean() > 0.5
    assert survey.response_id.is_unique


def test_answers_within_range_with_a_few_missing(survey, items):
    likert = survey[list(items.item_id[items.scale == "likert5"])]
    assert set(np.unique(likert.stack().dropna())) == {1, 2, 3, 4, 5}
    nps = survey.partner_nps.dropna()
    assert nps.between(0, 10).all() and (nps == nps.round()).all()
    missing = survey[list(items.item_id)].isna().mean().mean()
    assert 0.01 < missing < 0.03
    comments = survey.comment[survey.comment != ""]
    assert 0 < len(comments) < 0.15 * len(survey)
    assert not comments.str.contains("@").any()


def test_marketing_rarely_sees_it_as_a_strategic_partner(survey):
    rate = (survey.dropna(subset=["partner_strategic"])
            .assign(favourable=lambda s: s.partner_strategic >= 4)
            .groupby("department").favourable.mean() * 100)
    assert 10 <= rate["marketing"] <= 35
    assert rate["it"] > rate["marketing"]


def test_projects_and_parent_references(tables):
    projects = tables["projects"]
    assert 30 <= len(projects) <= 55
    assert projects.project_id.is_unique
    scale = projects[projects.stage == "scale"]
    assert len(scale) > 0
    assert (projects.parent_project_id[projects.stage == "pilot"] == "").all()
    parents = scale.merge(projects, left_on="parent_project_id", right_on="project_id",
                          suffixes=("", "_parent"))
    assert len(parents) == len(scale)
    assert (parents.stage_parent == "pilot").all()
    assert (parents.business_unit == parents.business_unit_parent).all()
    assert (parents.outcome_parent == "success").all()

    delivered = projects.status == "delivered"
    for column in ("actual_end", "outcome", "roi_pct"):
        assert (projects.loc[delivered, column] != "").all(), column
        assert (projects.loc[~delivered, column] == "").all(), column
    assert {"delivered", "active", "cancelled", "planned"} <= set(projects.status)
    assert (projects.start_date < projects.planned_end).all()
    assert projects.budget.str.fullmatch(r"\d+").all()


def test_meetings_and_attendance(tables):
    meetings, attendance = tables["meetings"], tables["attendance"]
    assert meetings.meeting_id.is_unique
    assert set(attendance.meeting_id) <= set(meetings.meeting_id)
    steering = meetings[meetings.meeting_type == "joint_steering"]
    assert steering.groupby(["business_unit", steering.date.str[:7]]).size().max() == 1
    assert {"held", "cancelled"} == set(meetings.status)

    invited = attendance.merge(meetings, on="meeting_id")
    leads = invited[(invited.meeting_type == "joint_steering") & (invited.role == "lead")]
    assert (leads.groupby("meeting_id").department.nunique() == 2).all()
    assert len(leads.meeting_id.unique()) == len(steering)
    assert (invited.attended[invited.status == "cancelled"] == "false").all()
    held_rate = (invited.attended[invited.status == "held"] == "true").mean()
    assert 0.6 <= held_rate <= 0.95
    # The staff-exchange programme runs in one unit, from part-way through the period.
    exchange = meetings[meetings.meeting_type == "staff_exchange"]
    assert exchange.business_unit.nunique() == 1
    assert exchange.date.min() > meetings.date.min()


def test_kpis_for_every_unit_and_month(tables):
    kpis = tables["kpis"]
    per_unit_month = kpis.groupby(["business_unit", "month"]).kpi.agg(set)
    assert len(per_unit_month) == 6 * 24
    assert all(names == KPIS for names in per_unit_month)
    values = kpis.set_index("kpi").value
    assert values.loc["shadow_it_tools"].str.fullmatch(r"\d+").all()
    assert values.drop("shadow_it_tools").str.fullmatch(r"-?\d+\.\d\d").all()
    share = pd.to_numeric(values.loc["martech_budget_share_pct"])
    assert 18 <= share.mean() <= 26


def test_margin_growth_follows_collaboration_two_months_later(survey, items, tables):
    functions = survey.department.isin(["marketing", "it"])
    score = favourable(survey, items)[functions].mean(axis=1)
    climate = score.groupby([survey.business_unit[functions], survey.month[functions]]).mean()
    kpis = tables["kpis"]
    margin = pd.to_numeric(kpis[kpis.kpi == "margin_growth_pct"]
                           .set_index(["business_unit", "month"]).value)
    month_number = {month: n for n, month in enumerate(sorted(survey.month.unique()))}

    def lagged_pairs(lag):
        index = climate.rename("climate").reset_index()
        index["n"] = index.month.map(month_number) + lag
        target = margin.rename("margin").reset_index()
        target["n"] = target.month.map(month_number)
        return index.merge(target, on=["business_unit", "n"])

    pairs = lagged_pairs(2)
    assert len(pairs) == 6 * 22
    r = np.corrcoef(pairs.climate, pairs.margin)[0, 1]
    assert 0.3 < r < 0.85


def test_scale_and_more_units(tmp_path):
    small = write_sample(tmp_path / "small", scale=0.1, units=8, months=3)
    survey = pd.read_csv(small["survey"], dtype=str, keep_default_na=False)
    sizes = survey[survey.department != "other"].groupby(
        ["business_unit", survey.submitted_at.str[:7], "department"]).size()
    assert len(sizes) == 8 * 3 * 2 and sizes.min() >= 1 and sizes.max() <= 4
    assert {"Unit 07", "Unit 08"} <= set(survey.business_unit)
    headcount = pd.read_csv(small["headcount"])
    assert sorted(headcount.month.unique()) == ["2026-08", "2026-09", "2026-10"]
