"""Joint meetings: the monthly steering cadence, its streaks, attendance by department and leadership presence."""

from __future__ import annotations

import calendar

import duckdb
import pandas as pd

from metrics import store, vocabulary
from metrics.scorecard import COMPANY, history, shift_month, unit_month_metrics

TRAILING_MONTHS = 12
MEETING_TYPES = ("all", *vocabulary.MEETING_TYPES)   # attendance is shown over all held meetings, then by type
CADENCE_STATE_LABELS = {"held": "Held", "cancelled": "Cancelled", "none": "None on record",
                        "not_recorded": "Before records began"}


def window_start(month: str, months: int = TRAILING_MONTHS) -> str:
    """The first month of the `months` months ending at `month`."""
    return shift_month(month, -(months - 1))


def short_month(month: str) -> str:
    """'Oct 2026': month labels for chart titles and ticks (any year to 9999: pandas cannot write out year 0)."""
    year, mon = month.split("-")
    return f"{calendar.month_abbr[int(mon)]} {int(year)}"


def span_label(first: str | None, last: str | None) -> str | None:
    """'Nov 2025 – Oct 2026' (one month's label when they are the same; None without months)."""
    if not isinstance(first, str) or not isinstance(last, str):
        return None
    return short_month(last) if first == last else f"{short_month(first)} – {short_month(last)}"


def cadence_grid(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """Business unit x month for the 12 months to `month`: steering meetings held and cancelled, and the state."""
    return store.fetch_df(con, "meeting_cadence_grid",
                          {"month_from": window_start(month), "month_to": month, "business_unit": business_unit})


def steering_streaks(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """Per unit: the run of consecutive months with a held steering meeting ending at `month`, and the longest run."""
    return store.fetch_df(con, "meeting_streaks", {"month": month, "business_unit": business_unit})


def attendance_by_type(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """Attendance rate of marketing and IT by meeting type ('all' too), for the month and the trailing 12 months."""
    return store.fetch_df(con, "meeting_attendance",
                          {"month_from": window_start(month), "month": month, "business_unit": business_unit})


def _scoped(frame: pd.DataFrame, business_unit: str | None) -> pd.DataFrame:
    """The company and every unit, or the company and one unit (the company stays as the yardstick)."""
    if business_unit is None:
        return frame
    return frame[frame["unit"].isin([COMPANY, business_unit])]


def leadership_trend(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """Leadership presence and its n (held steering meetings) per unit and month, 12 months to `month`."""
    frame = history(con, month, TRAILING_MONTHS)
    meeting_units = set(cadence_grid(con, month)["business_unit"])
    frame = frame[(frame["unit"] == COMPANY) | frame["business_unit"].isin(meeting_units)]
    columns = ["unit", "month", "leadership_presence", "leadership_presence_n"]
    return _scoped(frame, business_unit)[columns].reset_index(drop=True)


SUMMARY_METRICS = ["cadence_adherence", "cadence_adherence_3m", "attendance_rate", "attendance_rate_n",
                   "attendance_rate_marketing", "attendance_rate_it", "leadership_presence", "leadership_presence_n"]


def unit_summary(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """One row per unit with meeting records (the company first): the month's steering state, cadence over three
    months, the streaks, attendance and leadership presence, all as the scorecard computes them."""
    grid = cadence_grid(con, month, business_unit)
    states = grid.loc[grid["month"] == month, ["business_unit", "state"]]
    units = states.merge(steering_streaks(con, month, business_unit), on="business_unit", how="left")
    scorecard_rows = unit_month_metrics(con, month, month)[["business_unit", *SUMMARY_METRICS]]
    units = units.merge(scorecard_rows, on="business_unit", how="left")
    company = scorecard_rows[scorecard_rows["business_unit"].isna()]
    summary = pd.concat([company, units], ignore_index=True)
    counts = ["attendance_rate_n", "leadership_presence_n"]
    summary[counts] = summary[counts].fillna(0).astype(int)  # no held meeting: nothing counted, not unknown
    summary.insert(0, "unit", summary["business_unit"].fillna(COMPANY))
    summary.insert(2, "steering_meeting", summary["state"].map(CADENCE_STATE_LABELS))
    summary["longest_streak_span"] = [span_label(first, last) for first, last in
                                      zip(summary["longest_streak_from"], summary["longest_streak_to"])]
    return summary
