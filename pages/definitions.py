"""Definitions: every metric's definition from the catalogue, how figures are computed, and the common glossary."""

import streamlit as st

from metrics import catalog, glossary, roles
from metrics.store import settings
from ui import auth, shared

auth.require(roles.PAGES, "Definitions")
st.title("Definitions")
st.caption("What every figure on this dashboard means, how it is worked out, and the words marketing and IT "
           "agree to use. Source: the metric catalogue that every page, export and the command line read.")

limits = shared.read(settings.current)
st.header("Metrics")
st.dataframe(
    glossary.metric_definitions(),
    hide_index=True,
    width="stretch",
    height="content",
    # The long formula last, so the short columns one scans by stay in view.
    column_order=("label", "name", "unit", "direction", "target", "bands", "survey", "formula"),
    column_config={
        "label": st.column_config.TextColumn("Metric", pinned=True),
        "name": st.column_config.TextColumn("Name in exports and the CLI"),
        "formula": st.column_config.TextColumn("How it is worked out", width="large"),
        "unit": st.column_config.TextColumn("Unit"),
        "direction": st.column_config.TextColumn("Direction"),
        "target": st.column_config.NumberColumn("Target", format="%g", help="At or beyond the target is green"),
        "bands": st.column_config.TextColumn("Amber and red"),
        "survey": st.column_config.CheckboxColumn(
            f"Survey figure (min. {limits['anonymity_threshold']} respondents)",
            help=f"A survey figure is hidden for a group of fewer than {limits['anonymity_threshold']} respondents"),
    },
)

with st.expander("Every formula in full"):
    for metric in catalog.METRICS:
        st.markdown(f"**{metric.label}** (`{metric.name}`): {metric.description}")

st.subheader("Collaboration Health Index weights")
st.dataframe(
    glossary.chi_weights(),
    hide_index=True,
    column_config={
        "label": st.column_config.TextColumn("Part"),
        "name": st.column_config.TextColumn("Name"),
        "weight": st.column_config.NumberColumn("Weight", format="%.2f"),
    },
)

st.header("How figures are computed")
for paragraph in glossary.how_computed(limits["anonymity_threshold"], limits["comment_threshold"]):
    st.markdown(paragraph)

st.header("Common language")
st.caption(glossary.PURPOSE)
query = st.text_input("Search the glossary", key="glossary_search", placeholder="e.g. shadow, consent, pilot")
terms = glossary.search(query)
st.caption(f"{len(terms)} of {len(glossary.TERMS)} terms")
if terms.empty:
    st.info(f"No term mentions “{query.strip()}”. Try a shorter word.")
for term in terms.itertuples(index=False):
    with st.expander(term.term):
        st.markdown(f"**Marketing usually means:** {term.marketing}")
        st.markdown(f"**IT usually means:** {term.it}")
        st.markdown(f"**Shared definition:** {term.shared}")
