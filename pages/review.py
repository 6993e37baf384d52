"""Review: the monthly meeting's record. The CMO's and the CIO's notes, the decisions, the decision-rights register
with its gaps, the actions with their owners, due dates, status and measured effect; and who changed what.

Leaders write here (their own side's note; decisions, actions and the register); every save is an import
(metrics.review_edits), so it is validated, logged, kept in the history and can be undone on the Data page."""

import streamlit as st

from metrics import review, review_edits, roles, vocabulary
from metrics.charts import review as charts
from ui import auth, shared

month = shared.month_or_stop("Monthly review", "upload data on the Data page, or write the first notes here.")
access = auth.access()
may_edit = access.allows(roles.REVIEW)
label = shared.month_label(month)
unit = shared.selected_unit()
shared.page_header(f"Monthly review · {label}", month)

flash = st.session_state.pop("review_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")
if not may_edit:
    st.caption("Leaders write the review here. " + (
        "Analysts and admins bring it in and out as CSV on the Data page (kinds: leaders' notes, decisions, "
        "decision-rights register, actions)." if access.allows(roles.DATA) else "You can read it."))


def saved(report, what: str) -> None:
    """After a save: every page sees the new record, and the page says what was stored."""
    shared.refresh()
    if report is None:
        st.session_state["review_flash"] = f"Nothing to save: the {what} was already stored as it is."
    else:
        st.session_state["review_flash"] = (
            f"Saved the {what} as import {report.import_id} ({report.rows_imported} rows, {report.rows_replaced} "
            "earlier versions kept in the history). It can be undone on the Data page.")
    st.rerun()


def refused(error: review_edits.EditRefused) -> None:
    st.error("Nothing was saved:\n\n" + "\n".join(f"- {p}" for p in error.problems), icon=":material/block:")


record = shared.read(review.review, month)
metrics = record["metrics"]
left, middle, right = st.columns(3)
shared.review_tile(left, "decision_rights_clarity", metrics["decision_rights_clarity"])
shared.review_tile(middle, "actions_on_track", metrics["actions_on_track"])
shared.review_tile(right, "overdue_actions", metrics["overdue_actions"])

# ---- The notes -------------------------------------------------------------------------------------------
st.subheader("What the CMO and the CIO say")
for column, side in zip(st.columns(2), vocabulary.SIDES):
    who = review_edits.AUTHORS[side]
    with column, st.container(border=True):
        st.markdown(f"**The {who}'s note** · {'marketing' if side == 'marketing' else 'IT'}")
        text = record["commentary"][side]
        history = shared.read(review_edits.note_versions, month, side)
        if text:
            st.markdown(review.note_markdown(text))
            newest = history.iloc[0]
            st.caption(f"Written {newest['written_at']:%d %b %Y %H:%M} UTC, stored by {newest['imported_by']}"
                       + (f" · {len(history) - 1} earlier version{'s' if len(history) > 2 else ''}"
                          if len(history) > 1 else ""))
        else:
            st.caption(f"No note from the {who} for {label} yet.")
        if len(history) > 1:
            with st.expander("Earlier versions"):
                for _, version in history.iloc[1:].iterrows():
                    st.caption(f"Written {version['written_at']:%d %b %Y %H:%M} UTC, stored by "
                               f"{version['imported_by']}")
                    st.text(version["text"])
        if access.may_write_note(side):
            with st.form(f"review_note_{side}_{month}"):
                draft = st.text_area(f"The {who}'s note for {label} (Markdown)", value=text or "",
                                     max_chars=vocabulary.NOTE_MAX, height=220,
                                     key=f"review_note_text_{side}_{month}")
                if st.form_submit_button(f"Save the {who}'s note", type="primary"):
                    try:
                        report = review_edits.write_note(shared.connection(), month, side, draft,
                                                         shared.current_user())
                    except review_edits.EditRefused as error:
                        refused(error)
                    else:
                        saved(report, f"{who}'s note")

units = shared.units()
unit_options = [None, *units]
unit_label = {None: "Company"}

# ---- Decisions -------------------------------------------------------------------------------------------
st.subheader(f"Decisions of {label}")
decisions = review.decisions_frame(record["decisions"])
if unit is not None:
    decisions = decisions[decisions["business_unit"].isna() | (decisions["business_unit"] == unit)]
    st.caption(f"{unit}'s decisions and the company's.")
area_ids = [area["area_id"] for area in record["decision_rights"]]
decision_columns = {
    "decision_id": st.column_config.TextColumn("Id", disabled=True, help="Given when the decision is saved"),
    "month": None,
    "business_unit": st.column_config.SelectboxColumn("Unit", options=units, help="Empty: the company"),
    "area_id": st.column_config.SelectboxColumn("Decision area", options=area_ids),
    "text": st.column_config.TextColumn("Decision", width="large", max_chars=vocabulary.DECISION_MAX),
    "decided_by": st.column_config.SelectboxColumn("Decided by", options=list(vocabulary.DECIDERS), default="joint"),
    "due": st.column_config.DateColumn("Due", format="YYYY-MM-DD"),
    "status": st.column_config.SelectboxColumn("Status", options=list(vocabulary.DECISION_STATUSES), default="open"),
}
if may_edit:
    with st.form(f"review_decisions_{month}"):
        edited = st.data_editor(decisions, num_rows="add", hide_index=True, width="stretch",
                                height=shared.editor_height(len(decisions)), column_config=decision_columns,
                                key=f"review_decisions_editor_{month}", placeholder="–")
        if st.form_submit_button("Save decisions", type="primary"):
            rows = [{**row, "month": row["month"] or month}
                    for row in review_edits.changed_rows("decisions", decisions, edited)]
            try:
                report = review_edits.save(shared.connection(), "decisions",
                                           review_edits.next_ids(shared.connection(), "decisions", rows),
                                           shared.current_user(), f"decisions of {month}")
            except review_edits.EditRefused as error:
                refused(error)
            else:
                saved(report, "decisions")
elif decisions.empty:
    st.caption(f"No decision was recorded for {label}.")
else:
    st.dataframe(decisions, hide_index=True, width="stretch", column_config=decision_columns, placeholder="–")

# ---- Decision rights -------------------------------------------------------------------------------------
st.subheader("Decision rights")
register = review.register_frame(record["decision_rights"])
gaps = register[register["state"] != "Agreed"]
if register.empty:
    st.caption("The register is empty: no decision area has been written down yet.")
elif gaps.empty:
    st.caption(f"All {len(register)} decision areas have an agreed accountable side.")
else:
    st.warning(f"{len(gaps)} of {len(register)} decision areas are not agreed: "
               + "; ".join(gaps["area"].astype(str)) + ".", icon=":material/help:")
register_columns = {
    "area_id": st.column_config.TextColumn("Id", disabled=True, help="Given when the area is saved"),
    "area": st.column_config.TextColumn("Decision area", width="large"),
    "accountable": st.column_config.SelectboxColumn("Accountable", options=list(vocabulary.DECIDERS),
                                                    help="Empty: not agreed yet"),
    "consulted": st.column_config.TextColumn("Consulted"),
    "informed": st.column_config.TextColumn("Informed"),
    "agreed_on": st.column_config.DateColumn("Agreed on", format="YYYY-MM-DD"),
    "state": st.column_config.TextColumn("State", disabled=True),
}
if may_edit:
    with st.form("review_register"):
        edited = st.data_editor(register, num_rows="add", hide_index=True, width="stretch",
                                height=shared.editor_height(len(register)), column_config=register_columns,
                                key="review_register_editor", placeholder="–")
        if st.form_submit_button("Save the register", type="primary"):
            rows = review_edits.changed_rows("decision_rights", register, edited)
            try:
                report = review_edits.save(shared.connection(), "decision_rights",
                                           review_edits.next_ids(shared.connection(), "decision_rights", rows),
                                           shared.current_user(), "decision-rights register")
            except review_edits.EditRefused as error:
                refused(error)
            else:
                saved(report, "decision-rights register")
elif not register.empty:
    st.dataframe(register, hide_index=True, width="stretch", column_config=register_columns, placeholder="–")

# ---- Actions ---------------------------------------------------------------------------------------------
st.subheader("Actions and their effect")
actions = [a for a in record["actions"] if unit is None or a["business_unit"] in (None, "", unit)]
if unit is not None:
    st.caption(f"{unit}'s actions and the company's.")
shared.chart(charts.effect_forest, actions, label)
st.caption(f"{charts.CAUTION} Each effect compares the unit's answers before and after the start month with the "
           "same months in the units without such an action (difference in differences); n per group on hover.")
table = review.actions_frame(actions)
action_columns = {
    "action_id": st.column_config.TextColumn("Id", disabled=True, help="Given when the action is saved"),
    "business_unit": st.column_config.SelectboxColumn("Unit", options=units, help="Empty: the company"),
    "title": st.column_config.TextColumn("Action", width="medium"),
    "owner": st.column_config.TextColumn("Owner", width="medium", help="A role or a name the leaders choose"),
    "target": st.column_config.SelectboxColumn("Target", options=shared.read(review.survey_targets)),
    "start_month": st.column_config.TextColumn("Start (YYYY-MM)", validate=f"^{vocabulary.MONTH}$"),
    "due": st.column_config.DateColumn("Due", format="YYYY-MM-DD"),
    "status": st.column_config.SelectboxColumn("Status", options=list(vocabulary.ACTION_STATUSES),
                                               default="planned"),
    "effect_window": st.column_config.NumberColumn("Window", help="Months before and after the start month that "
                                                   "the effect compares", min_value=vocabulary.EFFECT_WINDOW_MIN,
                                                   max_value=vocabulary.EFFECT_WINDOW_MAX, step=1,
                                                   default=vocabulary.DEFAULT_EFFECT_WINDOW),
    "effect_brief": st.column_config.TextColumn("Effect (95% interval)", width="medium", disabled=True,
                                                help="Points on the target's 0-100 score, with its 95% interval; "
                                                     "before/after: no unit without such an action to compare with"),
}
# what a leader reads first on a narrow screen: the action, its state and its effect; then what defines it
shown = ["action_id", "business_unit", "title", "status", "due", "effect_brief", "owner", "target", "start_month",
         "effect_window"]
if may_edit:
    with st.container(key="review_actions"), st.form(f"review_actions_{month}"):
        edited = st.data_editor(table[shown], num_rows="add", hide_index=True, width="stretch",
                                height=shared.editor_height(len(table)), column_config=action_columns,
                                key=f"review_actions_editor_{month}", placeholder="–")
        if st.form_submit_button("Save actions", type="primary"):
            rows = review_edits.changed_rows("actions", table[shown], edited)
            try:
                report = review_edits.save(shared.connection(), "actions",
                                           review_edits.next_ids(shared.connection(), "actions", rows),
                                           shared.current_user(), f"actions, review of {month}")
            except review_edits.EditRefused as error:
                refused(error)
            else:
                saved(report, "actions")
elif table.empty:
    st.caption(f"No action is open or was closed lately as of {label}.")
else:
    st.dataframe(table[shown], hide_index=True, width="stretch", column_config=action_columns, placeholder="–")
withheld = table[table["effect_text"].str.startswith("Withheld")]
if not withheld.empty:
    st.caption("Effects not shown: " + "; ".join(f"{row.title}: {row.effect_text.removeprefix('Withheld: ')}"
                                                 for row in withheld.itertuples()) + ".")

# ---- Changes ---------------------------------------------------------------------------------------------
with st.expander("Who changed what, and when"):
    changes = shared.read(review_edits.changes)
    st.dataframe(changes, hide_index=True, width="stretch", placeholder="–", column_config={
        "when": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
        "who": "Who", "kind": "What", "row": "Row", "change": st.column_config.TextColumn("Change", width="large"),
        "source": "From", "import_id": st.column_config.NumberColumn("Import", format="%d"),
    })
    st.caption("Every save on this page is an import: the Data page's import history lists it, and an admin can "
               "undo it there, which brings back the version it replaced.")
