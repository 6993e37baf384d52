"""Collaboration Health's analytic core: store, imports, metrics, charts. Never imports Streamlit."""
