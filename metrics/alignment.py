"""Alignment: dimension scores by unit, perception gaps, Likert answers, response and partner rates."""

from __future__ import annotations

import duckdb
import pandas as pd

from metrics import scorecard, store
from metrics.catalog import metric
from metrics.scorecard import COMPANY

# The seeds' figures: the share of marketing leaders who see IT as a strategic partner.
SEED_PARTNER_RATES = {"B2C": 16.0, "B2B": 12.0}


def unit_dimension_scores(con: duckdb.DuckDBPyConnection, month: str) -> pd.DataFrame:
    """Per unit (and Company) and dimension: the mean of the marketing and IT dimension scores, with status.

    Like the alignment index, each side weighs the same, and the score is hidden when either side is.
    """
    scores = scorecard.dimension_scores(con, month, month)
    scores["unit"] = scores["business_unit"].fillna(COMPANY)
    scores["score"] = (scores["marketing"] + scores["it"]) / 2
    target = metric("alignment_index")
    scores["status"] = [target.status(None if pd.isna(v) else v) for v in scores["score"]]
    return scores[["unit", "dimension", "score", "status", "marketing", "it", "gap", "marketing_n", "it_n"]]


def likert_distribution(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """Share of answers 1-5 per item (marketing and IT together) for a unit or the company; hidden rows None."""
    frame = store.fetch_df(con, "likert_distribution", {"month": month})
    if business_unit is None:
        return frame[frame["business_unit"].isna()].reset_index(drop=True)
    return frame[frame["business_unit"] == business_unit].reset_index(drop=True)


def unit_rates(con: duckdb.DuckDBPyConnection, month: str) -> pd.DataFrame:
    """Per unit (Company first) for the month: response, strategic-partner and partner-NPS figures."""
    frame = scorecard.history(con, month, months=1)
    columns = ["unit", "response_rate", "response_rate_n", "response_rate_marketing", "response_rate_it",
               "strategic_partner_rate_marketing", "strategic_partner_rate_marketing_n",
               "strategic_partner_rate_it", "strategic_partner_rate_it_n", "partner_nps", "partner_nps_n"]
    frame = frame[columns].copy()
    frame["response_flag"] = frame["response_rate"] < metric("response_rate").target
    order = [COMPANY] + sorted(u for u in frame["unit"] if u != COMPANY)
    return frame.set_index("unit").loc[order].reset_index()


def department_trends(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """Marketing and IT department indexes over the last 12 months, long: month, department, index, n."""
    frame = scorecard.history(con, month)
    scope = frame[frame["unit"] == (business_unit or COMPANY)]
    marketing = scope[["month", "marketing_index", "marketing_index_n"]].set_axis(["month", "index", "n"], axis=1)
    it = scope[["month", "it_index", "it_index_n"]].set_axis(["month", "index", "n"], axis=1)
    return pd.concat([marketing.assign(department="marketing"), it.assign(department="it")], ignore_index=True)


def scope_dimensions(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """Marketing and IT dimension scores for one unit, or the company when business_unit is None."""
    scores = scorecard.dimension_scores(con, month, month)
    if business_unit is None:
        return scores[scores["business_unit"].isna()].reset_index(drop=True)
    return scores[scores["business_unit"] == business_unit].reset_index(drop=True)


def low_response_groups(con: duckdb.DuckDBPyConnection, month: str) -> pd.DataFrame:
    """Unit and department groups whose response rate is under the flag (the response rate's target,
    catalog.RESPONSE_RATE_FLAG)."""
    rates = unit_rates(con, month)
    rows = [(r.unit, department, value) for r in rates.itertuples() if r.unit != COMPANY
            for department, value in (("marketing", r.response_rate_marketing), ("IT", r.response_rate_it))
            if pd.notna(value) and value < metric("response_rate").target]
    return pd.DataFrame(rows, columns=["unit", "department", "rate"])
