"""Joint projects: the portfolio, on-time and success rates, pilots scaled, ROI, budget variance and a timeline."""

import streamlit as st

from metrics import catalog, projects
from metrics.charts import projects as charts
from metrics.scorecard import COMPANY
from ui import shared

month = shared.month_or_stop("Joint projects", "upload the joint-project register on the Data page.")

unit = shared.selected_unit()
scope = unit or COMPANY
label = shared.month_label(month)
shared.page_header(f"Joint projects · {label}", month)

rates = shared.read(projects.delivery_rates, month, unit)
current = rates[rates["unit"] == scope].iloc[0]

for column, (name, count) in zip(st.columns(len(projects.DELIVERY_METRICS)), projects.DELIVERY_METRICS.items()):
    metric = catalog.metric(name)
    with column:
        st.metric(metric.short_label, shared.fmt(current[name], 1, "%"), border=True,
                  help=f"{metric.label}: {metric.description}")
        st.caption(f"n = {current[count]} · target {metric.target:g}%")
st.caption(f"{scope}: joint projects delivered in the 12 months to the end of {label}. "
           "n = delivered projects (pilot to scale: successful pilots; mean ROI: projects with an ROI).")

st.subheader("Delivery by unit")
shared.chart(charts.delivery_rates_chart, rates, month)
RATE_COLUMNS = {  # column: heading
    "project_on_time_rate": "On time (%)", "project_on_time_rate_n": "n delivered",
    "project_success_rate": "Success (%)", "project_success_rate_n": "n delivered",
    "pilot_to_scale_rate": "Pilot to scale (%)", "pilot_to_scale_rate_n": "n successful pilots",
    "project_mean_roi": "Mean ROI (%)", "project_mean_roi_n": "n with ROI",
    "project_budget_variance": "Budget variance (%)",
}
config = {"unit": st.column_config.TextColumn("Unit", pinned=True)}
for name, heading in RATE_COLUMNS.items():
    is_count = name.endswith("_n")
    config[name] = st.column_config.NumberColumn(heading, format="%d" if is_count else "%.1f",
                                                 help=None if is_count else catalog.metric(name).description)
st.dataframe(rates[["unit", *RATE_COLUMNS]], hide_index=True, width="stretch", placeholder="–",
             column_config=config)

st.subheader("Timeline")
shared.chart(charts.timeline_chart, shared.read(projects.timeline, month, unit), month)

st.subheader("Budget variance")
shared.chart(charts.budget_variance_chart, shared.read(projects.budget_variance, month, unit), month)

st.subheader("Portfolio")
portfolio = shared.read(projects.portfolio, unit)
if portfolio.empty:
    st.info("The joint-project register is empty.")
else:
    register = portfolio[["business_unit", "name", "lead_function", "stage", "parent_pilot", "start_date",
                          "planned_end", "actual_end", "status", "outcome", "roi_pct", "budget", "spend",
                          "budget_variance_pct"]]
    date = "DD MMM YYYY"
    st.dataframe(
        register, hide_index=True, width="stretch", placeholder="–",
        column_config={
            "business_unit": st.column_config.TextColumn("Unit", pinned=True),
            "name": st.column_config.TextColumn("Project", pinned=True),
            "lead_function": st.column_config.TextColumn("Led by"),
            "stage": st.column_config.TextColumn("Stage"),
            "parent_pilot": st.column_config.TextColumn("Scales pilot"),
            "start_date": st.column_config.DateColumn("Start", format=date),
            "planned_end": st.column_config.DateColumn("Planned end", format=date),
            "actual_end": st.column_config.DateColumn("Actual end", format=date),
            "status": st.column_config.TextColumn("Status"),
            "outcome": st.column_config.TextColumn("Outcome"),
            "roi_pct": st.column_config.NumberColumn("ROI (%)", format="%.1f"),
            "budget": st.column_config.NumberColumn("Budget", format="localized"),
            "spend": st.column_config.NumberColumn("Spend", format="localized"),
            "budget_variance_pct": st.column_config.NumberColumn(
                "Budget variance (%)", format="%+.1f", help="(spend - budget) / budget x 100, once delivered"),
        },
    )
    st.caption("Every project in the register as last imported. Budget variance is shown once a project is "
               "delivered: before that, spend is only spend to date.")
