"""The monthly scorecard: every catalogue metric per business unit and for the company."""

from __future__ import annotations

import calendar
import math
from typing import Any

import duckdb
import pandas as pd

from metrics import dates, store, vocabulary
from metrics.catalog import CHI_WEIGHTS, METRICS

COMPANY = "Company"


LAST_MONTH_INDEX = 9999 * 12 + 11   # 9999-12: the last month written with four digits


def shift_month(month: str, by: int) -> str:
    """The month `by` months after `month` (before it, for a negative `by`), held within 0000-01 to 9999-12: a
    store may hold 9999-12 (a typo an import was told to accept, or a value written by hand), whose next month
    would be no month at all (10000-01) and stop every page that asks for it."""
    store.check_params({"month": month})
    year, mon = map(int, month.split("-"))
    index = min(max(year * 12 + (mon - 1) + by, 0), LAST_MONTH_INDEX)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def unit_month_metrics(con: duckdb.DuckDBPyConnection, month_from: str, month_to: str) -> pd.DataFrame:
    """One row per business unit and month (and the company, business_unit None) with every metric."""
    params = {
        "month_from": month_from, "month_to": month_to,
        "w_alignment": CHI_WEIGHTS["alignment_index"], "w_cadence": CHI_WEIGHTS["cadence_adherence_3m"],
        "w_attendance": CHI_WEIGHTS["attendance_rate"], "w_projects": CHI_WEIGHTS["project_success_rate"],
    }
    return store.fetch_df(con, "unit_month_metrics", params)


def months_available(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every month from the first to the last that holds data, newest last; outside 2000 to a year from today
    (metrics.dates), only the months that hold data. A store may hold 9999-12 or 0001-01 (an import told to accept
    any date, a value written by hand): the months between are no one's data, and 100,000 of them would be a list
    no page can offer."""
    held = [month for (month,) in store.fetch_rows(con, store.query("months_held"))]
    low, high = dates.month_of(dates.EARLIEST), dates.month_of(dates.latest())
    plausible = [month for month in held if low <= month <= high]
    months = set(held)
    if plausible:
        month = plausible[0]
        while month <= plausible[-1]:
            months.add(month)
            month = shift_month(month, 1)
    return sorted(months)


def default_month(months: list[str]) -> str | None:
    """The month a page opens on: the newest within 2000 to a year from today, not a stray 9999-12."""
    high = dates.month_of(dates.latest())
    plausible = [month for month in months if dates.month_of(dates.EARLIEST) <= month <= high]
    return (plausible or months or [None])[-1]


def month_spans(months: list[str]) -> list[tuple[str, str]]:
    """The runs of consecutive months in a sorted list, as (first, last): what a range query should ask for, so
    that 2025-01..2026-10 and a stray 9999-12 are two small ranges, not 95,000 months."""
    spans: list[tuple[str, str]] = []
    for month in months:
        if spans and shift_month(spans[-1][1], 1) == month:
            spans[-1] = (spans[-1][0], month)
        else:
            spans.append((month, month))
    return spans


def business_units(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in store.fetch_rows(con, store.query("business_units"))]


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else float(value)
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    if value is pd.NA:
        return None
    return value


def metric_keys() -> list[str]:
    keys = []
    for m in METRICS:
        keys.append(m.name)
        if m.n_name:
            keys.append(m.n_name)
    return keys


def scorecard(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> dict:
    """The month's scorecard in the JSON shape of DESIGN.md (null for suppressed or missing values)."""
    frame = unit_month_metrics(con, month, month)
    gaps = dimension_scores(con, month, month)
    keys = metric_keys() + ["response_rate_marketing", "response_rate_it",
                            "attendance_rate_marketing", "attendance_rate_it"]
    unit_gaps: dict[str | None, dict] = {}  # one pass over the gaps, not a filter of them per unit
    for r in gaps.itertuples():
        unit_gaps.setdefault(None if pd.isna(r.business_unit) else r.business_unit, {})[r.dimension] = _clean(r.gap)

    def record(row: pd.Series, unit: str | None) -> dict:
        out = {k: _clean(row[k]) for k in keys}
        for k in keys:  # counts come back as floats where pandas met a missing value
            if k.endswith("_n") and out[k] is not None:
                out[k] = int(out[k])
        out["perception_gap"] = dict(unit_gaps.get(unit, {}))
        return out

    company = frame[frame["business_unit"].isna()]
    units = frame[frame["business_unit"].notna()]
    if business_unit is not None:
        units = units[units["business_unit"] == business_unit]
    return {
        "month": month,
        "company": record(company.iloc[0], None) if len(company) else {k: None for k in keys},
        "business_units": [{"business_unit": row.business_unit, **record(row, row.business_unit)}
                           for _, row in units.iterrows()],
    }


def dimension_scores(con: duckdb.DuckDBPyConnection, month_from: str, month_to: str) -> pd.DataFrame:
    """Marketing and IT scores per dimension, unit (None = company) and month, with the signed gap."""
    return store.fetch_df(con, "dimension_scores", {"month_from": month_from, "month_to": month_to})


# ----------------------------------------------------------------------------------------------------------
# Display-ready tables for the pages and the board pack (pages do no reshaping of their own).

TREND_MONTHS = 12


def history(con: duckdb.DuckDBPyConnection, month: str, months: int = TREND_MONTHS) -> pd.DataFrame:
    """unit_month_metrics for the `months` months ending at `month`, with a 'unit' label (Company for None)."""
    frame = unit_month_metrics(con, shift_month(month, -(months - 1)), month)
    frame.insert(0, "unit", frame["business_unit"].fillna(COMPANY))
    return frame


def scorecard_table(frame: pd.DataFrame, month: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """One row per unit (Company first): each metric's value, status, change since last month, CHI trend."""
    from metrics.catalog import metric

    current = frame[frame["month"] == month].set_index("unit")
    before = shift_month(month, -1)   # 0000-01 has no month before it: shift_month holds it there
    previous = frame[(frame["month"] == before) & (before != month)].set_index("unit")
    order = [COMPANY] + sorted(u for u in current.index if u != COMPANY)
    table = pd.DataFrame(index=pd.Index(order, name="unit"))
    for name in columns:
        values = current[name].reindex(order).astype(float)
        table[name] = values
        table[f"{name}_status"] = [metric(name).status(None if pd.isna(v) else v) for v in values]
        table[f"{name}_change"] = values - previous[name].reindex(order).astype(float) if len(previous) else float("nan")
    trend = frame.pivot_table(index="unit", columns="month", values="chi", aggfunc="first", dropna=False)
    table["chi_trend"] = [
        [None if pd.isna(v) else round(float(v), 1) for v in trend.loc[u]] if u in trend.index else [] for u in order
    ]
    return table.reset_index()


def month_table(con: duckdb.DuckDBPyConnection, month: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """scorecard_table of the 12 months to `month`, read from the store in one call so a page can cache it."""
    return scorecard_table(history(con, month), month, columns)


def biggest_moves(table: pd.DataFrame, name: str = "chi", count: int = 3) -> pd.DataFrame:
    """The units whose metric moved most since the previous month, largest absolute change first."""
    units = table[(table["unit"] != COMPANY) & table[f"{name}_change"].notna()]
    order = units[f"{name}_change"].abs().sort_values(ascending=False).index
    return units.loc[order, ["unit", name, f"{name}_change"]].head(count).reset_index(drop=True)


def month_label(month: str) -> str:
    """'January 2026'; any month of years 0000 to 9999 (pandas cannot write out a date before year 1)."""
    if not (isinstance(month, str) and vocabulary.MONTH_PATTERN.fullmatch(month)):
        return str(month)
    year, mon = month.split("-")
    return f"{calendar.month_name[int(mon)]} {int(year)}"


def unit_history(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> pd.DataFrame:
    """history() for the company and one unit (all units when business_unit is None)."""
    frame = history(con, month)
    return frame if business_unit is None else frame[frame["unit"].isin([COMPANY, business_unit])]
