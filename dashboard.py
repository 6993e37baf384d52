"""Collaboration Health: the router. Page config, who may see what, navigation over pages/, the shared filters.

`streamlit run dashboard.py` reads this file in two ways. Imported (as the module `dashboard`), it gives `app`:
Streamlit's server behind the product's own guards (ui/server.py: uploads, cache clearing and deferred downloads
checked against the role, Secure cookies). Run as a page view's script (`__main__`), it is the router: main()."""

import streamlit as st

from metrics import roles
from ui import auth, shared


def main() -> None:
    st.set_page_config(page_title="Collaboration Health", page_icon=":material/handshake:", layout="wide")
    access = auth.access()

    def page(path: str, title: str, icon: str, capability: str = roles.PAGES, **kwargs) -> st.Page:
        # A page the role cannot use stays registered but out of the menu: its URL then reaches the page's own
        # refusal rather than falling back to another page.
        visibility = "visible" if access.allows(capability) else "hidden"
        return st.Page(path, title=title, icon=icon, visibility=visibility, **kwargs)

    data_page = page("pages/data.py", "Data", ":material/upload_file:", roles.DATA)
    sections = {
        "Monthly review": [
            page("pages/scorecard.py", "Scorecard", ":material/dashboard:", default=True),
            page("pages/review.py", "Review", ":material/edit_note:"),
            page("pages/alignment.py", "Alignment", ":material/compare_arrows:"),
            page("pages/results.py", "Collaboration and results", ":material/trending_up:"),
            page("pages/meetings.py", "Meetings", ":material/groups:"),
            page("pages/projects.py", "Joint projects", ":material/rocket_launch:"),
            page("pages/boardpack.py", "Board pack", ":material/slideshow:"),
        ],
        "Data": [data_page],
        "Reference": [
            page("pages/definitions.py", "Definitions", ":material/menu_book:"),
        ],
    }
    if not access.allows(roles.DATA):  # a section of hidden pages only would still show its heading
        sections["Reference"].append(sections.pop("Data")[0])

    # Always called, even for the sign-in page: until some run calls st.navigation, Streamlit serves pages/ as an
    # old-style multipage app whose pages run without this script.
    navigation = st.navigation(sections, position="sidebar" if access.allows(roles.PAGES) else "hidden")
    auth.mark_routed()
    if not access.allows(roles.PAGES):
        auth.show_gate(access)  # the sign-in page, the no-role page or a broken roles file, and nothing else; stops
    auth.sidebar_account(access)
    shared.warm_up()
    # A value in the store that no check foresaw must not take every page down with a traceback: the filters and
    # the page each say what went wrong and link to the Data page, which draws without them, to undo the import.
    with shared.error_boundary(data_page, access):
        shared.sidebar_filters()
    shared.presentation_toggle()
    with shared.error_boundary(data_page, access):
        navigation.run()
    shared.presentation_exit()


if __name__ == "__main__":
    main()
else:  # imported by `streamlit run` (or an ASGI server such as uvicorn) to find the app it serves
    from starlette.middleware import Middleware

    from ui.server import Guard

    # Written out as st.App(...): `streamlit run` finds the app by reading this file, not by running it.
    app = st.App(__file__, middleware=[Middleware(Guard)])
