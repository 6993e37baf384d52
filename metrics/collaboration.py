"""Say and do: measured collaboration between marketing and IT (hours per person per month, from Viva Insights or the
collaboration template) beside what the survey says of the partnership, per business unit and for the company."""

from __future__ import annotations

import duckdb
import pandas as pd

from metrics import alignment, scorecard, store
from metrics.scorecard import COMPANY, shift_month

PARTNERSHIP = "partnership"   # the survey dimension the measured hours are set beside (DESIGN.md's catalogue)
SOURCE = "Microsoft Viva Insights (group-to-group query) or the collaboration template; pulse survey"

SAY_AND_DO_COLUMNS = ["unit", "collaboration_hours", "collaboration_hours_n", "marketing_to_it", "marketing_people",
                      "it_to_marketing", "it_people", "partnership", "strategic_partner_rate_marketing",
                      "strategic_partner_rate_it"]


def directions(con: duckdb.DuckDBPyConnection, month_from: str, month_to: str) -> pd.DataFrame:
    """Per unit (Company too) and month: each direction's hours per person (the from side's people) and people."""
    return store.fetch_df(con, "collaboration_directions", {"month_from": month_from, "month_to": month_to})


def say_and_do(con: duckdb.DuckDBPyConnection, month: str) -> pd.DataFrame:
    """Per unit (Company first) for the month: measured hours per person (both directions, and each one) beside the
    survey's partnership dimension score (the mean of marketing's and IT's, hidden when either is) and the two
    strategic-partner rates. The survey figures come from the functions the Alignment page uses, so whatever they
    hide for anonymity stays hidden (null) here."""
    measured = scorecard.history(con, month, months=1)[["unit", "collaboration_hours", "collaboration_hours_n"]]
    ways = directions(con, month, month)
    ways["unit"] = ways["business_unit"].fillna(COMPANY)
    ways = ways.set_index("unit")
    rates = alignment.unit_rates(con, month).set_index("unit")
    dimensions = alignment.unit_dimension_scores(con, month)
    partnership = dimensions[dimensions["dimension"] == PARTNERSHIP].set_index("unit")["score"]
    units = [COMPANY] + sorted(u for u in set(measured["unit"]) | set(rates.index) if u != COMPANY)
    frame = measured.set_index("unit").reindex(units)
    for column in ("marketing_to_it", "marketing_people", "it_to_marketing", "it_people"):
        frame[column] = ways[column].reindex(units) if column in ways else float("nan")
    frame["partnership"] = partnership.reindex(units)
    for column in ("strategic_partner_rate_marketing", "strategic_partner_rate_it"):
        frame[column] = rates[column].reindex(units)
    frame = frame.reset_index(names="unit")
    # a unit with neither measured hours nor a survey figure this month says nothing
    said_or_done = frame[SAY_AND_DO_COLUMNS[1:]].notna().any(axis=1) | (frame["unit"] == COMPANY)
    return frame.loc[said_or_done, SAY_AND_DO_COLUMNS].reset_index(drop=True)


def say_and_do_trend(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None,
                     months: int = scorecard.TREND_MONTHS) -> pd.DataFrame:
    """The 12 months to `month` for one unit (or the company): measured hours per person and the partnership score."""
    scope = business_unit or COMPANY
    history = scorecard.history(con, month, months)
    history = history[history["unit"] == scope][["month", "collaboration_hours", "collaboration_hours_n"]]
    first = shift_month(month, -(months - 1))
    dims = scorecard.dimension_scores(con, first, month)
    dims = dims[(dims["dimension"] == PARTNERSHIP) & (dims["business_unit"].isna() if business_unit is None
                                                      else dims["business_unit"] == business_unit)]
    dims = dims.assign(partnership=(dims["marketing"] + dims["it"]) / 2)[["month", "partnership"]]
    return history.merge(dims, on="month", how="left").sort_values("month").reset_index(drop=True)


def has_data(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any collaboration is stored (a page says how to bring it in when none is)."""
    return bool(store.fetch_rows(con, "SELECT count(*) FROM collaboration")[0][0])
