"""The one place that opens DuckDB: locating the database, the schema, transactions and query files."""

from __future__ import annotations

import atexit
import json
import os
import re
import threading
import time
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pandas as pd

from metrics import vocabulary
from metrics.store import answers, served
from metrics.store.served import StoreGone  # noqa: F401  (the commands catch it as store.StoreGone)

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


class StoreUnreadable(RuntimeError):
    """The database file was written by a newer DuckDB than the one pinned (see the README: why DuckDB 1.5.5)."""


def _too_new(path: str, error: duckdb.IOException) -> StoreUnreadable | None:
    """DuckDB's refusal of a file written by a newer DuckDB (a store of the releases on DuckDB 2.0 has storage
    version 999) in one line, with the way out: the DuckDB that wrote it copies it to the format this one reads."""
    found = re.search(r"version number (\d+), but we can only read versions", str(error))
    if found is None:
        return None
    copy = f"{Path(path).with_suffix('')}-v1.5.duckdb"
    return StoreUnreadable(
        f"The database {path} was written by a newer DuckDB (storage version {found.group(1)}) than this release "
        f"reads (DuckDB {duckdb.__version__}). With the DuckDB that wrote it (the release before, on DuckDB 2.0), copy "
        f"it to this format: ATTACH '{path}' AS old (READ_ONLY); ATTACH '{copy}' AS new (STORAGE_VERSION 'v1.5.0'); "
        f"COPY FROM DATABASE old TO new; then use {copy} (README: why DuckDB 1.5.5 is pinned).")


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
    return path != ":memory:" and not path.startswith("md:") and not served.is_address(path)


def is_remote(con) -> bool:
    """Whether `con` reaches the store through its server (files on this machine are not the server's to read)."""
    return isinstance(con, served.RemoteStore)


def serving_wanted() -> bool:
    """Whether the dashboard serves the file it holds: yes, unless COLLAB_DB_SERVE is 0 (a deployment of one
    process, or a test process that opens hundreds of stores: each server is some 130 threads of DuckDB's)."""
    return os.environ.get("COLLAB_DB_SERVE", "1").strip().lower() not in ("0", "false", "no", "off")


def wait_seconds() -> float:
    """How long an opener waits for a store held by a process that does not serve it (a command, or one starting):
    COLLAB_DB_WAIT, else 20 seconds."""
    try:
        return max(0.0, float(os.environ.get("COLLAB_DB_WAIT", "20")))
    except ValueError:
        return 20.0


def is_new_file(path: str) -> bool:
    """Whether `path` names a database file that does not exist yet (connect would create it)."""
    return _is_file_db(path) and not Path(path).exists()


def connect(db: str | os.PathLike | None = None, *, serve: bool = False):
    """Open the store, creating the schema. The store knows nothing of sample data: ingest.open_store, above it,
    loads a new file with it.

    One store, many processes (README): a database file is held by one process at a time. `db` may be a server's
    address (quack:HOST:PORT, its token from COLLAB_DB_TOKEN or COLLAB_DB_TOKEN_FILE); a file held by a process
    that serves it (`serve`: the dashboard, `python -m metrics serve`) is reached through the address that process
    wrote beside it; a file held by one that does not (a command) is waited for, then StoreBusy. Reached through a
    server, a dashboard (`serve`) keeps read sessions open for its many reads (served.RemoteStore); a command,
    with a few reads to make, does not pay for opening them."""
    path = resolve_db_path(db)
    if served.is_address(path):
        return served.RemoteStore(path, served.token_for(path), keep_read_sessions=serve)
    if _is_file_db(path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds()
    while True:
        try:
            con = duckdb.connect(path)
            break
        except duckdb.IOException as exc:
            if (unreadable := _too_new(path, exc)) is not None:
                raise unreadable from None
            if "lock" not in str(exc).lower():
                raise
            held = exc
        note = served.served_at(path)
        if note is not None:
            try:
                return served.RemoteStore(*note, keep_read_sessions=serve)
            except StoreGone:
                pass   # its server has just gone (or is starting): the file may be free now
        if time.monotonic() >= deadline:
            raise StoreBusy(f"The database {path} is in use by another process; try again in a moment.") from held
        time.sleep(0.2)
    with _init_lock:
        create_schema(con)
    if serve and _is_file_db(path):
        serve_store(con, path)
    return con


def serve_store(con: duckdb.DuckDBPyConnection, path: str, host: str = "localhost", port: int | None = None) -> str:
    """Serve the file store this process holds (served.serve, with this process's writers' lock), and remove its
    address file at exit. Returns the address."""
    address = served.serve(con, path, host, port, writing=_write_lock)
    atexit.register(served.forget, path)
    return address


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
    (7, "the migrations table without a default (a default of current_timestamp stops a quack client attaching)"),
    (8, "the writer row, which writers in several processes claim in turn"),
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
    elif step == 7:
        cur.execute("ALTER TABLE migrations ALTER COLUMN applied_at DROP DEFAULT")
    elif step == 8:
        cur.execute("CREATE TABLE IF NOT EXISTS writer (id INTEGER PRIMARY KEY, claims BIGINT NOT NULL)")
        cur.execute("INSERT OR IGNORE INTO writer VALUES (1, 0)")


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the steps of MIGRATIONS the store has not recorded, in order; returns the steps applied."""
    cur = con.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS migrations (step INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMP NOT NULL)")
    done = {step for (step,) in cur.execute("SELECT step FROM migrations").fetchall()}
    applied = []
    for step, name in MIGRATIONS:
        if step in done:
            continue
        _apply(con, step)
        cur.execute("INSERT INTO migrations (step, name, applied_at) VALUES ($step, $name, current_timestamp)",
                    {"step": step, "name": name})
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
        _begin_writing(cur)
        try:
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            # the claim undone inside the transaction: the row stays claimed until COMMIT, and a transaction that
            # wrote nothing else leaves the store as it was, row for row (an import of nothing new changes nothing)
            cur.execute("UPDATE writer SET claims = claims - 1 WHERE id = 1")
            cur.execute("COMMIT")
        finally:
            if isinstance(cur, served.RemoteCursor):
                cur.release_writer_lease()


RESTART_GRACE = 2.0   # seconds a waiting writer gives a server it cannot reach, to come back from a restart


def _begin_writing(cur) -> None:
    """BEGIN, then claim the store's one writer row: writers in other processes (through the server) take turns as
    the threads of one process do (_write_lock). DuckDB refuses a second transaction's update of a row another has
    updated and not committed, so the second writer rolls back its empty transaction and tries again until the
    first has committed (it then sees the first's rows), or is told to wait after COLLAB_DB_WAIT seconds."""
    deadline = time.monotonic() + wait_seconds()
    unreachable_since = None
    while True:
        began = False
        try:
            cur.execute("BEGIN TRANSACTION")
            began = True
            cur.execute("UPDATE writer SET claims = claims + 1 WHERE id = 1")   # an update that changes nothing
            # is not a claim: DuckDB lets two such through
            if isinstance(cur, served.RemoteCursor):
                cur.hold_writer_lease()   # a client beats while it holds the row, or the server clears it (served.py)
            return
        except served.SessionLost:
            pass   # the server cleared a writer that had stopped beating, and this waiter's session with it
        except served.StoreGone:
            # Clearing a dead writer restarts the server on its address (a few milliseconds): a waiter's statement
            # can meet that gap. Its session went with the restart, so the next try starts a new one; a server
            # still unreachable after RESTART_GRACE seconds has gone, and the waiter says so.
            unreachable_since = unreachable_since or time.monotonic()
            if time.monotonic() - unreachable_since >= RESTART_GRACE:
                raise
            time.sleep(0.25)
            continue
        except duckdb.Error as exc:
            if not began:
                raise
            cur.execute("ROLLBACK")
            if "conflict" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise StoreBusy("Another process is writing to the store; try again in a moment.") from exc
        time.sleep(0.1)


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
