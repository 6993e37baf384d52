"""The one place that opens DuckDB: locating the database, the schema, transactions and query files."""

from __future__ import annotations

import json
import os
import threading
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pandas as pd

from metrics import vocabulary
from metrics.store import answers

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
SAMPLE_DIR = PROJECT_ROOT / "sample_data"
DEFAULT_DB = Path("data") / "collab.duckdb"

DATA_TABLES = ("survey_items", "survey_responses", "survey_answers", "headcount", "meetings",
               "attendance", "joint_projects", "kpis", "collaboration")

_init_lock = threading.Lock()
# Writes of this process run one at a time: DuckDB lets two transactions append at once, and the checks an
# import makes against what is stored (ids already there, conflicts) hold only if nothing lands in between.
_write_lock = threading.RLock()


class StoreBusy(RuntimeError):
    """The database file is held by another process (an import or a dashboard)."""


def resolve_db_path(db: str | os.PathLike | None = None) -> str:
    """--db, else COLLAB_DB, else data/collab.duckdb (relative to the working directory)."""
    if db:
        return str(db)
    return os.environ.get("COLLAB_DB") or str(DEFAULT_DB)


@cache
def query(name: str) -> str:
    """The text of sql/NAME.sql: one query a file, named parameters only. A value list the file names as {{NAME}}
    (the schema's CHECK constraints, the two sides, the month pattern) is metrics.vocabulary's, written in."""
    return vocabulary.fill((SQL_DIR / f"{name}.sql").read_text(encoding="utf-8"))


def _is_file_db(path: str) -> bool:
    return path != ":memory:" and not path.startswith("md:")


def is_new_file(path: str) -> bool:
    """Whether `path` names a database file that does not exist yet (connect would create it)."""
    return _is_file_db(path) and not Path(path).exists()


def connect(db: str | os.PathLike | None = None) -> duckdb.DuckDBPyConnection:
    """Open the store, creating the schema. The store knows nothing of sample data: ingest.open_store, above it,
    loads a new file with it."""
    path = resolve_db_path(db)
    if _is_file_db(path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(path)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreBusy(f"The database {path} is in use by another process; try again in a moment.") from exc
        raise
    with _init_lock:
        create_schema(con)
    return con


# Schema changes as numbered steps, each applied once and recorded in the store's `migrations` table (as
# sqlite-utils' Migrations does). A store written before the steps were recorded has no such table: every step
# runs once on it, and each is written to be a no-op where there is nothing to change. A new change to the
# tables is a new step at the end; a step is never edited once released.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, "the tables, sequences and default settings of sql/schema.sql"),
    (2, "survey answers from a long table (survey_answers) to a column per item"),
    (3, "stored survey figures: the old long table survey_group_stats goes (a view takes its name)"),
    (4, "the import log keeps a skipped row's row, column and reason, not its value"),
    (5, "the collaboration table (Viva Insights, issue 19) and its replaced_ twin"),
    (6, "the store's secret key for attendees' person ids (calendar imports, issue 19)"),
)


def _apply(con: duckdb.DuckDBPyConnection, step: int) -> None:
    cur = con.cursor()
    if step == 1:
        cur.execute(query("schema"))
    elif step == 2:
        answers.migrate_long(con)       # in a transaction of its own
    elif step == 3:
        answers.drop_long_stats(cur)
    elif step == 4:
        forget_skipped_values(cur)
    elif step == 5:
        # schema.sql creates only what is missing (IF NOT EXISTS, INSERT OR IGNORE): on a store from before step
        # 5 that is the collaboration table and its replaced_ twin; on a new store (step 1 just ran) nothing.
        cur.execute(query("schema"))
    elif step == 6:
        create_person_key(cur)


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the steps of MIGRATIONS the store has not recorded, in order; returns the steps applied."""
    cur = con.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS migrations (step INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)")
    done = {step for (step,) in cur.execute("SELECT step FROM migrations").fetchall()}
    applied = []
    for step, name in MIGRATIONS:
        if step in done:
            continue
        _apply(con, step)
        cur.execute("INSERT INTO migrations (step, name) VALUES ($step, $name)", {"step": step, "name": name})
        applied.append(step)
    return applied


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The migrations, then what follows the data rather than the code's version: a column for each catalogue
    item, the survey figures when the catalogue's measures have changed, and the views (recreated on each
    connect so they always match the code)."""
    cur = con.cursor()
    migrate(con)
    answers.sync(cur)
    if not answers.figures_current(cur):
        # a store written by an older version (or left half-way): its figures, every month, once
        with transaction(con) as tx:
            answers.store_figures(tx)
    answers.create_stats_view(cur)
    cur.execute(query("views"))


def forget_skipped_values(cur) -> None:
    """Stores written before the import log forgot values kept each skipped row's value: only its row, column and
    reason stay (the value quoted in a reason becomes "the value", and personal data in it is masked)."""
    from metrics import personal

    old = cur.execute("""SELECT import_id, skipped_rows FROM imports WHERE skipped_rows LIKE '%"value"%'""").fetchall()
    for import_id, text in old:
        try:
            entries = json.loads(text)
        except ValueError:
            entries = []
        kept = []
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            value, reason = entry.get("value"), str(entry.get("reason", ""))
            if value not in (None, ""):
                reason = reason.replace(repr(value), "the value").replace(str(value), "the value")
            kept.append({"row": entry.get("row"), "column": entry.get("column"), "reason": personal.masked(reason)})
        cur.execute("UPDATE imports SET skipped_rows = $rows WHERE import_id = $id",
                    {"rows": json.dumps(kept), "id": import_id})


def create_person_key(cur) -> None:
    """Step 6: the key that makes a calendar attendee's person_id (metrics.ingest.calendar: HMAC-SHA256 of the
    address), 32 random bytes from the operating system, made once per store and never shown or exported."""
    import secrets

    cur.execute("CREATE TABLE IF NOT EXISTS person_key (key VARCHAR NOT NULL)")
    if not cur.execute("SELECT count(*) FROM person_key").fetchall()[0][0]:
        cur.execute("INSERT INTO person_key VALUES ($key)", {"key": secrets.token_hex(32)})


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection | None = None
                ) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor (a new one, or the one given) inside BEGIN … COMMIT, one writer at a time; any exception rolls
    everything back."""
    with _write_lock:
        cur = cursor if cursor is not None else con.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """Every month parameter is a month (YYYY-MM): anything else is refused in words, before DuckDB sees it."""
    for name, value in params.items():
        if ("month" in name and value is not None
                and not (isinstance(value, str) and vocabulary.MONTH_PATTERN.fullmatch(value))):
            raise ValueError(f"{value!r} is not a month: use YYYY-MM, e.g. 2026-10")
    return params


def fetch_df(con: duckdb.DuckDBPyConnection, sql_name: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run sql/NAME.sql with named parameters (bound, never pasted into the text) on a fresh cursor."""
    return con.cursor().execute(query(sql_name), check_params(params or {})).df()


def fetch_rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
    return con.cursor().execute(sql, check_params(params or {})).fetchall()



def cache_key(con: duckdb.DuckDBPyConnection) -> tuple:
    """Which store, in which state: its identity, its data version and its settings (a threshold changes figures)."""
    return tuple(fetch_rows(con, """
        SELECT (SELECT value FROM settings WHERE key = 'store_id'), count(*), max(import_id), count(undone_at),
               (SELECT string_agg(key || '=' || value, ',' ORDER BY key) FROM settings)
        FROM imports""")[0])


def as_of(con: duckdb.DuckDBPyConnection) -> str:
    """The date of the newest import still in force: how fresh the figures are."""
    newest = fetch_rows(con, "SELECT max(imported_at) FROM imports WHERE undone_at IS NULL")[0][0]
    return "no data" if newest is None else f"{newest:%d %b %Y}"
