"""Alignment: where marketing and IT agree and differ, dimension by dimension and statement by statement."""

import streamlit as st

from metrics import alignment, catalog, collaboration, comments
from metrics.store import settings
from metrics.charts import alignment as charts
from metrics.charts import perception_gap_chart
from metrics.scorecard import COMPANY
from ui import shared

month = shared.month_or_stop("Alignment", "upload survey exports on the Data page.")

unit = shared.selected_unit()
scope = unit or COMPANY
label = shared.month_label(month)
shared.page_header(f"Alignment · {label}", month)
target = catalog.metric("alignment_index").target
limits = shared.read(settings.current)

shared.chart(charts.dimension_heatmap, shared.read(alignment.unit_dimension_scores, month), label, target,
          limits["anonymity_threshold"])

shared.chart(perception_gap_chart, shared.read(alignment.scope_dimensions, month, unit), scope, label)
trends = shared.read(alignment.department_trends, month, unit)
shared.chart(charts.department_trend, trends, scope, label, catalog.metric("marketing_index").target)

shared.chart(charts.likert_bars, shared.read(alignment.likert_distribution, month, unit), scope, label)

rates = shared.read(alignment.unit_rates, month)
shared.chart(charts.response_rates, rates, label, catalog.RESPONSE_RATE_FLAG)
flagged = shared.read(alignment.low_response_groups, month)
if len(flagged):
    st.warning(f"Response rate under {catalog.RESPONSE_RATE_FLAG:g}%: " + "; ".join(
        f"{r.unit} {r.department} {r.rate:.0f}%" for r in flagged.itertuples())
        + ". Read these groups' figures with care.")

shared.chart(charts.partner_rates, rates, label, alignment.SEED_PARTNER_RATES)
shared.chart(charts.partner_nps, rates, label)

# ---- Say and do (issue 19): measured collaboration (Viva Insights) beside what the survey says ----
st.subheader("Say and do")
if shared.read(collaboration.has_data):
    shared.chart(charts.say_and_do, shared.read(collaboration.say_and_do, month), label,
                 limits["anonymity_threshold"])
    shared.chart(charts.say_and_do_trend, shared.read(collaboration.say_and_do_trend, month, unit), scope, label)
    st.caption(f"{catalog.metric('collaboration_hours').description} Source: {collaboration.SOURCE}.")
else:
    st.caption("No measured collaboration stored yet: import a Microsoft Viva Insights group-to-group query (or the "
               "collaboration template) on the Data page to see what marketing and IT do beside what they say.")
# ---- end say and do ----

st.subheader(f"In their own words · {scope}")
said = shared.read(comments.comments, month, unit)
withheld = shared.read(comments.withheld, month, unit)
if len(said):
    st.dataframe(said.rename(columns={"business_unit": "Business unit", "department": "Department",
                                      "comment": "Comment"}), hide_index=True, width="stretch")
else:
    st.caption("No comment to show for this month.")
if withheld:
    st.caption(f"{withheld} comment(s) come from groups of fewer than {limits['comment_threshold']} respondents "
               "and are not shown, so that no one can be recognised by what they wrote.")
st.caption("Survey figures for groups of fewer than "
           f"{limits['anonymity_threshold']} respondents are hidden, and so is the next-smallest group where "
           "the hidden one could otherwise be worked out from the company figure.")
