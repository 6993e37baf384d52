"""Collaboration Health: the router. Page config, navigation over pages/, the shared filters."""

import streamlit as st

from pages import _ui

st.set_page_config(page_title="Collaboration Health", page_icon="🤝", layout="wide")

navigation = st.navigation(
    {
        "Monthly review": [
            st.Page("pages/scorecard.py", title="Scorecard", icon=":material/dashboard:", default=True),
        ],
    }
)
_ui.sidebar_filters()
navigation.run()
