"""The upload limit: the most a file may be (the setting max_upload_mb), checked before a byte of it is parsed."""

from __future__ import annotations

import duckdb

from metrics.ingest.kinds import Problem


DEFAULT_MAX_UPLOAD_MB = 200.0


def max_upload_mb(con: duckdb.DuckDBPyConnection) -> float:
    """The largest file an import reads, in MB (the setting max_upload_mb; 200, Streamlit's own cap, without it)."""
    rows = con.cursor().execute("SELECT value FROM settings WHERE key = 'max_upload_mb'").fetchall()
    try:
        limit = float(rows[0][0]) if rows else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        return DEFAULT_MAX_UPLOAD_MB
    return limit if limit > 0 else DEFAULT_MAX_UPLOAD_MB


def upload_limit_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """The upload limit in bytes: the most a file may be, and the most an .xlsx may unpack to."""
    return int(max_upload_mb(con) * 1024 * 1024)


def upload_too_big(con: duckdb.DuckDBPyConnection, size: int) -> Problem | None:
    """The refusal of a file over the upload limit, checked before a byte of it is parsed; None when it fits."""
    limit = max_upload_mb(con)
    if size <= upload_limit_bytes(con):
        return None
    return Problem(None, None, None,
                   f"the file is {size / 1024 / 1024:,.1f} MB, over the upload limit of {limit:g} MB: split the "
                   f"export by month and import each part, or ask an admin to raise the limit (the setting "
                   f"max_upload_mb).")
