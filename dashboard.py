"""Collaboration Health: the router. Page config, navigation over pages/, the shared filters."""

import streamlit as st

from pages import _ui

st.set_page_config(page_title="Collaboration Health", page_icon=":material/handshake:", layout="wide")

navigation = st.navigation(
    {
        "Monthly review": [
            st.Page("pages/scorecard.py", title="Scorecard", icon=":material/dashboard:", default=True),
            st.Page("pages/alignment.py", title="Alignment", icon=":material/compare_arrows:"),
            st.Page("pages/results.py", title="Collaboration and results", icon=":material/trending_up:"),
            st.Page("pages/meetings.py", title="Meetings", icon=":material/groups:"),
            st.Page("pages/projects.py", title="Joint projects", icon=":material/rocket_launch:"),
            st.Page("pages/boardpack.py", title="Board pack", icon=":material/slideshow:"),
        ],
        "Data": [
            st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
        ],
        "Reference": [
            st.Page("pages/definitions.py", title="Definitions", icon=":material/menu_book:"),
        ],
    }
)
_ui.warm_up()
_ui.sidebar_filters()
_ui.presentation_toggle()
navigation.run()
_ui.presentation_exit()
