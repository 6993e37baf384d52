"""Shared page plumbing: the cached store, reads cached by the data's version, the shared filters."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import Iterator

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from metrics import catalog, opening, roles, scorecard, store
from metrics.scorecard import COMPANY, month_label
from ui import auth

ALL_UNITS = "All units"
SOURCE = "Source: Collaboration Health pulse survey, meeting records, joint-project register and KPI feed"

_log = logging.getLogger(__name__)


@st.cache_resource(show_spinner="Opening the database…")
def _connection(path: str):
    # the dashboard serves the file it holds, so commands and other dashboards reach the store (README), unless
    # COLLAB_DB_SERVE=0 says it is the only process (the tests' AppTests: a server is some 130 threads)
    return opening.open_store(path, serve=store.serving_wanted())


def connection():
    con = _connection(store.resolve_db_path())
    if store.is_remote(con) and not con.alive():
        # the process serving the store has gone: open it again (this process may hold and serve it now)
        _connection.clear()
        con = _connection(store.resolve_db_path())
    return con


@st.cache_resource(show_spinner=False)
def warm_up() -> None:
    """Once per server: import the statistics and board-pack libraries in the background while the first page
    is read, so that the Results and Board pack pages do not pay for those imports on their first run.

    Then freeze what is loaded by then out of the garbage collector's way: the libraries' objects (some 170,000)
    live as long as the server, yet each full collection walked them all (0.12-0.15 s, landing on whichever
    rerun happened to cross the threshold). gc.freeze() keeps them out of every later collection; the cost is
    that reference cycles alive at that moment are never collected once they die, a one-off of a few objects."""
    import threading

    def load() -> None:
        import atexit
        import gc

        import metrics.boardpack  # noqa: F401
        import metrics.stats  # noqa: F401

        gc.freeze()
        atexit.register(gc.unfreeze)  # at exit the collector sees everything again, or extensions report leaks

    threading.Thread(target=load, name="warm-up", daemon=True).start()


_this_run = threading.local()   # the store's version, read once in a script run (each session's runs share a thread)


def data_version() -> tuple:
    """The store's state for the caches: its data and its settings (a changed threshold changes figures and texts).

    Read once in each script run: a page asks for it at every read (some 17 on the Alignment page), and through
    the store's server each asking is a round trip (4 ms; 70 of a warm rerun's 130 ms). A run's marker is the dict
    of widget cursors Streamlit makes anew at the start of every run (ScriptRunContext.reset, Streamlit as pinned);
    refresh() forgets the version, so a write in a run is read in that run."""
    ctx = get_script_run_ctx()
    marker = None if ctx is None else ctx.cursors
    if marker is not None and getattr(_this_run, "marker", None) is marker:
        return _this_run.version
    try:
        version = store.cache_key(connection())
    except store.StoreGone:
        version = store.cache_key(connection())   # marked gone by the first try: connection() opens the store again
    _this_run.marker, _this_run.version = marker, version
    return version


def current_user() -> str:
    """Who is importing: the signed-in user when sign-in is configured, else the local user."""
    return auth.access().user


def refresh() -> None:
    """After an import or undo: every page must see the new data."""
    _this_run.marker = None   # the version is read again, in this run too
    st.cache_data.clear()
    _figure.clear()  # keyed by the figures' data, so never stale; cleared only to free what no page will ask for


def _key() -> tuple[str, tuple]:
    return store.resolve_db_path(), data_version()


@st.cache_data(show_spinner=False, max_entries=256)
def _read(name: str, _function, path: str, version: tuple, args: tuple, kwargs: tuple):
    """The cache itself (Streamlit's st.cache_data): keyed by the function's name, the store, its data version and
    the arguments; the function object rides along unhashed (the leading underscore), called as it is."""
    return _function(connection(), *args, **dict(kwargs))


def read(function, *args, **kwargs):
    """Call a metrics/ function `function(con, *args)`, cached until the data changes (an import or undo): one
    cache for every read, under one version key (the store's path and data version)."""
    return _read(f"{function.__module__}:{function.__qualname__}", function, *_key(), args,
                 tuple(sorted(kwargs.items())))


def months() -> list[str]:
    return read(scorecard.months_available)


def units() -> list[str]:
    return read(scorecard.business_units)


@contextmanager
def error_boundary(data_page, access: auth.Access) -> Iterator[None]:
    """Whatever goes wrong inside (a page, the shared filters) is said in words on the page, with the way out (the
    Data page, where an import can be undone), not as a traceback; the traceback goes to the server's log.
    st.stop and st.rerun pass through: they are not Exceptions."""
    try:
        yield
    except (store.StoreBusy, store.StoreGone, store.StoreUnreadable) as error:
        # the store cannot be reached or read at all: the data is not at fault, and the message says what to do
        st.error(" ".join(str(error).split()), icon=":material/error:")
    except Exception as error:
        _log.exception("a page failed to draw")
        what = " ".join(str(error).split())[:300].rstrip(".") or type(error).__name__
        way_out = ("The Data page lists every import; undoing the one that brought the value puts the pages right."
                   if access.allows(roles.UNDO) else
                   "An admin can undo the import that brought the value, on the Data page: ask one.")
        st.error(f"This page could not be drawn: {what}.\n\nThis comes from the stored data: most often a value "
                 "no check foresaw, such as a date far outside the data's range (9999-12-31, 0001-01) or a value "
                 f"written to the database directly. {way_out}", icon=":material/error:")
        if access.allows(roles.DATA):
            st.page_link(data_page, label="Open the Data page: import history and undo", icon=":material/upload_file:")


def sidebar_filters() -> None:
    """Month and business unit, kept in session state so every page shares them."""
    available = months()
    if not available:
        st.sidebar.warning("The database holds no data yet. Upload files on the Data page.")
        return
    options = available[::-1]
    if st.session_state.get("month") not in options:
        st.session_state["month"] = scorecard.default_month(available)
    st.sidebar.selectbox("Month", options, key="month", format_func=month_label)
    unit_options = [ALL_UNITS, *units()]
    if st.session_state.get("business_unit") not in unit_options:
        st.session_state["business_unit"] = ALL_UNITS
    st.sidebar.selectbox("Business unit", unit_options, key="business_unit")


def selected_month() -> str | None:
    return st.session_state.get("month")


def month_or_stop(title: str, missing: str) -> str:
    """The page's own sign-in check (however it was reached), then the selected month; with no data at all, the
    page says what to upload and stops there."""
    auth.require(roles.PAGES, title)
    month = selected_month()
    if month is None:
        st.title(title)
        st.info(f"No data yet: {missing}")
        st.stop()
    return month


def selected_unit() -> str | None:
    unit = st.session_state.get("business_unit", ALL_UNITS)
    return None if unit == ALL_UNITS else unit


def as_of() -> str:
    return read(store.as_of)


def page_header(title: str, month: str) -> None:
    st.title(title)
    st.caption(f"{month_label(month)} · data as of {as_of()} · {SOURCE}")


CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


@st.cache_resource(show_spinner=False, max_entries=256)
def _figure(name: str, _builder, as_of: str, args: tuple, kwargs: tuple):
    """`builder(*args, **kwargs)` stamped with the as-of date, and its image's file name, built once for the same
    inputs (hashed by value, so new data gives a new figure). A cache_resource, not cache_data: cache_data would
    pickle the figure and plotly would validate it afresh on every rerun, which costs about as much as drawing it.
    Nothing changes a figure once built (st.plotly_chart serialises a copy), so sessions can share it."""
    from metrics.charts.style import file_stem, stamp

    figure = _builder(*args, **dict(kwargs))
    return stamp(figure, as_of), file_stem(figure)


def chart(builder, *args, **kwargs) -> None:
    """The chart `builder(*args, **kwargs)` (a metrics.charts function) with the data's as-of date in it and a PNG
    download at three times screen resolution; a rerun with the same data reuses the built figure."""
    figure, stem = _figure(f"{builder.__module__}:{builder.__qualname__}", builder, as_of(), args,
                           tuple(sorted(kwargs.items())))
    config = {**CHART_CONFIG, "toImageButtonOptions": {"format": "png", "scale": 3, "filename": stem}}
    st.plotly_chart(figure, width="stretch", config=config)


def fmt(value, digits: int = 1, suffix: str = "") -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:.{digits}f}{suffix}"


ROW_PX = 35  # a table row's height in Streamlit's data grid, the header's too


def editor_height(rows: int) -> int:
    """A data editor tall enough for its rows, its header and the row to add one, so nothing scrolls inside it
    (up to 25 rows; beyond, it scrolls)."""
    return ROW_PX * (min(rows, 25) + 2) + 3


def review_tile(column, name: str, value) -> None:
    """A review metric (catalogue `name`) as a tile: its value, red/amber/green against its target, the target."""
    metric = catalog.metric(name)
    value = None if value is None or pd.isna(value) else float(value)   # a table's missing value is NaN
    percent = metric.unit.startswith("percent") or metric.unit == "%"
    with column:
        shown = "–" if value is None else f"{round(value, 1):g}" + ("%" if percent else "")   # 62.5%, 75%, 3
        st.metric(metric.short_label, shown,
                  border=True, help=f"{metric.label}: {metric.description}")
        target = f"{metric.target:g}%" if percent else f"{metric.target:g}"
        st.caption(f"{status_badge(metric.status(value))} target {'at most ' if metric.direction == catalog.LOWER else ''}"
                   f"{target}")


def status_badge(status: str | None) -> str:
    colour = {"green": "green", "amber": "orange", "red": "red"}.get(status, "gray")
    return f":{colour}-badge[{catalog_status_label(status)}]"


def catalog_status_label(status: str | None) -> str:
    from metrics.charts import STATUS_LABELS

    return STATUS_LABELS[status]


__all__ = ["COMPANY", "catalog", "month_label"]


# Presentation mode hides the sidebar, the header and every control, so a page can be captured clean for a
# slide; the charts' own toolbars go too. Only the exit button at the very bottom stays.
PRESENTATION_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], .modebar-container {
    display: none !important;
}
[data-testid="stElementContainer"]:has(.stSelectbox, .stTextInput, .stNumberInput, .stCheckbox, .stToggle,
    .stFileUploader, .stDownloadButton, .stButton, .stRadio) { display: none !important; }
[data-testid="stElementContainer"].st-key-exit_presentation { display: block !important; margin-top: 4rem; }
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem !important; }
</style>
"""


def _leave_presentation() -> None:
    st.session_state["presentation"] = False


def presentation_toggle() -> None:
    if st.query_params.get("present") == "1" and "presentation" not in st.session_state:
        st.session_state["presentation"] = True
    st.sidebar.toggle("Presentation mode", key="presentation",
                      help="Hide the sidebar and the controls so the page can be captured clean for a slide.")
    if st.session_state.get("presentation"):
        st.html(PRESENTATION_CSS)


def presentation_exit() -> None:
    if st.session_state.get("presentation"):
        st.button("Exit presentation mode", key="exit_presentation", on_click=_leave_presentation)
