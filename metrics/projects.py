"""Joint projects: the portfolio, delivery rates over the trailing 12 months, the timeline and budget variance."""

from __future__ import annotations

import duckdb
import pandas as pd

from metrics import store
from metrics.scorecard import COMPANY, shift_month, unit_month_metrics

TRAILING_MONTHS = 12

# The delivery metrics of DESIGN.md as unit_month_metrics computes them, each with the count behind it.
# Budget variance has no count of its own: it is taken over the same delivered projects as the on-time rate.
DELIVERY_METRICS = {
    "project_on_time_rate": "project_on_time_rate_n",
    "project_success_rate": "project_success_rate_n",
    "pilot_to_scale_rate": "pilot_to_scale_rate_n",
    "project_mean_roi": "project_mean_roi_n",
    "project_budget_variance": "project_on_time_rate_n",
}

def month_start(month: str) -> pd.Timestamp:
    return pd.Timestamp(f"{month}-01")


def month_end(month: str) -> pd.Timestamp:
    return month_start(month) + pd.offsets.MonthEnd(0)


def portfolio(con: duckdb.DuckDBPyConnection, business_unit: str | None = None) -> pd.DataFrame:
    """Every project in the register with its parent pilot and, once delivered, budget variance in percent."""
    return store.fetch_df(con, "project_portfolio", {"business_unit": business_unit})


def delivery_rates(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """Per unit (the company first) the delivery metrics over the 12 months to the month's end, with their n."""
    frame = unit_month_metrics(con, month, month)
    frame.insert(0, "unit", frame["business_unit"].fillna(COMPANY))
    if business_unit is not None:
        frame = frame[frame["unit"].isin([COMPANY, business_unit])]
    counts = list(dict.fromkeys(DELIVERY_METRICS.values()))
    frame[counts] = frame[counts].fillna(0).astype(int)  # nothing delivered: a count of 0, not unknown
    columns = ["unit", *dict.fromkeys(name for pair in DELIVERY_METRICS.items() for name in pair)]
    return frame[columns].reset_index(drop=True)


def timeline_category(status: str, outcome: str | None) -> str:
    """A delivered project by its outcome ('delivered' while none is recorded), any other by its status."""
    if status == "delivered":
        return outcome if isinstance(outcome, str) else "delivered"
    return status


def timeline(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """One row per project, by unit and start: the planned span and the actual span as of the month's end.

    The actual span runs to actual_end; a started project that is still active runs to the month's end; a
    planned or cancelled project without an actual end has no actual span.
    """
    projects = portfolio(con, business_unit)
    as_of = month_end(month)
    started_and_active = (projects["status"] == "active") & (projects["start_date"] <= as_of)
    rows = projects[["project_id", "business_unit", "name", "status", "outcome", "start_date", "planned_end"]].copy()
    rows["ongoing"] = projects["actual_end"].isna() & started_and_active
    rows["actual_to"] = projects["actual_end"].mask(rows["ongoing"], as_of)
    rows["category"] = [timeline_category(s, o) for s, o in zip(projects["status"], projects["outcome"])]
    return rows.sort_values(["business_unit", "start_date", "project_id"]).reset_index(drop=True)


def budget_variance(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """Projects delivered in the 12 months to the month's end with their budget variance, largest overrun first."""
    projects = portfolio(con, business_unit)
    window_start = month_start(shift_month(month, -(TRAILING_MONTHS - 1)))
    delivered = projects[(projects["status"] == "delivered") & projects["budget_variance_pct"].notna()
                         & (projects["actual_end"] >= window_start) & (projects["actual_end"] <= month_end(month))]
    columns = ["project_id", "business_unit", "name", "actual_end", "budget", "spend", "budget_variance_pct"]
    return delivered[columns].sort_values("budget_variance_pct", ascending=False).reset_index(drop=True)
