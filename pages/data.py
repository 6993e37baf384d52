"""Data: upload a file, see what was read, mapped and rejected, import it all or nothing; history and undo."""

import streamlit as st

from metrics import ingest
from pages import _ui

st.title("Data")
st.caption("Upload survey exports and other data. Nothing is written until you confirm, and every import can be "
           "undone. Personal data (names, e-mails, IP addresses, locations) is never stored.")

upload_tab, history_tab, templates_tab = st.tabs(["Upload", "Import history", "Templates"])

with upload_tab:
    kind = st.selectbox("What is in the file?", list(ingest.KIND_LABELS), format_func=ingest.KIND_LABELS.get,
                        key="data_kind")
    upload = st.file_uploader("File", type=["csv", "tsv", "txt", "xlsx"], key="data_upload",
                              help="CSV (comma, semicolon or tab; UTF-8, UTF-16 or Windows-1252) or Excel.")
    if upload is not None:
        prepared = ingest.prepare_import(_ui.connection(), kind, upload.getvalue(), upload.name)
        report = prepared.report
        read, valid, problems = st.columns(3)
        read.metric("Rows read", report.rows_read)
        valid.metric("Rows valid", report.rows_valid if prepared.importable else 0)
        problems.metric("Problems", len(report.problems) + len(prepared.blocking))
        st.caption(f"Layout: {report.layout}")
        if prepared.blocking:
            st.error("This file cannot be imported as it is:\n\n" + "\n".join(f"- {p}" for p in prepared.blocking))
        elif report.problems:
            st.warning(f"{len(prepared.bad_rows)} rows have problems. The file is refused as a whole unless you "
                       "choose to import only the valid rows.")
            st.dataframe(ingest.problems_table(report.problems), hide_index=True, width="stretch")
        skip = st.checkbox("Import only the valid rows (the others are listed in the import log)",
                           key="data_skip", disabled=not report.problems or not prepared.importable)
        replace = st.checkbox("Replace stored rows that have the same id but different values", key="data_replace")
        ready = prepared.importable and report.rows_valid > 0 and (not report.problems or skip)
        if st.button(f"Import {report.rows_valid if prepared.importable else 0} rows", type="primary",
                     disabled=not ready, key="data_import"):
            try:
                result = ingest.commit_import(_ui.connection(), prepared, skip_invalid=skip, replace=replace,
                                              user=_ui.current_user())
            except ingest.ImportRefused as refused:
                st.error("Nothing was imported:\n\n" + "\n".join(f"- {p}" for p in refused.problems))
            else:
                _ui.refresh()
                if result.import_id is None:
                    st.info(f"Nothing new: all {result.rows_valid} rows of {result.file_name} are already stored.")
                else:
                    st.success(f"Imported {result.rows_imported} rows from {result.file_name} as import "
                               f"{result.import_id} ({result.rows_unchanged} already stored, "
                               f"{result.rows_replaced} replaced, {result.rows_skipped} skipped).")

with history_tab:
    history = _ui.read(ingest.import_history)
    st.dataframe(history[["import_id", "imported_at", "kind", "file_name", "layout", "rows_read", "rows_imported",
                          "rows_unchanged", "rows_skipped", "imported_by", "state"]],
                 hide_index=True, width="stretch", column_config={
                     "import_id": "Import", "imported_at": st.column_config.DatetimeColumn("When (UTC)"),
                     "kind": "Kind", "file_name": "File", "layout": "Layout", "rows_read": "Read",
                     "rows_imported": "New", "rows_unchanged": "Already stored", "rows_skipped": "Skipped",
                     "imported_by": "By", "state": "State"})
    active = list(history.loc[history["state"] == "active", "import_id"])
    if active:
        left, right = st.columns([1, 3])
        # Keyed by the newest import so that, after an import, the choice starts at the new one.
        chosen = left.selectbox("Import to undo", active, key=f"data_undo_id_{active[0]}")
        confirm = right.checkbox(f"Yes, remove everything import {chosen} brought", key="data_undo_confirm")
        if st.button("Undo import", disabled=not confirm, key="data_undo"):
            try:
                removed = ingest.undo(_ui.connection(), int(chosen))
            except ingest.UndoRefused as refused:
                st.error(str(refused))
            else:
                _ui.refresh()
                st.success(f"Import {chosen} undone: " + ", ".join(f"{n} rows ({t})" for t, n in removed.items()))

with templates_tab:
    st.write("Each kind of data has a native CSV template: one header row, one row per record.")
    for template_kind, label in ingest.KIND_LABELS.items():
        st.download_button(f"{label} template", ingest.template_csv(_ui.connection(), template_kind),
                           file_name=f"{template_kind}_template.csv", mime="text/csv", key=f"template_{template_kind}")
