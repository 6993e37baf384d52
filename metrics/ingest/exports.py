"""The sample data set loaded through the imports, and exports of what is stored in the native template layout (CSV or
Excel, formulas neutralised)."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pandas as pd

from metrics import personal, store
from metrics.store import answers

import metrics.ingest.adapted as adapted
import metrics.ingest.calendar as calendar
import metrics.ingest.finance as finance
import metrics.ingest.mapping as mapping_module
import metrics.ingest.trackers as trackers
import metrics.ingest.viva as viva
from metrics.ingest.importing import PreparedImport, _stored_items, import_file
from metrics.ingest.kinds import FORMULA_START, ImportReport, KINDS, Problem, SAMPLE_FILES
from metrics.ingest.log import list_imports

# ----------------------------------------------------------------------------------------------------------
# Sample data and export


def load_sample(con: duckdb.DuckDBPyConnection, directory: Path | None = None) -> None:
    """Load the committed sample data set into an empty store."""
    directory = Path(directory or store.SAMPLE_DIR)
    for kind, file_name in SAMPLE_FILES.items():
        import_file(con, kind, directory / file_name, user="sample data")


EXPORT_FORMATS = ("csv", "xlsx")


def export(con: duckdb.DuckDBPyConnection, kind: str, out: str | Path) -> int:
    """Write what is stored in the native template layout, as CSV or (for a .xlsx path) an Excel workbook; every
    cell a spreadsheet would run as a formula is neutralised. Returns the number of rows written."""
    out = Path(out)
    data, rows = export_bytes(con, kind, "xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    out.write_bytes(data)
    return rows


def export_bytes(con: duckdb.DuckDBPyConnection, kind: str, fmt: str = "csv") -> tuple[bytes, int]:
    """(the file, its rows): a kind's stored rows as CSV (UTF-8) or .xlsx, formula cells neutralised."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}")
    frame = export_frame(con, kind)
    if fmt == "csv":
        return frame.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S").encode("utf-8"), len(frame)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=KIND_LABELS[kind][:31])
        sheet = writer.sheets[KIND_LABELS[kind][:31]]
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"   # text is text: openpyxl would otherwise store "=..." as a formula
    return buffer.getvalue(), len(frame)


def export_frame(con: duckdb.DuckDBPyConnection, kind: str) -> pd.DataFrame:
    spec = KINDS[kind]
    cur = con.cursor()
    if kind == "survey":
        frame = _survey_wide(con)
    else:
        order = ", ".join(spec.key)
        select = ", ".join(f"strftime({c}, '%Y-%m-%d') AS {c}" if c in spec.date_columns else c for c in spec.columns)
        frame = cur.execute(f"SELECT {select} FROM {spec.table} ORDER BY {order}").df()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(neutralise_formula)
    for column in frame.columns:
        if frame[column].dtype == bool:
            frame[column] = frame[column].map({True: "true", False: "false"})
    return frame


def _survey_wide(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    cur = con.cursor()
    stored = set(answers.item_columns(cur))
    items = [r[0] for r in cur.execute(
        "SELECT item_id FROM survey_items ORDER BY dimension = 'nps', rowid").fetchall() if r[0] in stored]
    frame = cur.execute(
        f"""SELECT response_id, strftime(submitted_at, '%Y-%m-%d %H:%M:%S') AS submitted_at, business_unit,
                   department, role, {''.join(answers.quoted(i) + ', ' for i in items)}comment,
                   CASE WHEN wave <> strftime(submitted_at, '%Y-%m') THEN wave END AS wave
            FROM survey_responses ORDER BY response_id""").df()
    for item in items:
        frame[item] = frame[item].astype("Int64")
    if frame["wave"].isna().all():
        frame = frame.drop(columns="wave")
    return frame


def neutralise_formula(value):
    """Prefix a cell a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


KIND_LABELS = {
    "survey": "Pulse-survey responses", "items": "Survey item catalogue", "headcount": "Headcount",
    "meetings": "Meetings", "attendance": "Meeting attendance", "projects": "Joint projects", "kpis": "KPIs",
    "commentary": "Leaders' notes", "decision_rights": "Decision-rights register", "decisions": "Decisions",
    "actions": "Actions", "collaboration": "Measured collaboration (Viva Insights)",
}


def template_csv(con: duckdb.DuckDBPyConnection, kind: str) -> str:
    """The native template of a kind: its header row (for surveys, with the catalogue's item ids)."""
    spec = KINDS[kind]
    columns = list(spec.columns)
    if kind == "survey":   # the items, then the columns the template offers and a file may leave out (the comment)
        columns += list(_stored_items(con)["item_id"]) + [f.name for f in spec.fields if f.header == "optional"]
    return ",".join(columns) + "\n"


DEPARTMENT_LABELS = {"marketing": "marketing", "it": "IT", "other": "other"}


def held_notes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A sentence for each group whose survey changes are held back (see answers.hold_back), for the Data page."""
    from metrics.store import settings  # late import: settings reads the store

    k = settings.anonymity_threshold(con)
    notes = []
    for month, unit, department, added, removed, changed in answers.held_back(con.cursor()):
        what = " and ".join(part for part in (
            f"{added} new or changed response{'s' if added != 1 else ''}" if added else "",
            f"{removed} removed response{'s' if removed != 1 else ''}" if removed else "") if part) or \
            f"{changed} changed response{'s' if changed != 1 else ''}"
        when = (f"these count once {k - changed} more change{'s' if k - changed != 1 else ''} arrive for that group"
                if changed < k else
                f"these count once at least {k} of the changed responses answer each statement that would move "
                "(and they differ by that much from every version shown before)")
        notes.append(f"Held back: {what} in {unit} · {DEPARTMENT_LABELS.get(department, department)} · {month}. "
                     f"A figure already shown changes only when at least {k} responses of its group have been added "
                     f"or removed since, so that no one person's answers show in the difference; {when}.")
    return notes


def import_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The import log as the Data page shows it: newest first, with a readable state."""
    log = list_imports(con)
    log["state"] = ["undone" if pd.notna(u) else "active" for u in log["undone_at"]]
    return log.sort_values("import_id", ascending=False).reset_index(drop=True)


def problems_table(problems: list[Problem]) -> pd.DataFrame:
    """The problems as the Data page lists them; an e-mail address, phone number or IP address in a value or a
    reason is masked, as in every message."""
    return pd.DataFrame([{"row": p.row, "column": p.column, "value": personal.masked(p.value),
                          "reason": personal.masked(p.reason)} for p in problems],
                        columns=["row", "column", "value", "reason"])


def masked_summary(report: ImportReport) -> str:
    """What was masked in free text, for the command line and the Data page ('' when nothing): 'masked in free
    text: 2 e-mail addresses, 1 phone number (only the mask is stored)'."""
    counts = personal.summary(report.masked)
    return f"masked in free text: {counts} (only the mask is stored)" if counts else ""


LAYOUT_LABELS = {
    "auto": "Detect automatically", "native": "Native template", "qualtrics": "Qualtrics",
    "qualtrics_legacy": "Qualtrics (legacy two-row export)", "surveymonkey": "SurveyMonkey",
    "google_forms": "Google Forms", "ms_forms": "Microsoft Forms", "typeform": "Typeform",
    "limesurvey": "LimeSurvey", "glint": "Viva Glint",
    "jira": "Jira CSV export", "asana": "Asana CSV export", "wide": "Finance sheet (months as columns)",
    "calendar": "Calendar export (.ics)", "viva": "Viva Insights group-to-group query",
    "viva_meetings": "Viva Insights meeting query",
}


# ----------------------------------------------------------------------------------------------------------
# Issue 19: trackers' exports and finance sheets on the Data page (their layouts, rules and examples)

# The layouts the page offers for a kind read by a tool's own reader (metrics.ingest.trackers, .finance).
TOOL_LAYOUTS = {"projects": ("auto", "native", *trackers.LAYOUTS), "kpis": ("auto", "native", *finance.LAYOUTS)}
# The sample data set's files as the tools export them (metrics.sample writes them), offered on the Data page as
# examples: file name -> (label, MIME type). The calendar's and Viva's are declared beside their readers.
EXAMPLE_FILES = {
    **calendar.EXAMPLES,
    "joint_projects_jira.csv": ("Jira export of the sample's joint projects", "text/csv"),
    "kpis_finance_wide.csv": ("Finance sheet of the sample's KPIs (months as columns)", "text/csv"),
    **viva.EXAMPLES,
}


def example_files() -> list[tuple[str, str, Path, str]]:
    """(label, file name, path, MIME type) of each example sample_data/ holds; read only when it is downloaded."""
    paths = ((Path(store.SAMPLE_DIR) / name, label, mime) for name, (label, mime) in EXAMPLE_FILES.items())
    return [(label, path.name, path, mime) for path, label, mime in paths if path.is_file()]


def rules_rows(prepared: PreparedImport) -> pd.DataFrame:
    """The rules a tracker's or finance reader used (rule, target, how), for the page's editable table; empty for
    every other file."""
    if prepared.rules is None:
        return pd.DataFrame(columns=["rule", "target", "how"])
    return prepared.rules.reset_index(drop=True)


def changed_rules(rules: pd.DataFrame, edited: pd.DataFrame) -> dict[str, str]:
    """The analyst's changes in the page's rules table, as --map takes them (remembered when the file is imported)."""
    return adapted.changed_rules(rules, edited)


def mapping_rows(prepared: PreparedImport) -> pd.DataFrame:
    """The answer and comment columns of a survey file with the target each was given (for the mapping form)."""
    table = prepared.mapping_table
    if table is None or table.empty:
        return pd.DataFrame(columns=["source", "question", "kind", "target", "how"])
    return table[table["kind"].isin(["answer", "comment"])].reset_index(drop=True)


def mapping_targets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What a column can map to: nothing (""), a catalogue item, or one of the survey fields."""
    return ["", *_stored_items(con)["item_id"], *mapping_module.FIELDS]


def changed_mapping(rows: pd.DataFrame, chosen: dict[str, str]) -> dict[str, str]:
    """Only the analyst's changes to the proposed mapping (these are remembered for the next file)."""
    proposed = dict(zip(rows["source"], rows["target"]))
    return {source: target for source, target in chosen.items() if proposed.get(source) != target}


def dropped_summary(prepared: PreparedImport) -> dict[str, list[str]]:
    """Columns that will not be stored, by why: personal data, platform bookkeeping, not mapped."""
    if prepared.report.layout == "calendar":   # a calendar's properties (metrics.ingest.calendar), not columns
        return {"personal data and text (never stored)": list(prepared.report.dropped_columns)}
    table = prepared.mapping_table
    if table is None:
        return {}
    summary = {
        "personal data (never stored)": list(table.loc[table["kind"] == "personal data", "source"]),
        "platform columns": list(table.loc[table["kind"] == "platform", "source"]),
        "not mapped to an item": list(table.loc[table["kind"].isin(["answer", "comment"]) & (table["target"] == ""),
                                                "source"]),
    }
    return {why: columns for why, columns in summary.items() if columns}
