"""The import log and undo: what each import brought, and taking one back with the versions it replaced."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pandas as pd

from metrics import store
from metrics.store import answers

from metrics.ingest.kinds import KINDS

# ----------------------------------------------------------------------------------------------------------
# Import log and undo


def list_imports(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.cursor().execute(
        """SELECT import_id, kind, file_name, layout, rows_read, rows_imported, rows_unchanged, rows_skipped,
                  imported_at, imported_by, undone_at, file_hash, skipped_rows, dropped_columns
           FROM imports ORDER BY import_id"""
    ).df()


class UndoRefused(Exception):
    pass


def undo(con: duckdb.DuckDBPyConnection, import_id: int) -> dict[str, int]:
    """Remove every row an import brought, in one transaction; returns rows removed per table."""
    rows = con.cursor().execute("SELECT kind, undone_at, layout FROM imports WHERE import_id = $id",
                                {"id": import_id}).fetchall()
    if not rows:
        raise UndoRefused(f"There is no import {import_id}; `python -m metrics imports` lists them.")
    kind, undone_at, layout = rows[0]
    # a calendar import (issue 19) brought meetings and their attendance: both leave, both come back
    tables = (KINDS[kind].table, *(("attendance",) if layout == "calendar" else ()))
    if undone_at is not None:
        raise UndoRefused(f"Import {import_id} was already undone at {undone_at:%Y-%m-%d %H:%M}.")
    removed: dict[str, int] = {}
    with store.transaction(con) as cur:
        if kind == "items":
            stored = set(answers.item_columns(cur))
            brought = [i for (i,) in cur.execute("SELECT item_id FROM survey_items WHERE import_id = $id",
                                                 {"id": import_id}).fetchall() if i in stored]
            used = cur.execute("SELECT count(*) FROM survey_responses WHERE "
                               + (" OR ".join(f"{answers.quoted(i)} IS NOT NULL" for i in brought) or "false")
                               ).fetchall()[0][0]
            if used:
                raise UndoRefused(f"Import {import_id} brought catalogue items that {used} stored responses answer; "
                                  "undo those survey imports first.")
        for table in tables:
            superseded = cur.execute(f"SELECT count(*) FROM replaced_{table} WHERE import_id = $id",
                                     {"id": import_id}).fetchall()[0][0]
            if superseded:
                later = cur.execute(f"SELECT min(replaced_by) FROM replaced_{table} WHERE import_id = $id",
                                    {"id": import_id}).fetchall()[0][0]
                raise UndoRefused(f"Rows of import {import_id} were replaced by import {later}; undo import {later} "
                                  "first.")
        touched = [m for (m,) in cur.execute(
            "SELECT DISTINCT wave FROM survey_responses WHERE import_id = $id UNION "
            "SELECT DISTINCT wave FROM replaced_survey_responses WHERE replaced_by = $id", {"id": import_id}).fetchall()]
        if kind == "survey":  # what leaves and what comes back, for the changes held back
            cur.execute("CREATE OR REPLACE TEMP TABLE undo_leaving AS SELECT * FROM survey_responses "
                        "WHERE import_id = $id", {"id": import_id})
            cur.execute("CREATE OR REPLACE TEMP TABLE undo_entering AS SELECT * EXCLUDE (replaced_by) "
                        "FROM replaced_survey_responses WHERE replaced_by = $id", {"id": import_id})
        for table in tables:
            removed[table] = cur.execute(f"DELETE FROM {table} WHERE import_id = $id",
                                         {"id": import_id}).fetchall()[0][0]
            # bring back what this import had replaced
            restored = cur.execute(f"INSERT INTO {table} BY NAME SELECT * EXCLUDE (replaced_by) FROM replaced_{table} "
                                   "WHERE replaced_by = $id", {"id": import_id}).fetchall()[0][0]
            cur.execute(f"DELETE FROM replaced_{table} WHERE replaced_by = $id", {"id": import_id})
            if restored:
                removed[f"{table} restored"] = restored
        if kind == "survey":
            answers.hold_back(cur, "SELECT * FROM undo_entering", "SELECT * FROM undo_leaving")
            cur.execute("DROP TABLE undo_entering")
            cur.execute("DROP TABLE undo_leaving")
        if kind == "items":
            answers.remember_hidden(cur)
        if kind in ("survey", "items"):
            answers.store_figures(cur, touched if kind == "survey" else None)
        cur.execute("UPDATE imports SET undone_at = $at WHERE import_id = $id",
                    {"at": datetime.now(timezone.utc).replace(tzinfo=None), "id": import_id})
    return removed
