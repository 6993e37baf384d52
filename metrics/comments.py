"""Free-text comments: shown only from groups large enough that a comment cannot be traced to its writer."""

from __future__ import annotations

import duckdb
import pandas as pd

from metrics import store
from metrics.store import settings


def comment_threshold(con: duckdb.DuckDBPyConnection) -> int:
    return settings.comment_threshold(con)


def comments(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """business_unit, department, comment for the month; only from groups of at least the comment threshold."""
    return store.fetch_df(con, "comments", {"month": month, "business_unit": business_unit})


def withheld(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> int:
    """How many comments of the month (for the unit or the company) are not shown because their group is small."""
    return store.fetch_rows(
        con,
        """SELECT count(*) FILTER (WHERE nullif(trim(comment), '') IS NOT NULL) FROM survey_published
           WHERE wave = $month AND ($business_unit IS NULL OR business_unit = $business_unit)""",
        {"month": month, "business_unit": business_unit})[0][0] - len(comments(con, month, business_unit))
