"""Scorecard: the month's Collaboration Health Index and its parts, per business unit and for the company."""

import streamlit as st

from metrics import alignment, catalog, charts
from metrics.store import settings
from metrics import scorecard
from metrics.scorecard import COMPANY, biggest_moves
from ui import shared

month = shared.month_or_stop("Collaboration scorecard", "upload survey exports and other data on the Data page.")

unit = shared.selected_unit()
label = shared.month_label(month)
shared.page_header(f"Collaboration scorecard · {label}", month)

SHOWN = (*catalog.SCORECARD_COLUMNS, *catalog.UNIT_REVIEW_COLUMNS)
table = shared.read(scorecard.month_table, month, (*catalog.SCORECARD_COLUMNS, *catalog.REVIEW_COLUMNS))
company = table[table["unit"] == COMPANY].iloc[0]

TILES = ("chi", "alignment_index", "cadence_adherence_3m", "attendance_rate", "project_success_rate")
for column, name in zip(st.columns(len(TILES)), TILES):
    metric = catalog.metric(name)
    with column:
        change = company[f"{name}_change"]
        st.metric(
            metric.short_label,
            shared.fmt(company[name]),
            delta=None if change != change else f"{change:+.1f}",
            delta_color="normal" if metric.direction == catalog.HIGHER else "inverse",
            border=True,
            help=f"{metric.label}: {metric.description} The small figure is the change since last month.",
        )
        st.markdown(shared.status_badge(company[f"{name}_status"]) + f" target {metric.target:g}")

st.markdown("**From the monthly review** (the register of decision rights and the actions the leaders agreed; "
            "the Review page has them)")
for column, name in zip(st.columns(len(TILES)), catalog.REVIEW_COLUMNS):
    shared.review_tile(column, name, company[name])

moves = biggest_moves(table)
if len(moves):
    top = moves.iloc[0]
    st.markdown(f"**What changed most:** {top['unit']}'s CHI moved **{top['chi_change']:+.1f} points** "
                f"to {top['chi']:.1f} since last month."
                + "".join(f" {r.unit}: {r.chi_change:+.1f}." for r in moves.iloc[1:].itertuples()))

st.subheader("By business unit")
shown = table if unit is None else table[table["unit"].isin([COMPANY, unit])]
columns = ["unit", *SHOWN]


def tint(column):
    statuses = shown[f"{column.name}_status"]
    return [f"background-color: {charts.STATUS_TINTS.get(s, 'white')}" for s in statuses]


view = shown[columns + ["chi_change", "chi_trend"]]
styled = view.style.apply(tint, subset=list(SHOWN)).format(
    {c: "{:.1f}" for c in SHOWN} | {"overdue_actions": "{:.0f}", "chi_change": "{:+.1f}"}, na_rep="–")
config = {"unit": st.column_config.TextColumn("Unit"),
          "chi_change": st.column_config.NumberColumn("CHI change", help="Points since the previous month"),
          "chi_trend": st.column_config.LineChartColumn("CHI, last 12 months", y_min=0, y_max=100)}
for name in SHOWN:
    metric = catalog.metric(name)
    config[name] = st.column_config.NumberColumn(metric.short_label,
                                                 help=f"{metric.label}: {metric.description} Target {metric.target:g}.")
st.dataframe(styled, column_config=config, hide_index=True, width="stretch")
st.caption("Cell colours: green on target, amber near target, red off target (bands from the metric catalogue). "
           f"– = hidden (fewer than {shared.read(settings.anonymity_threshold)} respondents, or hidden so a small group "
           "cannot be worked out) or no data.")

scope = shared.read(alignment.scope_dimensions, month, unit)
shared.chart(charts.perception_gap_chart, scope, unit or COMPANY, label)
chi = catalog.metric("chi")
shared.chart(charts.trend_chart, shared.read(scorecard.unit_history, month, unit), "chi", chi.label, label, target=chi.target)
