"""Linking collaboration to results: an index against a KPI at lags 0-6, quartiles, the seed benchmark, drivers."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from metrics import scorecard, stats, store
from metrics.catalog import LINKAGE_INDEXES
from metrics.scorecard import shift_month

INDEXES = LINKAGE_INDEXES   # declared in the catalogue, which the command line reads too
SEED_BENCHMARK = {"threshold": 70.0, "margin_above": 5.0, "seed_share": 72.0}
CAUSATION_NOTE = ("Correlation is not proof of cause: units that collaborate well may differ in other ways, "
                  "and good results may themselves make collaboration easier.")


def kpi_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return list(store.fetch_df(con, "kpi_names")["kpi"])


_index_cache: dict[tuple, pd.DataFrame] = {}


def unit_month_index(con: duckdb.DuckDBPyConnection, index: str = "alignment_index") -> pd.DataFrame:
    """The index of every business unit and month the store holds (hidden values are missing).

    Every view of the Results page starts from it; it is worked out once per store state (store.cache_key)."""
    if index not in INDEXES:
        raise ValueError(f"index must be one of {', '.join(INDEXES)}")
    key = (*store.cache_key(con), index)
    if key not in _index_cache:
        if len(_index_cache) >= 8:
            _index_cache.clear()
        _index_cache[key] = _unit_month_index(con, index)
    return _index_cache[key].copy()


def _unit_month_index(con: duckdb.DuckDBPyConnection, index: str) -> pd.DataFrame:
    months = scorecard.months_available(con)
    if not months:
        return pd.DataFrame(columns=["business_unit", "month", "index"])
    # one range a run of months: a stray 9999-12 is a range of its own, not the end of a 95,000-month one
    frame = pd.concat([scorecard.unit_month_metrics(con, first, last) for first, last in scorecard.month_spans(months)],
                      ignore_index=True)
    frame = frame[frame["business_unit"].notna()]
    return frame[["business_unit", "month", index]].rename(columns={index: "index"}).reset_index(drop=True)


def pairs(index_values: pd.DataFrame, kpi_values: pd.DataFrame, lag: int) -> pd.DataFrame:
    """Index of unit b in month m beside the KPI of b in month m + lag, where both are present."""
    kpi = kpi_values.assign(month=[shift_month(m, -lag) for m in kpi_values["month"]])
    joined = index_values.merge(kpi.rename(columns={"value": "kpi"}), on=["business_unit", "month"], how="inner")
    return joined.dropna(subset=["index", "kpi"]).reset_index(drop=True)


def lag_table(con: duckdb.DuckDBPyConnection, kpi: str, index: str = "alignment_index", max_lag: int = 6) -> list[dict]:
    """For each lag 0..max_lag: n, Pearson r with its interval and p-value, Spearman rho, within-unit r."""
    index_values = unit_month_index(con, index)
    kpi_values = store.fetch_df(con, "kpi_values", {"kpi": kpi})
    rows = []
    for lag in range(max_lag + 1):
        paired = pairs(index_values, kpi_values, lag)
        result = stats.correlation(paired["index"], paired["kpi"])
        rows.append({"lag": lag, **result.as_dict(),
                     "within_unit_r": stats.within_unit_r(paired, "index", "kpi", "business_unit")})
    return rows


def linkage(con: duckdb.DuckDBPyConnection, kpi: str, index: str = "alignment_index", max_lag: int = 6) -> dict:
    """The JSON of `python -m metrics linkage`."""
    return {"kpi": kpi, "index": index, "lags": lag_table(con, kpi, index, max_lag)}


def scatter_data(con: duckdb.DuckDBPyConnection, kpi: str, index: str, lag: int) -> dict:
    """The pairs at one lag, with their correlation and OLS trend line."""
    paired = pairs(unit_month_index(con, index), store.fetch_df(con, "kpi_values", {"kpi": kpi}), lag)
    return {"pairs": paired, "correlation": stats.correlation(paired["index"], paired["kpi"]),
            "trend": stats.ols_trend(paired["index"], paired["kpi"])}


def quartile_view(con: duckdb.DuckDBPyConnection, kpi: str, index: str, lag: int) -> pd.DataFrame:
    """Mean KPI per quartile of the index over all unit-months, with n; plus top-minus-bottom difference."""
    paired = pairs(unit_month_index(con, index), store.fetch_df(con, "kpi_values", {"kpi": kpi}), lag)
    if len(paired) < 8:
        return pd.DataFrame(columns=["quartile", "n", "index_low", "index_high", "mean_kpi"])
    paired["quartile"] = pd.qcut(paired["index"].rank(method="first"), 4, labels=["Q1 (lowest)", "Q2", "Q3", "Q4 (highest)"])
    table = paired.groupby("quartile", observed=True).agg(
        n=("kpi", "size"), index_low=("index", "min"), index_high=("index", "max"), mean_kpi=("kpi", "mean"),
        sd_kpi=("kpi", "std")).reset_index()
    table["quartile"] = table["quartile"].astype(str)
    difference = stats.mean_difference(paired.loc[paired["quartile"] == "Q4 (highest)", "kpi"],
                                       paired.loc[paired["quartile"] == "Q1 (lowest)", "kpi"])
    table.attrs["difference"] = difference
    return table


def seed_benchmark(con: duckdb.DuckDBPyConnection) -> dict:
    """Of unit-months with alignment index at or above SEED_BENCHMARK's threshold, the share whose margin growth (same
    month) is above its margin."""
    paired = pairs(unit_month_index(con, "alignment_index"),
                   store.fetch_df(con, "kpi_values", {"kpi": "margin_growth_pct"}), 0)
    aligned = paired[paired["index"] >= SEED_BENCHMARK["threshold"]]
    above = int((aligned["kpi"] > SEED_BENCHMARK["margin_above"]).sum())
    share, low, high = stats.share_with_interval(above, len(aligned))
    others = paired[paired["index"] < SEED_BENCHMARK["threshold"]]
    other_share, other_low, other_high = stats.share_with_interval(
        int((others["kpi"] > SEED_BENCHMARK["margin_above"]).sum()), len(others))
    return {"n": len(aligned), "above": above, "share": share, "ci_low": low, "ci_high": high,
            "seed_share": SEED_BENCHMARK["seed_share"], "others_n": len(others), "others_share": other_share,
            "others_ci_low": other_low, "others_ci_high": other_high}


def next_quarter(kpi_values: pd.DataFrame) -> pd.DataFrame:
    """Per unit and month m: the mean KPI of months m+1, m+2 and m+3 (all three must be present)."""
    ahead = pd.concat([kpi_values.assign(month=[shift_month(m, -k) for m in kpi_values["month"]]) for k in (1, 2, 3)])
    quarter = ahead.groupby(["business_unit", "month"])["value"].agg(["mean", "count"]).reset_index()
    quarter = quarter[quarter["count"] == 3]
    return quarter.rename(columns={"mean": "next_quarter"})[["business_unit", "month", "next_quarter"]]


def driver_view(con: duckdb.DuckDBPyConnection, month: str, kpi: str = "margin_growth_pct") -> pd.DataFrame:
    """Each dimension: the company's score this month against its correlation with next-quarter KPI.

    A unit-month's dimension score is the mean of marketing's and IT's (hidden when either is); the next
    quarter is the mean KPI of the three following months. Low score and high correlation = act here.
    """
    months = scorecard.months_available(con)
    if not months:
        return pd.DataFrame()
    dims = pd.concat([scorecard.dimension_scores(con, first, last) for first, last in scorecard.month_spans(months)],
                     ignore_index=True)
    dims["score"] = (dims["marketing"] + dims["it"]) / 2
    units, company = dims[dims["business_unit"].notna()], dims[dims["business_unit"].isna()]
    quarter = next_quarter(store.fetch_df(con, "kpi_values", {"kpi": kpi}))
    rows = []
    current = company[company["month"] == month].set_index("dimension")["score"]
    for dimension, part in units.groupby("dimension"):
        joined = part.merge(quarter[["business_unit", "month", "next_quarter"]], on=["business_unit", "month"])
        result = stats.correlation(joined["score"], joined["next_quarter"])
        rows.append({"dimension": dimension, "score": current.get(dimension, np.nan), "r": result.pearson_r,
                     "ci_low": result.ci_low, "ci_high": result.ci_high, "n": result.n})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["priority"] = (table["score"] < table["score"].median()) & (table["r"] > table["r"].median())
    return table.sort_values("r", ascending=False).reset_index(drop=True)


KPI_LABELS = {
    "margin_growth_pct": "margin growth (%)", "revenue_growth_pct": "revenue growth (%)",
    "customer_nps": "customer NPS", "campaign_time_to_market_days": "campaign time to market (days)",
    "martech_budget_share_pct": "martech share of marketing budget (%)", "shadow_it_tools": "shadow-IT tools (count)",
}


def kpi_label(kpi: str) -> str:
    return KPI_LABELS.get(kpi, kpi.replace("_", " "))


P_FLOOR = 0.0001  # p-values below this are written "<0.0001": four decimals of zeros would read as certainty


def p_text(p: float | None) -> str:
    """A p-value for people: four decimals, "<0.0001" below that, "–" when there is none."""
    if p is None or pd.isna(p):
        return "–"
    return f"<{P_FLOOR:g}" if p < P_FLOOR else f"{p:.4f}"


def lag_frame(lags: list[dict]) -> pd.DataFrame:
    """The lag table as shown: the p-value as text (p_text)."""
    frame = pd.DataFrame(lags, columns=["lag", "n", "pearson_r", "ci_low", "ci_high", "p_value", "spearman_rho",
                                        "within_unit_r"])
    return frame.assign(p_value=frame["p_value"].map(p_text))


def lag_sentence(lags: list[dict], index_label: str, kpi_label: str) -> str:
    """One plain sentence on the strongest lag, its n and interval."""
    usable = [row for row in lags if row["pearson_r"] is not None]
    if not usable:
        return "Too few unit-months with both figures to say anything yet."
    best = max(usable, key=lambda row: abs(row["pearson_r"]))
    strength = ("strongly" if abs(best["pearson_r"]) >= 0.5 else "moderately" if abs(best["pearson_r"]) >= 0.3
                else "weakly")
    direction = "higher" if best["pearson_r"] > 0 else "lower"
    return (f"**{index_label}** goes {strength} with **{direction} {kpi_label}** "
            f"{best['lag']} month{'s' if best['lag'] != 1 else ''} later: r = {best['pearson_r']:+.2f} "
            f"(95% CI {best['ci_low']:+.2f} to {best['ci_high']:+.2f}, n = {best['n']} unit-months; within units "
            f"r = {best['within_unit_r']:+.2f}).")


def benchmark_sentence(result: dict) -> str:
    threshold, margin, seeds = (SEED_BENCHMARK[k] for k in ("threshold", "margin_above", "seed_share"))
    if not result["n"]:
        return (f"No unit-month reached an alignment index of {threshold:g}, so the seeds' benchmark cannot be "
                "compared yet.")
    return (f"{result['above']} of {result['n']} unit-months with alignment ≥ {threshold:g} had margin growth above "
            f"{margin:g}% ({result['share']:.0f}%, 95% CI {result['ci_low']:.0f}–{result['ci_high']:.0f}%), against "
            f"{result['others_share']:.0f}% of the other {result['others_n']} and the seeds' {seeds:g}% (a survey of "
            "CIOs who work closely with their CMO: a different measure, shown for scale).")
