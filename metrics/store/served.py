"""The store served to other processes and machines through DuckDB's own client-server protocol (the quack
extension), and the client side of it: an object with the small surface the code uses of a DuckDB connection.

A database file is held by one process at a time. That process serves it (`serve`), writes its address and token
to a file beside the store that only its owner can read (`<store>.server`), and every other process that finds the
file held reaches the store through that address (`connect_remote`). Quack in DuckDB 1.5.5 has two routes:
`quack_query(address, sql)` runs one whole script on a fresh server connection (no session), and an attached
server (`ATTACH 'quack:…' AS alias`) keeps one server session, with its transaction and temp tables, for as long
as it is attached. A cursor here reads through the first and takes a session of its own at its first statement
that is not a plain read (BEGIN, a temp table, SET, a write) or its first registered DataFrame, so that cursors keep
the isolation they have in an embedded store.

Values never reach the server as text pasted into SQL: each parameter of a statement is sent as a literal built
from its value's type (a string as the hex of its UTF-8 bytes, decoded on the server),
so nothing a user typed can end a string or a statement.

A writer killed in the middle of its transaction. Quack 1.5.5 keeps a server session until its server stops: it
has no session timeout, no way to end one session, and it does not notice a client's death. A killed client's
session keeps its transaction open, and with it the claimed writer row, so every later writer would wait and be
turned away until the serving process restarted. What was measured: `quack_stop` drops every session of the
server and rolls back their transactions (nothing of them reaches the file), and `quack_serve` again on the same
address with the same token takes 2 ms, so clients keep the address and token they have. Hence a lease: a client
that holds the writer row beats every second (an autocommitted `quack_query`, its own connection on the server)
into a table of an in-memory database the serving process attaches (`collab_server.leases`, gone with the server),
and the serving process's watchdog (`_Watchdog`) checks each second whether the writer row is held (a claim tried
and rolled back) while no lease has beaten for COLLAB_DB_STALE seconds (8 by default) and no writer of its own
holds it; after that has lasted two seconds it stops and restarts its server. The dead writer's transaction is
rolled back whole; a live client's next statement in a dropped session is taken again in a new session when it was
in no transaction, and is told in one line that its write was not stored when it was (SessionLost); reads by
`quack_query` that meet the restart's two milliseconds are tried again.

Why not the other routes. A server-side session timeout or a call to end one session does not exist in 1.5.5
(`quack_active_connections()` lists sessions, last query, state and start time, and nothing ends one). Sending a
writer's whole transaction to the server as one script (BEGIN … COMMIT in one `quack_query`) would need every
writer rewritten as SQL text: an import reads inside its transaction (the next import id, the rows already
stored, the conflicts) and decides what to write from what it read, and its rows come from a DataFrame, which
would have to be staged outside the transaction first. The lease keeps the one write path of the embedded store
and leaves the decision to the one process that can act on it."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
import re
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

ADDRESS = re.compile(r"quack:(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})")
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{8,200}")
TOKEN_ENV = "COLLAB_DB_TOKEN"            # a client's token for a server named by address (never on a command line)
TOKEN_FILE_ENV = "COLLAB_DB_TOKEN_FILE"  # or the file holding it (the server's `<store>.server` will do)
STALE_ENV = "COLLAB_DB_STALE"            # seconds a client writer may go without beating before it is cleared
LEASES = "collab_server.leases"          # the writers' leases: a table of the serving process's in-memory database
BEAT = 1.0                               # seconds between a writer's beats
GRACE = 2.0                              # seconds the held-without-a-lease state must last before the server acts
_loaded = threading.Lock()


class StoreGone(RuntimeError):
    """The server the store was reached through has gone (stopped, killed, or not there)."""


class SessionLost(StoreGone):
    """The server dropped this cursor's session in the middle of its transaction (it cleared a writer that had
    stopped beating): the transaction was rolled back whole."""


def stale_seconds() -> float:
    """How long a client writer may go without beating before the serving process clears it: COLLAB_DB_STALE,
    else 8 seconds."""
    try:
        return max(2.0, float(os.environ.get(STALE_ENV, "8")))
    except ValueError:
        return 8.0


def is_address(db: str) -> bool:
    return db.startswith("quack:")


def sidecar(path: str | os.PathLike) -> Path:
    """The file beside a served store holding its address and token (mode 0600)."""
    return Path(f"{path}.server")


def _extension(module_name: str) -> str:
    """The .duckdb_extension file a PyPI package ships (duckdb-extension-quack / -httpfs, built for 1.5.5): loaded
    from disk because DuckDB cannot download extensions here (nor, often, behind a company firewall)."""
    import importlib

    module = importlib.import_module(module_name)
    return str(next(Path(module.__file__).parent.rglob("*.duckdb_extension")))


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """httpfs first (quack's HTTP and crypto come from it), then quack."""
    with _loaded:
        for name in ("duckdb_extension_httpfs", "duckdb_extension_quack"):
            con.execute(f"LOAD '{_extension(name)}'")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def serve(con: duckdb.DuckDBPyConnection, path: str | None, host: str = "localhost", port: int | None = None,
          *, writing: threading.RLock | None = None) -> str:
    """Serve the store `con` holds on host:port (the loopback address unless told otherwise; a free port when none
    is given) and, for a file store, write `<path>.server` (address and token, readable by its owner only).
    Returns the address. The token is generated by the server and never printed. A watchdog clears a client
    writer that stopped beating (see the module's docstring); `writing` is this process's own writers' lock, so
    that a writer of the serving process is never taken for a dead one."""
    load_extensions(con)
    port = port or free_port("127.0.0.1" if host in ("localhost", "127.0.0.1") else host)
    address = f"quack:{host}:{port}"
    loopback = host in ("localhost", "127.0.0.1", "::1", "[::1]")
    con.cursor().execute("ATTACH IF NOT EXISTS ':memory:' AS collab_server")
    con.cursor().execute(f"CREATE TABLE IF NOT EXISTS {LEASES} (holder VARCHAR PRIMARY KEY, beat TIMESTAMPTZ NOT NULL)")
    (_uri, _url, token), = con.cursor().execute(
        "CALL quack_serve($uri, allow_other_hostname := $other)", {"uri": address, "other": not loopback}).fetchall()
    _drop_uploads(con)
    _Watchdog(con, address, token, not loopback, writing).start()
    if path is not None:
        note = sidecar(path)
        temporary = note.with_name(note.name + f".{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"address": address, "token": token, "pid": os.getpid()}, handle)
        os.replace(temporary, note)   # whole or not at all: a reader never sees half a file
    return address


def _drop_uploads(con) -> None:
    """Frames being sent outside a transaction when their client was killed (inside one, they went with it)."""
    for (left,) in con.cursor().execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                                        "AND table_name LIKE 'collab_upload_%'").fetchall():
        con.cursor().execute(f"DROP TABLE IF EXISTS {_quoted(left)}")


class _Watchdog(threading.Thread):
    """The serving process's check, each second, for a client writer that holds the writer row and has stopped
    beating (killed, stopped, cut off): after GRACE seconds of that, the server is stopped and started again on
    the same address with the same token, which rolls back every session's transaction (see the docstring)."""

    def __init__(self, con, address: str, token: str, other_hosts: bool, writing) -> None:
        super().__init__(name=f"collab-store-watchdog-{address}", daemon=True)
        self._con, self._address, self._token, self._other = con, address, token, other_hosts
        self._writing = writing
        self.restarts = 0

    def run(self) -> None:
        cur = self._con.cursor()
        since = None
        while True:
            time.sleep(1.0)
            try:
                sessions = [row[4] for row in cur.execute("SELECT * FROM quack_server_list()").fetchall()
                            if row[0] == self._address]
                if not sessions:
                    return   # stopped on purpose (the store closed, or quack_stop)
                if sessions[0] and self._dead_writer(cur):   # no session, no client writer
                    since = since if since is not None else time.monotonic()
                    if time.monotonic() - since >= GRACE:
                        self._restart(cur)
                        since = None
                else:
                    since = None
            except duckdb.Error as error:
                if "closed" in str(error).lower():
                    return   # the store was closed: nothing is served any more
                since = None   # a check that failed is tried again in a second
            except Exception:   # never let the check take the serving process down
                since = None

    def _dead_writer(self, cur) -> bool:
        if self._writing is not None and not self._writing.acquire(blocking=False):
            return False   # a writer of this process holds the row: it lives as long as the server does
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                cur.execute("UPDATE writer SET claims = claims + 1 WHERE id = 1")
                return False   # nobody holds the writer row
            except duckdb.Error as exc:
                if "conflict" not in str(exc).lower():
                    raise
            finally:
                cur.execute("ROLLBACK")
        finally:
            if self._writing is not None:
                self._writing.release()
        beating = cur.execute(f"SELECT count(*) FROM {LEASES} WHERE epoch(now() - beat) < $stale",
                              {"stale": stale_seconds()}).fetchall()[0][0]
        return beating == 0

    def _restart(self, cur) -> None:
        cur.execute("CALL quack_stop($uri)", {"uri": self._address}).fetchall()
        cur.execute("CALL quack_serve($uri, token := $token, allow_other_hostname := $other)",
                    {"uri": self._address, "token": self._token, "other": self._other}).fetchall()
        cur.execute(f"DELETE FROM {LEASES}")
        _drop_uploads(self._con)
        self.restarts += 1


def forget(path: str | None) -> None:
    """Remove `<path>.server` if this process wrote it (on close)."""
    if path is None:
        return
    note = sidecar(path)
    try:
        if json.loads(note.read_text(encoding="utf-8")).get("pid") == os.getpid():
            note.unlink()
    except (OSError, ValueError):
        pass


def served_at(path: str) -> tuple[str, str] | None:
    """The address and token in `<path>.server`, or None when there is none (or it cannot be read)."""
    try:
        note = json.loads(sidecar(path).read_text(encoding="utf-8"))
        return str(note["address"]), str(note["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def token_for(address: str) -> str:
    """A client's token for a server named by its address: COLLAB_DB_TOKEN, else the file COLLAB_DB_TOKEN_FILE
    names (a server's `<store>.server`, or a file holding the token alone)."""
    token = os.environ.get(TOKEN_ENV)
    if not token and os.environ.get(TOKEN_FILE_ENV):
        text = Path(os.environ[TOKEN_FILE_ENV]).read_text(encoding="utf-8").strip()
        try:
            token = json.loads(text)["token"]
        except (ValueError, KeyError, TypeError):
            token = text
    if not token:
        raise StoreGone(f"No token for the store's server at {address}: set {TOKEN_ENV}, or {TOKEN_FILE_ENV} to the "
                        "file holding it (the server writes it beside the store, as STORE.server).")
    return token


# --- values as literals -------------------------------------------------------------------------------------

def literal(value: Any) -> str:
    """A SQL literal for a parameter's value, built from its type: no text of the value is pasted as it is."""
    if value is None or value is pd.NaT:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "'nan'::DOUBLE"
        if math.isinf(value):
            return "'inf'::DOUBLE" if value > 0 else "'-inf'::DOUBLE"
        return f"{float(value)!r}::DOUBLE"
    if isinstance(value, decimal.Decimal):
        return f"{decimal.Decimal(value)}::DECIMAL(38,{max(0, -value.as_tuple().exponent)})"
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP{'TZ' if value.tzinfo else ''} '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return f"decode(from_hex('{value.encode('utf-8').hex()}'))" if value else "''"
    if isinstance(value, bytes):
        return f"from_hex('{value.hex()}')"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if hasattr(value, "item"):   # a numpy scalar
        return literal(value.item())
    raise TypeError(f"a parameter of type {type(value).__name__} cannot be sent to the store's server")


# A parameter in the code's own SQL text: $name, $1 or ?; strings, quoted names and comments are passed over whole.
_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\$([A-Za-z_][A-Za-z0-9_]*|\d+)|\?""",
                     re.DOTALL)


def bound(sql: str, params: dict | list | tuple | None) -> str:
    """The statement with each parameter replaced by its value's literal (every kind of statement takes them so,
    CREATE TABLE … AS among them, which PREPARE does not). Only the code's own SQL is searched for parameters; a
    value never is, and its literal cannot end a string or a statement."""
    if not params:
        return sql
    positional = iter(params) if not isinstance(params, dict) else None

    def value(match: re.Match) -> str:
        text, name = match.group(0), match.group(1)
        if text[0] in "'\"-/":
            return text
        if isinstance(params, dict):
            if name is None or name not in params:
                raise KeyError(f"no value for the parameter {text} in {sql[:80]!r}")
            return f"({literal(params[name])})"
        if name is not None and name.isdigit():
            return f"({literal(params[int(name) - 1])})"
        return f"({literal(next(positional))})"

    return _TOKENS.sub(value, sql)


def _quoted(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _is_read(sql: str) -> bool:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error:
        return False
    return bool(statements) and all(s.type == duckdb.StatementType.SELECT for s in statements)


# --- the client ---------------------------------------------------------------------------------------------

_CONNECTION_TROUBLE = ("connection refused", "could not connect", "failed to connect", "couldn't connect",
                       "connection reset", "timed out", "timeout", "unable to connect", "http error", "http 5",
                       "http request", "no route", "host")


def _gone_or_same(error: duckdb.Error, address: str) -> Exception:
    """A quack error as the store's: connection trouble is StoreGone (one line), anything else keeps its message
    without the client's own wrapper line."""
    text = str(error).split("\n\nLINE 1: FROM quack_query")[0]
    lowered = text.lower()
    if any(word in lowered for word in _CONNECTION_TROUBLE) and "syntax" not in lowered:
        return StoreGone(f"The store's server at {address} cannot be reached ({' '.join(text.split())[:160]}); "
                         "start it again, or use the database file.")
    return type(error)(text)


class RemoteStore:
    """A store reached through its server: `cursor()`, `execute()` and `close()` as a DuckDB connection has."""

    def __init__(self, address: str, token: str, *, keep_read_sessions: bool = False) -> None:
        if not ADDRESS.fullmatch(address):
            raise ValueError(f"{address!r} is not a server address: use quack:HOST:PORT")
        if not _TOKEN.fullmatch(token):
            raise StoreGone(f"The token for the store's server at {address} is not one the server gives.")
        self.address = address
        self._client = duckdb.connect(":memory:")
        load_extensions(self._client)
        # the token reaches DuckDB once, as a secret; it was checked above to be letters and digits only
        self._client.execute(f"CREATE SECRET collab_store (TYPE quack, TOKEN '{token}')")
        self._lock = threading.Lock()
        self._closed = False
        self.gone = False   # set when a call found the server gone
        self._idle_readers: list[str] = []   # read sessions no cursor holds (READ_SESSIONS at most in all)
        self._readers_open: set[str] = set()
        self._token = token
        self._keep_readers = keep_read_sessions
        self._reads: duckdb.DuckDBPyConnection | None = None   # the client the read sessions are attached to
        self.cursor().execute("SELECT 1").fetchall()   # a server that is not there says so now, in one line

    def cursor(self) -> "RemoteCursor":
        return RemoteCursor(self)

    def alive(self) -> bool:
        return not (self._closed or self.gone)

    def execute(self, sql: str, params=None) -> "RemoteCursor":
        return self.cursor().execute(sql, params)

    def client_cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self._client.cursor()

    # Read sessions, kept between cursors (`keep_read_sessions`: a dashboard). A read with no session of its own
    # (quack_query) opens and closes one on the server each time: 2.3 ms for SELECT 1 here, against 1.2 ms through
    # a session kept open, whose opening (ATTACH) costs 11 ms once, and their client's extensions 0.1 s once. A
    # dashboard's pages make a dozen small reads a run, all its life, so each cursor borrows a kept session for its
    # reads and gives it back when it is closed; one cursor at a time uses a session (its result may still be
    # streaming), and a session the server has dropped is forgotten, not given back. A command makes a few reads
    # and ends: the 0.1 s would cost it more than it saves (the scorecard command 0.55 -> 0.77 s, measured).
    # The read sessions are attached to a client of their own: a session the server drops is then seen only by
    # the reads (which forget it and go on), never by a writer's statements on the other client, which walk every
    # attached catalog (quack_clear_cache).
    def borrow_reader(self) -> tuple[str, duckdb.DuckDBPyConnection] | None:
        """A kept read session and a cursor of the client it is attached to; None when READ_SESSIONS are in use
        (the read goes without one)."""
        if not self._keep_readers:
            return None
        with self._lock:
            if self._closed:
                return None
            if self._reads is None:
                self._reads = duckdb.connect(":memory:")
                load_extensions(self._reads)
                self._reads.execute(f"CREATE SECRET collab_store (TYPE quack, TOKEN '{self._token}')")
            client = self._reads.cursor()
            if self._idle_readers:
                return self._idle_readers.pop(), client
            if len(self._readers_open) >= READ_SESSIONS:
                client.close()
                return None
            alias = f"collab_read_{uuid.uuid4().hex[:12]}"
            self._readers_open.add(alias)
        try:
            client.execute(f"ATTACH '{self.address}' AS {alias}")
        except duckdb.Error:
            with self._lock:
                self._readers_open.discard(alias)
            client.close()
            return None   # the read goes without one, and says what is wrong if it fails too
        return alias, client

    def give_back_reader(self, alias: str, lost: bool = False) -> None:
        with self._lock:
            if lost or self._closed:
                self._readers_open.discard(alias)
            else:
                self._idle_readers.append(alias)
        if lost and self._reads is not None:
            try:
                self._reads.cursor().execute(f"DETACH {alias}")
            except duckdb.Error:
                pass

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._client.close()
            if self._reads is not None:
                self._reads.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Lease(threading.Thread):
    """A client writer's beat while it holds the writer row: its row in the serving process's lease table, its
    time set by the server's clock, each second, on a connection of its own (so never inside the writer's
    transaction)."""

    def __init__(self, owner: RemoteStore) -> None:
        super().__init__(name="collab-store-lease", daemon=True)
        self._owner = owner
        self._client = owner.client_cursor()
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._done = threading.Event()

    def _beat(self, sql: str) -> None:
        self._client.execute("FROM quack_query($address, $sql)",
                             {"address": self._owner.address, "sql": bound(sql, {"holder": self._holder})})

    def start(self) -> None:
        self._beat(f"INSERT OR REPLACE INTO {LEASES} VALUES ($holder, now())")   # before the first statement
        super().start()

    def run(self) -> None:
        while not self._done.wait(BEAT):
            try:
                self._beat(f"INSERT OR REPLACE INTO {LEASES} VALUES ($holder, now())")
            except duckdb.Error:
                pass   # the next beat may get through; a writer that cannot beat for long is cleared, as it should be

    def end(self) -> None:
        self._done.set()
        self.join(timeout=5)
        try:
            self._beat(f"DELETE FROM {LEASES} WHERE holder = $holder")
        except duckdb.Error:
            pass   # a lease left behind is only ever read by its age
        self._client.close()


_SESSION_LOST = "invalid connection id"
READ_SESSIONS = 8   # read sessions a client keeps open on the server at most (RemoteStore.borrow_reader)
_ENDS = ("COMMIT", "ROLLBACK", "ABORT", "END")


class RemoteCursor:
    """One cursor: reads without a session, and its own server session (an attached alias) once it needs one."""

    def __init__(self, owner: RemoteStore) -> None:
        self._owner = owner
        self._client = owner.client_cursor()
        self._alias: str | None = None
        self._reader: str | None = None   # a read session borrowed from the owner, given back at close
        self._reader_client: duckdb.DuckDBPyConnection | None = None   # the cursor its reads run on
        self._result: duckdb.DuckDBPyConnection = self._client          # the cursor holding the last result
        self._in_transaction = False
        self._lease: _Lease | None = None

    def hold_writer_lease(self) -> None:
        """Beat while this cursor's transaction holds the writer row (store.transaction calls it after the claim)."""
        self._lease = _Lease(self._owner)
        self._lease.start()

    def release_writer_lease(self) -> None:
        lease, self._lease = self._lease, None
        if lease is not None:
            lease.end()

    def _session(self) -> str:
        if self._alias is None:
            alias = f"collab_session_{uuid.uuid4().hex[:12]}"
            try:
                self._client.execute(f"ATTACH '{self._owner.address}' AS {alias}")
            except duckdb.Error as error:
                raise self._failed(error) from None
            self._alias = alias
        return self._alias

    def execute(self, sql: str, params=None) -> "RemoteCursor":
        script = bound(sql, params)
        words = sql.lstrip().split(None, 1)
        head = words[0].upper().rstrip(";") if words else ""
        if head in ("ROLLBACK", "ABORT") and not self._in_transaction:
            return self   # its session, and the transaction with it, were dropped by the server (SessionLost)
        if self._alias is None and not _is_read(sql):
            self._session()
        try:
            self._run(script)
        except duckdb.Error as error:
            if _SESSION_LOST in str(error).lower():
                return self._after_lost_session(head, script)
            if self._alias is None and isinstance(_gone_or_same(error, self._owner.address), StoreGone):
                time.sleep(0.3)   # a read that met the server's restart (two milliseconds) is tried once more
                try:
                    self._run(script)
                except duckdb.Error as again:
                    raise self._failed(again) from None
                return self
            if head in _ENDS:
                self._in_transaction = False
            raise self._failed(error) from None
        if head == "BEGIN":
            self._in_transaction = True
        elif head in _ENDS:
            self._in_transaction = False
        return self

    def _run(self, script: str) -> None:
        self._result = self._client
        if self._alias is not None:
            self._client.execute("FROM quack_query_by_name($alias, $sql)", {"alias": self._alias, "sql": script})
            return
        if self._reader is None:
            borrowed = self._owner.borrow_reader()
            if borrowed is not None:
                self._reader, self._reader_client = borrowed
        if self._reader is not None:
            try:
                self._reader_client.execute("FROM quack_query_by_name($alias, $sql)",
                                            {"alias": self._reader, "sql": script})
                self._result = self._reader_client
                return
            except duckdb.Error as error:
                if _SESSION_LOST not in str(error).lower() and not isinstance(
                        _gone_or_same(error, self._owner.address), StoreGone):
                    raise   # the statement's own error: the session is fine
                # the server dropped the session (a restart, or a writer cleared): forget it, read without one
                self._give_back_reader(lost=True)
        self._client.execute("FROM quack_query($address, $sql)", {"address": self._owner.address, "sql": script})

    def _give_back_reader(self, lost: bool = False) -> None:
        reader, client, self._reader, self._reader_client = self._reader, self._reader_client, None, None
        if client is not None:
            try:
                client.close()   # with any result still streaming on it, before another cursor takes the session
            except duckdb.Error:
                pass
        self._result = self._client
        if reader is not None:
            self._owner.give_back_reader(reader, lost=lost)

    def _after_lost_session(self, head: str, script: str) -> "RemoteCursor":
        """The server dropped this cursor's session (it cleared a writer that had stopped beating, and every session
        went with it). Outside a transaction the statement is run again in a new session; inside one, the
        transaction was rolled back on the server, and the writer is told so."""
        lost, self._alias = self._alias, None
        was_writing, self._in_transaction = self._in_transaction, False
        if lost is not None:
            try:
                self._client.execute(f"DETACH {lost}")
            except duckdb.Error:
                pass
        if head in ("ROLLBACK", "ABORT"):
            return self   # rolled back already, by the server
        if was_writing or head in _ENDS:
            raise SessionLost("The store's server cleared a writer that had stopped answering, and this write's "
                              "session with it: nothing of this write was stored; try again.")
        self._session()
        try:
            self._run(script)
        except duckdb.Error as error:
            raise self._failed(error) from None
        if head == "BEGIN":
            self._in_transaction = True
        return self

    def _failed(self, error: duckdb.Error) -> Exception:
        translated = _gone_or_same(error, self._owner.address)
        if isinstance(translated, StoreGone):
            self._owner.gone = True
        return translated

    def fetchall(self) -> list[tuple]:
        return self._result.fetchall()

    def fetchone(self):
        return self._result.fetchone()

    def df(self) -> pd.DataFrame:
        return self._result.df()

    fetchdf = df

    @property
    def description(self):
        return self._result.description

    def register(self, name: str, frame: pd.DataFrame) -> "RemoteCursor":
        """The frame as the temp table `name` of this cursor's session: sent as a table inside the session (and
        so inside its transaction, when one is open), then renamed to the temp table and the copy dropped."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"{name!r} is not a name for a registered frame")
        alias = self._session()
        upload = f"collab_upload_{uuid.uuid4().hex[:12]}"
        local = f"{upload}_frame"
        try:
            self._client.register(local, frame)
            columns = self._client.execute(f"DESCRIBE SELECT * FROM {local}").fetchall()
            # the table is made in the session (inside its transaction, if one is open), then filled through the
            # attached catalog, which joins the same session once its cache has seen the new table
            self.execute(f"CREATE TABLE main.{upload} ("
                         + ", ".join(f"{_quoted(name)} {kind}" for name, kind, *_ in columns) + ")")
            self._client.execute("CALL quack_clear_cache()")
            self._client.execute(f"INSERT INTO {alias}.main.{upload} SELECT * FROM {local}")
            self._client.unregister(local)
        except duckdb.Error as error:
            raise self._failed(error) from None
        self.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS FROM main.{upload}; DROP TABLE main.{upload}")
        return self

    def unregister(self, name: str) -> "RemoteCursor":
        if self._alias is not None and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            self.execute(f"DROP TABLE IF EXISTS temp.main.{name}")
        return self

    def close(self) -> None:
        self.release_writer_lease()
        alias, self._alias = self._alias, None
        try:
            if alias is not None:
                self._client.execute(f"DETACH {alias}")
            self._client.close()
        except duckdb.Error:
            pass
        self._give_back_reader()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
