"""Data: upload a file, see what was read, mapped and rejected, import it all or nothing; history, undo and
exports; templates; the settings (admins)."""

import streamlit as st

from metrics import dates, ingest, roles, vocabulary
from metrics.ingest import viva
from metrics.store import settings
from ui import auth, shared


# The page checks the role itself: the menu hides it from viewers, but its URL can still be typed in.
access = auth.require(roles.DATA, "Data")
may_undo, may_configure = access.allows(roles.UNDO), access.allows(roles.SETTINGS)


def subject_rules(con, key: str):
    """The subject rules (a calendar's, a Viva meeting query's) in an editable table; what the analyst leaves."""
    with st.expander("Subject rules: which events are which meetings"):
        st.caption("A pattern is looked for in the subject (a regular expression, case ignored); the first rule that "
                   "matches gives the type, yours before the defaults. 'ignore' leaves such events out. Subjects are "
                   "read for these rules only, never stored. Your rules are remembered for the next file.")
        return st.data_editor(ingest.calendar.rules_table(con), key=key, num_rows="dynamic", hide_index=True,
                              width="stretch", disabled=["from"], column_config={
                                  "pattern": "Subject pattern",
                                  "meeting_type": st.column_config.SelectboxColumn(
                                      "Meeting type", options=list(ingest.calendar.RULE_TYPES)),
                                  "from": "From"})


st.title("Data")
st.caption("Upload survey exports and other data. Nothing is written until you confirm, and every import can be "
           "undone. Personal data (names, e-mails, IP addresses, locations) is never stored.")

tabs = ["Upload", "Import history", "Export", "Templates"] + (["Settings"] if may_configure else [])
upload_tab, history_tab, export_tab, templates_tab, *settings_tab = st.tabs(tabs)

with upload_tab:
    kind = st.selectbox("What is in the file?", list(ingest.KIND_LABELS), format_func=ingest.KIND_LABELS.get,
                        key="data_kind")
    upload = st.file_uploader("File", type=["csv", "tsv", "txt", "xlsx", "ics"], key="data_upload",
                              help="CSV (comma, semicolon or tab; UTF-8, UTF-16 or Windows-1252) or Excel; for "
                                   "meetings, also a calendar export (.ics) from Outlook or Google Calendar.")
    if upload is not None:
        con, data = shared.connection(), upload.getvalue()
        uploads = st.session_state.setdefault("data_prepared", {})   # read once, not on every rerun
        constants, layout, date_order = {}, "auto", None
        if kind == "survey":
            left, middle, right = st.columns(3)
            layout = left.selectbox("Layout", list(ingest.LAYOUT_LABELS), format_func=ingest.LAYOUT_LABELS.get,
                                    key="data_layout")
            unit = middle.text_input("Business unit (for the whole file)", key="data_unit",
                                     placeholder="taken from the file")
            department = right.selectbox("Department (for the whole file)", ["", *vocabulary.DEPARTMENTS],
                                         format_func=lambda d: d or "taken from the file", key="data_department")
            left, middle, right = st.columns(3)
            wave = left.text_input("Survey month (YYYY-MM)", key="data_wave", placeholder="month of submission")
            # staff first: the role most files are about
            role = middle.selectbox("Role (for the whole file)", ["", *reversed(vocabulary.RESPONDENT_ROLES)],
                                    format_func=lambda r: r or "taken from the file, else staff", key="data_role")
            order = right.selectbox("Dates like 03/04/2026 are", ["", "dmy", "mdy"], key="data_date_order",
                                    format_func={"": "decided by the file", "dmy": "day first (3 April)",
                                                 "mdy": "month first (4 March)"}.get)
            constants = {name: value.strip() for name, value in (("business_unit", unit), ("department", department),
                                                                 ("wave", wave), ("role", role)) if value.strip()}
            date_order = order or None
        calendar_options = {}
        if kind == "meetings" and ingest.calendar.is_calendar(data):   # a calendar export (issue 19)
            st.caption("A calendar: attendees are mapped through a people roster (addresses are never stored), and "
                       "each event's meeting type comes from its subject.")
            people = st.file_uploader("People roster (CSV or Excel: e-mail, department, role, business unit)",
                                      type=["csv", "tsv", "txt", "xlsx"], key="data_roster",
                                      help="From HR: one row per person. It is read for this import and not kept.")
            edited = subject_rules(con, "data_calendar_rules")
            unit = st.text_input("Business unit (for the whole file)", key="data_calendar_unit",
                                 placeholder="from the roster")
            constants = {"business_unit": unit.strip()} if unit.strip() else {}
            calendar_options = {"roster": (people.name, people.getvalue()) if people is not None else None,
                                "rules": ingest.calendar.chosen_rules(edited) or None}
        percent_as = None
        if kind in ingest.TOOL_LAYOUTS:   # issue 19: a tracker's export or a finance sheet, as the tool writes it
            left, middle, right = st.columns(3)
            layout = left.selectbox("Layout", ingest.TOOL_LAYOUTS[kind], format_func=ingest.LAYOUT_LABELS.get,
                                    key=f"data_layout_{kind}")
            unit = middle.text_input("Business unit (for rows without one)", key=f"data_unit_{kind}",
                                     placeholder="taken from the file")
            constants = {"business_unit": unit.strip()} if unit.strip() else {}
            if kind == "kpis":
                named = right.text_input("KPI (for a file of one KPI)", key="data_kpi", placeholder="from the sheet")
                constants |= {"kpi": named.strip()} if named.strip() else {}
                percent_as = st.radio("Percentages like 0.052 are", ["", "fraction", "percent"], horizontal=True,
                                      key="data_percent_as",
                                      format_func={"": "decided by the values", "fraction": "fractions (5.2%)",
                                                   "percent": "already percents (0.052%)"}.get) or None
        any_date = st.checkbox(dates.CHECKBOX, key="data_any_date", help=dates.checkbox_help())
        tool = {"percent_as": percent_as} if percent_as else {}
        prepared = ingest.prepare_once(uploads, con, kind, data, upload.name, layout=layout, constants=constants,
                                       date_order=date_order, allow_any_date=any_date, **tool, **calendar_options)
        if prepared.report.layout == ingest.viva_meetings.LAYOUT:   # a Viva meeting query: subjects give the type
            calendar_options = {"rules": ingest.calendar.chosen_rules(subject_rules(con, "data_viva_rules")) or None}
            if calendar_options["rules"]:
                prepared = ingest.prepare_once(uploads, con, kind, data, upload.name, layout=layout,
                                               constants=constants, date_order=date_order, allow_any_date=any_date,
                                               **calendar_options)
        rules = ingest.rules_rows(prepared)
        if len(rules):   # issue 19: the rules a tracker's or finance reader used, changed here and remembered
            with st.expander(f"Rules: {len(rules)} used", expanded=bool((rules["target"] == "").any())):
                st.caption("Each rule maps a column to a field ('Custom field (Budget)' → budget), a value to a "
                           "status or choice ('Status:In Review' → active), or a sheet to a KPI. Fill in a target "
                           "where there is none, or change one; your rules are remembered for the next file.")
                edited = st.data_editor(rules, key="data_rules", hide_index=True, num_rows="dynamic",
                                        disabled=["how"], width="stretch")
            changes = ingest.changed_rules(rules, edited)
            if changes:
                prepared = ingest.prepare_once(uploads, con, kind, data, upload.name, layout=layout,
                                               constants=constants, mapping=changes, date_order=date_order,
                                               allow_any_date=any_date, **tool)
        # ---- collaboration: a Viva Insights file's organizations, mapped once (issue 19) ----
        if prepared.organizations is not None and len(prepared.organizations):
            with st.expander(f"Organizations: {int((prepared.organizations['side'] != '').sum())} of "
                             f"{len(prepared.organizations)} mapped", expanded=True):
                st.caption("Each organization of the export is marketing, IT or other, with the business unit its "
                           "name carries. Your changes are remembered for the next Viva Insights file.")
                chosen = {}
                for i, org in prepared.organizations.iterrows():
                    side_column, unit_column, how_column = st.columns([2, 2, 1])
                    choices = viva.organization_choices()
                    side = side_column.selectbox(org["organization"][:120], choices, index=choices.index(org["side"]),
                                                 key=f"data_org_{i}_{org['organization']}",
                                                 format_func=lambda s: s or "— not stored —")
                    unit_name = unit_column.text_input("Business unit", org["business_unit"],
                                                       key=f"data_org_unit_{i}_{org['organization']}")
                    how_column.caption(org["how"])
                    chosen[org["organization"]] = (side, unit_name)
            changes = viva.changed_organizations(prepared.organizations, chosen)
            if changes:
                prepared = ingest.prepare_once(uploads, con, kind, data, upload.name, layout=layout,
                                               constants=constants, mapping=changes, date_order=date_order,
                                               allow_any_date=any_date, **calendar_options)
        # ---- end collaboration ----
        rows = ingest.mapping_rows(prepared)
        if len(rows):
            with st.expander(f"Column mapping: {int((rows['target'] != '').sum())} of {len(rows)} question columns "
                             "mapped", expanded=bool((rows["target"] == "").any())):
                st.caption("Each question column goes to a catalogue item, a field, or nowhere. Your changes are "
                           "remembered for the next file of this layout and question set.")
                targets = ingest.mapping_targets(con)
                chosen = {}
                for i, row in rows.iterrows():
                    current = row["target"] if row["target"] in targets else ""
                    chosen[row["source"]] = st.selectbox(
                        row["question"][:120], targets, index=targets.index(current), key=f"data_map_{i}_{row['source']}",
                        format_func=lambda t: t or "— not stored —", help=f"Column {row['source']!r}; {row['how']}")
            changes = ingest.changed_mapping(rows, chosen)
            if changes:
                prepared = ingest.prepare_once(uploads, con, kind, data, upload.name, layout=layout,
                                               constants=constants, mapping=changes, date_order=date_order,
                                               allow_any_date=any_date)
        report = prepared.report
        read, valid, problems = st.columns(3)
        read.metric("Rows read", report.rows_read)
        valid.metric("Rows valid", report.rows_valid if prepared.importable else 0)
        problems.metric("Problems", len(report.problems) + len(prepared.blocking))
        st.caption(f"Layout: {ingest.LAYOUT_LABELS.get(report.layout, report.layout)}"
                   + (" (detected)" if kind in ("survey", *ingest.TOOL_LAYOUTS) and layout == "auto" else ""))
        for note in prepared.notes:
            st.info(note)
        if ingest.masked_summary(report):
            st.info(ingest.masked_summary(report))
        for why, columns in ingest.dropped_summary(prepared).items():
            st.caption(f"Not stored, {why}: " + ", ".join(columns))
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
            uploads.clear()   # a prepared import is committed once: after this click, the file is read afresh
            try:
                result = ingest.commit_import(shared.connection(), prepared, skip_invalid=skip, replace=replace,
                                              user=shared.current_user())
            except ingest.ImportRefused as refused:
                st.error("Nothing was imported:\n\n" + "\n".join(f"- {p}" for p in refused.problems))
            else:
                shared.refresh()
                if result.import_id is None:
                    st.info(f"Nothing new: all {result.rows_valid} rows of {result.file_name} are already stored.")
                else:
                    st.success(f"Imported {result.rows_imported} rows from {result.file_name} as import "
                               f"{result.import_id} ({result.rows_unchanged} already stored, "
                               f"{result.rows_replaced} replaced, {result.rows_skipped} skipped).")

with history_tab:
    for note in shared.read(ingest.held_notes):
        st.info(note, icon=":material/schedule:")
    history = shared.read(ingest.import_history)
    st.dataframe(history[["import_id", "imported_at", "kind", "file_name", "layout", "rows_read", "rows_imported",
                          "rows_unchanged", "rows_skipped", "imported_by", "state"]],
                 hide_index=True, width="stretch", column_config={
                     "import_id": "Import", "imported_at": st.column_config.DatetimeColumn("When (UTC)"),
                     "kind": "Kind", "file_name": "File", "layout": "Layout", "rows_read": "Read",
                     "rows_imported": "New", "rows_unchanged": "Already stored", "rows_skipped": "Skipped",
                     "imported_by": "By", "state": "State"})
    active = list(history.loc[history["state"] == "active", "import_id"])
    if active and not may_undo:
        st.caption("Undoing an import is for admins.")
    elif active:
        left, right = st.columns([1, 3])
        # Keyed by the newest import so that, after an import, the choice starts at the new one.
        chosen = left.selectbox("Import to undo", active, key=f"data_undo_id_{active[0]}")
        confirm = right.checkbox(f"Yes, remove everything import {chosen} brought", key="data_undo_confirm")
        if st.button("Undo import", disabled=not confirm, key="data_undo"):
            try:
                removed = ingest.undo(shared.connection(), int(chosen))
            except ingest.UndoRefused as refused:
                st.error(str(refused))
            else:
                shared.refresh()
                st.success(f"Import {chosen} undone: " + ", ".join(f"{n} rows ({t})" for t, n in removed.items()))

with export_tab:
    st.write("What is stored, in the native template layout. Cells a spreadsheet would run as a formula are "
             "neutralised.")
    left, right = st.columns([2, 1])
    export_kind = left.selectbox("Data", list(ingest.KIND_LABELS), format_func=ingest.KIND_LABELS.get,
                                 key="export_kind")
    export_format = right.selectbox("Format", list(ingest.EXPORT_FORMATS), key="export_format",
                                    format_func={"csv": "CSV", "xlsx": "Excel (.xlsx)"}.get)
    export_con = shared.connection()
    # Built only when the button is pressed: a million responses should not be written out on every rerun. That
    # is later, without this page running again: the role is checked again then (auth.guarded).
    st.download_button(f"Export {ingest.KIND_LABELS[export_kind].lower()}",
                       auth.guarded(roles.DATA, lambda: ingest.export_bytes(export_con, export_kind, export_format)[0],
                                    f"the {export_kind} export"),
                       file_name=f"{export_kind}.{export_format}", key="export_download", on_click="ignore",
                       icon=":material/download:")

with templates_tab:
    st.write("Each kind of data has a native CSV template: one header row, one row per record.")
    for template_kind, label in ingest.KIND_LABELS.items():
        st.download_button(f"{label} template", ingest.template_csv(shared.connection(), template_kind),
                           file_name=f"{template_kind}_template.csv", mime="text/csv", key=f"template_{template_kind}")
    st.write("Examples of files as the tools export them, made from the sample data: each imports as it is "
             "(the calendar with its people roster; the Viva export's organizations map to marketing and IT by "
             "name).")
    for label, name, path, mime in ingest.example_files():   # read when pressed, not on every rerun
        st.download_button(label, path.read_bytes, file_name=name, mime=mime, key=f"example_{name}",
                           on_click="ignore")

for tab in settings_tab:  # admins only
    with tab, st.form("settings_form"):
        st.write("Settings for everyone who uses this dashboard.")
        stored = settings.current(shared.connection())
        chosen = {setting.key: st.number_input(setting.label, min_value=setting.minimum, max_value=setting.maximum,
                                               value=stored[setting.key], step=1, help=setting.help,
                                               key=f"settings_{setting.key}")
                  for setting in settings.SETTINGS}
        if st.form_submit_button("Save settings", type="primary"):
            try:
                changed = settings.save(shared.connection(), {key: int(value) for key, value in chosen.items()})
            except settings.SettingsRefused as refused:
                st.error("Nothing was saved:\n\n" + "\n".join(f"- {p}" for p in refused.problems))
            else:
                shared.refresh()
                st.success("Saved: " + ", ".join(f"{settings.BY_KEY[k].label} {old} → {new}"
                                                 for k, (old, new) in changed.items()) if changed else "Nothing changed.")
