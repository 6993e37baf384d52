"""Meetings: whether each unit keeps its monthly joint steering meeting, who attends, and whether the leads do."""

import streamlit as st

from metrics import catalog, meetings
from metrics.charts import meetings as charts
from metrics.scorecard import COMPANY
from ui import shared

month = shared.month_or_stop("Joint meetings", "upload meeting and attendance records on the Data page.")

unit = shared.selected_unit()
scope = unit or COMPANY
label = shared.month_label(month)
shared.page_header(f"Joint meetings · {label}", month)

summary = shared.read(meetings.unit_summary, month, unit)
scope_rows = summary[summary["unit"] == scope]
if scope_rows.empty:
    st.info(f"{scope} has no meeting records. The company figures are shown instead.")
    scope_rows = summary[summary["unit"] == COMPANY]
current = scope_rows.iloc[0]


def tile(column, name: str, count: str | None = None, count_label: str = "") -> None:
    metric = catalog.metric(name)
    with column:
        st.metric(metric.short_label, shared.fmt(current[name], 0, "%"), border=True,
                  help=f"{metric.label}: {metric.description}")
        note = f"target {metric.target:g}%"
        if count:
            note = f"n = {current[count]} {count_label} · " + note
        st.caption(note)


columns = st.columns(4)
tile(columns[0], "cadence_adherence")
tile(columns[1], "cadence_adherence_3m")
tile(columns[2], "attendance_rate", "attendance_rate_n", "invitations")
tile(columns[3], "leadership_presence", "leadership_presence_n", "steering meetings")
if unit is None:
    st.caption("Company cadence = the share of units that held their joint steering meeting.")

st.subheader("The monthly steering meeting")
grid = shared.read(meetings.cadence_grid, month, unit)
shared.chart(charts.cadence_chart, grid, summary, month)

units = summary[summary["unit"] != COMPANY]
if units.empty:
    st.info("No business unit has meeting records yet.")
else:
    streaks = units[["unit", "steering_meeting", "cadence_adherence_3m", "current_streak", "longest_streak",
                     "longest_streak_span"]]
    st.dataframe(
        streaks, hide_index=True, width="stretch", placeholder="–",
        column_config={
            "unit": st.column_config.TextColumn("Unit", pinned=True),
            "steering_meeting": st.column_config.TextColumn(f"Steering meeting, {label}"),
            "cadence_adherence_3m": st.column_config.NumberColumn(
                "Cadence, last 3 months (%)", format="%.0f", help=catalog.metric("cadence_adherence_3m").description),
            "current_streak": st.column_config.NumberColumn(
                "Current run (months)", format="%d",
                help=f"Consecutive months up to {label} in which the steering meeting was held"),
            "longest_streak": st.column_config.NumberColumn(
                "Longest run (months)", format="%d", help=f"The longest such run in the records up to {label}"),
            "longest_streak_span": st.column_config.TextColumn("Longest run: when"),
        },
    )

st.subheader("Attendance by department")
attendance = shared.read(meetings.attendance_by_type, month, unit)
shared.chart(charts.attendance_chart, attendance, month, scope)

st.subheader("Leadership presence")
trend = shared.read(meetings.leadership_trend, month, unit)
shared.chart(charts.leadership_chart, trend, month)

people = summary[["unit", "attendance_rate", "attendance_rate_n", "attendance_rate_marketing", "attendance_rate_it",
                  "leadership_presence", "leadership_presence_n"]]
st.dataframe(
    people, hide_index=True, width="stretch", placeholder="–",
    column_config={
        "unit": st.column_config.TextColumn("Unit", pinned=True),
        "attendance_rate": st.column_config.NumberColumn(f"Attendance, {label} (%)", format="%.1f",
                                                         help=catalog.metric("attendance_rate").description),
        "attendance_rate_n": st.column_config.NumberColumn("n invitations", format="%d"),
        "attendance_rate_marketing": st.column_config.NumberColumn("Marketing (%)", format="%.1f"),
        "attendance_rate_it": st.column_config.NumberColumn("IT (%)", format="%.1f"),
        "leadership_presence": st.column_config.NumberColumn(
            "Both leads present (%)", format="%.0f", help=catalog.metric("leadership_presence").description),
        "leadership_presence_n": st.column_config.NumberColumn("n steering meetings", format="%d"),
    },
)
st.caption("Attendance counts marketing and IT invitees of held meetings. – = no held meeting in the month. "
           "Units with no meeting records at all are not listed.")
