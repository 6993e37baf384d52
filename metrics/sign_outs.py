"""When each signed-in address last signed out, kept in the store so that it holds across restarts: a sign-in
(an identity token) issued before that moment no longer opens anything (metrics.sign_in.judge decides)."""

from __future__ import annotations

import math
import time

import duckdb

from metrics import store


def record(con: duckdb.DuckDBPyConnection, email: str, at: float | None = None) -> float:
    """`email` signed out at `at` (default now), kept to the whole second: identity tokens give their time of issue
    in whole seconds, and one issued within the second of a sign-out counts as before it. Returns the time kept (the later of this and any earlier one)."""
    when = float(math.floor(time.time() if at is None else at))
    with store.transaction(con) as cur:
        cur.execute("INSERT OR REPLACE INTO sign_outs VALUES ($email, greatest($at, coalesce("
                    "(SELECT signed_out_at FROM sign_outs WHERE email = $email), $at)))",
                    {"email": email, "at": when})
    return last(con, email)


def last(con: duckdb.DuckDBPyConnection, email: str | None) -> float | None:
    """When `email` last signed out, or None if never."""
    if not email:
        return None
    rows = con.cursor().execute("SELECT signed_out_at FROM sign_outs WHERE email = $email",
                                {"email": email}).fetchall()
    return rows[0][0] if rows else None
