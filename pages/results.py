"""Results: does better collaboration go with better business results? Index against KPI, with lags."""

import streamlit as st

from metrics import linkage
from metrics.charts import results as charts
from ui import shared

month = shared.month_or_stop("Collaboration and results", "upload survey exports and KPIs on the Data page.")

label = shared.month_label(month)
shared.page_header("Collaboration and results", month)
st.info(linkage.CAUSATION_NOTE, icon=":material/info:")

kpis = shared.read(linkage.kpi_names)
if not kpis:
    st.warning("No KPIs stored yet: import a KPI file on the Data page.")
    st.stop()
left, middle, right = st.columns([2, 2, 1])
kpi = left.selectbox("KPI", kpis, index=kpis.index("margin_growth_pct") if "margin_growth_pct" in kpis else 0,
                     key="results_kpi", format_func=linkage.kpi_label)
index = middle.selectbox("Collaboration index", list(linkage.INDEXES), format_func=linkage.INDEXES.get,
                         key="results_index")
lag = right.number_input("Lag (months)", min_value=0, max_value=6, value=2, step=1, key="results_lag")
index_label, kpi_label = linkage.INDEXES[index], linkage.kpi_label(kpi)

lags = shared.read(linkage.lag_table, kpi, index, 6)
st.markdown(linkage.lag_sentence(lags, index_label, kpi_label))

shared.chart(charts.scatter, shared.read(linkage.scatter_data, kpi, index, int(lag)), index_label, kpi_label, int(lag))
shared.chart(charts.lag_chart, lags, index_label, kpi_label)

st.dataframe(linkage.lag_frame(lags), hide_index=True, width="stretch", column_config={
    "lag": "Lag (months)", "n": "n (unit-months)", "pearson_r": st.column_config.NumberColumn("Pearson r", format="%.2f"),
    "ci_low": st.column_config.NumberColumn("95% CI low", format="%.2f"),
    "ci_high": st.column_config.NumberColumn("95% CI high", format="%.2f"),
    "p_value": st.column_config.TextColumn("p-value"),
    "spearman_rho": st.column_config.NumberColumn("Spearman ρ", format="%.2f"),
    "within_unit_r": st.column_config.NumberColumn("Within-unit r", format="%.2f")})

shared.chart(charts.quartile_chart, shared.read(linkage.quartile_view, kpi, index, int(lag)), index_label, kpi_label,
          int(lag))
benchmark = shared.read(linkage.seed_benchmark)
shared.chart(charts.benchmark_chart, benchmark)
st.caption(linkage.benchmark_sentence(benchmark))

st.subheader("Where to act")
drivers = shared.read(linkage.driver_view, month)
shared.chart(charts.driver_chart, drivers, label, linkage.kpi_label("margin_growth_pct"))
st.caption("Each dimension's company score this month against how closely unit-months with a higher score were "
           "followed by higher margin growth over the next three months. Stars: below-median score with an "
           "above-median link: the places where improvement may pay most. " + linkage.CAUSATION_NOTE)
